"""Company rules: slugs (generated, validated, unique), settings changes and the storefront lookup."""

import re
from collections.abc import Iterator
from itertools import count, islice

from slugify import slugify
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import CompanyCreated, CompanyUpdated, StaffRole
from contracts.redis import StorefrontEntry
from kit.context import RequestContext
from kit.db import flush_or_conflict, new_id
from kit.errors import Conflict, InvalidInput
from kit.events import Actor
from kit.outbox import emit
from kit.repository import found
from services.identity.accounts.access import staff_access
from services.identity.companies.directory import StorefrontDirectory
from services.identity.companies.events import company_entity
from services.identity.companies.repository import CompanyRepository
from services.identity.companies.schemas import CompanyUpdate
from services.identity.models import Company

SLUG_MIN_LENGTH = 3
SLUG_MAX_LENGTH = 50
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_RULE = (
    f"Use {SLUG_MIN_LENGTH} to {SLUG_MAX_LENGTH} lower-case letters, digits and single hyphens, "
    "not starting or ending with a hyphen."
)
SLUG_TAKEN = "That storefront address is already taken."
# A name with nothing to slugify ("!!!") still needs a storefront address.
FALLBACK_SLUG = "company"
_CANDIDATES_PER_QUERY = 25


def validate_slug(slug: str) -> str:
    if SLUG_MIN_LENGTH <= len(slug) <= SLUG_MAX_LENGTH and SLUG_PATTERN.fullmatch(slug):
        return slug
    raise InvalidInput(
        f'"{slug}" is not a valid storefront address. {SLUG_RULE}',
        errors=[{"field": "slug", "message": SLUG_RULE}],
    )


def base_slug(company_name: str) -> str:
    """`Acme Distributors` → `acme-distributors`; always a slug `validate_slug` accepts."""
    slug = slugify(company_name, max_length=SLUG_MAX_LENGTH, word_boundary=True)
    if not slug:
        return FALLBACK_SLUG
    if len(slug) < SLUG_MIN_LENGTH:
        return f"{slug}-{FALLBACK_SLUG}"
    return slug


def slug_candidates(base: str) -> Iterator[str]:
    """`base`, then `base-2`, `base-3`… each cut to fit the maximum length."""
    yield base
    for number in count(2):
        suffix = f"-{number}"
        yield base[: SLUG_MAX_LENGTH - len(suffix)].rstrip("-") + suffix


async def available_slug(session: AsyncSession, company_name: str) -> str:
    repository = CompanyRepository(session)
    candidates = slug_candidates(base_slug(company_name))
    while True:
        batch = list(islice(candidates, _CANDIDATES_PER_QUERY))
        taken = await repository.taken_slugs(batch)
        for candidate in batch:
            if candidate not in taken:
                return candidate


async def slug_taken(session: AsyncSession, slug: str) -> bool:
    return await CompanyRepository(session).get_by_slug(slug) is not None


def new_company(session: AsyncSession, name: str, slug: str) -> Company:
    """A company at `slug` (from `available_slug`), added to the session (not flushed: a concurrent
    signup may take the slug first, and the caller then retries with the next free one)."""
    company = Company(id=new_id(), name=name, slug=slug, currency="USD", show_prices_to_guests=False, version=1)
    return CompanyRepository(session).add(company)


def storefront_entry(company: Company) -> StorefrontEntry:
    return StorefrontEntry(company_id=company.id, name=company.name, slug=company.slug, version=company.version)


async def announce_company(
    session: AsyncSession,
    directory: StorefrontDirectory,
    company: Company,
    *,
    context: RequestContext,
    actor: Actor,
) -> None:
    """Raise `CompanyCreated` and open the storefront once the transaction commits."""
    await emit(
        session,
        CompanyCreated(
            id=company.id,
            name=company.name,
            slug=company.slug,
            currency=company.currency,
            show_prices_to_guests=company.show_prices_to_guests,
        ),
        company_id=company.id,
        entity=company_entity(company),
        context=context,
        actor=actor,
    )
    directory.publish_after_commit(session, storefront_entry(company))


async def get_company(session: AsyncSession, context: RequestContext) -> Company:
    await staff_access(session, context)
    return found(await CompanyRepository(session).get(context.require_company()), "Company")


async def update_company(
    session: AsyncSession,
    directory: StorefrontDirectory,
    update: CompanyUpdate,
    *,
    context: RequestContext,
) -> Company:
    access = await staff_access(session, context)
    access.require_role(StaffRole.OWNER, StaffRole.ADMIN, action="change company settings")
    repository = CompanyRepository(session)
    # Locked while read and changed: of two edits at once, the second reads the first's result, and its
    # event (a whole snapshot, one version later) carries both.
    company = found(await repository.lock(context.require_company()), "Company")

    changes: list[str] = []
    if update.name is not None and update.name != company.name:
        changes.append("name")
    new_slug = validate_slug(update.slug) if update.slug is not None else company.slug
    if new_slug != company.slug:
        holder = await repository.get_by_slug(new_slug)
        if holder is not None and holder.id != company.id:
            raise Conflict(SLUG_TAKEN, errors=[{"field": "slug", "message": SLUG_TAKEN}])
        changes.append("slug")
    if update.currency is not None and update.currency != company.currency:
        changes.append("currency")
    guest_prices = update.show_prices_to_guests
    if guest_prices is not None and guest_prices != company.show_prices_to_guests:
        changes.append("showPricesToGuests")
    if not changes:
        return company

    previous_slug = company.slug
    company.name = update.name if update.name is not None else company.name
    company.slug = new_slug
    company.currency = update.currency if update.currency is not None else company.currency
    company.show_prices_to_guests = guest_prices if guest_prices is not None else company.show_prices_to_guests
    company.version += 1
    # Another company may have taken the slug between our check and our write.
    await flush_or_conflict(session, Conflict(SLUG_TAKEN, errors=[{"field": "slug", "message": SLUG_TAKEN}]))

    await emit(
        session,
        CompanyUpdated(
            id=company.id,
            name=company.name,
            slug=company.slug,
            previous_slug=previous_slug,
            currency=company.currency,
            show_prices_to_guests=company.show_prices_to_guests,
            changes=changes,
        ),
        company_id=company.id,
        entity=company_entity(company),
        context=context,
    )
    directory.publish_after_commit(session, storefront_entry(company), previous_slug=previous_slug)
    return company


async def resolve_storefront(session: AsyncSession, directory: StorefrontDirectory, slug: str) -> Company:
    """The company behind a storefront slug, for the gateway after a directory miss; heals the entry.

    The slug must be the storefront's own, exactly: `RATE-x` or ` rate-x` reaching the same company
    would be a second address for it (and, at the gateway, a fresh set of per-storefront counters).
    """
    company = found(await CompanyRepository(session).get_by_slug(slug), "Storefront")
    await directory.try_publish(storefront_entry(company))
    return company
