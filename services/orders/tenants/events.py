"""Identity's company, subscription and billing profile events, applied to orders' tenant read model; and a
company's deletion, which purges everything orders holds of it."""

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import (
    BillingProfileChanged,
    CompanyCreated,
    CompanyDeleted,
    CompanyUpdated,
    SubscriptionChanged,
    TrialStarted,
)
from kit import purge
from kit.consumer import EventConsumer, newest_per_entity
from kit.events import EventEnvelope
from services.orders.tenants import service
from services.orders.tenants.service import (
    BillingProfileState,
    CompanyState,
    SubscriptionState,
    billing_profile_fields,
    company_id_of,
    version_of,
)

COMPANY_EVENTS: dict[str, type[CompanyCreated | CompanyUpdated]] = {
    event.event_type: event for event in (CompanyCreated, CompanyUpdated)
}
SUBSCRIPTION_EVENTS: dict[str, type[TrialStarted | SubscriptionChanged]] = {
    event.event_type: event for event in (TrialStarted, SubscriptionChanged)
}


def register(consumer: EventConsumer) -> None:
    consumer.on(*COMPANY_EVENTS.values())(on_company_changed)
    consumer.on(*SUBSCRIPTION_EVENTS.values())(on_subscription_changed)
    consumer.on(BillingProfileChanged)(on_billing_profile_changed)
    consumer.on(CompanyDeleted)(purge.schedule_purge)


async def on_company_changed(session: AsyncSession, events: list[EventEnvelope]) -> None:
    states = []
    for envelope in newest_per_entity(events):
        company = COMPANY_EVENTS[envelope.type].model_validate(envelope.data)
        states.append(CompanyState(company_id_of(envelope), version_of(envelope), company.name, company.slug))
    await service.record_companies(session, states)


async def on_subscription_changed(session: AsyncSession, events: list[EventEnvelope]) -> None:
    # A company has one subscription (identity keeps it unique), so one entity per company.
    states = []
    for envelope in newest_per_entity(events):
        subscription = SUBSCRIPTION_EVENTS[envelope.type].model_validate(envelope.data)
        states.append(
            SubscriptionState(
                company_id=company_id_of(envelope),
                version=version_of(envelope),
                plan_code=subscription.plan_code,
                status=subscription.status,
                trial_ends_at=subscription.trial_ends_at,
                max_orders_per_month=subscription.limits.max_orders_per_month,
            )
        )
    await service.record_subscriptions(session, states)


async def on_billing_profile_changed(session: AsyncSession, events: list[EventEnvelope]) -> None:
    # A company has one billing profile (identity keeps it unique), so one entity per company.
    states = []
    for envelope in newest_per_entity(events):
        profile = BillingProfileChanged.model_validate(envelope.data)
        states.append(
            BillingProfileState(company_id_of(envelope), version_of(envelope), billing_profile_fields(profile))
        )
    await service.record_billing_profiles(session, states)
