"""Identity's company and subscription events, applied to catalog's tenant read model a batch at a time."""

from contracts.identity import CompanyCreated, CompanyUpdated, SubscriptionChanged, TrialStarted
from kit.consumer import EventConsumer
from services.catalog.tenants import service


def register(consumer: EventConsumer) -> None:
    consumer.on(CompanyCreated, CompanyUpdated)(service.record_companies)
    consumer.on(TrialStarted, SubscriptionChanged)(service.record_subscriptions)
