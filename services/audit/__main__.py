"""`python -m services.audit api|worker|relay`: its API, its worker (events, company purges) or its relay."""

from kit.cli import main
from services.audit.app import SPEC, create_app
from services.audit.settings import AuditSettings

if __name__ == "__main__":
    main(SPEC, create_app, lambda: AuditSettings().database_url, port=8104)
