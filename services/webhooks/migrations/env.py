"""Alembic environment of webhooks' database; migrations run at service start-up."""

from kit.db import run_migrations
from services.webhooks.models import Base

run_migrations(Base.metadata)
