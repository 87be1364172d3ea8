"""Alembic environment of the kit's test-only sample service."""

from kit.db import run_migrations
from tests.kit.sample_service import Base

run_migrations(Base.metadata)
