"""`python -m services.<name> api|worker|relay`: a service's API, its worker (event consumer, company
purges) or its outbox relay. Every process runs on uvloop."""

import argparse
import asyncio
import contextlib
import gc
import signal
from collections.abc import Callable, Coroutine
from typing import Any

import uvicorn
import uvloop
from fastapi import FastAPI

from kit.logging import configure_logging
from kit.service import ServiceSpec, run_relay, run_worker
from kit.settings import PlatformSettings

# Idle connections stay open longer than the gateway reuses one to a service (gateway.upstreams), or a
# load balancer one to the gateway (60 s is common), so no request goes down a connection being closed.
KEEP_ALIVE_SECONDS = 75


def main(spec: ServiceSpec, create_app: Callable[[], FastAPI], database_url: Callable[[], str], port: int) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m services.{spec.name}")
    commands = parser.add_subparsers(dest="command", required=True)
    api = commands.add_parser("api", help="serve the HTTP API")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=port)
    commands.add_parser(
        "worker",
        help="consume events, purge deleted companies, prune processed records, run the service's background loops",
    )
    commands.add_parser("relay", help="publish the outbox to the broker")
    args = parser.parse_args()

    platform = PlatformSettings()
    configure_logging(spec.name if args.command == "api" else f"{spec.name}-{args.command}", platform.log_level)
    if args.command == "api":
        serve(create_app(), host=args.host, port=args.port)
    elif args.command == "worker":
        uvloop.run(_until_signalled(run_worker(spec, database_url(), platform)))
    else:
        uvloop.run(_until_signalled(run_relay(spec, database_url(), platform)))


def serve(app: FastAPI, *, host: str, port: int) -> None:
    """Serve `app` with uvicorn until SIGTERM (services and the gateway alike)."""
    # What start-up allocated (modules, routes, schemas) lives as long as the process: frozen out of
    # the garbage collector's passes, which then stay short under load.
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=host,
        port=port,
        loop="uvloop",
        log_config=None,
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )


async def _until_signalled(work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task
