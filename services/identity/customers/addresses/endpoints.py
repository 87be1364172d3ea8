"""Address routes: a customer's addresses from the dashboard (`/api/v1/customers/{id}/addresses`) and the
storefront's own (`/storefront/addresses`: every role reads, admins change)."""

import uuid

from fastapi import APIRouter, status

from kit.access import STOREFRONT, staff
from kit.context import Context
from kit.db import Session
from kit.errors import Forbidden, InvalidInput, NotFound, Unauthorized, problem_responses
from kit.pagination import Page
from services.identity.accounts.access import customer_access
from services.identity.customers import service as customers
from services.identity.customers.addresses import service
from services.identity.customers.addresses.schemas import AddressCreate, AddressRead, AddressUpdate

router = APIRouter(
    prefix="/api/v1/customers/{customer_id}/addresses", tags=["addresses"], dependencies=[staff(scope="customers")]
)
storefront_router = APIRouter(prefix="/storefront/addresses", tags=["storefront"], dependencies=[STOREFRONT])


def _page(addresses: list[AddressRead]) -> Page[AddressRead]:
    # A customer has a handful of addresses: one answer holds them all.
    return Page[AddressRead](items=addresses)


@router.get("", responses=problem_responses(Unauthorized, Forbidden, NotFound))
async def list_addresses(session: Session, context: Context, customer_id: uuid.UUID) -> Page[AddressRead]:
    """The customer's addresses: the default first, then in the order they were added."""
    customer = await customers.staff_customer(session, context, customer_id, scope=customers.READ_SCOPE)
    return _page([AddressRead.of(address) for address in await service.address_list(session, customer)])


@router.post("", status_code=status.HTTP_201_CREATED, responses=problem_responses(Unauthorized, Forbidden, NotFound))
async def add_address(session: Session, context: Context, customer_id: uuid.UUID, body: AddressCreate) -> AddressRead:
    """Add an address; the customer's first one, or one sent with `isDefault: true`, becomes the default."""
    customer = await customers.staff_customer(session, context, customer_id, scope=customers.WRITE_SCOPE, lock=True)
    return AddressRead.of(await service.add_address(session, customer, body, context=context))


@router.patch("/{address_id}", responses=problem_responses(InvalidInput, Unauthorized, Forbidden, NotFound))
async def update_address(
    session: Session, context: Context, customer_id: uuid.UUID, address_id: uuid.UUID, body: AddressUpdate
) -> AddressRead:
    customer = await customers.staff_customer(session, context, customer_id, scope=customers.WRITE_SCOPE, lock=True)
    return AddressRead.of(await service.update_address(session, customer, address_id, body, context=context))


@router.delete(
    "/{address_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def delete_address(session: Session, context: Context, customer_id: uuid.UUID, address_id: uuid.UUID) -> None:
    """Delete the address; deleting the default makes the oldest remaining one the default."""
    customer = await customers.staff_customer(session, context, customer_id, scope=customers.WRITE_SCOPE, lock=True)
    await service.delete_address(session, customer, address_id, context=context)


@storefront_router.get("", responses=problem_responses(Unauthorized))
async def list_own_addresses(session: Session, context: Context) -> Page[AddressRead]:
    """Your account's addresses, the default first (every role)."""
    access = await customer_access(session, context)
    return _page([AddressRead.of(address) for address in await service.address_list(session, access.customer)])


@storefront_router.post("", status_code=status.HTTP_201_CREATED, responses=problem_responses(Unauthorized, Forbidden))
async def add_own_address(session: Session, context: Context, body: AddressCreate) -> AddressRead:
    access = await service.storefront_admin(session, context, lock=True)
    return AddressRead.of(await service.add_address(session, access.customer, body, context=context))


@storefront_router.patch("/{address_id}", responses=problem_responses(InvalidInput, Unauthorized, Forbidden, NotFound))
async def update_own_address(
    session: Session, context: Context, address_id: uuid.UUID, body: AddressUpdate
) -> AddressRead:
    access = await service.storefront_admin(session, context, lock=True)
    return AddressRead.of(await service.update_address(session, access.customer, address_id, body, context=context))


@storefront_router.delete(
    "/{address_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def delete_own_address(session: Session, context: Context, address_id: uuid.UUID) -> None:
    access = await service.storefront_admin(session, context, lock=True)
    await service.delete_address(session, access.customer, address_id, context=context)
