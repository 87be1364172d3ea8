"""Identity's customer, address, contact, user and API key events, applied to orders' directory a batch at a time."""

from contracts.identity import (
    AddressCreated,
    AddressDeleted,
    AddressUpdated,
    ApiKeyCreated,
    ApiKeyRevoked,
    CustomerContactCreated,
    CustomerContactRemoved,
    CustomerContactRoleChanged,
    CustomerContactUpdated,
    CustomerCreated,
    CustomerDeleted,
    CustomerUpdated,
    InviteAccepted,
    UserCreated,
)
from kit.consumer import EventConsumer
from services.orders.directory import service


def register(consumer: EventConsumer) -> None:
    consumer.on(CustomerCreated, CustomerUpdated, CustomerDeleted)(service.record_customers)
    consumer.on(AddressCreated, AddressUpdated, AddressDeleted)(service.record_addresses)
    consumer.on(CustomerContactCreated, CustomerContactUpdated, CustomerContactRoleChanged, CustomerContactRemoved)(
        service.record_contacts
    )
    consumer.on(UserCreated)(service.record_users)
    consumer.on(InviteAccepted)(service.record_joined_users)
    consumer.on(ApiKeyCreated, ApiKeyRevoked)(service.record_api_keys)
