"""The ``bureau`` command: run the exchange, tell a region's story, look after it.

Exit codes: 0 done; 1 a check found a difference or a command was refused; 2 bad usage;
3 the broker or the store is unreachable (``status``); 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import AsyncIterator, Coroutine, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bureau.app import create_app, open_queries, until_signalled
from bureau.lag import Lag
from bureau.logging import configure_logging
from bureau.security import partners
from bureau.security.cli import app as partners_app
from bureau.settings import Settings
from bureau.status import Status

OK, DIFFERENT, USAGE, UNREACHABLE, INTERRUPTED = 0, 1, 2, 3, 130
"""The exit codes (README: "Exit codes")."""

console = Console()
app = typer.Typer(
    name="bureau",
    help="bureau: the exchange between schools and companies, and the tools to look after it.",
    epilog=(
        "Exit codes: 0 done · 1 a check found a difference, or the command was refused · "
        "2 bad usage · 3 broker or store unreachable (status) · 130 interrupted."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)


class Region(StrEnum):
    """The seed's regions, each with a story of its own."""

    AMSTERDAM = "amsterdam"
    HAARLEM = "haarlem"
    ROTTERDAM = "rotterdam"
    UTRECHT = "utrecht"
    ZEELAND = "zeeland"


def _say(text: str) -> None:
    console.print(text, highlight=False, soft_wrap=True)


app.add_typer(partners_app, name="partners")


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings)
    return settings


def _run(work: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine; Ctrl-C exits with 130 instead of a traceback."""
    try:
        asyncio.run(work)
    except KeyboardInterrupt:
        raise typer.Exit(INTERRUPTED) from None


@contextlib.contextmanager
def embedded_infrastructure(settings: Settings, workdir: Path | None = None) -> Iterator[Settings]:
    """Start Kafka and FerretDB as child processes unless the settings name existing ones."""
    from bureau.embedded.ferretdb import ensure_ferretdb, run_ferretdb
    from bureau.embedded.kafka import ensure_kafka, run_kafka

    with contextlib.ExitStack() as stack:
        if "BUREAU_KAFKA_BOOTSTRAP" not in os.environ:
            with console.status("Kafka: preparing the broker (built on the first run only)…"):
                ensure_kafka()
                kafka = stack.enter_context(run_kafka(workdir / "kafka" if workdir else None))
            _say(f"• Kafka ready on {kafka.bootstrap} in {kafka.startup_seconds:.1f} s")
            settings = settings.model_copy(update=kafka.settings_update())
            if settings.kafka_security_protocol != "PLAINTEXT":
                # Authentication and ACLs are on: bureau's principal gets its ACLs and key.
                partners.provision_bureau(settings)
        if "BUREAU_MONGO_URL" not in os.environ:
            with console.status("Store: preparing FerretDB (built on the first run only)…"):
                ensure_ferretdb()
                store = stack.enter_context(run_ferretdb(workdir / "ferretdb" if workdir else None))
            _say(f"• FerretDB ready on {store.url} in {store.startup_seconds:.1f} s")
            settings = settings.model_copy(update={"mongo_url": store.url})
        yield settings


@contextlib.asynccontextmanager
async def running_worker(settings: Settings) -> AsyncIterator[None]:
    """Run the worker application in this process for the duration of the block."""
    async with create_app(settings):
        yield


def _exported(settings: Settings) -> dict[str, object]:
    """The settings a worker or test run in another shell needs (paths, never passwords)."""
    names = (
        "kafka_bootstrap",
        "mongo_url",
        "kafka_security_protocol",
        "kafka_username",
        "kafka_password_file",
        "kafka_admin_username",
        "kafka_admin_password_file",
        "signing_key_file",
        "partner_keys_dir",
    )
    found = {n: getattr(settings, n) for n in names}
    return {n: v for n, v in found.items() if v is not None}


@app.command()
def worker() -> None:
    """Run the exchange's handlers against the BUREAU_* settings until Ctrl-C or SIGTERM."""
    settings = _settings()

    async def run() -> None:
        async with running_worker(settings):
            await until_signalled()

    _run(run())


@app.command()
def infra() -> None:
    """Run embedded Kafka and FerretDB until Ctrl-C; prints the variables to use them."""
    settings = _settings()
    with embedded_infrastructure(settings) as live:
        for name, value in sorted(_exported(live).items()):
            _say(f"export BUREAU_{name.upper()}={value}")
        _say("Running; Ctrl-C stops Kafka and FerretDB.")
        _run(until_signalled())


@app.command()
def demo(
    region: Annotated[
        Region, typer.Option(help="Whose story: each seed region has one.")
    ] = Region.AMSTERDAM,
    once: Annotated[bool, typer.Option("--once", help="Exit after the demo.")] = False,
) -> None:
    """Tell a region's story on embedded Kafka and FerretDB; worker logs go to a file."""
    from bureau.demo import run_demo

    settings = Settings()
    log_file = Path(tempfile.gettempdir()) / f"bureau-demo-{region.value}-{os.getpid()}.log"
    configure_logging(settings, log_file=log_file)
    _say(f"Worker logs: {log_file} (warnings also here)")
    started = time.monotonic()
    code = OK
    with embedded_infrastructure(settings) as live:
        try:
            ok = asyncio.run(run_demo(live, keep_running=not once, region=region.value))
            code = OK if ok else DIFFERENT
        except KeyboardInterrupt:
            code = INTERRUPTED  # before the story ended; once it has, Ctrl-C stops it cleanly
    _say(f"Stopped everything ({time.monotonic() - started:.0f} s in all).")
    raise typer.Exit(code)


@app.command()
def replay(
    into_db: Annotated[str, typer.Option(metavar="NAME", help="A fresh database to rebuild into.")],
    compare_with: Annotated[
        str | None,
        typer.Option(metavar="DB", help="Database to compare with (default: BUREAU_MONGO_DB)."),
    ] = None,
    no_compare: Annotated[bool, typer.Option("--no-compare", help="Only rebuild.")] = False,
) -> None:
    """Rebuild every projection from offset 0 into a fresh database; exit 1 if one differs."""
    from bureau.replay import ReplayError, run_replay

    settings = Settings()
    # One log line per replayed event would drown the progress bar.
    level = os.environ.get("BUREAU_LOG_LEVEL", "WARNING")
    configure_logging(settings.model_copy(update={"log_level": level}))
    target = None if no_compare else compare_with or settings.mongo_db
    try:
        equal = asyncio.run(run_replay(settings, into_db=into_db, compare_with=target))
    except ReplayError as exc:
        console.print(f"[red]bureau replay:[/red] {exc}", highlight=False)
        raise typer.Exit(DIFFERENT) from None
    except KeyboardInterrupt:
        raise typer.Exit(INTERRUPTED) from None
    if not equal:
        raise typer.Exit(DIFFERENT)


@app.command()
def asyncapi(
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 if the committed documents differ.")
    ] = False,
) -> None:
    """Write docs/asyncapi.json and docs/events.md from the code's schemas."""
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
    if stale:
        raise typer.Exit(DIFFERENT)


