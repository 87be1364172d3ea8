"""Alembic environment of orders' database; migrations run at service start-up."""

from kit.db import run_migrations
from services.orders.models import Base

run_migrations(Base.metadata)
