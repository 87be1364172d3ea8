"""The event backbone under load: consumers draining full queues, the relay, an import's way to the audit
log and to identity's usage, and the writes that raise events.

Starts the full topology (every service's API, relay and worker, and the gateway) on its own databases
and broker namespace, signs companies up through the gateway, and measures:

- drain: with every worker stopped, fills each consumer's queue with at least `--events` real events
  made through the gateway (a product CSV import, company edits, customers and price overrides created
  and changed), then starts the workers and times each consumer from its first taken message until its
  queue is empty and every event is applied (its processed-event records written). Once with the
  workers' default batches, and once with DISTRIBU_CONSUMER_BATCH_SIZE=1 (one event per transaction,
  on `--baseline-events` per queue: that path's rate does not depend on the queue's length, and at
  its pace 20,000 would take minutes), side by side. Targets: audit >= 3,000 events/s, every other
  consumer >= 1,500 events/s.
- relay: catalog's relay stopped while the import fills its outbox, then started: events published
  per second (target >= 5,000/s).
- import visibility: on a quiet system, a `--import-products` CSV import; seconds from its response
  until every product is in the audit log, and until identity's usage counts them (target <= 5 s).
- writes, on a quiet system (the events before drained): price-override creates through the gateway
  with `--clients` aiohttp clients (target >= 300/s), and product creates in a company of about 50,000
  products (`--large-catalog`) against one of about 1,000, in alternating rounds (target: within 10%).

Everything it created is removed at the end. `python -m bench` runs it with the other benchmarks.
"""

import argparse
import asyncio
import csv
import io
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aio_pika
import aiohttp
import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench.support import (
    DEFAULT_POSTGRES,
    SCALE_PLAN,
    BenchSystem,
    Figure,
    bench_system,
    cpu_times,
    print_figures,
    settle_databases,
    steal_share,
    stop_processes,
    unrelayed,
    wait_until_quiet,
)
from deploy.components import SERVICES
from gateway.csrf import CSRF_COOKIE, CSRF_HEADER
from gateway.sessions import STAFF_COOKIE

BENCHMARK = "event backbone"
PASSWORD = "bench-password-1"  # noqa: S105 - throwaway accounts on databases the bench drops
DRAIN_TARGETS = {"audit": 3_000.0}
DRAIN_TARGET = 1_500.0
RELAY_TARGET = 5_000.0
VISIBLE_TARGET_S = 5.0
OVERRIDE_CREATES_TARGET = 300.0
PRODUCT_CREATES_SHARE_TARGET = 90.0
# One event per transaction: the path the batches replace, measured in the same run for comparison.
ONE_PER_TRANSACTION = {"DISTRIBU_CONSUMER_BATCH_SIZE": "1"}
SMALL_CATALOG = 1_000
POLL = 0.02
# How often the import's visibility is looked at: its figure is seconds, so 50 ms is fine enough.
VISIBILITY_POLL = 0.05
# Seconds a drain may take at least (more for long queues) before the bench gives up on the worker.
DRAIN_TIME_LIMIT = 120.0


@dataclass
class Account:
    """A company signed up through the gateway: its owner's session and an API key for integrators' calls."""

    company_id: uuid.UUID
    slug: str
    session: str
    csrf: str
    api_key: str

    @property
    def staff(self) -> dict[str, str]:
        return {"Cookie": f"{STAFF_COOKIE}={self.session}; {CSRF_COOKIE}={self.csrf}", CSRF_HEADER: self.csrf}

    @property
    def key(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: Any = None
    expect: int = 200


@dataclass
class Seeded:
    big: Account
    small: Account
    editors: list[Account]
    # SMALL's customer for the override changes of the fills, and its products (ids) to price.
    small_customer: str
    small_products: list[str]
    # BIG's customer for the override creates of the writes.
    big_customer: str


@dataclass(frozen=True)
class Round:
    """One fill and drain: what it is called, how many events per queue, the workers' settings."""

    tag: str
    label: str
    events: int
    env: dict[str, str]
    # Where its price overrides start among SMALL's products, and BIG's active products before its import.
    overrides_from: int
    big_products_before: int
    time_the_relay: bool = False


@dataclass
class Fill:
    """What one fill sent: the company names the edits left, and BIG's active products after its import."""

    final_names: dict[uuid.UUID, str] = field(default_factory=dict)
    big_products: int = 0


@dataclass
class Drain:
    """One consumer's drain: events in its queue when its worker started, and the seconds they took."""

    events: int
    seconds: float
    # Of those, how many its worker could not apply and dead-lettered.
    dead_lettered: int = 0

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("nan")


# -- calls through the gateway ----------------------------------------------------------------------


def gateway_session(system: BenchSystem, clients: int) -> aiohttp.ClientSession:
    # aiohttp with kept-alive connections: a lean client, so the figures are the servers' time rather than
    # the client's own. Cookies are sent as headers; the jar ignores what answers set.
    return aiohttp.ClientSession(
        system.gateway_url,
        connector=aiohttp.TCPConnector(limit=clients),
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=600),
    )


