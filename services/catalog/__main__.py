"""`python -m services.catalog api|worker|relay`: its API, its worker (events, company purges) or its relay."""

from kit.cli import main
from services.catalog.app import SPEC, create_app
from services.catalog.settings import CatalogSettings

if __name__ == "__main__":
    main(SPEC, create_app, lambda: CatalogSettings().database_url, port=8102)
