"""Contact routes: a customer's contacts from the dashboard (`/api/v1/customers/{id}/contacts`) and the
storefront admin's own (`/storefront/contacts`)."""

import uuid

from fastapi import APIRouter, status

from kit.access import STOREFRONT, staff
from kit.context import Context
from kit.db import Session
from kit.errors import Conflict, Forbidden, NotFound, Unauthorized, problem_responses
from services.identity.customers import service as customers
from services.identity.customers.contacts import service
from services.identity.customers.contacts.schemas import ContactCreate, ContactList, ContactRead, ContactUpdate
from services.identity.dependencies import Principals

router = APIRouter(
    prefix="/api/v1/customers/{customer_id}/contacts", tags=["contacts"], dependencies=[staff(scope="customers")]
)
storefront_router = APIRouter(prefix="/storefront/contacts", tags=["storefront"], dependencies=[STOREFRONT])


@router.get("", responses=problem_responses(Unauthorized, Forbidden, NotFound))
async def list_contacts(session: Session, context: Context, customer_id: uuid.UUID) -> ContactList:
    """The customer's primary account and every contact, oldest first, in one answer."""
    customer = await customers.staff_customer(session, context, customer_id, scope=customers.READ_SCOPE)
    return await service.contact_list(session, customer)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict),
)
async def add_contact(session: Session, context: Context, customer_id: uuid.UUID, body: ContactCreate) -> ContactRead:
    """Give someone their own sign-in for the customer; they set a password at the storefront's setup-password page."""
    customer = await customers.staff_customer(session, context, customer_id, scope=customers.WRITE_SCOPE, lock=True)
    return ContactRead.of(await service.add_contact(session, customer, body, context=context))


@router.patch("/{contact_id}", responses=problem_responses(Unauthorized, Forbidden, NotFound))
async def update_contact(
    session: Session,
    context: Context,
    principals: Principals,
    customer_id: uuid.UUID,
    contact_id: uuid.UUID,
    body: ContactUpdate,
) -> ContactRead:
    """Change a contact's role (applies on their next request) or name."""
    customer = await customers.staff_customer(session, context, customer_id, scope=customers.WRITE_SCOPE)
    contact = await service.update_contact(session, principals, customer, contact_id, body, context=context)
    return ContactRead.of(contact)


@router.delete(
    "/{contact_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def remove_contact(
    session: Session, context: Context, principals: Principals, customer_id: uuid.UUID, contact_id: uuid.UUID
) -> None:
    """Remove the contact only; the customer and its orders stay. Their session ends on their next request."""
    customer = await customers.staff_customer(session, context, customer_id, scope=customers.WRITE_SCOPE)
    await service.remove_contact(session, principals, customer, contact_id, context=context)


@storefront_router.get("", responses=problem_responses(Unauthorized, Forbidden))
async def list_own_contacts(session: Session, context: Context) -> ContactList:
    """Your account's primary sign-in and contacts (admins and the primary account)."""
    access = await service.storefront_admin(session, context)
    return await service.contact_list(session, access.customer)


@storefront_router.post(
    "", status_code=status.HTTP_201_CREATED, responses=problem_responses(Unauthorized, Forbidden, Conflict)
)
async def add_own_contact(session: Session, context: Context, body: ContactCreate) -> ContactRead:
    access = await service.storefront_admin(session, context, lock=True)
    return ContactRead.of(await service.add_contact(session, access.customer, body, context=context))


@storefront_router.patch("/{contact_id}", responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict))
async def update_own_contact(
    session: Session, context: Context, principals: Principals, contact_id: uuid.UUID, body: ContactUpdate
) -> ContactRead:
    """Change a contact's role or name; your own role is refused (409), another admin changes it."""
    access = await service.storefront_admin(session, context)
    contact = await service.update_contact(
        session, principals, access.customer, contact_id, body, context=context, acting=access.contact
    )
    return ContactRead.of(contact)


@storefront_router.delete(
    "/{contact_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict),
)
async def remove_own_contact(session: Session, context: Context, principals: Principals, contact_id: uuid.UUID) -> None:
    """Remove a contact of your account; removing yourself is refused (409), another admin does it."""
    access = await service.storefront_admin(session, context)
    await service.remove_contact(
        session, principals, access.customer, contact_id, context=context, acting=access.contact
    )
