"""Storefront catalog pages through the gateway, side by side with the same request made to catalog directly.

Starts the full topology (one process per service, the relays and the gateway) on fresh databases
and its own broker namespace, seeds a company on the Scale plan with 10,000 products and a customer
with 1,000 price overrides, signs a contact of that customer in at the storefront, then asks for
50-item catalog pages with effective prices, one client at a time:

- through the gateway: `GET /store/{slug}/api/products` with the storefront session cookie;
- directly: `GET /storefront/products` on the catalog service with the signed context the gateway
  would forward.

Both walk the same pages, alternating in rounds so they share the machine's conditions. It prints
latency percentiles and throughput for each, and the targets (gateway p95 <= 15 ms; gateway
throughput >= 60% of direct). Everything it created is removed at the end.
"""

import argparse
import asyncio
import csv
import io
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from deploy.components import SERVICES
from deploy.local import Topology, ensure_databases, free_port
from gateway.csrf import CSRF_COOKIE, CSRF_HEADER
from kit.bus import delete_namespace
from kit.context import CONTEXT_HEADER, ContextSigner, Principal, RequestContext
from kit.settings import PlatformSettings

PRODUCTS = 10_000
OVERRIDES = 1_000
PAGE_SIZE = 50
PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway account on databases the bench drops
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


async def seed(base_url: str) -> Seeded:
    tag = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as owner:
        account = await expect(
            owner.post(
                "/api/v1/signup",
                json={
                    "companyName": f"Bench Wholesale {tag}",
                    "name": "Bench Owner",
                    "email": f"owner-{tag}@example.com",
                    "password": PASSWORD,
                },
            ),
            201,
            "signup",
        )
        owner.headers[CSRF_HEADER] = owner.cookies[CSRF_COOKIE]
        await expect(owner.post("/api/v1/subscription", json={"planCode": "scale"}), 200, "plan change")
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


