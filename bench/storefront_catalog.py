"""Storefront catalog pages through the gateway, side by side with the same request made to catalog directly.

Starts the full topology (one process per service, the relays and the gateway) on fresh databases
and its own broker namespace, seeds a company on the Scale plan with 10,000 products and a customer
with 1,000 price overrides, signs a contact of that customer in at the storefront, waits until every
event of the seeding has been relayed and consumed and vacuums the databases, then asks for 50-item
catalog pages with effective prices:

- through the gateway: `GET /store/{slug}/api/products` with the storefront session cookie;
- directly: `GET /storefront/products` on the catalog service with the signed context the gateway
  would forward.

Latency is measured at one client, throughput with several clients at once (a server's throughput
is what it serves when kept busy). Both sides walk the same pages, alternating in rounds so they
share the machine's conditions. It prints the figures and the targets (gateway p95 <= 15 ms at one
client; gateway throughput >= 60% of direct). Everything it created is removed at the end.
"""

import argparse
import asyncio
import csv
import io
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
import httpx

from bench.support import (
    DEFAULT_POSTGRES,
    SCALE_PLAN,
    Figure,
    bench_system,
    cpu_times,
    print_figures,
    settle_databases,
    steal_share,
    wait_until_quiet,
)
from deploy.local import Topology
from gateway.csrf import CSRF_COOKIE, CSRF_HEADER
from kit.context import CONTEXT_HEADER, ContextSigner, Principal, RequestContext

PRODUCTS = 10_000
OVERRIDES = 1_000
PAGE_SIZE = 50
PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway account on databases the bench drops
BENCHMARK = "storefront catalog"
P95_TARGET_MS = 15.0
THROUGHPUT_TARGET = 0.60


@dataclass
class Seeded:
    slug: str
    company_id: uuid.UUID
    customer_id: uuid.UUID
    contact_id: uuid.UUID
    store_cookie: str


@dataclass
class Figures:
    name: str
    latencies_ms: list[float]
    elapsed_s: float

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.elapsed_s

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]

    def line(self) -> str:
        return (
            f"{self.name:<9} requests {len(self.latencies_ms):>5}   "
            f"p50 {self.percentile(0.50):6.2f} ms   p95 {self.percentile(0.95):6.2f} ms   "
            f"p99 {self.percentile(0.99):6.2f} ms   mean {statistics.fmean(self.latencies_ms):6.2f} ms   "
            f"{self.throughput:7.1f} req/s"
        )


def products_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["sku", "name", "description", "unitPrice", "unitOfSale", "status", "category", "imageUrl"])
    for number in range(PRODUCTS):
        price = Decimal(100 + number % 9_000) / 100
        category = f"Category {number % 25:02d}"
        writer.writerow(
            [f"SKU-{number:05d}", f"Product {number:05d}", "Bench item", price, "each", "ACTIVE", category, ""]
        )
    return out.getvalue().encode()


async def expect(response: Awaitable[httpx.Response], status: int, what: str) -> dict[str, Any]:
    answer = await response
    if answer.status_code != status:
        raise RuntimeError(f"{what}: {answer.status_code} {answer.text[:500]}")
    body: dict[str, Any] = answer.json() if answer.content else {}
    return body


async def open_scale_company(owner: httpx.AsyncClient, name: str, tag: str) -> dict[str, Any]:
    """Sign a company up through `owner` (then signed in as its owner) and put it on the Scale plan (no limits)."""
    account = await expect(
        owner.post(
            "/api/v1/signup",
            json={
                "companyName": f"{name} {tag}",
                "name": "Bench Owner",
                "email": f"owner-{tag}@example.com",
                "password": PASSWORD,
            },
        ),
        201,
        "signup",
    )
    owner.headers[CSRF_HEADER] = owner.cookies[CSRF_COOKIE]
    await expect(owner.post("/api/v1/subscription", json=SCALE_PLAN), 200, "plan change")
    return account


