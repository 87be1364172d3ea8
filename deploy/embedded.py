"""Embedded mode: the gateway and every service in one process, with nothing to install.

Each service keeps its own SQLite file under the data directory and runs its own migrations; events
travel over one in-process bus, and an in-process Redis stand-in holds sessions and the storefront
directory. The service code is the same as in full mode; only the transports differ.
"""

import argparse
import asyncio
import contextlib
import importlib
import inspect
import logging
import os
import secrets
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import fakeredis
import httpx
import uvicorn
import uvloop
from fakeredis import aioredis
from fastapi import FastAPI
from pydantic import SecretStr

from deploy.components import SEALING_KEYS, SERVICES, local_sealing_keys, service_settings_class
from gateway.app import create_app as create_gateway_app
from gateway.csrf import CSRF_COOKIE, CSRF_HEADER
from gateway.settings import GatewaySettings
from kit.bus import ConsumerLimits, InProcessBus, OutgoingMessage
from kit.logging import configure_logging
from kit.settings import PlatformSettings

logger = logging.getLogger(__name__)

DEMO_COMPANY = "Demo Distributors"
DEMO_NAME = "Dana Demo"
DEMO_EMAIL = "demo@example.com"
# Fixed and documented on purpose: the data directory outlives restarts, and so does this sign-in.
DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - a public demo account, printed at start
# The demo company's customer, signed in at the storefront with the same password.
DEMO_CUSTOMER = "Demo Diner"
DEMO_CUSTOMER_EMAIL = "buyer@example.com"
# A small catalog (sku, name, category, unit of sale, list price), and the demo customer's own price for the first.
DEMO_PRODUCTS = [
    ("COF-1KG", "House espresso beans", "Coffee", "1 kg bag", "18.50"),
    ("COF-DECAF", "Decaf espresso beans", "Coffee", "1 kg bag", "19.90"),
    ("TEA-EARL", "Earl Grey tea", "Tea", "box of 100", "9.80"),
    ("CUP-8OZ", "Paper cups, 8 oz", "Disposables", "case of 1000", "42.00"),
    ("LID-8OZ", "Lids for 8 oz cups", "Disposables", "case of 1000", "21.00"),
    ("MLK-OAT", "Oat milk, barista", "Dairy & alternatives", "case of 6", "16.20"),
]
DEMO_CUSTOM_PRICE = "16.00"
# The demo customer's address, and its first order (sku, quantity), so the orders pages are not empty.
DEMO_ADDRESS = {
    "label": "Café",
    "line1": "12 Market Street",
    "city": "Springfield",
    "region": "IL",
    "postalCode": "62704",
    "country": "US",
}
DEMO_ORDER = [("COF-1KG", 4), ("CUP-8OZ", 1), ("LID-8OZ", 1)]


class StartupGatedBus(InProcessBus):
    """An in-process bus that holds publishes until every service has subscribed.

    Services start one after another and each starts its outbox relay at once; without the gate,
    events left in an outbox by the previous run could go out before their consumers listen.
    """

    def __init__(self, retry_delays: list[float], limits: ConsumerLimits | None = None) -> None:
        super().__init__(retry_delays, limits)
        self._open = asyncio.Event()

    def open(self) -> None:
        self._open.set()

    async def publish(self, message: OutgoingMessage) -> None:
        await self._open.wait()
        await super().publish(message)


def sqlite_url(data_dir: Path, service: str) -> str:
    return f"sqlite+aiosqlite:///{(data_dir / f'{service}.db').resolve()}"


def _create_service_app(
    service: str, data_dir: Path, platform: PlatformSettings, bus: InProcessBus, redis_server: fakeredis.FakeServer
) -> FastAPI:
    create_app = importlib.import_module(f"services.{service}.app").create_app
    settings = service_settings_class(service)(database_url=sqlite_url(data_dir, service))
    # Each service's relay and worker run inside its app, on the shared in-process bus.
    options: dict[str, Any] = {"bus": bus, "run_relay": True, "run_worker": True}
    if "redis" in inspect.signature(create_app).parameters:
        options["redis"] = aioredis.FakeRedis(server=redis_server)
    app: FastAPI = create_app(settings, platform, **options)
    return app


