"""Orders placed through the gateway, to their signed webhook delivery at a receiver on 127.0.0.1.

Starts the full topology with 127.0.0.0/8 allowed to webhooks (WEBHOOKS_ALLOWED_NETWORKS), seeds a company on
the Scale plan with a product, an API key with `orders:write` and a webhook for `OrderPlaced` pointing at a
loopback aiohttp receiver that verifies every request with the `standardwebhooks` package and the secret shown
at creation. Each order carries its own PO number, which the receiver reads back from the delivered order:

- one order at a time: from sending `POST /api/v1/orders` to its delivery arriving, p50/p95;
- under load: orders sent at a steady 20 orders/s for 20 s (each on its own, not waiting for the one before),
  the same latency, p50/p95;
- a receiver down (its port closed) for 60 s while orders keep coming, then up: every delivery arrives, and
  none twice (counted by `webhook-id`), once the webhooks database shows every delivery SUCCEEDED. With the
  default retry schedule (5 s, 5 min, ...) the deliveries of the outage arrive at their second retry, about
  5 minutes after their order; `--retry-schedule` sets another one.

Targets: delivery p95 <= 250 ms under 20 orders/s; every delivery received once.
"""

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
import httpx
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bench.storefront_catalog import Figures, expect, open_scale_company, wait_for_plan
from bench.support import (
    DEFAULT_POSTGRES,
    BenchSystem,
    Figure,
    bench_system,
    cpu_times,
    print_figures,
    steal_share,
    wait_until_quiet,
)

BENCHMARK = "webhook delivery"
P95_UNDER_LOAD_TARGET_MS = 250.0
LOOPBACK = '["127.0.0.0/8"]'


@dataclass
class Arrival:
    at: float  # perf_counter when the request arrived
    webhook_id: str
    po_number: str


@dataclass
class Receiver:
    """An aiohttp app on 127.0.0.1 that answers 200 and notes each verified delivery's order (its PO number)."""

    secret: str = ""
    port: int = 0
    arrivals: list[Arrival] = field(default_factory=list)
    unverified: int = 0
    _waiters: dict[str, asyncio.Future[float]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None

    def __post_init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/distribu"

    def arrival_of(self, po_number: str) -> asyncio.Future[float]:
        """When the delivery of the order with `po_number` arrives (perf_counter)."""
        return self._waiters.setdefault(po_number, asyncio.get_running_loop().create_future())

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        arrived = time.perf_counter()
        try:
            payload = Webhook(self.secret).verify(body, dict(request.headers))
        except WebhookVerificationError:
            self.unverified += 1
            return web.Response(status=400, text="bad signature")
        assert isinstance(payload, dict)
        if payload.get("type") == "OrderPlaced":
            po_number = str(payload["data"]["data"]["poNumber"])
            self.arrivals.append(Arrival(arrived, request.headers["webhook-id"], po_number))
            waiter = self.arrival_of(po_number)
            if not waiter.done():
                waiter.set_result(arrived)
        return web.Response(text="ok")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/distribu", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


@dataclass
class Seeded:
    company_id: str
    api_key: str
    product_id: str


async def seed(base_url: str, receiver: Receiver) -> Seeded:
    tag = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as owner:
        account = await open_scale_company(owner, "Bench Webhooks", tag)
        await wait_for_plan(owner)
        product = await expect(
            owner.post("/api/v1/products", json={"sku": "HOOK-1", "name": "Hooks", "unitPrice": "2.50"}), 201, "product"
        )
        key = await expect(
            owner.post("/api/v1/api-keys", json={"name": "Bench ERP", "scopes": ["orders:write"]}), 201, "API key"
        )
        webhook = await expect(
            owner.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["OrderPlaced"]}), 201, "webhook"
        )
    receiver.secret = webhook["secret"]
    return Seeded(account["company"]["id"], key["secret"], product["id"])


class Placer:
    """Places one-line orders through the gateway as an integrator would, each with its own PO number."""

    def __init__(self, session: aiohttp.ClientSession, product_id: str, receiver: Receiver) -> None:
        self.session = session
        self.product_id = product_id
        self.receiver = receiver
        self.count = 0

    async def place(self) -> tuple[str, float, float]:
        """Sends an order; returns its PO number, when it was sent and when its 201 came (perf_counter)."""
        self.count += 1
        po_number = f"BENCH-{self.count}"
        body = {"items": [{"productId": self.product_id, "quantity": 1}], "poNumber": po_number}
        self.receiver.arrival_of(po_number)
        sent = time.perf_counter()
        async with self.session.post("/api/v1/orders", json=body) as response:
            answer = await response.read()
            if response.status != 201:
                raise RuntimeError(f"order answered {response.status} {answer[:300]!r}")
        return po_number, sent, time.perf_counter()

    async def delivered_ms(self, within: float = 30.0) -> tuple[float, float]:
        """One order placed; the milliseconds from sending it, and from its 201, to its delivery's arrival."""
        po_number, sent, answered = await self.place()
        arrived = await asyncio.wait_for(self.receiver.arrival_of(po_number), within)
        return (arrived - sent) * 1000, (arrived - answered) * 1000

    async def first_order(self) -> None:
        """Orders hears of the product a moment after it is created: retry the first order until it is taken."""
        for _ in range(200):
            try:
                await self.delivered_ms()
                return
            except RuntimeError:
                await asyncio.sleep(0.1)
        raise RuntimeError("orders never learned the product")


