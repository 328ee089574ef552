"""The ``bureau`` command: ``worker``, ``infra``, ``demo`` and ``replay``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from bureau.app import create_app, open_queries, until_signalled
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


def _asyncapi(*, check: bool) -> int:
    from bureau.asyncapi import render, render_markdown

    docs = Path(__file__).resolve().parents[1] / "docs"
    stale = []
    for name, text in (("asyncapi.json", render()), ("events.md", render_markdown())):
        path = docs / name
        if check:
            if not path.is_file() or path.read_text() != text:
                stale.append(str(path))
        else:
            path.write_text(text)
            _say(f"wrote {path}")
    for name in stale:
        _say(f"{name} differs from the code: run `bureau asyncapi` and commit it")
    return 1 if stale else 0


async def _shortlist(settings: Settings, offer_id: str) -> None:
    async with open_queries(settings, tables=True) as queries:
        ranked = queries.shortlist(offer_id)
    if not ranked:
        _say(f"no candidates for {offer_id} (unknown, full, withdrawn, or nobody fits)")
    for s in ranked:
        _say(f"{s.student_id:<16} {s.school_id:<16} {s.score:.2f}  {'; '.join(s.reasons)}")


async def _stats(settings: Settings) -> None:
    async with open_queries(settings) as queries:
        rows = await queries.refresh_statistics()
    _say(
        f"{'dimension':<10} {'value':<16} {'offered':>7} {'filled':>6} {'students':>8} "
        f"{'placed':>6} {'rate':>6} {'days':>5} {'mbo→hbo':>7} {'female':>6}"
    )

    def cell(value: float | int | None, width: int) -> str:
        return f"{'-' if value is None else value:>{width}}"

    for r in rows:
        _say(
            f"{r.dimension:<10} {r.value:<16} {cell(r.places_offered, 7)} "
            f"{cell(r.places_filled, 6)} {cell(r.students, 8)} {cell(r.students_placed, 6)} "
            f"{cell(r.placement_rate, 6)} {cell(r.median_days_to_placement, 5)} "
            f"{cell(r.continued_mbo_to_hbo, 7)} {cell(r.female_share_of_placed, 6)}"
        )


def _student_export(settings: Settings, student_id: str, school_id: str) -> None:
    from bureau.privacy.export import ExportRefusedError, export_from_settings

    try:
        _say(asyncio.run(export_from_settings(settings, student_id, school_id)))
    except ExportRefusedError as exc:
        sys.exit(f"bureau student export: {exc}")


def _replay(settings: Settings, *, into_db: str, compare_with: str | None) -> None:
    from bureau.replay import ReplayError, run_replay

    if "BUREAU_LOG_LEVEL" not in os.environ:
        # One log line per replayed event would drown the progress bar.
        configure_logging(settings.model_copy(update={"log_level": "WARNING"}))
    try:
        equal = asyncio.run(run_replay(settings, into_db=into_db, compare_with=compare_with))
    except ReplayError as exc:
        sys.exit(f"bureau replay: {exc}")
    if not equal:
        sys.exit(1)


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the chosen command."""
    parser = argparse.ArgumentParser(prog="bureau", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("worker", help="run the exchange's handlers against BUREAU_* settings")
    sub.add_parser("infra", help="run embedded Kafka and FerretDB until Ctrl-C")
    demo = sub.add_parser("demo", help="run the exchange with a short demo on embedded Kafka")
    demo.add_argument("--once", action="store_true", help="exit after the demo")
    replay = sub.add_parser(
        "replay",
        help="rebuild every projection from offset 0 into a fresh database and compare",
    )
    replay.add_argument("--into-db", required=True, metavar="NAME", help="a fresh database")
    replay.add_argument(
        "--compare-with",
        metavar="DB",
        help="database to compare with (default: BUREAU_MONGO_DB); exit 1 if any differs",
    )
    replay.add_argument("--no-compare", action="store_true", help="only rebuild")
    docs = sub.add_parser("asyncapi", help="write docs/asyncapi.json and docs/events.md")
    docs.add_argument("--check", action="store_true", help="fail if the committed ones differ")
    sub.add_parser("stats", help="recompute and print the statistics projection")
    shortlist = sub.add_parser("shortlist", help="print an offer's best candidates now")
    shortlist.add_argument("offer_id")
    student = sub.add_parser("student", help="subject access: what bureau holds on a student")
    student.add_argument("action", choices=["export"])
    student.add_argument("student_id", metavar="pseudonym")
    student.add_argument("--school", required=True, help="the student's own school")
    args = parser.parse_args(argv)
    if args.command == "asyncapi":
        sys.exit(_asyncapi(check=args.check))

    settings = Settings()
    configure_logging(settings)
    try:
        if args.command == "worker":
            _worker(settings)
        elif args.command == "infra":
            _infra(settings)
        elif args.command == "replay":
            compare_with = None if args.no_compare else args.compare_with or settings.mongo_db
            _replay(settings, into_db=args.into_db, compare_with=compare_with)
        elif args.command == "stats":
            asyncio.run(_stats(settings))
        elif args.command == "shortlist":
            asyncio.run(_shortlist(settings, args.offer_id))
        elif args.command == "student":
            _student_export(settings, args.student_id, args.school)
        else:
            _demo(settings, once=args.once)
    except KeyboardInterrupt:
        sys.exit(130)
