"""The list of event types webhooks offers is exactly the event classes under `contracts/`."""

import importlib
import inspect
import pkgutil

import contracts
from contracts.event_types import EVENT_TYPES
from contracts.webhooks import EVENTS as WEBHOOK_EVENTS
from contracts.webhooks import WebhookTest
from kit.events import Event


def contract_event_types() -> set[str]:
    """Every concrete event type defined by a class in a module under contracts/."""
    types = set()
    for module_info in pkgutil.iter_modules(contracts.__path__):
        module = importlib.import_module(f"contracts.{module_info.name}")
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, Event) and "event_type" in vars(value):
                types.add(value.event_type)
    return types


def test_the_event_type_list_is_every_contract_event_class() -> None:
    assert set(EVENT_TYPES) == contract_event_types()


def test_every_event_type_has_a_one_line_description() -> None:
    for event_type, description in EVENT_TYPES.items():
        assert description.strip(), event_type
        assert "\n" not in description, event_type


def test_webhook_test_is_listed_but_never_published() -> None:
    assert WebhookTest.event_type in EVENT_TYPES
    assert WebhookTest not in WEBHOOK_EVENTS
