"""A contract test per event type: what its producer publishes is exactly the shared definition in
`contracts/`, and every consumer that registers the type accepts it.

The producers run real flows (tests/contracts/flows.py); their outbox rows are what their relays publish.
Each consumer applies the produced envelopes through `EventConsumer.apply`, as its worker does, on a
database of its own service.
"""

import functools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

import contracts.catalog
import contracts.documents
import contracts.identity
import contracts.orders
import contracts.webhooks
from kit.consumer import EventConsumer
from kit.db import Database
from kit.events import Event, EventEnvelope
from kit.outbox import attach_outbox
from kit.service import ServiceSpec
from services.audit.app import SPEC as AUDIT
from services.catalog.app import SPEC as CATALOG
from services.identity.app import SPEC as IDENTITY
from services.orders.app import SPEC as ORDERS
from services.webhooks.app import SPEC as WEBHOOKS
from tests.conftest import DatabaseFactory
from tests.contracts.conftest import Produced

PRODUCERS: dict[str, tuple[type[Event], ...]] = {
    "identity": contracts.identity.EVENTS,
    "catalog": contracts.catalog.EVENTS,
    # Orders publishes about its orders and about their documents and customers' vaults.
    "orders": contracts.orders.EVENTS + contracts.documents.EVENTS,
    "webhooks": contracts.webhooks.EVENTS,
}
CONTRACTS: dict[str, tuple[str, type[Event]]] = {
    event.routing_key(): (producer, event) for producer, events in PRODUCERS.items() for event in events
}
CONSUMING_SERVICES = (IDENTITY, CATALOG, ORDERS, AUDIT, WEBHOOKS)
# The audit log and webhooks take every event, whatever its type (webhooks delivers each to its subscribers).
EVERY_EVENT_CONSUMERS = {"audit", "webhooks"}


def consumer_of(spec: ServiceSpec) -> EventConsumer:
    assert spec.consumer is not None, f"{spec.name} has no consumer"
    return spec.consumer


@functools.cache
def strict(model: type[BaseModel]) -> type[BaseModel]:
    """`model` refusing fields it does not define (the contract classes themselves ignore them)."""
    config = ConfigDict(extra="forbid")
    return type(f"Strict{model.__name__}", (model,), {"model_config": config, "__module__": __name__})


def contract_problem(contract: type[Event], data: dict[str, Any]) -> str | None:
    """Why `data` is not exactly `contract`'s JSON, or None when it is."""
    try:
        parsed = strict(contract).model_validate(data)
    except ValidationError as error:
        return str(error)
    # Validating and writing back gives the same JSON: no extra field in a nested object, no value written
    # in another form (a number for a decimal string, another date-time format).
    written = parsed.model_dump(mode="json", by_alias=True)
    if written != data:
        differing = sorted(key for key in written.keys() | data.keys() if written.get(key) != data.get(key))
        return f"does not round-trip through the contract; differing fields: {differing}"
    return None


def envelope_of(contract: type[Event], at: int = 0) -> EventEnvelope:
    """An envelope of `contract`'s type and version, for asking consumers whether they take it."""
    return EventEnvelope(
        type=contract.event_type,
        version=contract.event_version + at,
        company_id=uuid.uuid4(),
        actor={"type": "SYSTEM"},
        entity={"type": "Probe", "id": "probe"},
        data={},
    )


def registers(spec: ServiceSpec, contract: type[Event]) -> bool:
    return consumer_of(spec).refuse(envelope_of(contract)) is None


@dataclass
class Applied:
    """What one consumer did with the produced envelopes: the new ones by type, and any failures."""

    new: dict[str, int] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)


