"""`python -m services.webhooks api|relay`: the webhooks API (with its consumer) or its outbox relay."""

from kit.cli import main
from services.webhooks.app import SPEC, create_app
from services.webhooks.settings import WebhooksSettings

if __name__ == "__main__":
    main(SPEC, create_app, lambda: WebhooksSettings().database_url, port=8105)
