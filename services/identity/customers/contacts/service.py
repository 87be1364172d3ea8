"""Contact rules, the same from the dashboard and the storefront: unique emails per customer, roles,
removal, and the principal directory that makes role changes and removals apply on the next request."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import (
    CustomerContactCreated,
    CustomerContactRemoved,
    CustomerContactRoleChanged,
    CustomerContactUpdated,
)
from kit.context import RequestContext
from kit.db import new_id, utcnow
from kit.errors import Conflict
from kit.outbox import emit
from kit.repository import found
from services.identity.accounts.access import CustomerAccess, customer_access
from services.identity.accounts.principals import PrincipalDirectory, contact_entry
from services.identity.accounts.repository import email_key, stored_email
from services.identity.customers.contacts.events import contact_entity
from services.identity.customers.contacts.schemas import (
    ContactCreate,
    ContactList,
    ContactRead,
    ContactUpdate,
    PrimaryAccountRead,
)
from services.identity.customers.repository import ContactRepository
from services.identity.models import Customer, CustomerContact

EMAIL_TAKEN = "A contact with this email already exists for this customer."
PRIMARY_EMAIL = "This is the customer's own sign-in email; a contact needs a different one."
CANNOT_REMOVE_YOURSELF = "You cannot remove yourself; another admin of your account can."
CANNOT_CHANGE_OWN_ROLE = "You cannot change your own role; another admin of your account can."


def _email_conflict(message: str) -> Conflict:
    return Conflict(message, errors=[{"field": "email", "message": message}])


async def storefront_admin(session: AsyncSession, context: RequestContext, *, lock: bool = False) -> CustomerAccess:
    """The storefront caller, when they may manage their customer's contacts (ADMIN or the primary account).

    `lock` holds the customer's row until commit (adding a contact needs it).
    """
    access = await customer_access(session, context, lock=lock)
    access.require_admin("manage contacts")
    return access


async def contact_list(session: AsyncSession, customer: Customer) -> ContactList:
    contacts = await ContactRepository(session, customer.company_id).for_customer(customer.id)
    return ContactList(primary=PrimaryAccountRead.of(customer), items=[ContactRead.of(contact) for contact in contacts])


async def add_contact(
    session: AsyncSession, customer: Customer, request: ContactCreate, *, context: RequestContext
) -> CustomerContact:
    """Add a contact to `customer`, whose row the caller holds locked (so its own email cannot change to this
    one, nor the customer vanish, meanwhile). The answer is the contact as written."""
    email = stored_email(request.email)
    # Sign-in matches email and password within the company: the same person twice under one customer
    # would make it a guess.
    if email_key(email) == email_key(customer.email):
        raise _email_conflict(PRIMARY_EMAIL)
    now = utcnow()
    contact = CustomerContact(
        id=new_id(),
        company_id=customer.company_id,
        customer_id=customer.id,
        email=email,
        name=request.name,
        role=request.role,
        password_hash=None,
        password_set_at=None,
        created_at=now,
        updated_at=now,
        version=1,
    )
    # A contact of this customer with the email already is refused by the unique constraint.
    if not await ContactRepository(session, customer.company_id).insert_new(contact):
        raise _email_conflict(EMAIL_TAKEN)
    await emit(
        session,
        CustomerContactCreated(
            id=contact.id, customer_id=customer.id, email=contact.email, name=contact.name, role=contact.role
        ),
        company_id=customer.company_id,
        entity=contact_entity(contact),
        context=context,
    )
    return contact


async def update_contact(
    session: AsyncSession,
    principals: PrincipalDirectory,
    customer: Customer,
    contact_id: uuid.UUID,
    update: ContactUpdate,
    *,
    context: RequestContext,
    acting: CustomerContact | None = None,
) -> CustomerContact:
    """Change a contact's role or name. `acting` is the storefront contact making the change, if any:
    they may not change their own role, so an admin cannot demote themselves out of managing contacts."""
    contacts = ContactRepository(session, customer.company_id)
    contact = found(await contacts.get_for_customer(customer.id, contact_id, lock=True), "Contact")
    from_role = contact.role
    to_role = update.role if update.role is not None else from_role
    role_changes = to_role is not from_role
    if role_changes and acting is not None and acting.id == contact.id:
        raise Conflict(CANNOT_CHANGE_OWN_ROLE, errors=[{"field": "role", "message": CANNOT_CHANGE_OWN_ROLE}])
    name_changes = "name" in update.model_fields_set and update.name != contact.name
    if not (role_changes or name_changes):
        return contact

    contact.role = to_role
    if name_changes:
        contact.name = update.name

    # Each event is one version of the contact: a role and a name changed at once are two.
    if role_changes:
        contact.version += 1
        await emit(
            session,
            CustomerContactRoleChanged(
                id=contact.id, customer_id=customer.id, email=contact.email, from_role=from_role, to_role=to_role
            ),
            company_id=customer.company_id,
            entity=contact_entity(contact),
            context=context,
        )
        # The contact's sessions carry the new role from their next request on.
        principals.publish_after_commit(session, contact_entry(contact))
    if name_changes:
        contact.version += 1
        await emit(
            session,
            CustomerContactUpdated(id=contact.id, customer_id=customer.id, name=contact.name),
            company_id=customer.company_id,
            entity=contact_entity(contact),
            context=context,
        )
    await session.flush()
    return contact


async def remove_contact(
    session: AsyncSession,
    principals: PrincipalDirectory,
    customer: Customer,
    contact_id: uuid.UUID,
    *,
    context: RequestContext,
    acting: CustomerContact | None = None,
) -> None:
    """Delete the contact alone (its customer, orders and the rest stay). `acting` is the storefront
    contact removing, if any: removing yourself is refused, so no one locks themselves out by a slip."""
    contacts = ContactRepository(session, customer.company_id)
    contact = found(await contacts.get_for_customer(customer.id, contact_id, lock=True), "Contact")
    if acting is not None and acting.id == contact.id:
        raise Conflict(CANNOT_REMOVE_YOURSELF)
    contact.version += 1
    await contacts.delete(contact)
    await session.flush()
    await emit(
        session,
        CustomerContactRemoved(id=contact.id, customer_id=customer.id, email=contact.email, role=contact.role),
        company_id=customer.company_id,
        entity=contact_entity(contact),
        context=context,
    )
    # Their session stops working on their next request.
    principals.remove_after_commit(session, contact.id)
