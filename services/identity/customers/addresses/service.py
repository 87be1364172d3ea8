"""Address rules, the same from the dashboard and the storefront: a customer with addresses always has
exactly one default, and every change is announced in full so the orders service's copies stay right."""

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from kit.context import RequestContext
from kit.db import new_id
from kit.errors import InvalidInput
from kit.outbox import emit
from kit.repository import found
from services.identity.accounts.access import CustomerAccess, customer_access
from services.identity.customers.addresses.events import AddressCreated, AddressDeleted, AddressUpdated, address_entity
from services.identity.customers.addresses.schemas import AddressCreate, AddressUpdate
from services.identity.customers.repository import AddressRepository
from services.identity.customers.service import lock_customer
from services.identity.models import Address, Customer

DEFAULT_STAYS = "The default address stays the default until another address is made the default."


async def storefront_admin(session: AsyncSession, context: RequestContext) -> CustomerAccess:
    """The storefront caller, when they may change their customer's addresses (ADMIN or the primary account)."""
    access = await customer_access(session, context)
    access.require_admin("manage addresses")
    return access


async def address_list(session: AsyncSession, customer: Customer) -> Sequence[Address]:
    return await AddressRepository(session, customer.company_id).for_customer(customer.id)


async def add_address(
    session: AsyncSession, customer: Customer, request: AddressCreate, *, context: RequestContext
) -> Address:
    # Address changes of one customer queue on its row, so two "make this the default" never both win.
    customer = await lock_customer(session, customer)
    addresses = AddressRepository(session, customer.company_id)
    is_first = await addresses.count_for_customer(customer.id) == 0
    address = Address(
        id=new_id(),
        company_id=customer.company_id,
        customer_id=customer.id,
        is_default=is_first or request.is_default,
        **request.model_dump(exclude={"is_default"}),
    )
    if address.is_default:
        await _demote_other_defaults(session, customer, address, context=context)
    addresses.add(address)
    await session.flush()
    await emit(
        session,
        AddressCreated.of(address),
        company_id=customer.company_id,
        entity=address_entity(address.id),
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
    customer = await lock_customer(session, customer)
    address = await _address_of(session, customer, address_id)
    if update.is_default is False and address.is_default:
        raise InvalidInput(DEFAULT_STAYS, errors=[{"field": "isDefault", "message": DEFAULT_STAYS}])

    changed = False
    for field, value in update.model_dump(include=update.model_fields_set - {"is_default"}).items():
        if getattr(address, field) != value:
            setattr(address, field, value)
            changed = True
    if update.is_default and not address.is_default:
        await _demote_other_defaults(session, customer, address, context=context)
        address.is_default = True
        changed = True
    if not changed:
        return address
    await session.flush()
    await emit(
        session,
        AddressUpdated.of(address),
        company_id=customer.company_id,
        entity=address_entity(address.id),
        context=context,
    )
    return address


async def delete_address(
    session: AsyncSession, customer: Customer, address_id: uuid.UUID, *, context: RequestContext
) -> None:
    """Delete the address; when it was the default, the oldest remaining address becomes the default."""
    customer = await lock_customer(session, customer)
    addresses = AddressRepository(session, customer.company_id)
    address = await _address_of(session, customer, address_id)
    await addresses.delete(address)
    await session.flush()
    await emit(
        session,
        AddressDeleted(id=address.id, customer_id=customer.id),
        company_id=customer.company_id,
        entity=address_entity(address.id),
        context=context,
    )
    if not address.is_default:
        return
    successor = await addresses.oldest(customer.id)
    if successor is None:
        return
    successor.is_default = True
    await session.flush()
    await emit(
        session,
        AddressUpdated.of(successor),
        company_id=customer.company_id,
        entity=address_entity(successor.id),
        context=context,
    )


async def _address_of(session: AsyncSession, customer: Customer, address_id: uuid.UUID) -> Address:
    return found(
        await AddressRepository(session, customer.company_id).get_for_customer(customer.id, address_id), "Address"
    )


async def _demote_other_defaults(
    session: AsyncSession, customer: Customer, new_default: Address, *, context: RequestContext
) -> None:
    """Unset the previous default, announcing it: copies of it elsewhere must stop reading as the default."""
    for previous in await AddressRepository(session, customer.company_id).defaults(customer.id):
        if previous.id == new_default.id:
            continue
        previous.is_default = False
        await emit(
            session,
            AddressUpdated.of(previous),
            company_id=customer.company_id,
            entity=address_entity(previous.id),
            context=context,
        )