async def call(session: aiohttp.ClientSession, request: Call) -> Any:
    async with session.request(request.method, request.path, json=request.body, headers=request.headers) as answer:
        content = await answer.read()
        if answer.status != request.expect:
            raise RuntimeError(f"{request.method} {request.path}: {answer.status} {content[:300]!r}")
        return await answer.json() if content else None


async def call_all(session: aiohttp.ClientSession, requests: Sequence[Call], clients: int) -> list[Any]:
    """Every call, `clients` at a time (each client takes the next as soon as it is answered); their bodies."""
    answers: list[Any] = [None] * len(requests)
    position = 0

    async def client() -> None:
        nonlocal position
        while position < len(requests):
            index, position = position, position + 1
            answers[index] = await call(session, requests[index])

    await asyncio.gather(*(client() for _ in range(clients)))
    return answers


async def expect(response: Awaitable[httpx.Response], status: int, what: str) -> dict[str, Any]:
    answer = await response
    if answer.status_code != status:
        raise RuntimeError(f"{what}: {answer.status_code} {answer.text[:500]}")
    body: dict[str, Any] = answer.json() if answer.content else {}
    return body


def tag_of() -> str:
    return uuid.uuid4().hex[:8]


def products_csv(count: int, prefix: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["sku", "name", "description", "unitPrice", "unitOfSale", "status", "category", "imageUrl"])
    for number in range(count):
        price = f"{1 + number % 9_000}.{number % 100:02d}"
        writer.writerow(
            [f"{prefix}{number:06d}", f"Product {prefix}{number}", "Bench item", price, "each", "ACTIVE", "Bench", ""]
        )
    return out.getvalue().encode()


async def import_products(session: aiohttp.ClientSession, account: Account, count: int, prefix: str) -> None:
    headers = {**account.key, "Content-Type": "text/csv"}
    async with session.post("/api/v1/products/import", data=products_csv(count, prefix), headers=headers) as answer:
        if answer.status != 200:
            raise RuntimeError(f"import of {count} products: {answer.status} {(await answer.text())[:500]}")


# -- seeding ------------------------------------------------------------------------------------------


async def open_account(base_url: str, label: str, *, scale: bool) -> Account:
    tag = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as owner:
        body = {"companyName": f"Bench {label} {tag}", "name": "Bench Owner", "email": f"owner-{tag}@example.com"}
        account = await expect(owner.post("/api/v1/signup", json={**body, "password": PASSWORD}), 201, "signup")
        owner.headers[CSRF_HEADER] = owner.cookies[CSRF_COOKIE]
        if scale:
            await expect(owner.post("/api/v1/subscription", json=SCALE_PLAN), 200, "plan change")
        scopes = ["catalog:write", "customers:write"]
        key = await expect(owner.post("/api/v1/api-keys", json={"name": "bench", "scopes": scopes}), 201, "API key")
        return Account(
            company_id=uuid.UUID(account["company"]["id"]),
            slug=account["company"]["slug"],
            session=owner.cookies[STAFF_COOKIE],
            csrf=owner.cookies[CSRF_COOKIE],
            api_key=key["secret"],
        )


