"""Request and response bodies of the company endpoints."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints

from kit.schemas import CamelModel

CompanyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class CompanySummary(CamelModel):
    id: uuid.UUID
    name: str
    slug: str


class CompanyRead(CompanySummary):
    created_at: datetime


class CompanyUpdate(CamelModel):
    """Fields left out (or null) stay as they are."""

    name: CompanyName | None = None
    # Checked by the service (see `validate_slug`) so the message can say what a slug may contain.
    slug: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None


class Storefront(CamelModel):
    """The storefront directory entry the gateway resolves `/store/{slug}` with."""

    company_id: uuid.UUID
    name: str
    slug: str