@pytest.fixture(scope="module")
async def applied(produced: Produced, new_database: DatabaseFactory) -> AsyncIterator[dict[str, Applied]]:
    """Every consumer applies, one by one in production order, the produced envelopes of the types it
    registers. Identity applies catalog's and orders' on the database they were produced for (its usage needs the
    company there); the others on fresh databases of their own."""
    # Identity's flows ran before catalog's, which used what identity raised; orders' last, using both.
    everything = [
        *produced.by_service["identity"],
        *produced.by_service["catalog"],
        *produced.by_service["orders"],
        *produced.by_service["webhooks"],
    ]
    results: dict[str, Applied] = {}
    opened: list[Database] = []
    for spec in CONSUMING_SERVICES:
        consumer = consumer_of(spec)
        if spec is IDENTITY:
            database = produced.identity.database
        else:
            database = Database(await new_database(f"contracts_{spec.name}"))
            opened.append(database)
            await database.upgrade(spec.migrations)
            attach_outbox(database, spec.metadata, None)
        result = results[spec.name] = Applied()
        for envelope in everything:
            if consumer.refuse(envelope) is not None:
                continue
            try:
                new = await consumer.apply(database, spec.metadata, [envelope])
            except Exception as error:
                result.failures.setdefault(envelope.type, []).append(f"{envelope.id}: {error!r}")
                continue
            result.new[envelope.type] = result.new.get(envelope.type, 0) + len(new)
    yield results
    for database in opened:
        await database.dispose()


def produced_of(produced: Produced, contract: type[Event]) -> list[EventEnvelope]:
    producer, _ = CONTRACTS[contract.routing_key()]
    return [envelope for envelope in produced.by_service[producer] if envelope.routing_key == contract.routing_key()]


ALL_CONTRACTS = [event for events in PRODUCERS.values() for event in events]


@pytest.mark.parametrize("contract", ALL_CONTRACTS, ids=lambda contract: contract.event_type)
async def test_the_producer_publishes_exactly_the_contract(produced: Produced, contract: type[Event]) -> None:
    envelopes = produced_of(produced, contract)

    assert envelopes, f"no flow raised {contract.routing_key()}: add one to tests/contracts/flows.py"
    problems = {str(envelope.id): contract_problem(contract, envelope.data) for envelope in envelopes}
    assert {event_id: problem for event_id, problem in problems.items() if problem} == {}


@pytest.mark.parametrize("contract", ALL_CONTRACTS, ids=lambda contract: contract.event_type)
async def test_every_consumer_of_the_type_accepts_it(
    produced: Produced, applied: dict[str, Applied], contract: type[Event]
) -> None:
    consumers = [spec.name for spec in CONSUMING_SERVICES if registers(spec, contract)]
    produced_count = len(produced_of(produced, contract))

    assert produced_count, f"no flow raised {contract.routing_key()}"
    for name in consumers:
        assert applied[name].failures.get(contract.event_type, []) == [], f"{name} refused {contract.event_type}"
        assert applied[name].new.get(contract.event_type) == produced_count, f"{name} did not apply them all"


def test_every_published_routing_key_has_a_contract(produced: Produced) -> None:
    for producer, envelopes in produced.by_service.items():
        keys = {envelope.routing_key for envelope in envelopes}
        unknown = {key for key in keys if key not in CONTRACTS or CONTRACTS[key][0] != producer}
        assert unknown == set(), f"{producer} publishes events no contract of its own defines"


def test_an_entitys_versions_never_go_back_in_the_order_its_events_were_written(produced: Produced) -> None:
    for producer, envelopes in produced.by_service.items():
        last: dict[tuple[str, str], int] = {}
        for envelope in envelopes:
            version = envelope.entity.version
            if version is None:
                continue
            entity = (envelope.entity.type, envelope.entity.id)
            assert version >= last.get(entity, 1), f"{producer}: {envelope.type} took {entity} back to v{version}"
            last[entity] = version


@pytest.mark.parametrize("spec", CONSUMING_SERVICES, ids=lambda spec: spec.name)
def test_consumers_register_only_contract_event_types_and_versions(spec: ServiceSpec) -> None:
    consumer = consumer_of(spec)
    contract_types = {contract.event_type for _, contract in CONTRACTS.values()}
    for key in consumer.routing_keys:
        if key == "#":
            only = ", ".join(sorted(EVERY_EVENT_CONSUMERS))
            assert spec.name in EVERY_EVENT_CONSUMERS, f"{spec.name} takes every event; only {only} may"
            continue
        event_type, _, version = key.partition(".")
        assert event_type in contract_types, f"{spec.name} binds {key}, which no contract defines"
        assert version == "*", f"{spec.name} binds {key}: one version only, so another would be missed silently"
    if spec.name not in EVERY_EVENT_CONSUMERS:
        for _, contract in CONTRACTS.values():
            if registers(spec, contract):
                # Only the contract's version: a v2 nobody defined would be refused loudly, not applied.
                assert consumer.refuse(envelope_of(contract, at=1)) is not None