async def until(predicate: Callable[[], Awaitable[bool]], what: str, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not await predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up waiting for {what} after {within:.0f} s")
        await asyncio.sleep(0.1)


async def seed(system: BenchSystem, session: aiohttp.ClientSession, options: argparse.Namespace) -> Seeded:
    base = system.gateway_url
    big = await open_account(base, "Big Wholesale", scale=True)
    small = await open_account(base, "Small Wholesale", scale=True)
    editors = [await open_account(base, f"Editor {number}", scale=False) for number in range(options.editors)]

    async def knows_plans() -> bool:
        # Catalog learns the Scale plan (no product limit) from identity's event.
        for account in (big, small):
            limits = await call(session, Call("GET", "/api/v1/catalog/limits", account.key))
            if limits.get("maxProducts", 0) is not None:
                return False
        return True

    await until(knows_plans, "catalog to learn the Scale plan")
    await import_products(session, small, SMALL_CATALOG, "S-")
    small_products = [str(row) for row in await product_ids(system, small.company_id, SMALL_CATALOG)]
    small_customer = await new_customer(session, small, "Small Diner")
    big_customer = await new_customer(session, big, "Big Diner")
    # Catalog learns customers from identity's events: the first override waits until it has.
    probe = Call(
        "POST",
        "/api/v1/price-overrides",
        small.key,
        {"customerId": small_customer, "productId": small_products[-1], "unitPrice": "1.00"},
        201,
    )

    async def accepted() -> bool:
        try:
            await call(session, probe)
        except RuntimeError:
            return False
        return True

    await until(accepted, "catalog to learn the customer")
    return Seeded(big, small, editors, small_customer, small_products[:-1], big_customer)


async def new_customer(session: aiohttp.ClientSession, account: Account, name: str) -> str:
    body = {"email": f"{uuid.uuid4().hex[:10]}@example.com", "name": name}
    customer = await call(session, Call("POST", "/api/v1/customers", account.key, body, 201))
    return str(customer["id"])


async def product_ids(system: BenchSystem, company_id: uuid.UUID, limit: int) -> list[uuid.UUID]:
    rows = await query(
        system.database_urls["catalog"],
        "SELECT id FROM products WHERE company_id = :company_id ORDER BY id LIMIT :limit",
        company_id=company_id,
        limit=limit,
    )
    return [row[0] for row in rows]


async def query(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_async_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(text(sql), params)).all())
    finally:
        await engine.dispose()


# -- filling the queues -----------------------------------------------------------------------------


