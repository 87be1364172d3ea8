"""Alembic environment of the identity service: migrations run at start-up on the service's connection."""

from kit.db import run_migrations
from services.identity.models import Base

run_migrations(Base.metadata)
