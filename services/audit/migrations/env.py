"""Alembic environment of the audit service; run at start-up by kit.db.Database.upgrade()."""

from kit.db import run_migrations
from services.audit.models import Base

run_migrations(Base.metadata)