def _create_gateway_app(
    public_url: str,
    host: str,
    port: int,
    platform: PlatformSettings,
    services: dict[str, FastAPI],
    redis_server: fakeredis.FakeServer,
) -> FastAPI:
    settings = GatewaySettings(public_url=public_url, host=host, port=port)
    transports: dict[str, httpx.AsyncBaseTransport] = {
        name: httpx.ASGITransport(app=app) for name, app in services.items()
    }
    # The gateway's own Redis client decodes replies; identity's does not. One FakeServer backs both.
    redis = aioredis.FakeRedis(server=redis_server, decode_responses=True)
    return create_gateway_app(settings, platform, transports=transports, redis=redis)


@contextlib.asynccontextmanager
async def running_system(data_dir: Path, host: str, port: int) -> AsyncIterator[tuple[FastAPI, str]]:
    """Start every service and the gateway in this event loop; yields the gateway app and its public URL."""
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    public_url = f"http://{host}:{port}"
    # A fresh secret each start: nothing outside this process ever has to verify an internal context.
    platform = PlatformSettings(internal_secret=SecretStr(secrets.token_urlsafe(48)))
    bus = StartupGatedBus(platform.consumer_retry_delays, ConsumerLimits.from_settings(platform))
    redis_server = fakeredis.FakeServer()
    async with contextlib.AsyncExitStack() as stack:
        services: dict[str, FastAPI] = {}
        for service in SERVICES:
            app = _create_service_app(service, data_dir, platform, bus, redis_server)
            await stack.enter_async_context(app.router.lifespan_context(app))
            services[service] = app
        # Consumers stop first, while the databases they write to are still open.
        stack.push_async_callback(bus.close)
        bus.open()
        gateway = _create_gateway_app(public_url, host, port, platform, services, redis_server)
        await stack.enter_async_context(gateway.router.lifespan_context(gateway))
        yield gateway, public_url


async def seed_demo_company(gateway: FastAPI, public_url: str) -> str:
    """Sign the demo distributor up through the public API unless it exists, with a customer who can
    sign in at the storefront; returns its storefront slug."""
    transport = httpx.ASGITransport(app=gateway)
    async with httpx.AsyncClient(transport=transport, base_url=public_url, headers={"Origin": public_url}) as client:
        login = await client.post("/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        if login.status_code == httpx.codes.OK:
            return str(login.json()["company"]["slug"])
        signup = await client.post(
            "/api/v1/signup",
            json={"companyName": DEMO_COMPANY, "name": DEMO_NAME, "email": DEMO_EMAIL, "password": DEMO_PASSWORD},
        )
        _expect(signup, httpx.codes.CREATED, "the demo company")
        slug = str(signup.json()["company"]["slug"])
        client.headers[CSRF_HEADER] = client.cookies[CSRF_COOKIE]
        customer = await client.post("/api/v1/customers", json={"email": DEMO_CUSTOMER_EMAIL, "name": DEMO_CUSTOMER})
        _expect(customer, httpx.codes.CREATED, "the demo customer")
        password = {"email": DEMO_CUSTOMER_EMAIL, "password": DEMO_PASSWORD, "confirmPassword": DEMO_PASSWORD}
        _expect(await client.post(f"/store/{slug}/api/setup-password", json=password), httpx.codes.OK, "its password")
        customer_id = str(customer.json()["id"])
        product_ids = await _seed_catalog(client, customer_id)
        await _seed_order(client, customer_id, product_ids)
        return slug


async def _seed_catalog(client: httpx.AsyncClient, customer_id: str) -> dict[str, str]:
    """Products and one customer price; catalog hears of the new company and customer a moment after signup.
    Returns the products' ids by SKU."""
    product_ids: dict[str, str] = {}
    for sku, name, category, unit, price in DEMO_PRODUCTS:
        body = {"sku": sku, "name": name, "category": category, "unitOfSale": unit, "unitPrice": price}
        response = await _post_when_known(client, "/api/v1/products", body)
        _expect(response, httpx.codes.CREATED, f"the demo product {sku}")
        product_ids[sku] = str(response.json()["id"])
    first = product_ids[DEMO_PRODUCTS[0][0]]
    override = {"customerId": customer_id, "productId": first, "unitPrice": DEMO_CUSTOM_PRICE}
    response = await _post_when_known(client, "/api/v1/price-overrides", override)
    _expect(response, httpx.codes.CREATED, "the demo customer's price")
    return product_ids


async def _seed_order(client: httpx.AsyncClient, customer_id: str, product_ids: dict[str, str]) -> None:
    """The customer's address and a first order to it; orders hears of them a moment after they are made."""
    response = await client.post(f"/api/v1/customers/{customer_id}/addresses", json=DEMO_ADDRESS)
    _expect(response, httpx.codes.CREATED, "the demo customer's address")
    order = {
        "customerId": customer_id,
        "shippingAddressId": str(response.json()["id"]),
        "poNumber": "PO-1001",
        "items": [{"productId": product_ids[sku], "quantity": quantity} for sku, quantity in DEMO_ORDER],
    }
    response = await _post_when_known(client, "/api/v1/orders", order, also_retry=(httpx.codes.UNPROCESSABLE_ENTITY,))
    _expect(response, httpx.codes.CREATED, "the demo order")


async def _post_when_known(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], *, also_retry: tuple[int, ...] = ()
) -> httpx.Response:
    """POST, retrying while the service has not yet heard of the company (503), the customer (404) or, for an
    order, its products and address (422)."""
    retried = (httpx.codes.SERVICE_UNAVAILABLE, httpx.codes.NOT_FOUND, *also_retry)
    for _ in range(100):
        response = await client.post(path, json=body)
        if response.status_code not in retried:
            return response
        await asyncio.sleep(0.1)
    return response


