"""Customer routes for staff and integrators: search, create, view, edit and delete the company's customers."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from kit.access import staff
from kit.context import Context
from kit.db import Session
from kit.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PlanLimitReached,
    Unauthorized,
    problem_responses,
)
from kit.pagination import Cursor, Limit, Page
from services.identity.customers import service
from services.identity.customers.schemas import CustomerCreate, CustomerRead, CustomerUpdate
from services.identity.dependencies import Principals

router = APIRouter(prefix="/api/v1/customers", tags=["customers"], dependencies=[staff(scope="customers")])

SearchText = Annotated[str | None, Query(max_length=320, description="Part of the name or email, in any letter case.")]


@router.get("", responses=problem_responses(InvalidInput, Unauthorized, Forbidden))
async def list_customers(
    session: Session, context: Context, q: SearchText = None, limit: Limit = 50, cursor: Cursor = None
) -> Page[CustomerRead]:
    """The company's customers, newest first (staff, or API keys with customers:read)."""
    return await service.customer_page(session, context, query=q, limit=limit, cursor=cursor)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(Unauthorized, PlanLimitReached, Forbidden, Conflict),
)
async def create_customer(session: Session, context: Context, body: CustomerCreate) -> CustomerRead:
    """Add a customer; its primary account then sets a password at the storefront's setup-password page."""
    customer = await service.create_customer(session, body, context=context)
    return CustomerRead.of(customer, contact_count=0)


@router.get("/{customer_id}", responses=problem_responses(Unauthorized, Forbidden, NotFound))
async def get_customer(session: Session, context: Context, customer_id: uuid.UUID) -> CustomerRead:
    customer = await service.staff_customer(session, context, customer_id, scope=service.READ_SCOPE)
    return await service.customer_read(session, customer)


@router.patch("/{customer_id}", responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict))
async def update_customer(
    session: Session, context: Context, customer_id: uuid.UUID, body: CustomerUpdate
) -> CustomerRead:
    """Change the name or the primary account's email; fields left out stay as they are."""
    return await service.update_customer(session, customer_id, body, context=context)


@router.delete(
    "/{customer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def delete_customer(session: Session, context: Context, principals: Principals, customer_id: uuid.UUID) -> None:
    """Delete the customer with its contacts and addresses; their storefront sessions end at once."""
    await service.delete_customer(session, principals, customer_id, context=context)
