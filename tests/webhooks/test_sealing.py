"""Signing secrets sealed at rest: the database holds them encrypted with the first of WEBHOOKS_SECRET_KEYS, a new
key put first reseals them when the worker starts (deliveries still verify with the secrets shown), a secret no
key opens is a failed attempt on record, and upgrading seals what was stored in clear (going back unseals it)."""

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from pydantic import SecretStr, ValidationError
from sqlalchemy import Connection, select

from kit.context import ContextSigner
from kit.db import Database, utcnow
from kit.settings import PlatformSettings
from services.webhooks.app import SPEC
from services.webhooks.deliveries.sender import WebhookSender
from services.webhooks.endpoints.repository import reseal_secrets
from services.webhooks.models import WebhookAttempt, WebhookEndpoint
from services.webhooks.sealing import new_key, unseal
from services.webhooks.settings import WebhooksSettings
from tests.conftest import DatabaseFactory
from tests.support.services import RunningService
from tests.webhooks.conftest import FAST, CompanyApi, service_without_worker
from tests.webhooks.receiver import Receiver


@pytest.fixture(scope="module")
async def webhooks_settings(new_database: DatabaseFactory) -> WebhooksSettings:
    return WebhooksSettings(database_url=await new_database("webhooks_sealing"), **FAST)


@pytest.fixture(scope="module")
async def webhooks(
    platform: PlatformSettings, webhooks_settings: WebhooksSettings, signer: ContextSigner
) -> AsyncIterator[RunningService]:
    async with service_without_worker(webhooks_settings, platform, signer) as service:
        yield service


def with_keys(settings: WebhooksSettings, *keys: str) -> WebhooksSettings:
    return settings.model_copy(update={"secret_keys": [SecretStr(key) for key in keys]})


async def stored_secrets(database: Database, webhook_id: str) -> tuple[str, str | None]:
    async with database.sessionmaker() as session:
        endpoint = await session.get(WebhookEndpoint, uuid.UUID(webhook_id))
        assert endpoint is not None
        return endpoint.sealed_secret, endpoint.sealed_previous_secret


async def send_test_event(company: CompanyApi, webhook_id: str) -> dict[str, Any]:
    response = await company.request("POST", f"/api/v1/webhooks/{webhook_id}/test")
    assert response.status_code == 202, response.text
    delivery: dict[str, Any] = response.json()
    return delivery


async def test_the_secrets_are_stored_sealed_never_as_shown(
    company: CompanyApi, receiver: Receiver, webhooks: RunningService, webhooks_settings: WebhooksSettings
) -> None:
    webhook = await company.create(receiver.url())
    rotated = (await company.request("POST", f"/api/v1/webhooks/{webhook['id']}/rotate-secret")).json()

    sealed, sealed_previous = await stored_secrets(webhooks.database, webhook["id"])

    assert sealed_previous is not None
    for shown in (webhook["secret"], rotated["secret"]):
        key_part = shown.removeprefix("whsec_")
        assert key_part not in sealed
        assert key_part not in sealed_previous
    keys = webhooks_settings.sealing_keys
    assert (unseal(sealed, keys), unseal(sealed_previous, keys)) == (rotated["secret"], webhook["secret"])


async def test_a_new_key_put_first_reseals_every_secret_and_deliveries_verify_with_it_alone(
    company: CompanyApi, receiver: Receiver, webhooks: RunningService, webhooks_settings: WebhooksSettings
) -> None:
    webhook = await company.create(receiver.url())
    await company.request("POST", f"/api/v1/webhooks/{webhook['id']}/rotate-secret")
    before = await stored_secrets(webhooks.database, webhook["id"])
    old_key, new = webhooks_settings.sealing_keys[0], new_key()

    assert await reseal_secrets(webhooks.database, [new, old_key]) >= 1

    after = await stored_secrets(webhooks.database, webhook["id"])
    assert after != before
    assert [unseal(value, [new]) for value in after if value] == [unseal(value, [old_key]) for value in before if value]
    assert await reseal_secrets(webhooks.database, [new, old_key]) == 0
    # The old key can go: the sender opens every secret with the new one alone.
    delivery = await send_test_event(company, webhook["id"])
    async with WebhookSender(webhooks.database, with_keys(webhooks_settings, new)) as sender:
        while await sender.send_due():
            pass
    [received] = [request for request in receiver.received if request.webhook_id == delivery["eventId"]]
    received.verified(webhook["secret"])
    # Put back as the other tests of this module seal and send.
    assert await reseal_secrets(webhooks.database, [old_key, new]) >= 1