async def paced(placer: Placer, rate: float, seconds: float) -> list[tuple[str, float, float]]:
    """Orders sent at a steady `rate` for `seconds`, each on its own; returns (PO number, sent, answered) of each."""
    started = time.perf_counter()
    placed: list[asyncio.Task[tuple[str, float, float]]] = []
    for index in range(round(rate * seconds)):
        delay = started + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        placed.append(asyncio.create_task(placer.place()))
    return list(await asyncio.gather(*placed))


async def latencies_ms(
    receiver: Receiver, placed: list[tuple[str, float, float]], within: float
) -> tuple[list[float], list[float]]:
    """Each order's milliseconds from sending it, and from its 201, to its delivery's arrival."""
    arrivals = [receiver.arrival_of(po_number) for po_number, _, _ in placed]
    _, pending = await asyncio.wait(arrivals, timeout=within)
    if pending:
        raise RuntimeError(f"{len(pending)} of {len(placed)} deliveries did not arrive within {within:.0f} s")
    pairs = zip(arrivals, placed, strict=True)
    timed = [
        ((arrival.result() - sent) * 1000, (arrival.result() - answered) * 1000)
        for arrival, (_, sent, answered) in pairs
    ]
    return [from_sent for from_sent, _ in timed], [from_answer for _, from_answer in timed]


async def deliveries_by_status(system: BenchSystem, company_id: str) -> dict[str, int]:
    engine = create_async_engine(system.database_urls["webhooks"], poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT status, count(*) FROM webhook_deliveries WHERE company_id = :company GROUP BY status"),
                {"company": uuid.UUID(company_id)},
            )
            return {str(status): int(count) for status, count in rows}
    finally:
        await engine.dispose()


async def outage(
    system: BenchSystem, seeded: Seeded, placer: Placer, receiver: Receiver, options: argparse.Namespace
) -> tuple[int, int, int, float]:
    """The receiver down for `--down-seconds` while orders come, then up: (placed, received once, received
    more than once, seconds from up to the last delivery)."""
    await receiver.stop()
    print(f"receiver down for {options.down_seconds:.0f} s, orders at {options.down_rate:g}/s...", flush=True)
    placed = await paced(placer, options.down_rate, options.down_seconds)
    await receiver.start()
    up = time.perf_counter()
    print(f"receiver up again; waiting for {len(placed)} deliveries (up to {options.settle_timeout:.0f} s)", flush=True)
    expected = {po_number for po_number, _, _ in placed}
    deadline = up + options.settle_timeout
    while True:
        statuses = await deliveries_by_status(system, seeded.company_id)
        arrived = {arrival.po_number for arrival in receiver.arrivals} & expected
        # SUCCEEDED is final: once every delivery has it, nothing more is sent, so the counts below are final.
        if arrived == expected and set(statuses) == {"SUCCEEDED"}:
            break
        if time.perf_counter() > deadline:
            print(f"gave up waiting: deliveries by status {statuses}, {len(arrived)}/{len(expected)} arrived")
            break
        await asyncio.sleep(0.5)
    last = max((arrival.at for arrival in receiver.arrivals if arrival.po_number in expected), default=up)
    times = Counter(arrival.webhook_id for arrival in receiver.arrivals if arrival.po_number in expected)
    once = sum(1 for count in times.values() if count == 1)
    repeated = sum(1 for count in times.values() if count > 1)
    return len(placed), once, repeated, last - up