@app.command()
def shortlist(offer_id: Annotated[str, typer.Argument(help="The offer's id.")]) -> None:
    """Print an offer's best candidates now, with the reasons."""
    settings = _settings()

    async def run() -> None:
        async with open_queries(settings, tables=True) as queries:
            ranked = queries.shortlist(offer_id)
        if not ranked:
            _say(f"no candidates for {offer_id} (unknown, full, withdrawn, or nobody fits)")
            return
        table = Table("student", "school", "score", "why", title=f"Shortlist of {offer_id}")
        for s in ranked:
            table.add_row(s.student_id, s.school_id, f"{s.score:.2f}", "; ".join(s.reasons))
        console.print(table)

    _run(run())


@app.command()
def stats() -> None:
    """Recompute and print the statistics projection (suppressed cells show as -)."""
    settings = _settings()

    async def run() -> None:
        async with open_queries(settings) as queries:
            rows = await queries.refresh_statistics()
        table = Table("dimension", "value", title="Statistics")
        for name in (
            "offered",
            "filled",
            "students",
            "placed",
            "rate",
            "days",
            "mbo→hbo",
            "female",
        ):
            table.add_column(name, justify="right")
        for r in rows:
            cells = (
                r.places_offered,
                r.places_filled,
                r.students,
                r.students_placed,
                r.placement_rate,
                r.median_days_to_placement,
                r.continued_mbo_to_hbo,
                r.female_share_of_placed,
            )
            table.add_row(r.dimension, r.value, *("-" if c is None else str(c) for c in cells))
        console.print(table)

    _run(run())


