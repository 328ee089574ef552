"""The ``bureau`` command: ``worker``, ``infra`` and ``demo``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from bureau.app import create_app, until_signalled
from bureau.logging import configure_logging
from bureau.settings import Settings


def _say(text: str) -> None:
    print(text, flush=True)


@contextlib.contextmanager
def embedded_infrastructure(settings: Settings, workdir: Path | None = None) -> Iterator[Settings]:
    """Start Kafka and FerretDB as child processes unless the settings name existing ones."""
    from bureau.embedded.ferretdb import ensure_ferretdb, run_ferretdb
    from bureau.embedded.kafka import ensure_kafka, run_kafka

    with contextlib.ExitStack() as stack:
        if "BUREAU_KAFKA_BOOTSTRAP" not in os.environ:
            _say("• Kafka: preparing the broker (built from Maven Central on the first run only)…")
            ensure_kafka()
            kafka = stack.enter_context(run_kafka(workdir / "kafka" if workdir else None))
            _say(f"  Kafka ready on {kafka.bootstrap} in {kafka.startup_seconds:.1f} s")
            settings = settings.model_copy(update={"kafka_bootstrap": kafka.bootstrap})
        if "BUREAU_MONGO_URL" not in os.environ:
            _say("• Store: preparing FerretDB (built with Go on the first run only)…")
            ensure_ferretdb()
            store = stack.enter_context(run_ferretdb(workdir / "ferretdb" if workdir else None))
            _say(f"  FerretDB ready on {store.url} in {store.startup_seconds:.1f} s")
            settings = settings.model_copy(update={"mongo_url": store.url})
        yield settings


@contextlib.asynccontextmanager
async def running_worker(settings: Settings) -> AsyncIterator[None]:
    """Run the worker application in this process for the duration of the block."""
    async with create_app(settings):
        yield


def _worker(settings: Settings) -> None:
    async def run() -> None:
        async with running_worker(settings):
            await until_signalled()

    asyncio.run(run())


def _infra(settings: Settings) -> None:
    with embedded_infrastructure(settings) as live:
        _say(f"export BUREAU_KAFKA_BOOTSTRAP={live.kafka_bootstrap}")
        _say(f"export BUREAU_MONGO_URL={live.mongo_url}")
        _say("Running; Ctrl-C stops Kafka and FerretDB.")
        asyncio.run(until_signalled())


def _demo(settings: Settings, *, once: bool) -> None:
    from bureau.demo import run_demo

    started = time.monotonic()
    with embedded_infrastructure(settings) as live:
        asyncio.run(run_demo(live, keep_running=not once))
    _say(f"Stopped everything ({time.monotonic() - started:.0f} s in all).")


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the chosen command."""
    parser = argparse.ArgumentParser(prog="bureau", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("worker", help="run the exchange's handlers against BUREAU_* settings")
    sub.add_parser("infra", help="run embedded Kafka and FerretDB until Ctrl-C")
    demo = sub.add_parser("demo", help="run the exchange with a short demo on embedded Kafka")
    demo.add_argument("--once", action="store_true", help="exit after the demo")
    args = parser.parse_args(argv)

    settings = Settings()
    configure_logging(settings)
    try:
        if args.command == "worker":
            _worker(settings)
        elif args.command == "infra":
            _infra(settings)
        else:
            _demo(settings, once=args.once)
    except KeyboardInterrupt:
        sys.exit(130)
