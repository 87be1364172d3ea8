"""Queries on customers, customer contacts and addresses; every one scoped by company."""

from kit.repository import TenantRepository
from services.identity.models import Address, Customer, CustomerContact


class CustomerRepository(TenantRepository[Customer]):
    model = Customer


class ContactRepository(TenantRepository[CustomerContact]):
    model = CustomerContact


class AddressRepository(TenantRepository[Address]):
    model = Address
