"""Queries on webhook endpoints, every one scoped by company."""

from collections.abc import Sequence

from kit.repository import TenantRepository
from services.webhooks.models import WebhookEndpoint


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
