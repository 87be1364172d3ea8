"""Identity's customer events, applied to catalog's customer read model a batch at a time."""

from contracts.identity import CustomerCreated, CustomerDeleted, CustomerUpdated
from kit.consumer import EventConsumer
from services.catalog.customers import service


def register(consumer: EventConsumer) -> None:
    # One handler for all three: the newest event of each customer decides, whichever type it is.
    consumer.on(CustomerCreated, CustomerUpdated, CustomerDeleted)(service.record_customers)
