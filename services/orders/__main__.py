"""`python -m services.orders api|worker|relay`: its API, its worker (events, company purges) or its relay."""

from kit.cli import main
from services.orders.app import SPEC, create_app
from services.orders.settings import OrdersSettings

if __name__ == "__main__":
    main(SPEC, create_app, lambda: OrdersSettings().database_url, port=8103)
