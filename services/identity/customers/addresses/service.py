"""Address rules, the same from the dashboard and the storefront: a customer with addresses always has
exactly one default, and every change is announced in full so the orders service's copies stay right.

Every change takes the customer's row locked by its caller (`staff_customer(..., lock=True)`,
`storefront_admin(..., lock=True)`): a customer's address changes queue there, so two "make this the
default" never both win, and each address's version moves one event at a time.
"""

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import AddressDeleted
from kit.context import RequestContext
from kit.db import new_id, utcnow
from kit.errors import InvalidInput
from kit.outbox import emit
from kit.repository import found
from services.identity.accounts.access import CustomerAccess, customer_access
from services.identity.customers.addresses.events import address_created, address_entity, address_updated
from services.identity.customers.addresses.schemas import AddressCreate, AddressUpdate
from services.identity.customers.repository import AddressRepository
from services.identity.models import Address, Customer

DEFAULT_STAYS = "The default address stays the default until another address is made the default."


async def storefront_admin(session: AsyncSession, context: RequestContext, *, lock: bool = False) -> CustomerAccess:
    """The storefront caller, when they may change their customer's addresses (ADMIN or the primary account).

    `lock` holds the customer's row until commit (every address change needs it).
    """
    access = await customer_access(session, context, lock=lock)
    access.require_admin("manage addresses")
    return access


async def address_list(session: AsyncSession, customer: Customer) -> Sequence[Address]:
    return await AddressRepository(session, customer.company_id).for_customer(customer.id)


async def add_address(
    session: AsyncSession, customer: Customer, request: AddressCreate, *, context: RequestContext
) -> Address:
    """Add an address to the (locked) customer; the answer is the address as written."""
    addresses = AddressRepository(session, customer.company_id)
    # A customer with addresses has one default: none means this is the first, which becomes the default.
    previous_defaults = await addresses.defaults(customer.id)
    now = utcnow()
    address = Address(
        id=new_id(),
        company_id=customer.company_id,
        customer_id=customer.id,
        is_default=not previous_defaults or request.is_default,
        created_at=now,
        updated_at=now,
        version=1,
        **request.model_dump(exclude={"is_default"}),
    )
    if address.is_default:
        await _demote(session, customer, previous_defaults, context=context)
    await addresses.insert(address)
    await emit(
        session,
        address_created(address),
        company_id=customer.company_id,
        entity=address_entity(address),
        context=context,
    )
    return address


async def update_address(
    session: AsyncSession,
    customer: Customer,
    address_id: uuid.UUID,
    update: AddressUpdate,
    *,
    context: RequestContext,
) -> Address:
    address = await _address_of(session, customer, address_id)
    if update.is_default is False and address.is_default:
        raise InvalidInput(DEFAULT_STAYS, errors=[{"field": "isDefault", "message": DEFAULT_STAYS}])

    changed = False
    for field, value in update.model_dump(include=update.model_fields_set - {"is_default"}).items():
        if getattr(address, field) != value:
            setattr(address, field, value)
            changed = True
    if update.is_default and not address.is_default:
        others = await AddressRepository(session, customer.company_id).defaults(customer.id)
        await _demote(session, customer, [other for other in others if other.id != address.id], context=context)
        address.is_default = True
        changed = True
    if not changed:
        return address
    address.version += 1
    await session.flush()
    await emit(
        session,
        address_updated(address),
        company_id=customer.company_id,
        entity=address_entity(address),
        context=context,
    )
    return address


async def delete_address(
    session: AsyncSession, customer: Customer, address_id: uuid.UUID, *, context: RequestContext
) -> None:
    """Delete the address; when it was the default, the oldest remaining address becomes the default."""
    addresses = AddressRepository(session, customer.company_id)
    address = await _address_of(session, customer, address_id)
    # The deletion is the address's last version.
    address.version += 1
    await addresses.delete(address)
    await session.flush()
    await emit(
        session,
        AddressDeleted(id=address.id, customer_id=customer.id),
        company_id=customer.company_id,
        entity=address_entity(address),
        context=context,
    )
    if not address.is_default:
        return
    successor = await addresses.oldest(customer.id)
    if successor is None:
        return
    successor.is_default = True
    successor.version += 1
    await session.flush()
    await emit(
        session,
        address_updated(successor),
        company_id=customer.company_id,
        entity=address_entity(successor),
        context=context,
    )


async def _address_of(session: AsyncSession, customer: Customer, address_id: uuid.UUID) -> Address:
    return found(
        await AddressRepository(session, customer.company_id).get_for_customer(customer.id, address_id), "Address"
    )


async def _demote(
    session: AsyncSession, customer: Customer, previous_defaults: Sequence[Address], *, context: RequestContext
) -> None:
    """Unset the previous default, announcing it: copies of it elsewhere must stop reading as the default."""
    for previous in previous_defaults:
        previous.is_default = False
        previous.version += 1
        await emit(
            session,
            address_updated(previous),
            company_id=customer.company_id,
            entity=address_entity(previous),
            context=context,
        )
