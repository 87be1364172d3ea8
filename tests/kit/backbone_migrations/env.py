"""Alembic environment of the kit's event tables alone, as a service's history brings them up to date."""

from kit.db import new_metadata, run_migrations

run_migrations(new_metadata())