student_app = typer.Typer(help="Subject access: what bureau holds on a student.")
app.add_typer(student_app, name="student")


@student_app.command("export")
def student_export(
    pseudonym: Annotated[str, typer.Argument(help="The student's pseudonym.")],
    school: Annotated[str, typer.Option(help="The student's own school.")],
) -> None:
    """Print (JSON) everything bureau holds on a student, decrypted, with where it lives."""
    from bureau.privacy.export import ExportRefusedError, export_from_settings

    settings = _settings()
    try:
        found = asyncio.run(export_from_settings(settings, pseudonym, school))
    except ExportRefusedError as exc:
        console.print(f"[red]bureau student export:[/red] {exc}", highlight=False)
        raise typer.Exit(DIFFERENT) from None
    typer.echo(found)


@app.command()
def web() -> None:
    """Serve the dashboard (BUREAU_WEB_HOST:BUREAU_WEB_PORT) until Ctrl-C.

    Operator pages need BUREAU_WEB_ADMIN_TOKEN, a school's page its token from
    BUREAU_WEB_SCHOOL_TOKENS(_FILE) (docs/web.md). Exits with 1 if the port is taken.
    """
    from bureau.web import NotListeningError, serve

    settings = _settings()
    _say(f"dashboard on http://{settings.web_host}:{settings.web_port}/")
    try:
        serve(settings)
    except NotListeningError as exc:
        _say(f"[red]{exc}[/red]")
        raise typer.Exit(DIFFERENT) from None
    except KeyboardInterrupt:
        raise typer.Exit(INTERRUPTED) from None


@app.command()
def redrive(
    topic: Annotated[str, typer.Argument(help="An inbound topic or its .dlq topic.")],
) -> None:
    """Re-publish what a dead-letter topic holds to the topic it came from (once each)."""
    from bureau.dlq import redrive as redrive_dlq

    settings = _settings()

    async def run() -> None:
        _say(f"re-driven: {await redrive_dlq(settings, topic)} records")

    _run(run())


@app.command()
def status() -> None:
    """Broker and store reachability, consumer lag, dead letters, rounds; exit 3 if unreachable."""
    from bureau.status import gather

    settings = _settings()
    found = asyncio.run(gather(settings))
    _render_status(settings, found)
    if not found.reachable:
        raise typer.Exit(UNREACHABLE)


def _render_status(settings: Settings, found: Status) -> None:
    for what, where, error in (
        ("broker", settings.kafka_bootstrap, found.broker_error),
        ("store", settings.mongo_url, found.store_error),
    ):
        mark = "[green]reachable[/green]" if error is None else f"[red]unreachable[/red]: {error}"
        console.print(f"{what:<7} {where}  {mark}", highlight=False)
    if found.lag:
        table = Table("group", "topic", "partitions", "committed", "end", "lag", title="Lag")
        per: dict[tuple[str, str], list[Lag]] = {}
        for row in found.lag:
            per.setdefault((row.group, row.topic), []).append(row)
        for (group, topic), rows in sorted(per.items()):
            lag = sum(r.lag for r in rows)
            table.add_row(
                group,
                topic,
                str(len(rows)),
                str(sum(max(r.committed, 0) for r in rows)),
                str(sum(r.end for r in rows)),
                f"[yellow]{lag}[/yellow]" if lag else "0",
            )
        console.print(table)
    if found.broker_error is None:
        table = Table("topic", "records", "top reasons", title="Dead letters")
        for d in found.dead_letters:
            reasons = "\n".join(f"{n}x {why}" for why, n in d.reasons)
            table.add_row(d.topic, str(d.count), reasons or "-")
        console.print(table)
    if found.store_error is None:
        if not found.rounds:
            console.print("rounds  none yet")
        else:
            table = Table("round", "state", "offers", "placed", "unplaced", title="Rounds")
            for r in found.rounds:
                table.add_row(
                    r.round_id,
                    "closed" if r.closed else "open",
                    str(r.offers),
                    "-" if r.placed is None else str(r.placed),
                    "-" if r.unplaced is None else str(r.unplaced),
                )
            console.print(table)


def main(argv: list[str] | None = None) -> None:
    """Run the command line (``argv`` defaults to the process's arguments)."""
    app(args=argv, prog_name="bureau")
