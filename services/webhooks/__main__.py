"""`python -m services.webhooks api|worker|relay`: its API, its worker (events, company purges) or its relay."""

from kit.cli import main
from services.webhooks.app import SPEC, create_app
from services.webhooks.settings import WebhooksSettings

if __name__ == "__main__":
    main(SPEC, create_app, lambda: WebhooksSettings().database_url, port=8105)
