"""`python -m services.identity api|worker|relay`: its API, its worker (events, company purges) or its relay."""

from kit.cli import main
from services.identity.app import SPEC, create_app
from services.identity.settings import IdentitySettings


def _database_url() -> str:
    return IdentitySettings().database_url


if __name__ == "__main__":
    main(SPEC, create_app, _database_url, port=8101)
