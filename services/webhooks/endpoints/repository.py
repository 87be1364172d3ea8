"""Queries on webhook endpoints, every one scoped by company, but resealing every company's secrets."""

import logging
import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, select, update

from kit.db import Database
from kit.repository import TenantRepository
from services.webhooks.models import WebhookEndpoint
from services.webhooks.sealing import UnsealableSecret, resealed

logger = logging.getLogger(__name__)

ENDPOINTS = cast(Table, WebhookEndpoint.__table__)
RESEAL_BATCH = 500


class EndpointRepository(TenantRepository[WebhookEndpoint]):
    model = WebhookEndpoint

    async def all(self) -> Sequence[WebhookEndpoint]:
        """The company's endpoints, oldest first."""
        statement = self.statement().order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        return (await self.session.scalars(statement)).all()

    async def locked(self, endpoint: WebhookEndpoint) -> WebhookEndpoint:
        """The endpoint's row again, locked until commit: two edits of one endpoint take turns."""
        statement = self.statement().where(WebhookEndpoint.id == endpoint.id).with_for_update()
        return (await self.session.scalars(statement.execution_options(populate_existing=True))).one()


async def reseal_secrets(database: Database, keys: Sequence[str]) -> int:
    """Seal every endpoint's secrets with the first of `keys` where another key sealed them (after a new key was
    put first in WEBHOOKS_SECRET_KEYS), in batches; returns how many endpoints changed. A row is rewritten only if
    it still holds what was read, so a rotation meanwhile wins; one no key opens is logged and left as it is."""
    changed = 0
    after: uuid.UUID | None = None
    while True:
        # tenancy: resealing is the same for every company, done once by the webhooks worker at start
        batch = select(ENDPOINTS.c.id, ENDPOINTS.c.sealed_secret, ENDPOINTS.c.sealed_previous_secret)
        if after is not None:
            batch = batch.where(ENDPOINTS.c.id > after)
        async with database.sessionmaker() as session:
            rows = (await session.execute(batch.order_by(ENDPOINTS.c.id).limit(RESEAL_BATCH))).all()
            for row in rows:
                try:
                    secret = resealed(row.sealed_secret, keys)
                    previous = resealed(row.sealed_previous_secret, keys) if row.sealed_previous_secret else None
                except UnsealableSecret as error:
                    logger.error(
                        "cannot reseal a webhook's secrets", extra={"webhook_id": str(row.id), "error": str(error)}
                    )
                    continue
                if secret is None and previous is None:
                    continue
                values: dict[str, Any] = {"sealed_secret": secret or row.sealed_secret}
                if previous is not None:
                    values["sealed_previous_secret"] = previous
                result = await session.execute(
                    update(ENDPOINTS)
                    .where(
                        ENDPOINTS.c.id == row.id,
                        ENDPOINTS.c.sealed_secret == row.sealed_secret,
                        ENDPOINTS.c.sealed_previous_secret.is_not_distinct_from(row.sealed_previous_secret),
                    )
                    .values(**values)
                )
                changed += int(getattr(result, "rowcount", 0) or 0)
            await session.commit()
        if len(rows) < RESEAL_BATCH:
            return changed
        after = rows[-1].id