def _expect(response: httpx.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise RuntimeError(f"could not seed {what}: {response.status_code} {response.text}")


def _bind(host: str, port: int) -> socket.socket:
    """Bind before anything starts, so a busy port fails fast with a plain message."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise SystemExit(
            f"Cannot listen on {host}:{port}: {error.strerror}. Pass --port to use another port."
        ) from None
    # Listening now queues early connections until uvicorn accepts them.
    sock.listen(2048)
    return sock


def _banner(public_url: str, slug: str | None) -> str:
    lines = [
        "",
        "Distribu is running (embedded mode: one process, SQLite, in-process bus and Redis).",
        "",
        f"  Dashboard     {public_url}/dashboard",
        f"  Sign up       {public_url}/signup",
    ]
    if slug is not None:
        lines.append(f"  Storefront    {public_url}/store/{slug}")
    lines.append(f"  API docs      {public_url}/api/docs")
    if slug is not None:
        lines += [
            "",
            f"  Demo sign-in        {DEMO_EMAIL} / {DEMO_PASSWORD}  (dashboard)",
            f"  Demo customer       {DEMO_CUSTOMER_EMAIL} / {DEMO_PASSWORD}  (storefront)",
        ]
    lines += ["", "Press Ctrl-C to stop.", ""]
    return "\n".join(lines)


async def serve(host: str, port: int, data_dir: Path, seed: bool) -> None:
    sock = _bind(host, port)
    port = sock.getsockname()[1]
    async with running_system(data_dir, host, port) as (gateway, public_url):
        # Its own task, so the request ids it sets stay out of the server's log context.
        slug = await asyncio.create_task(seed_demo_company(gateway, public_url)) if seed else None
        # The lifespans are already running on the stack above; uvicorn only serves HTTP.
        config = uvicorn.Config(gateway, lifespan="off", log_config=None, access_log=False)
        server = uvicorn.Server(config)
        # Ctrl-C and SIGTERM end serve() (uvicorn catches them, then re-raises them once it returns);
        # these no-op handlers absorb that re-raise so the services shut down in order below.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: None)
        print(_banner(public_url, slug), flush=True)
        await server.serve(sockets=[sock])
        logger.info("shutting down")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.embedded", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--data-dir", type=Path, default=Path(".data"), help="where the SQLite files live")
    parser.add_argument("--no-seed", action="store_true", help="do not create the demo company")
    args = parser.parse_args(argv)
    configure_logging("embedded", PlatformSettings().log_level)
    # Webhooks' settings (and its migrations) read the key from the environment.
    os.environ[SEALING_KEYS] = local_sealing_keys(args.data_dir)
    # The gateway's in-process calls to services would each log a line at INFO; the access log has them.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Ctrl-C while starting up cancels the start-up, which unwinds what had started.
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(serve(args.host, args.port, args.data_dir, seed=not args.no_seed))
    print("Distribu stopped.", file=sys.stderr)


if __name__ == "__main__":
    main()