async def measure(
    name: str, get: Callable[[str | None], Awaitable[httpx.Response]], cursors: list[str | None], rounds: int
) -> tuple[list[float], float]:
    latencies: list[float] = []
    started = time.perf_counter()
    for index in range(rounds):
        cursor = cursors[index % len(cursors)]
        before = time.perf_counter()
        response = await get(cursor)
        latencies.append((time.perf_counter() - before) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{name}: {response.status_code} {response.text[:300]}")
    return latencies, time.perf_counter() - started


async def benchmark(topology: Topology, seeded: Seeded, secret: str, requests: int, warmup: int) -> None:
    store_path = f"/store/{seeded.slug}/api/products"
    signer = ContextSigner(secret)
    principal = Principal(type="contact", id=seeded.contact_id, role="BUYER", customer_id=seeded.customer_id)

    def signed_context() -> str:
        context = RequestContext(
            company_id=seeded.company_id, principal=principal, client_ip="127.0.0.1", request_id=uuid.uuid4().hex
        )
        return signer.sign(context, "catalog")

    limits = httpx.Limits(max_keepalive_connections=1, max_connections=1)
    async with (
        httpx.AsyncClient(base_url=topology.gateway_url, limits=limits, timeout=30) as gateway,
        httpx.AsyncClient(base_url=topology.service_url("catalog"), limits=limits, timeout=30) as catalog,
    ):
        gateway.cookies.set("distribu_store_session", seeded.store_cookie, path=f"/store/{seeded.slug}")
        cursors = await page_cursors(gateway, store_path, pages=40)
        sample = (await gateway.get(store_path, params={"limit": PAGE_SIZE})).json()
        custom = sum(1 for item in sample["items"] if item["hasCustomPrice"])
        print(f"pages: {len(cursors)} distinct, {PAGE_SIZE} items each; first page has {custom} override prices")

        token, signed_at = signed_context(), time.monotonic()

        def context_header() -> dict[str, str]:
            # A context lives 60 s; the gateway signs one per request, a direct caller may reuse one briefly.
            nonlocal token, signed_at
            if time.monotonic() - signed_at > 20:
                token, signed_at = signed_context(), time.monotonic()
            return {CONTEXT_HEADER: token}

        async def through_gateway(cursor: str | None) -> httpx.Response:
            params: dict[str, str | int] = {"limit": PAGE_SIZE, **({"cursor": cursor} if cursor else {})}
            return await gateway.get(store_path, params=params)

        async def direct(cursor: str | None) -> httpx.Response:
            params: dict[str, str | int] = {"limit": PAGE_SIZE, **({"cursor": cursor} if cursor else {})}
            return await catalog.get("/storefront/products", params=params, headers=context_header())

        await measure("warm-up", through_gateway, cursors, warmup)
        await measure("warm-up", direct, cursors, warmup)

        results: dict[str, tuple[list[float], float]] = {"gateway": ([], 0.0), "direct": ([], 0.0)}
        block = 100
        for start in range(0, requests, block):
            size = min(block, requests - start)
            for name, get in (("gateway", through_gateway), ("direct", direct)):
                latencies, elapsed = await measure(name, get, cursors[start % len(cursors) :] + cursors, size)
                total, seconds = results[name]
                results[name] = (total + latencies, seconds + elapsed)

    figures = {name: Figures(name, latencies, elapsed) for name, (latencies, elapsed) in results.items()}
    gateway_figures, direct_figures = figures["gateway"], figures["direct"]
    ratio = gateway_figures.throughput / direct_figures.throughput
    p95 = gateway_figures.percentile(0.95)
    print()
    print(
        f"Storefront catalog page ({PAGE_SIZE} items, effective prices), one client, {PRODUCTS:,} products, "
        f"{OVERRIDES:,} overrides for the signed-in contact's customer"
    )
    print(gateway_figures.line())
    print(direct_figures.line())
    print(f"gateway p95 {p95:.2f} ms (target <= {P95_TARGET_MS:.0f} ms): {'met' if p95 <= P95_TARGET_MS else 'MISSED'}")
    print(
        f"gateway throughput {ratio:.0%} of direct (target >= {THROUGHPUT_TARGET:.0%}): "
        f"{'met' if ratio >= THROUGHPUT_TARGET else 'MISSED'}"
    )


async def drop_databases(urls: list[str]) -> None:
    for raw in urls:
        url = make_url(raw)
        engine = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        finally:
            await engine.dispose()


async def run(requests: int, warmup: int, postgres: str) -> None:
    token = secrets.token_hex(4)
    platform = PlatformSettings()
    namespace = f"bench-{token}"
    urls = {service: f"{postgres.rstrip('/')}/bench_{token}_{service}" for service in SERVICES}
    secret = secrets.token_urlsafe(48)
    await ensure_databases(urls.values())
    log_dir = Path(tempfile.mkdtemp(prefix="distribu-bench-"))
    topology = Topology(
        {
            "DISTRIBU_NAMESPACE": namespace,
            "DISTRIBU_INTERNAL_SECRET": secret,
            "DISTRIBU_LOG_LEVEL": "WARNING",
            **{f"{service.upper()}_DATABASE_URL": url for service, url in urls.items()},
        },
        ports={name: free_port() for name in ("gateway", *SERVICES)},
        log_dir=log_dir,
    )
    topology.start()
    try:
        await asyncio.to_thread(topology.wait_ready, 120.0)
        print(f"full topology up (logs in {log_dir}); seeding...", flush=True)
        seeded = await seed(topology.gateway_url)
        await benchmark(topology, seeded, secret, requests, warmup)
    finally:
        await asyncio.to_thread(topology.stop)
        await drop_databases(list(urls.values()))
        await delete_namespace(platform.broker_url, namespace, SERVICES, len(platform.consumer_retry_delays))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.storefront_catalog", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per side (default 2000)")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured requests per side first (default 200)")
    parser.add_argument(
        "--postgres",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432",
        help="PostgreSQL server URL without a database; the bench creates and drops its own",
    )
    args = parser.parse_args(argv)
    asyncio.run(run(args.requests, args.warmup, args.postgres))
    return 0


if __name__ == "__main__":
    sys.exit(main())
