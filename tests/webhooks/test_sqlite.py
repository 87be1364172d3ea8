"""Embedded mode's webhooks on SQLite: the same API, and the sender's claim without row locks."""

from contextlib import AsyncExitStack
from pathlib import Path

from kit.context import ContextSigner
from kit.settings import PlatformSettings
from services.webhooks.app import create_app
from services.webhooks.deliveries.sender import WebhookSender
from services.webhooks.settings import WebhooksSettings
from tests.conftest import start_app
from tests.support.events import wait_until
from tests.support.services import RunningService
from tests.webhooks.conftest import FAST, CompanyApi
from tests.webhooks.receiver import Answer, Receiver


async def test_a_test_event_is_sent_signed_and_retried_on_sqlite(
    tmp_path: Path, platform: PlatformSettings, signer: ContextSigner, receiver: Receiver
) -> None:
    settings = WebhooksSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'webhooks.db'}", **FAST)
    app = create_app(settings, platform)
    receiver.answer_next(Answer(500))
    async with AsyncExitStack() as stack:
        client = await start_app(stack, app)
        company = CompanyApi(RunningService("webhooks", client, app.state.database, signer))
        webhook = await company.create(receiver.url())
        assert (await company.request("POST", f"/api/v1/webhooks/{webhook['id']}/test")).status_code == 202

        async with WebhookSender(app.state.database, settings) as sender:
            assert await sender.send_due() == 1

            async def sent_again() -> bool:
                await sender.send_due()
                return len(receiver.received) == 2

            await wait_until(sent_again, what="the retry")

        [delivery] = await company.deliveries(webhook["id"])
    assert delivery["status"] == "SUCCEEDED"
    assert [attempt["statusCode"] for attempt in delivery["attempts"]] == [500, 200]
    for request in receiver.received:
        request.verified(webhook["secret"])
