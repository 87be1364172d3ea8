"""`make bench`: every benchmark in one run, then all their figures side by side with their targets.

Each benchmark runs on a full topology of its own.

    python -m bench                          # all of them
    python -m bench --only event-backbone    # one (repeat --only for several)
"""

import argparse
import asyncio
import sys
import time
import traceback
from types import ModuleType

from bench import event_backbone, order_placement, storefront_catalog, webhook_delivery
from bench.support import DEFAULT_POSTGRES, Figure, print_figures

BENCHMARKS: dict[str, ModuleType] = {
    "storefront-catalog": storefront_catalog,
    "event-backbone": event_backbone,
    "order-placement": order_placement,
    "webhook-delivery": webhook_delivery,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS), help="run only this benchmark")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL server URL without a database")
    args = parser.parse_args(argv)
    chosen = args.only or list(BENCHMARKS)

    results: dict[str, list[Figure]] = {}
    failed: list[str] = []
    started = time.perf_counter()
    for name in chosen:
        module = BENCHMARKS[name]
        print(f"\n=== {name} ===", flush=True)
        # Each benchmark with its own defaults (`python -m bench.<module> --help` lists them).
        options = argparse.ArgumentParser()
        module.add_arguments(options)
        # One benchmark failing must not hide the others' figures.
        try:
            results[name] = asyncio.run(module.run(options.parse_args(["--postgres", args.postgres])))
        except Exception:
            traceback.print_exc()
            failed.append(name)

    print(f"\n=== figures (all benchmarks, {time.perf_counter() - started:.0f} s) ===")
    for name, figures in results.items():
        print_figures(name, figures)
    missed = [figure for figures in results.values() for figure in figures if figure.met is False]
    print(f"\n{sum(len(f) for f in results.values())} figures, {len(missed)} missed their target", end="")
    print(f"; failed to run: {', '.join(failed)}" if failed else "")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