async def seed(base_url: str) -> Seeded:
    tag = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as owner:
        account = await open_scale_company(owner, "Bench Wholesale", tag)
        slug = account["company"]["slug"]
        customer = await expect(
            owner.post("/api/v1/customers", json={"email": f"buyer-{tag}@example.com", "name": "Bench Diner"}),
            201,
            "customer",
        )
        contact = await expect(
            owner.post(
                f"/api/v1/customers/{customer['id']}/contacts",
                json={"email": f"clerk-{tag}@example.com", "name": "Bench Clerk", "role": "BUYER"},
            ),
            201,
            "contact",
        )
        started = time.perf_counter()
        await wait_for_plan(owner)
        imported = await expect(
            owner.post("/api/v1/products/import", content=products_csv(), headers={"Content-Type": "text/csv"}),
            200,
            "import",
        )
        print(f"imported {imported} in {time.perf_counter() - started:.1f} s", flush=True)
        # Every tenth product, so each catalog page holds some of the customer's own prices.
        product_ids = (await all_product_ids(owner))[:: PRODUCTS // OVERRIDES]
        await set_overrides(owner, customer["id"], product_ids)

    async with httpx.AsyncClient(base_url=base_url, timeout=30) as store:
        body = {"email": contact["email"], "password": PASSWORD, "confirmPassword": PASSWORD}
        await expect(store.post(f"/store/{slug}/api/setup-password", json=body), 200, "setup password")
        login = {"email": contact["email"], "password": PASSWORD}
        await expect(store.post(f"/store/{slug}/api/login", json=login), 200, "storefront login")
        cookie = store.cookies["distribu_store_session"]
    return Seeded(
        slug, uuid.UUID(account["company"]["id"]), uuid.UUID(customer["id"]), uuid.UUID(contact["id"]), cookie
    )


async def wait_for_plan(owner: httpx.AsyncClient) -> None:
    """Catalog learns the Scale plan's limits from identity's event; wait until it has."""
    for _ in range(200):
        limits = (await owner.get("/api/v1/catalog/limits")).json()
        if limits.get("maxProducts", 0) is None:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("catalog never learned the Scale plan's limits")


async def all_product_ids(owner: httpx.AsyncClient) -> list[str]:
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = await expect(owner.get("/api/v1/products", params=params), 200, "product list")
        ids += [item["id"] for item in page["items"]]
        cursor = page["nextCursor"]
        if not cursor:
            return ids


async def set_overrides(owner: httpx.AsyncClient, customer_id: str, product_ids: list[str]) -> None:
    started = time.perf_counter()
    # Catalog learns the customer from identity's event: the first override waits for it.
    for _ in range(200):
        first = await owner.post(
            "/api/v1/price-overrides",
            json={"customerId": customer_id, "productId": product_ids[0], "unitPrice": "1.00"},
        )
        if first.status_code == 201:
            break
        await asyncio.sleep(0.1)
    else:
        raise RuntimeError(f"catalog never learned the customer: {first.status_code} {first.text}")
    for start in range(1, len(product_ids), 20):
        batch = product_ids[start : start + 20]
        await asyncio.gather(
            *(
                expect(
                    owner.post(
                        "/api/v1/price-overrides",
                        json={"customerId": customer_id, "productId": product_id, "unitPrice": "1.00"},
                    ),
                    201,
                    "override",
                )
                for product_id in batch
            )
        )
    print(f"set {len(product_ids)} price overrides in {time.perf_counter() - started:.1f} s", flush=True)


async def page_cursors(client: httpx.AsyncClient, path: str, pages: int) -> list[str | None]:
    """The cursors of the first `pages` pages, so both runs ask for exactly the same pages."""
    cursors: list[str | None] = [None]
    while len(cursors) < pages:
        params: dict[str, str | int] = {"limit": PAGE_SIZE}
        if cursors[-1]:
            params["cursor"] = str(cursors[-1])
        body = await expect(client.get(path, params=params), 200, "cursor walk")
        if not body["nextCursor"]:
            break
        cursors.append(body["nextCursor"])
    return cursors


Fetch = Callable[[str | None], Awaitable[int]]


async def measure(name: str, fetch: Fetch, cursors: list[str | None], rounds: int) -> tuple[list[float], float]:
    """`rounds` requests one after another: each one's latency, and the time they took together."""
    latencies: list[float] = []
    started = time.perf_counter()
    for index in range(rounds):
        cursor = cursors[index % len(cursors)]
        before = time.perf_counter()
        status = await fetch(cursor)
        latencies.append((time.perf_counter() - before) * 1000)
        if status != 200:
            raise RuntimeError(f"{name}: answered {status}")
    return latencies, time.perf_counter() - started


async def saturate(name: str, fetch: Fetch, cursors: list[str | None], clients: int, seconds: float) -> int:
    """`clients` callers at once, each asking again as soon as answered, for `seconds`: requests answered."""
    deadline = time.perf_counter() + seconds
    answered = 0

    async def caller(offset: int) -> None:
        nonlocal answered
        index = offset
        while time.perf_counter() < deadline:
            status = await fetch(cursors[index % len(cursors)])
            if status != 200:
                raise RuntimeError(f"{name}: answered {status}")
            answered += 1
            index += 1

    await asyncio.gather(*(caller(offset * 7) for offset in range(clients)))
    return answered


@dataclass
class Side:
    """One way to the catalog page: its kept-alive connections and how to ask for a page."""

    name: str
    session: aiohttp.ClientSession
    path: str
    headers: Callable[[], dict[str, str]]

    async def fetch(self, cursor: str | None) -> int:
        params = {"limit": str(PAGE_SIZE), **({"cursor": cursor} if cursor else {})}
        async with self.session.get(self.path, params=params, headers=self.headers()) as response:
            await response.read()
            return response.status


async def benchmark(topology: Topology, seeded: Seeded, secret: str, options: argparse.Namespace) -> list[Figure]:
    store_path = f"/store/{seeded.slug}/api/products"
    signer = ContextSigner(secret)
    principal = Principal(type="contact", id=seeded.contact_id, role="BUYER", customer_id=seeded.customer_id)

    async with httpx.AsyncClient(base_url=topology.gateway_url, timeout=30) as walker:
        walker.cookies.set("distribu_store_session", seeded.store_cookie, path=f"/store/{seeded.slug}")
        cursors = await page_cursors(walker, store_path, pages=40)
        sample = (await walker.get(store_path, params={"limit": PAGE_SIZE})).json()
    custom = sum(1 for item in sample["items"] if item["hasCustomPrice"])
    print(f"pages: {len(cursors)} distinct, {PAGE_SIZE} items each; first page has {custom} override prices")

    def signed_context() -> str:
        context = RequestContext(
            company_id=seeded.company_id, principal=principal, client_ip="127.0.0.1", request_id=uuid.uuid4().hex
        )
        return signer.sign(context, "catalog")

    token, signed_at = signed_context(), time.monotonic()

    def context_header() -> dict[str, str]:
        # A context lives 60 s; the gateway signs one per request, a direct caller may reuse one briefly.
        nonlocal token, signed_at
        if time.monotonic() - signed_at > 20:
            token, signed_at = signed_context(), time.monotonic()
        return {CONTEXT_HEADER: token}

    # aiohttp with kept-alive connections (one per client): a lean client, so the figures are the
    # servers' time rather than the client's own (httpx spends milliseconds of CPU per call here).
    async with (
        aiohttp.ClientSession(
            topology.gateway_url,
            connector=aiohttp.TCPConnector(limit=options.clients),
            cookies={"distribu_store_session": seeded.store_cookie},
            timeout=aiohttp.ClientTimeout(total=30),
        ) as to_gateway,
        aiohttp.ClientSession(
            topology.service_url("catalog"),
            connector=aiohttp.TCPConnector(limit=options.clients),
            timeout=aiohttp.ClientTimeout(total=30),
        ) as to_catalog,
    ):
        sides = [
            Side("gateway", to_gateway, store_path, dict),
            Side("direct", to_catalog, "/storefront/products", context_header),
        ]
        for side in sides:
            await measure("warm-up", side.fetch, cursors, options.warmup)
        counters_before = cpu_times()

        # Latency at one client, in alternating blocks.
        latencies: dict[str, tuple[list[float], float]] = {side.name: ([], 0.0) for side in sides}
        block = 100
        for start in range(0, options.requests, block):
            size = min(block, options.requests - start)
            walk = cursors[start % len(cursors) :] + cursors
            for side in sides:
                measured, elapsed = await measure(side.name, side.fetch, walk, size)
                total, seconds = latencies[side.name]
                latencies[side.name] = (total + measured, seconds + elapsed)

        # Throughput with several clients at once, in alternating rounds.
        answered = {side.name: 0 for side in sides}
        rounds = 4
        for _ in range(rounds):
            for side in sides:
                answered[side.name] += await saturate(
                    side.name, side.fetch, cursors, options.clients, options.seconds / rounds
                )

    steal = steal_share(counters_before, cpu_times())
    gateway, direct = (Figures(name, *latencies[name]) for name in ("gateway", "direct"))
    p95 = gateway.percentile(0.95)
    rate = {name: count / options.seconds for name, count in answered.items()}
    ratio = rate["gateway"] / rate["direct"]
    print()
    print(
        f"Storefront catalog page ({PAGE_SIZE} items, effective prices), {PRODUCTS:,} products, "
        f"{OVERRIDES:,} overrides for the signed-in contact's customer"
    )
    print(f"{os.cpu_count()} CPUs; CPU time stolen by the hypervisor while measuring: {steal}")
    print("latency, one client:")
    print(f"  {gateway.line()}")
    print(f"  {direct.line()}")
    print(f"throughput, {options.clients} clients at once for {options.seconds:.0f} s per side:")
    for name in ("gateway", "direct"):
        print(f"  {name:<9} requests {answered[name]:>6}   {rate[name]:7.1f} req/s")
    hop = statistics.fmean(gateway.latencies_ms) - statistics.fmean(direct.latencies_ms)
    print(
        f"(at one client the gateway's hop adds {hop:.2f} ms to each request: "
        f"{gateway.throughput / direct.throughput:.0%} of direct's rate)"
    )
    return [
        Figure(BENCHMARK, "storefront page p95, one client, via gateway", p95, "ms", P95_TARGET_MS, False),
        Figure(BENCHMARK, "storefront page p95, one client, direct", direct.percentile(0.95), "ms"),
        Figure(
            BENCHMARK,
            f"storefront pages, {options.clients} clients, via gateway",
            rate["gateway"],
            "req/s",
            note=f"direct {rate['direct']:,.0f} req/s",
        ),
        Figure(BENCHMARK, "gateway throughput share of direct", ratio * 100, "%", THROUGHPUT_TARGET * 100),
    ]


async def run(options: argparse.Namespace) -> list[Figure]:
    async with bench_system(options.postgres) as system:
        print("seeding...", flush=True)
        seeded = await seed(system.gateway_url)
        waited = await wait_until_quiet(system)
        print(f"every service had consumed the seeding's events {waited:.1f} s later", flush=True)
        await settle_databases(system.database_urls.values())
        return await benchmark(system.topology, seeded, system.internal_secret, options)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--requests", type=int, default=2000, help="one-client requests per side (default 2000)")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured requests per side first (default 200)")
    parser.add_argument("--clients", type=int, default=8, help="clients at once for throughput (default 8)")
    parser.add_argument("--seconds", type=float, default=12.0, help="throughput seconds per side (default 12)")
    parser.add_argument(
        "--postgres",
        default=DEFAULT_POSTGRES,
        help="PostgreSQL server URL without a database; the bench creates and drops its own",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.storefront_catalog", description=__doc__.splitlines()[0])
    add_arguments(parser)
    figures = asyncio.run(run(parser.parse_args(argv)))
    print_figures("Storefront catalog page", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
