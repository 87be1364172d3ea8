"""Alembic environment of catalog's database; migrations run at service start-up."""

from kit.db import run_migrations
from services.catalog.models import Base

run_migrations(Base.metadata)