async def test_a_secret_no_key_opens_is_a_failed_attempt_on_record_and_nothing_is_sent(
    company: CompanyApi, receiver: Receiver, webhooks: RunningService, webhooks_settings: WebhooksSettings
) -> None:
    webhook = await company.create(receiver.url())
    delivery = await send_test_event(company, webhook["id"])

    async with WebhookSender(webhooks.database, with_keys(webhooks_settings, new_key())) as sender:
        assert await sender.send_due() >= 1

    async with webhooks.database.sessionmaker() as session:
        statement = select(WebhookAttempt.status_code, WebhookAttempt.error).where(
            WebhookAttempt.delivery_id == uuid.UUID(delivery["id"])
        )
        [(status_code, error)] = (await session.execute(statement)).all()
    assert status_code is None
    assert error is not None
    assert "none of WEBHOOKS_SECRET_KEYS opens" in error
    assert all(request.webhook_id != delivery["eventId"] for request in receiver.received)


def test_the_keys_are_required_and_a_bad_one_is_refused_without_being_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEBHOOKS_SECRET_KEYS")
    with pytest.raises(ValidationError, match="secret_keys"):
        WebhooksSettings()

    monkeypatch.setenv("WEBHOOKS_SECRET_KEYS", json.dumps(["not-a-fernet-key-but-a-secret"]))
    with pytest.raises(ValidationError) as refused:
        WebhooksSettings()
    assert "a Fernet key" in str(refused.value)
    assert "not-a-fernet-key-but-a-secret" not in str(refused.value)


def _migrate(connection: Connection, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(SPEC.migrations))
    config.attributes["connection"] = connection
    (command.downgrade if down else command.upgrade)(config, revision)


# The columns of 0004's webhook_endpoints whose values are not plain text.
COLUMN_TYPES: dict[str, Any] = {
    "id": sa.Uuid(),
    "company_id": sa.Uuid(),
    "event_types": sa.JSON(),
    "enabled": sa.Boolean(),
    "disabled_automatically": sa.Boolean(),
    "version": sa.Integer(),
    "created_at": sa.DateTime(timezone=True),
    "updated_at": sa.DateTime(timezone=True),
}


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
async def test_upgrading_seals_the_secrets_stored_in_clear_and_going_back_unseals_them(
    new_database: DatabaseFactory, tmp_path: Path, backend: str
) -> None:
    url = await new_database("webhooks_seal") if backend == "postgresql" else f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"
    database = Database(url)
    endpoint_id = uuid.uuid4()
    now = utcnow()
    row = {
        "id": endpoint_id,
        "company_id": uuid.uuid4(),
        "url": "https://erp.example/hooks",
        "event_types": ["*"],
        "description": "",
        "enabled": True,
        "disabled_automatically": False,
        "secret": "whsec_current",
        "previous_secret": "whsec_previous",
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(_migrate, "0004")
            endpoints = sa.table("webhook_endpoints", *(sa.column(name, COLUMN_TYPES.get(name)) for name in row))
            await connection.execute(sa.insert(endpoints).values(**row))
            await connection.run_sync(_migrate, "head")
            sealed = (
                await connection.execute(sa.text("SELECT sealed_secret, sealed_previous_secret FROM webhook_endpoints"))
            ).one()
            await connection.run_sync(_migrate, "0004", down=True)
            clear = (await connection.execute(sa.text("SELECT secret, previous_secret FROM webhook_endpoints"))).one()
    finally:
        await database.dispose()

    keys = WebhooksSettings().sealing_keys
    assert not sealed[0].startswith("whsec_")
    assert (unseal(sealed[0], keys), unseal(sealed[1], keys)) == ("whsec_current", "whsec_previous")
    assert tuple(clear) == ("whsec_current", "whsec_previous")
