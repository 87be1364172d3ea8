"""Placing orders through the gateway, side by side with the same placement made to orders directly.

Starts the full topology on fresh databases, seeds a company on the Scale plan with 10,000 products, a
customer with 1,000 price overrides and a shipping address, and an API key with `orders:write`; waits until
every event of the seeding has been consumed (orders prices from its own read models), then places 10-line
orders for that customer, at its prices, shipping to its address:

- through the gateway: `POST /api/v1/orders` with the API key, as an integrator would;
- directly: `POST /api/v1/orders` on the orders service with the signed context the gateway would forward.

Before measuring, the company gets an order history (`--history` orders, placed directly), and every database
is analyzed: a distributor's orders tables are not empty, and the query plans PostgreSQL keeps per connection
(its foreign-key checks' among them) are made for tables of their real size, as autovacuum's analyses keep them
in production. Made for an empty table, a plan scans it whole, and keeps doing so as it grows when nothing
analyzes it (the development machines' PostgreSQL runs without autovacuum).

Latency at one client, throughput with several clients at once, both sides alternating in rounds. While
the gateway side is kept busy, a watcher reads the audit log's database and times each order from its
201 to its `OrderPlaced` entry. Targets: gateway p95 <= 40 ms at one client, >= 150 orders/s through the
gateway with 8 clients, gateway throughput >= 60% of direct, `OrderPlaced` in the audit log within 1 s at p95.
"""

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.storefront_catalog import (
    Figures,
    all_product_ids,
    expect,
    open_scale_company,
    products_csv,
    set_overrides,
    wait_for_plan,
)
from bench.support import (
    DEFAULT_POSTGRES,
    BenchSystem,
    Figure,
    bench_system,
    cpu_times,
    print_figures,
    settle_databases,
    steal_share,
    wait_until_quiet,
)
from kit.context import CONTEXT_HEADER, ContextSigner, Principal, RequestContext

BENCHMARK = "order placement"
LINES = 10
P95_TARGET_MS = 40.0
THROUGHPUT_TARGET = 150.0
SHARE_TARGET = 0.60
AUDIT_LAG_TARGET_MS = 1000.0
# How often the watcher looks for new OrderPlaced entries: the lag it reports is at most this much late.
AUDIT_POLL_S = 0.02


@dataclass
class Seeded:
    company_id: uuid.UUID
    customer_id: uuid.UUID
    address_id: uuid.UUID
    api_key_id: uuid.UUID
    api_key: str
    product_ids: list[str]