async def fill(
    system: BenchSystem,
    session: aiohttp.ClientSession,
    seeded: Seeded,
    plan: Round,
    options: argparse.Namespace,
) -> Fill:
    """Events for every consumer, made through the gateway at once: BIG imports `plan.events` products
    (identity, audit); the editor companies are renamed until `plan.events` edits are made (catalog,
    orders, webhooks, audit); SMALL creates and renames `--changes` customers (catalog, audit) and sets and
    changes `--changes` price overrides (audit)."""
    tag = plan.tag
    filled = Fill()
    started = time.perf_counter()

    async def edits() -> None:
        per_editor = -(-plan.events // len(seeded.editors))

        async def edit(account: Account) -> None:
            for number in range(per_editor):
                name = f"Edited {tag} {number}"
                await call(session, Call("PATCH", "/api/v1/company", account.staff, {"name": name}))
            filled.final_names[account.company_id] = name

        await asyncio.gather(*(edit(account) for account in seeded.editors))

    async def customers() -> None:
        small = seeded.small
        creates = [
            Call(
                "POST",
                "/api/v1/customers",
                small.key,
                {"email": f"{tag}-{n}-{tag_of()}@example.com", "name": f"Diner {n}"},
                201,
            )
            for n in range(options.changes)
        ]
        made = await call_all(session, creates, options.clients // 2)
        renames = [
            Call("PATCH", f"/api/v1/customers/{customer['id']}", small.key, {"name": f"{customer['name']} renamed"})
            for customer in made
        ]
        await call_all(session, renames, options.clients // 2)

    async def overrides() -> None:
        small = seeded.small
        products = seeded.small_products[plan.overrides_from : plan.overrides_from + options.changes]
        sets = [
            Call(
                "POST",
                "/api/v1/price-overrides",
                small.key,
                {"customerId": seeded.small_customer, "productId": product, "unitPrice": "1.00"},
                201,
            )
            for product in products
        ]
        made = await call_all(session, sets, options.clients // 2)
        changes = [
            Call("PATCH", f"/api/v1/price-overrides/{override['id']}", small.key, {"unitPrice": "2.00"})
            for override in made
        ]
        await call_all(session, changes, options.clients // 2)

    async def products() -> None:
        await import_products(session, seeded.big, plan.events, f"{tag}-")

    await asyncio.gather(edits(), customers(), overrides(), products())
    filled.big_products = plan.big_products_before + plan.events
    print(f"  filled in {time.perf_counter() - started:.1f} s", flush=True)
    return filled


async def wait_until_relayed(system: BenchSystem, services: Sequence[str] = SERVICES) -> None:
    """Until the outboxes of `services` hold nothing unpublished."""
    engines = [create_async_engine(system.database_urls[service], pool_size=1) for service in services]
    try:

        async def relayed() -> bool:
            return sum([await unrelayed(engine) for engine in engines]) == 0

        await until(relayed, "the relays to publish every event", within=300)
    finally:
        for engine in engines:
            await engine.dispose()


# -- measuring ----------------------------------------------------------------------------------------


async def time_relay(system: BenchSystem) -> tuple[int, float]:
    """Start catalog's relay on its filled outbox: (events it found, events published per second).

    Timed from the first look that finds some published (the process's own start-up is not the relay's
    speed) until none is left; the rate counts the events published in that time."""
    engine = create_async_engine(system.database_urls["catalog"], pool_size=1)
    try:
        found = await unrelayed(engine)
        system.start(system.relays("catalog"))
        first_look: tuple[float, int] | None = None
        while True:
            left = await unrelayed(engine)
            now = time.perf_counter()
            if first_look is None and left < found:
                first_look = (now, left)
            if left == 0:
                break
            await asyncio.sleep(POLL)
        assert first_look is not None
        started, left_then = first_look
        seconds = now - started
        return found, left_then / seconds if seconds > 0 else float("nan")
    finally:
        await engine.dispose()


async def processed(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(text("SELECT count(*) FROM processed_events")) or 0)


async def time_drain(system: BenchSystem, env: dict[str, str]) -> dict[str, Drain]:
    """Start each service's worker (with `env`) on its full queue, one service after another, so each
    consumer's rate is its own rather than its share of the two cores; each one's events and seconds.

    A consumer's time runs from the first look at which its queue has given messages to its worker (the
    process's start-up is not the consumer's speed) until its queue is empty and every event it held is
    applied (a processed-event record written) or dead-lettered (a failure the figures then report)."""
    drains = {}
    async with await aio_pika.connect(system.broker_url) as connection:
        channel = await connection.channel()

        async def ready(queue_name: str) -> int:
            queue = await channel.declare_queue(queue_name, passive=True)
            return int(queue.declaration_result.message_count or 0)

        for service in SERVICES:
            engine = create_async_engine(system.database_urls[service], pool_size=1)
            queue, dead_letters = system.queue(service), system.queue(service) + ".dlq"
            try:
                depth, before, dead_before = await ready(queue), await processed(engine), await ready(dead_letters)
                system.start(system.workers(service), env)
                deadline = time.perf_counter() + max(DRAIN_TIME_LIMIT, depth / 20)
                started: float | None = None
                dead = 0
                while True:
                    # Applied, or given up on: the last messages taken count once their batch commits.
                    left = await ready(queue)
                    if started is None and left < depth:
                        started = time.perf_counter()
                    # Counting records costs the database: only once the queue has given everything out.
                    if left == 0:
                        dead = await ready(dead_letters) - dead_before
                        if await processed(engine) - before + dead >= depth:
                            break
                    if time.perf_counter() > deadline:
                        raise RuntimeError(f"{service}'s worker did not drain its queue (log: {system.log_dir})")
                    await asyncio.sleep(POLL)
                finished = time.perf_counter()
                drains[service] = Drain(depth, finished - (started or finished), dead)
            finally:
                await engine.dispose()
    return drains


async def drain_effects(system: BenchSystem, session: aiohttp.ClientSession, seeded: Seeded, filled: Fill) -> list[str]:
    """What a drain should have left, looked up where users see it; the differences found."""
    problems = []
    usage = (await call(session, Call("GET", "/api/v1/subscription", seeded.big.staff)))["usage"]
    if usage["products"] != filled.big_products:
        problems.append(f"identity's usage counts {usage['products']} products, not {filled.big_products}")
    [(audited,)] = await query(
        system.database_urls["audit"],
        "SELECT count(*) FROM audit_logs WHERE company_id = :company_id AND action = 'ProductCreated'",
        company_id=seeded.big.company_id,
    )
    if audited != filled.big_products:
        problems.append(f"the audit log holds {audited} ProductCreated entries, not {filled.big_products}")
    for service in ("catalog", "orders", "webhooks"):
        rows = await query(system.database_urls[service], "SELECT company_id, name FROM tenants")
        names = {row[0]: row[1] for row in rows}
        stale = [company for company, name in filled.final_names.items() if names.get(company) != name]
        if stale:
            problems.append(f"{service} holds an older name of {len(stale)} edited companies")
    return problems


async def time_import_visibility(
    system: BenchSystem, session: aiohttp.ClientSession, seeded: Seeded, count: int, expected_products: int
) -> tuple[float, float]:
    """Seconds from an import's response until its products are all in the audit log, and until identity's
    usage counts them.

    Both are read from the services' databases, one statement each per look, every `VISIBILITY_POLL`: asking
    identity through the gateway every 20 ms took a share of the two cores the import's events need."""
    audit = create_async_engine(system.database_urls["audit"], pool_size=1)
    identity = create_async_engine(system.database_urls["identity"], pool_size=1)
    started_at = datetime.now(UTC)
    await import_products(session, seeded.big, count, "V-")
    answered = time.perf_counter()
    in_audit: float | None = None
    in_usage: float | None = None
    audited = text(
        "SELECT count(*) FROM audit_logs WHERE company_id = :company_id AND created_at >= :since "
        "AND action = 'ProductCreated'"
    )
    counted = text("SELECT value FROM usage_counters WHERE company_id = :company_id AND metric = 'products'")
    try:
        async with audit.connect() as audit_log, identity.connect() as usage:
            while in_audit is None or in_usage is None:
                if in_audit is None:
                    found = await audit_log.scalar(audited, {"company_id": seeded.big.company_id, "since": started_at})
                    await audit_log.rollback()  # a fresh snapshot for the next look
                    if int(found or 0) >= count:
                        in_audit = time.perf_counter() - answered
                if in_usage is None:
                    products = await usage.scalar(counted, {"company_id": seeded.big.company_id})
                    await usage.rollback()
                    if int(products or 0) >= expected_products:
                        in_usage = time.perf_counter() - answered
                if time.perf_counter() - answered > 120:
                    raise RuntimeError("the import was not visible in the audit log and usage after 120 s")
                await asyncio.sleep(VISIBILITY_POLL)
    finally:
        await audit.dispose()
        await identity.dispose()
    return in_audit, in_usage


async def saturate(session: aiohttp.ClientSession, make: Callable[[int], Call], clients: int, seconds: float) -> int:
    """`clients` callers at once, each calling again as soon as answered, for `seconds`: calls answered."""
    deadline = time.perf_counter() + seconds
    answered = 0

    async def client(offset: int) -> None:
        nonlocal answered
        number = offset
        while time.perf_counter() < deadline:
            await call(session, make(number))
            answered += 1
            number += clients

    await asyncio.gather(*(client(offset) for offset in range(clients)))
    return answered


async def override_creates(
    system: BenchSystem, session: aiohttp.ClientSession, seeded: Seeded, options: argparse.Namespace
) -> float:
    products = [str(product) for product in await product_ids(system, seeded.big.company_id, 40_000)]

    def create(number: int) -> Call:
        body = {"customerId": seeded.big_customer, "productId": products[number], "unitPrice": "3.50"}
        return Call("POST", "/api/v1/price-overrides", seeded.big.key, body, 201)

    started = time.perf_counter()
    answered = await saturate(session, create, options.clients, options.write_seconds)
    return answered / (time.perf_counter() - started)


async def product_creates(
    system: BenchSystem, session: aiohttp.ClientSession, seeded: Seeded, options: argparse.Namespace
) -> dict[str, float]:
    """Product creates per second in SMALL and in BIG, alternating rounds, each on a quiet system."""
    rounds = 4
    answered = {"small": 0, "big": 0}
    seconds = {"small": 0.0, "big": 0.0}
    for round_number in range(rounds):
        for side, account in (("small", seeded.small), ("big", seeded.big)):
            await wait_until_quiet(system)

            def create(number: int, account: Account = account, round_number: int = round_number) -> Call:
                body = {"sku": f"W-{round_number}-{number:06d}", "name": f"Written {number}", "unitPrice": "4.20"}
                return Call("POST", "/api/v1/products", account.key, body, 201)

            started = time.perf_counter()
            answered[side] += await saturate(session, create, options.clients, options.write_seconds / rounds)
            seconds[side] += time.perf_counter() - started
    return {side: answered[side] / seconds[side] for side in answered}


async def active_products(system: BenchSystem, account: Account) -> int:
    [(count,)] = await query(
        system.database_urls["catalog"],
        "SELECT count(*) FROM products WHERE company_id = :company_id AND status = 'ACTIVE'",
        company_id=account.company_id,
    )
    return int(count)


# -- the run ------------------------------------------------------------------------------------------


async def drain_round(
    system: BenchSystem, session: aiohttp.ClientSession, seeded: Seeded, plan: Round, options: argparse.Namespace
) -> tuple[dict[str, Drain], tuple[int, float] | None, list[str]]:
    print(f"drain ({plan.label}): workers stopped, filling the queues...", flush=True)
    stop_processes(system.workers())
    if plan.time_the_relay:
        stop_processes(system.relays("catalog"))
    filled = await fill(system, session, seeded, plan, options)
    relay = None
    if plan.time_the_relay:
        await wait_until_relayed(system, [service for service in SERVICES if service != "catalog"])
        relay = await time_relay(system)
        print(f"  catalog's relay published {relay[0]:,} events at {relay[1]:,.0f}/s", flush=True)
    await wait_until_relayed(system)
    drains = await time_drain(system, plan.env)
    for service, drain in drains.items():
        print(f"  {service:<9} {drain.events:>7,} events in {drain.seconds:6.2f} s: {drain.rate:8,.0f}/s", flush=True)
    problems = [
        f"{service} dead-lettered {drain.dead_lettered} of its events ({plan.label})"
        for service, drain in drains.items()
        if drain.dead_lettered
    ]
    problems += await drain_effects(system, session, seeded, filled)
    return drains, relay, problems


async def run(options: argparse.Namespace) -> list[Figure]:
    connections = options.editors + 2 * options.clients
    async with bench_system(options.postgres) as system, gateway_session(system, connections) as session:
        if not system.workers():
            raise RuntimeError("the topology runs no worker processes (deploy.local.Topology `<service>-worker`)")
        print("seeding...", flush=True)
        seeded = await seed(system, session, options)
        await wait_until_quiet(system)
        counters = cpu_times()
        batched_round = Round("A", "batched", options.events, {}, 0, 0, time_the_relay=True)
        batched, relay, problems = await drain_round(system, session, seeded, batched_round, options)
        # The path the batches replaced: its rate does not depend on the queue's length, so fewer events do.
        single_round = Round(
            "B",
            "one event per transaction",
            options.baseline_events,
            ONE_PER_TRANSACTION,
            options.changes,
            options.events,
        )
        single, _, single_problems = await drain_round(system, session, seeded, single_round, options)
        problems += single_problems
        stop_processes(system.workers())
        system.start(system.workers())
        steal = steal_share(counters, cpu_times())

        await wait_until_quiet(system)
        await settle_databases(system.database_urls.values())
        big_products = options.events + options.baseline_events + options.import_products
        print(f"import of {options.import_products:,} products, its way to the audit log and usage...", flush=True)
        in_audit, in_usage = await time_import_visibility(
            system, session, seeded, options.import_products, big_products
        )
        if options.large_catalog > big_products:
            print(f"growing the large catalog to {options.large_catalog:,} products...", flush=True)
            await import_products(session, seeded.big, options.large_catalog - big_products, "L-")

        await wait_until_quiet(system)
        await settle_databases(system.database_urls.values())
        print("writes...", flush=True)
        overrides = await override_creates(system, session, seeded, options)
        small_size, big_size = await active_products(system, seeded.small), await active_products(system, seeded.big)
        creates = await product_creates(system, session, seeded, options)

    print_drains(batched, single)
    for problem in problems:
        print(f"  effects: {problem}")
    print(f"CPU time stolen by the hypervisor during the drains: {steal}")
    return figures(
        batched, single, relay, problems, (in_audit, in_usage), overrides, creates, (small_size, big_size), options
    )


def figures(
    batched: dict[str, Drain],
    single: dict[str, Drain],
    relay: tuple[int, float] | None,
    problems: list[str],
    visible: tuple[float, float],
    overrides: float,
    creates: dict[str, float],
    sizes: tuple[int, int],
    options: argparse.Namespace,
) -> list[Figure]:
    found: list[Figure] = []
    for service in SERVICES:
        faster = batched[service].rate / single[service].rate if single[service].rate else float("nan")
        found.append(
            Figure(
                BENCHMARK,
                f"drain {service} ({batched[service].events:,} events)",
                batched[service].rate,
                "events/s",
                DRAIN_TARGETS.get(service, DRAIN_TARGET),
                note=f"one per transaction: {single[service].rate:,.0f}/s, {faster:.1f}x",
            )
        )
    found.append(
        Figure(BENCHMARK, "events left unapplied after the drains", len(problems), "problems", 0, False, whole=True)
    )
    if relay is not None:
        found.append(Figure(BENCHMARK, f"relay ({relay[0]:,} events)", relay[1], "events/s", RELAY_TARGET))
    in_audit, in_usage = visible
    size = f"{options.import_products:,}-product import"
    found.append(Figure(BENCHMARK, f"{size} in the audit log after", in_audit, "s", VISIBLE_TARGET_S, False))
    found.append(Figure(BENCHMARK, f"{size} in identity's usage after", in_usage, "s", VISIBLE_TARGET_S, False))
    found.append(
        Figure(
            BENCHMARK, f"price-override creates, {options.clients} clients", overrides, "req/s", OVERRIDE_CREATES_TARGET
        )
    )
    small_size, big_size = sizes
    share = creates["big"] / creates["small"] * 100 if creates["small"] else float("nan")
    found.append(Figure(BENCHMARK, f"product creates at {small_size:,} products", creates["small"], "req/s"))
    found.append(Figure(BENCHMARK, f"product creates at {big_size:,} products", creates["big"], "req/s"))
    found.append(Figure(BENCHMARK, "product creates, large catalog vs small", share, "%", PRODUCT_CREATES_SHARE_TARGET))
    return found


def print_drains(batched: dict[str, Drain], single: dict[str, Drain]) -> None:
    print("\nDrain, each consumer's full queue (events/s, each worker alone, one after another):")
    print(f"  {'consumer':<10} {'events':>8} {'batched':>10} {'one per transaction':>20} {'speed-up':>9}")
    for service in SERVICES:
        fast, slow = batched[service], single[service]
        print(
            f"  {service:<10} {fast.events:>8,} {fast.rate:>10,.0f} {slow.rate:>20,.0f} {fast.rate / slow.rate:>8.1f}x"
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", type=int, default=20_000, help="events per consumer's queue (default 20,000)")
    parser.add_argument(
        "--baseline-events",
        type=int,
        default=5_000,
        help="events per queue for the one-event-per-transaction drain (default 5,000)",
    )
    parser.add_argument(
        "--large-catalog", type=int, default=50_000, help="products of the large catalog for product creates (50,000)"
    )
    parser.add_argument(
        "--changes", type=int, default=400, help="customers and price overrides made and changed per fill (400)"
    )
    parser.add_argument("--editors", type=int, default=16, help="companies edited at once to fill queues (16)")
    parser.add_argument("--import-products", type=int, default=10_000, help="products of the timed import (10,000)")
    parser.add_argument("--clients", type=int, default=8, help="clients at once for the writes (default 8)")
    parser.add_argument("--write-seconds", type=float, default=10.0, help="seconds per write measurement (10)")
    parser.add_argument(
        "--postgres",
        default=DEFAULT_POSTGRES,
        help="PostgreSQL server URL without a database; the bench creates and drops its own",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.event_backbone", description=__doc__.splitlines()[0])
    add_arguments(parser)
    figures = asyncio.run(run(parser.parse_args(argv)))
    print_figures("Event backbone", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