async def benchmark(
    system: BenchSystem, seeded: Seeded, receiver: Receiver, options: argparse.Namespace
) -> list[Figure]:
    async with aiohttp.ClientSession(
        system.gateway_url,
        connector=aiohttp.TCPConnector(limit=100),
        headers={"Authorization": f"Bearer {seeded.api_key}"},
        timeout=aiohttp.ClientTimeout(total=30),
    ) as session:
        placer = Placer(session, seeded.product_id, receiver)
        await placer.first_order()
        for _ in range(options.warmup):
            await placer.delivered_ms()
        await wait_until_quiet(system)
        counters_before = cpu_times()

        timed = [await placer.delivered_ms() for _ in range(options.sequential)]
        one, one_after_201 = [from_sent for from_sent, _ in timed], [from_answer for _, from_answer in timed]
        print(f"one at a time: {len(one)} orders delivered", flush=True)
        placed = await paced(placer, options.rate, options.seconds)
        loaded, loaded_after_201 = await latencies_ms(receiver, placed, within=120)
        steal = steal_share(counters_before, cpu_times())
        print(f"under load: {len(loaded)} orders delivered", flush=True)

        down_placed, down_once, down_repeated, settle = await outage(system, seeded, placer, receiver, options)

    every = Counter(arrival.webhook_id for arrival in receiver.arrivals)
    repeated_overall = sum(1 for count in every.values() if count > 1)
    sequential_figures = Figures("one", one, sum(one) / 1000)
    load_figures = Figures("20/s", loaded, options.seconds)
    missing = down_placed - down_once - down_repeated
    print()
    print(f"{os.cpu_count()} CPUs; CPU time stolen by the hypervisor while measuring latency: {steal}")
    print(f"order sent -> signed delivery received, one at a time: {_spread(sequential_figures)}")
    print(f"  of which from the 201 to the delivery: {_spread(Figures('', one_after_201, 1))}")
    print(f"the same at {options.rate:g} orders/s for {options.seconds:.0f} s: {_spread(load_figures)}")
    print(f"  of which from the 201 to the delivery: {_spread(Figures('', loaded_after_201, 1))}")
    print(
        f"receiver down {options.down_seconds:.0f} s: {down_placed} orders, {down_once} delivered once, "
        f"{down_repeated} more than once, {missing} missing; the last arrived {settle:.1f} s after it came back"
    )
    print(f"signatures refused by standardwebhooks: {receiver.unverified}")
    print(f"deliveries received more than once over the whole run: {repeated_overall}")
    return [
        Figure(BENCHMARK, "delivery p50, one order at a time", sequential_figures.percentile(0.5), "ms"),
        Figure(BENCHMARK, "delivery p95, one order at a time", sequential_figures.percentile(0.95), "ms"),
        Figure(BENCHMARK, f"delivery p50, {options.rate:g} orders/s", load_figures.percentile(0.5), "ms"),
        Figure(
            BENCHMARK,
            f"delivery p95, {options.rate:g} orders/s",
            load_figures.percentile(0.95),
            "ms",
            P95_UNDER_LOAD_TARGET_MS,
            False,
            note=f"max {max(loaded):.0f} ms",
        ),
        Figure(
            BENCHMARK,
            f"after {options.down_seconds:.0f} s down: not delivered exactly once",
            missing + down_repeated,
            "deliveries",
            0,
            False,
            note=f"{down_once} of {down_placed} once, last {settle:.0f} s after up",
            whole=True,
        ),
        Figure(BENCHMARK, "signatures refused", receiver.unverified, "requests", 0, False, whole=True),
    ]


def _spread(figures: Figures) -> str:
    return (
        f"{len(figures.latencies_ms)} orders, p50 {figures.percentile(0.5):.0f} ms, "
        f"p95 {figures.percentile(0.95):.0f} ms, p99 {figures.percentile(0.99):.0f} ms, "
        f"mean {statistics.fmean(figures.latencies_ms):.0f} ms, max {max(figures.latencies_ms):.0f} ms"
    )


async def run(options: argparse.Namespace) -> list[Figure]:
    env = {"WEBHOOKS_ALLOWED_NETWORKS": LOOPBACK}
    if options.retry_schedule:
        env["WEBHOOKS_RETRY_SCHEDULE_SECONDS"] = json.dumps(json.loads(options.retry_schedule))
    receiver = Receiver()
    await receiver.start()
    try:
        async with bench_system(options.postgres, env) as system:
            print("seeding...", flush=True)
            seeded = await seed(system.gateway_url, receiver)
            return await benchmark(system, seeded, receiver, options)
    finally:
        await receiver.stop()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL server URL without a database")
    parser.add_argument("--warmup", type=int, default=20, help="orders delivered before measuring")
    parser.add_argument("--sequential", type=int, default=100, help="orders placed one at a time")
    parser.add_argument("--rate", type=float, default=20.0, help="orders per second under load")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of orders under load")
    parser.add_argument("--down-seconds", type=float, default=60.0, help="seconds the receiver is down")
    parser.add_argument("--down-rate", type=float, default=2.0, help="orders per second while it is down")
    parser.add_argument(
        "--retry-schedule",
        default="",
        help="WEBHOOKS_RETRY_SCHEDULE_SECONDS for the run, a JSON list (default: the service's, 5 s, 5 min, ...)",
    )
    parser.add_argument(
        "--settle-timeout", type=float, default=600.0, help="seconds to wait for the outage's deliveries once it is up"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webhook_delivery", description=__doc__.splitlines()[0])
    add_arguments(parser)
    print_figures(BENCHMARK, asyncio.run(run(parser.parse_args(argv))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