async def seed(base_url: str) -> Seeded:
    tag = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as owner:
        account = await open_scale_company(owner, "Bench Orders", tag)
        customer = await expect(
            owner.post("/api/v1/customers", json={"email": f"buyer-{tag}@example.com", "name": "Bench Diner"}),
            201,
            "customer",
        )
        address = await expect(
            owner.post(
                f"/api/v1/customers/{customer['id']}/addresses",
                json={"line1": "1 Bench Street", "city": "Springfield", "postalCode": "62704", "country": "US"},
            ),
            201,
            "address",
        )
        key = await expect(
            owner.post("/api/v1/api-keys", json={"name": "Bench ERP", "scopes": ["orders:write"]}), 201, "API key"
        )
        await wait_for_plan(owner)
        await expect(
            owner.post("/api/v1/products/import", content=products_csv(), headers={"Content-Type": "text/csv"}),
            200,
            "import",
        )
        product_ids = await all_product_ids(owner)
        await set_overrides(owner, customer["id"], product_ids[:: len(product_ids) // 1_000])
    return Seeded(
        uuid.UUID(account["company"]["id"]),
        uuid.UUID(customer["id"]),
        uuid.UUID(address["id"]),
        uuid.UUID(key["id"]),
        key["secret"],
        product_ids,
    )


@dataclass
class Side:
    """One way to place an order: its kept-alive connections, its path and headers."""

    name: str
    session: aiohttp.ClientSession
    headers: Callable[[], dict[str, str]]
    # Each order placed, with when it was sent (wall clock) and when its 201 arrived (perf_counter): the
    # audit watcher's start line.
    answered: dict[str, "Answered"] = field(default_factory=dict)
    record: bool = False

    async def place(self, body: dict[str, Any]) -> None:
        sent = time.time()
        async with self.session.post("/api/v1/orders", json=body, headers=self.headers()) as response:
            answer = await response.read()
            if response.status != 201:
                raise RuntimeError(f"{self.name}: answered {response.status} {answer[:300]!r}")
            if self.record:
                order_id = (await response.json())["id"]
                self.answered[order_id] = Answered(sent, time.perf_counter())


@dataclass(frozen=True)
class Answered:
    sent: float
    at: float


def order_bodies(seeded: Seeded, count: int, seed: int) -> list[dict[str, Any]]:
    """`count` 10-line orders for the customer, of random products (a tenth of them at its own price)."""
    chooser = random.Random(seed)
    return [
        {
            "customerId": str(seeded.customer_id),
            "shippingAddressId": str(seeded.address_id),
            "poNumber": f"PO-{seed}-{index}",
            "items": [
                {"productId": product_id, "quantity": chooser.randint(1, 20)}
                for product_id in chooser.sample(seeded.product_ids, LINES)
            ],
        }
        for index in range(count)
    ]


async def measure(side: Side, bodies: list[dict[str, Any]]) -> tuple[list[float], float]:
    latencies: list[float] = []
    started = time.perf_counter()
    for body in bodies:
        before = time.perf_counter()
        await side.place(body)
        latencies.append((time.perf_counter() - before) * 1000)
    return latencies, time.perf_counter() - started


async def saturate(side: Side, bodies: list[dict[str, Any]], clients: int, seconds: float) -> int:
    deadline = time.perf_counter() + seconds
    placed = 0

    async def caller(offset: int) -> None:
        nonlocal placed
        index = offset
        while time.perf_counter() < deadline:
            await side.place(bodies[index % len(bodies)])
            placed += 1
            index += clients

    await asyncio.gather(*(caller(offset) for offset in range(clients)))
    return placed


class AuditWatcher:
    """Reads the audit log's database while orders are placed: when each OrderPlaced entry first appears.

    Each poll asks only for the orders answered and not seen yet, among entries no older than the oldest
    of them was sent: the watcher's own load on the machine stays small and flat however many are placed.
    """

    def __init__(self, database_url: str, company_id: uuid.UUID, answered: dict[str, Answered]) -> None:
        self.engine = create_async_engine(database_url, pool_size=1)
        self.company_id = company_id
        self.answered = answered
        self.seen_at: dict[str, float] = {}
        self._stop = asyncio.Event()
        # Set by `lags_ms`: no more orders are coming, so once none is pending every one has been seen.
        self._finishing = False
        self._all_seen = asyncio.Event()

    async def run(self) -> None:
        statement = text(
            "SELECT entity_id FROM audit_logs WHERE company_id = :company_id AND action = 'OrderPlaced' "
            "AND created_at >= :since AND entity_id = ANY(:pending)"
        )
        while not self._stop.is_set():
            pending = [order for order in list(self.answered) if order not in self.seen_at]
            if pending:
                # An entry's time is when its order was placed, after it was sent; a second spares clock jitter.
                since = min(self.answered[order].sent for order in pending) - 1.0
                parameters = {
                    "company_id": self.company_id,
                    "since": datetime.fromtimestamp(since, UTC),
                    "pending": pending,
                }
                async with self.engine.connect() as connection:
                    found = (await connection.execute(statement, parameters)).scalars().all()
                now = time.perf_counter()
                for entity_id in found:
                    self.seen_at.setdefault(entity_id, now)
            elif self._finishing:
                self._all_seen.set()
            await asyncio.sleep(AUDIT_POLL_S)

    def stop(self) -> None:
        self._stop.set()

    async def lags_ms(self, within: float = 60.0) -> list[float]:
        """Each order's time from its 201 to its audit entry; waits (up to `within`) for the last ones."""
        self._finishing = True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self._all_seen.wait()
        self.stop()
        missing = set(self.answered) - set(self.seen_at)
        if missing:
            raise RuntimeError(f"{len(missing)} orders never reached the audit log within {within:.0f} s")
        return [max(0.0, (self.seen_at[order] - answered.at)) * 1000 for order, answered in self.answered.items()]


async def benchmark(system: BenchSystem, seeded: Seeded, options: argparse.Namespace) -> list[Figure]:
    topology = system.topology
    signer = ContextSigner(system.internal_secret)
    principal = Principal(type="api_key", id=seeded.api_key_id, scopes=["orders:write"])

    def signed_context() -> str:
        context = RequestContext(
            company_id=seeded.company_id, principal=principal, client_ip="127.0.0.1", request_id=uuid.uuid4().hex
        )
        return signer.sign(context, "orders")

    token, signed_at = signed_context(), time.monotonic()

    def context_header() -> dict[str, str]:
        # A context lives 60 s; the gateway signs one per request, a direct caller may reuse one briefly.
        nonlocal token, signed_at
        if time.monotonic() - signed_at > 20:
            token, signed_at = signed_context(), time.monotonic()
        return {CONTEXT_HEADER: token}

    bodies = order_bodies(seeded, 500, seed=1)
    connector_limit = options.clients
    async with (
        aiohttp.ClientSession(
            topology.gateway_url,
            connector=aiohttp.TCPConnector(limit=connector_limit),
            headers={"Authorization": f"Bearer {seeded.api_key}"},
            timeout=aiohttp.ClientTimeout(total=30),
        ) as to_gateway,
        aiohttp.ClientSession(
            topology.service_url("orders"),
            connector=aiohttp.TCPConnector(limit=connector_limit),
            timeout=aiohttp.ClientTimeout(total=30),
        ) as to_orders,
    ):
        sides = [Side("gateway", to_gateway, dict), Side("direct", to_orders, context_header)]
        await place_history(sides[1], seeded, options.history, options.clients)
        waited = await wait_until_quiet(system)
        await settle_databases(system.database_urls.values())
        print(f"placed an order history of {options.history:,} orders; quiet {waited:.1f} s later", flush=True)
        for side in sides:
            await measure(side, bodies[: options.warmup])
        counters_before = cpu_times()

        latencies: dict[str, tuple[list[float], float]] = {side.name: ([], 0.0) for side in sides}
        block = 50
        for start in range(0, options.requests, block):
            for side in sides:
                size = min(block, options.requests - start)
                walk = [bodies[(start + offset) % len(bodies)] for offset in range(size)]
                measured, elapsed = await measure(side, walk)
                total, seconds = latencies[side.name]
                latencies[side.name] = (total + measured, seconds + elapsed)

        watcher = AuditWatcher(system.database_urls["audit"], seeded.company_id, sides[0].answered)
        watching = asyncio.create_task(watcher.run())
        sides[0].record = True
        placed = {side.name: 0 for side in sides}
        rounds = 4
        try:
            for _ in range(rounds):
                for side in sides:
                    placed[side.name] += await saturate(side, bodies, options.clients, options.seconds / rounds)
            lags = await watcher.lags_ms()
        finally:
            watcher.stop()
            await watching
            await watcher.engine.dispose()

    steal = steal_share(counters_before, cpu_times())
    gateway, direct = (Figures(name, *latencies[name]) for name in ("gateway", "direct"))
    rate = {name: count / options.seconds for name, count in placed.items()}
    share = rate["gateway"] / rate["direct"]
    lag = Figures("audit lag", lags, 1.0)
    print()
    print(
        f"Placing {LINES}-line orders for a customer with 1,000 overrides among {len(seeded.product_ids):,} products, "
        f"after {options.history:,} orders"
    )
    print(f"{os.cpu_count()} CPUs; CPU time stolen by the hypervisor while measuring: {steal}")
    print("latency, one client:")
    print(f"  {gateway.line()}")
    print(f"  {direct.line()}")
    print(f"throughput, {options.clients} clients at once for {options.seconds:.0f} s per side:")
    for name in ("gateway", "direct"):
        print(f"  {name:<9} orders {placed[name]:>6}   {rate[name]:7.1f} orders/s")
    print(
        f"OrderPlaced in the audit log after the 201 (gateway side, {len(lags)} orders): "
        f"p50 {lag.percentile(0.5):.0f} ms, p95 {lag.percentile(0.95):.0f} ms, max {max(lags):.0f} ms"
    )
    return [
        Figure(BENCHMARK, "order p95, one client, via gateway", gateway.percentile(0.95), "ms", P95_TARGET_MS, False),
        Figure(BENCHMARK, "order p95, one client, direct", direct.percentile(0.95), "ms"),
        Figure(
            BENCHMARK,
            f"orders, {options.clients} clients, via gateway",
            rate["gateway"],
            "orders/s",
            THROUGHPUT_TARGET,
            note=f"direct {rate['direct']:,.0f} orders/s",
        ),
        Figure(BENCHMARK, "gateway throughput share of direct", share * 100, "%", SHARE_TARGET * 100),
        Figure(
            BENCHMARK,
            "OrderPlaced in audit log p95",
            lag.percentile(0.95),
            "ms",
            AUDIT_LAG_TARGET_MS,
            False,
            note=f"mean {statistics.fmean(lags):.0f} ms",
        ),
    ]


async def place_history(side: Side, seeded: Seeded, count: int, clients: int) -> None:
    """`count` orders placed before anything is measured, `clients` at a time."""
    bodies = order_bodies(seeded, count, seed=2)
    queue = iter(bodies)

    async def caller() -> None:
        for body in queue:
            await side.place(body)

    await asyncio.gather(*(caller() for _ in range(clients)))


async def run(options: argparse.Namespace) -> list[Figure]:
    async with bench_system(options.postgres) as system:
        print("seeding...", flush=True)
        seeded = await seed(system.gateway_url)
        waited = await wait_until_quiet(system)
        print(f"every service had consumed the seeding's events {waited:.1f} s later", flush=True)
        await settle_databases(system.database_urls.values())
        return await benchmark(system, seeded, options)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL server URL without a database")
    parser.add_argument("--requests", type=int, default=400, help="orders per side at one client")
    parser.add_argument("--history", type=int, default=2_000, help="orders the company has before measuring")
    parser.add_argument("--warmup", type=int, default=30, help="orders per side before measuring")
    parser.add_argument("--clients", type=int, default=8, help="clients at once for throughput")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of throughput per side")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.order_placement", description=__doc__.splitlines()[0])
    add_arguments(parser)
    print_figures(BENCHMARK, asyncio.run(run(parser.parse_args(argv))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
