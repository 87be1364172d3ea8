"""Customer rules: who may manage customers, unique emails per company, the plan's maxCustomers, deletion."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import CustomerCreated, CustomerDeleted, CustomerUpdated
from kit.context import RequestContext
from kit.db import flush_or_conflict, new_id, utcnow
from kit.errors import Conflict
from kit.outbox import emit
from kit.pagination import Page
from kit.repository import found
from services.identity.accounts.access import staff_or_key_access
from services.identity.accounts.principals import PrincipalDirectory
from services.identity.accounts.repository import email_key, stored_email
from services.identity.billing import service as billing
from services.identity.customers.events import customer_entity
from services.identity.customers.repository import ContactRepository, CustomerRepository
from services.identity.customers.schemas import CustomerCreate, CustomerRead, CustomerUpdate
from services.identity.models import Customer

READ_SCOPE = "customers:read"
WRITE_SCOPE = "customers:write"

EMAIL_TAKEN = "A customer with this email already exists."
EMAIL_OF_A_CONTACT = "One of this customer's contacts already signs in with this email."


def _email_taken() -> Conflict:
    return Conflict(EMAIL_TAKEN, errors=[{"field": "email", "message": EMAIL_TAKEN}])


async def staff_customer(
    session: AsyncSession, context: RequestContext, customer_id: uuid.UUID, *, scope: str, lock: bool = False
) -> Customer:
    """The company's customer, for any staff member or an API key holding `scope`; 404 for another company's.

    `lock` holds its row until commit, so concurrent changes to its email, contacts and addresses queue
    up instead of racing.
    """
    await staff_or_key_access(session, context, scope=scope)
    customers = CustomerRepository(session, context.require_company())
    return found(await (customers.lock(customer_id) if lock else customers.get(customer_id)), "Customer")


async def customer_read(session: AsyncSession, customer: Customer) -> CustomerRead:
    counts = await ContactRepository(session, customer.company_id).counts_by_customer([customer.id])
    return CustomerRead.of(customer, contact_count=counts.get(customer.id, 0))


async def customer_page(
    session: AsyncSession, context: RequestContext, *, query: str | None, limit: int, cursor: str | None
) -> Page[CustomerRead]:
    await staff_or_key_access(session, context, scope=READ_SCOPE)
    company_id = context.require_company()
    customers, next_cursor = await CustomerRepository(session, company_id).page(
        query=query.strip() if query else None, limit=limit, cursor=cursor
    )
    counts = await ContactRepository(session, company_id).counts_by_customer([c.id for c in customers])
    items = [CustomerRead.of(customer, contact_count=counts.get(customer.id, 0)) for customer in customers]
    return Page[CustomerRead](items=items, next_cursor=next_cursor)


async def create_customer(session: AsyncSession, request: CustomerCreate, *, context: RequestContext) -> Customer:
    """Add a customer: the insert (a taken email is refused by the unique constraint, not a pre-check),
    then its seat under maxCustomers, then its event; the answer is what was written."""
    await staff_or_key_access(session, context, scope=WRITE_SCOPE)
    company_id = context.require_company()
    now = utcnow()
    customer = Customer(
        id=new_id(),
        company_id=company_id,
        email=stored_email(request.email),
        name=request.name,
        password_hash=None,
        password_set_at=None,
        created_at=now,
        updated_at=now,
        version=1,
    )
    if not await CustomerRepository(session, company_id).insert_new(customer):
        raise _email_taken()
    # Last, so the counter's row is held only from here to commit; a refusal rolls the insert back.
    await billing.take_customer_seat(session, company_id)
    await emit(
        session,
        CustomerCreated(id=customer.id, email=customer.email, name=customer.name),
        company_id=company_id,
        entity=customer_entity(customer),
        context=context,
    )
    return customer


async def update_customer(
    session: AsyncSession, customer_id: uuid.UUID, update: CustomerUpdate, *, context: RequestContext
) -> CustomerRead:
    await staff_or_key_access(session, context, scope=WRITE_SCOPE)
    company_id = context.require_company()
    customer, contact_count = found(
        await CustomerRepository(session, company_id).lock_with_contact_count(customer_id), "Customer"
    )
    changes: list[str] = []
    email = stored_email(update.email) if update.email is not None else customer.email
    # A new spelling of the same address (its case) is a change too: the email is shown as typed.
    if email != customer.email:
        # Sign-in matches email and password within the customer's accounts: keep them distinct.
        if email_key(email) != email_key(customer.email) and await ContactRepository(session, company_id).email_taken(
            customer.id, email
        ):
            raise Conflict(EMAIL_OF_A_CONTACT, errors=[{"field": "email", "message": EMAIL_OF_A_CONTACT}])
        changes.append("email")
    if update.name is not None and update.name != customer.name:
        changes.append("name")
    if changes:
        customer.email = email
        customer.name = update.name if update.name is not None else customer.name
        customer.version += 1
        # Another customer's email is refused by the unique constraint.
        await flush_or_conflict(session, _email_taken())
        await emit(
            session,
            CustomerUpdated(id=customer.id, email=customer.email, name=customer.name, changes=changes),
            company_id=company_id,
            entity=customer_entity(customer),
            context=context,
        )
    return CustomerRead.of(customer, contact_count=contact_count)


async def delete_customer(
    session: AsyncSession, principals: PrincipalDirectory, customer_id: uuid.UUID, *, context: RequestContext
) -> None:
    """Delete the customer; the database deletes its contacts and addresses with it."""
    customer = await staff_customer(session, context, customer_id, scope=WRITE_SCOPE, lock=True)
    contact_ids = await ContactRepository(session, customer.company_id).ids_for_customer(customer.id)
    # The deletion is the customer's last version.
    customer.version += 1
    await CustomerRepository(session, customer.company_id).delete(customer)
    await session.flush()
    await billing.release_customer_seat(session, customer.company_id)
    await emit(
        session,
        CustomerDeleted(id=customer.id, email=customer.email, contact_ids=contact_ids),
        company_id=customer.company_id,
        entity=customer_entity(customer),
        context=context,
    )
    # Sessions of the primary account and of every contact end on their next request.
    principals.remove_after_commit(session, customer.id, *contact_ids)
