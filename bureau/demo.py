"""The demo: one seed region's story told by partners' events, and what bureau made of it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from pydantic import SecretStr
from pymongo import AsyncMongoClient
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bureau import metrics
from bureau.app import create_app, open_queries, until_signalled
from bureau.lag import consumer_lag, subscriptions
from bureau.privacy.fields import unseal
from bureau.privacy.keys import KeyStore, MongoKeyStore
from bureau.security import partners
from bureau.security.acls import Kind
from bureau.security.client import aiokafka_security
from bureau.security.partner_client import PartnerPool
from bureau.settings import Settings
from bureau.status import dead_letters, records
from bureau.stories import STORIES, Chapter, Story, expected_pairs
from bureau.topics import Topics
from bureau.web import serve_async

__all__ = ["REGIONS", "expected_pairs", "run_demo"]

REGIONS = tuple(STORIES)
"""The regions ``bureau demo --region`` knows."""

KEYS = {
    "organisations": "organisation_id",
    "students": "student_id",
    "offers": "offer_id",
    "applications": "offer_id",
    "research": "question_id",
    "lectures": "request_id",
    "specialists": "specialist_id",
}
"""The data field each inbound topic is keyed by."""


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("  {task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def partner_kinds(story: Story) -> dict[str, Kind]:
    """Each partner of the story and its kind: as it registered, else what it publishes."""
    registered: dict[str, str] = {}
    sends: dict[str, set[str]] = {}
    for chapter in story.chapters:
        for event in chapter.events:
            sends.setdefault(event["source"], set()).add(chapter.topic)
            if event["event_type"] == "OrganisationRegistered":
                registered[event["data"]["organisation_id"]] = event["data"]["kind"]
    return {org: _kind(registered.get(org), topics) for org, topics in sends.items()}


def _kind(registered: str | None, topics: set[str]) -> Kind:
    if registered == "school" or (registered is None and "students" in topics):
        return "school"
    if registered == "company" or (registered is None and "offers" in topics):
        return "company"
    # Coordinators and public bodies have no topics of their own to read.
    return "public-body"


async def _send(
    settings: Settings,
    partners: PartnerPool | None,
    topic: str,
    key: str,
    events: Sequence[dict[str, Any]],
    bar: Any,
) -> None:
    if partners is not None:
        # Each partner signs and sends with its own credentials, one record at a time, so
        # records of one key keep their order whoever sends them.
        for e in events:
            value = json.dumps(e).encode()
            await partners.send(e["source"], topic, str(e["data"][key]).encode(), value)
            bar()
        return
    # An unsecured broker (BUREAU_KAFKA_BOOTSTRAP given without SASL): unsigned records.
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        # In flight together, in order per key; each acknowledgement moves the bar.
        sent = [
            await producer.send(topic, json.dumps(e).encode(), key=str(e["data"][key]).encode())
            for e in events
        ]
        for future in sent:
            await future
            bar()
    finally:
        await producer.stop()


async def _applied(settings: Settings, total: int, bar: Any, patience: float = 900) -> None:
    """Wait until every consumer group has applied everything; move the bar meanwhile."""
    groups = subscriptions(Topics.from_settings(settings))
    deadline = time.monotonic() + patience
    client = aiokafka_security(settings)
    while True:
        try:
            lag = await consumer_lag(settings.kafka_bootstrap, groups, client=client)
            behind = sum(row.lag for row in lag)
        except KafkaError:
            behind = -1  # a slow broker answers the next time
        else:
            bar(max(0, total - behind))
        if behind == 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"bureau still {behind} records behind after {patience:.0f} s")
        await asyncio.sleep(0.3)  # poll interval of the progress bar


async def _tell(
    settings: Settings, partners: PartnerPool | None, console: Console, chapter: Chapter
) -> None:
    topic = getattr(Topics.from_settings(settings), chapter.topic)
    console.print(f"• {chapter.say}  [dim]({len(chapter.events)} on {topic})[/dim]")
    n = len(chapter.events)
    with _progress(console) as progress:
        sending = progress.add_task("sent", total=n)
        applying = progress.add_task("applied", total=n)
        await _send(
            settings,
            partners,
            topic,
            KEYS[chapter.topic],
            chapter.events,
            lambda: progress.advance(sending),
        )
        await _applied(settings, n, lambda done: progress.update(applying, completed=done))


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for c in columns:
        table.add_column(c, overflow="fold")
    return table


async def _report(settings: Settings, console: Console, story: Story) -> list[str]:
    """Show what partners can now read; return what the story expected but did not see."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url)
    try:
        return await _read_back(settings, console, story, MongoKeyStore(client[settings.mongo_db]))
    finally:
        await client.close()


async def _read_back(
    settings: Settings, console: Console, story: Story, keys: KeyStore
) -> list[str]:
    t = Topics.from_settings(settings)
    k = settings.kafka_bootstrap
    # bureau's principal reads its own log, the outcomes and the dead letters; what it
    # sealed it opens with the students' keys, as it does for an entitled partner.
    c = aiokafka_security(settings)

    async def read(topic: str) -> list[dict[str, Any]]:
        return [
            await unseal(json.loads(r.value), keys) for r in await records(k, [topic], client=c)
        ]

    suggested = await read(t.matches)
    problems: list[str] = []
    matches = sorted(
        (e["data"] for e in suggested if e["event_type"] == "MatchSuggested"),
        key=lambda d: (d["offer_id"], -d["score"]),
    )
    if matches:
        shown = matches if len(matches) <= 30 else matches[:15]
        table = _table(
            f"MatchSuggested on {t.matches} ({len(matches)})",
            "offer",
            "student",
            "school",
            "score",
            "why",
        )
        for d in shown:
            table.add_row(
                d["offer_id"],
                d["student_id"],
                d["school_id"],
                f"{d['score']:.2f}",
                "; ".join(d["reasons"]),
            )
        console.print(table)
        if len(shown) < len(matches):
            companies = len({d["company_id"] for d in matches})
            per_school = Counter(d["school_id"] for d in matches)
            console.print(
                f"  … {len(matches) - len(shown)} more, for {companies} companies; per school: "
                + ", ".join(f"{s} {n}" for s, n in sorted(per_school.items()))
            )
    missing = story.expect_pairs - {(d["offer_id"], d["student_id"]) for d in matches}
    if missing:
        problems.append(f"{len(missing)} expected suggestions did not arrive")
    for kind, label in (
        ("ResearchMatchSuggested", "question"),
        ("LectureMatchSuggested", "request"),
    ):
        found = [e["data"] for e in suggested if e["event_type"] == kind]
        if found:
            table = _table(f"{kind} on {t.matches}", label, "school", "specialist", "score", "why")
            for d in found:
                table.add_row(
                    d.get("question_id") or d.get("request_id"),
                    d["school_id"],
                    d.get("specialist_id", "-"),
                    f"{d['score']:.2f}",
                    "; ".join(d["reasons"]),
                )
            console.print(table)
    research = await read(t.research)
    teams = [
        e for e in research if e["event_type"] == "ResearchTeamProposed" and e["source"] == "bureau"
    ]
    for e in teams:
        members = ", ".join(f"{m['student_id']} ({m['level']})" for m in e["data"]["members"])
        console.print(
            f"bureau proposes team {e['data']['team_id']} for {e['data']['question_id']}: {members}"
        )
    if len(teams) < story.expect_teams:
        problems.append(f"{story.expect_teams} team proposals expected, {len(teams)} seen")
    for school, want in story.expect_outcomes.items():
        outcomes = [e["data"] for e in await read(t.outcomes(school))]
        table = _table(
            f"PlacementOutcome on {t.outcomes(school)} (only this school's students)",
            "student",
            "offer",
            "company",
            "status",
        )
        for d in outcomes:
            table.add_row(d["student_id"], d["offer_id"], d["company_id"], d["status"])
        console.print(table)
        if len(outcomes) < want:
            problems.append(f"{want} outcomes expected for {school}, {len(outcomes)} seen")
    dead = [d for d in await dead_letters(k, t.inbound, client=c) if d.count]
    for d in dead:
        console.print(
            f"Dead letters on {d.topic}: {d.count}; "
            + "; ".join(f"{why} ({n})" for why, n in d.reasons)
        )
    if sum(d.count for d in dead) != story.expect_dead_letters:
        problems.append(
            f"{story.expect_dead_letters} dead letters expected, {sum(d.count for d in dead)} seen"
        )
    return problems


def _onboard(settings: Settings, console: Console, story: Story) -> PartnerPool | None:
    """Onboard the story's partners as ``bureau partners add`` does (None: unsecured)."""
    if settings.kafka_security_protocol == "PLAINTEXT":
        return None
    kinds = partner_kinds(story)
    onboarded = partners.add_many(settings, kinds)
    console.print(
        f"• Onboarded {len(onboarded)} partners (SCRAM user, ACLs, signing key each); "
        "each sends with its own credentials and signs its records"
    )
    return PartnerPool(onboarded, settings.kafka_bootstrap)


async def run_demo(
    settings: Settings,
    *,
    keep_running: bool,
    region: str = "amsterdam",
    console: Console | None = None,
) -> bool:
    """Run the worker, tell ``region``'s story, show the outcome; True if all arrived."""
    console = console or Console()
    story = STORIES[region]()
    console.rule(f"[bold]{story.title}")
    console.print(story.intro, highlight=False)
    console.print("• Starting the bureau worker…")
    async with create_app(settings):
        if address := metrics.serving():
            console.print(f"  Metrics: {address}")
        pool = _onboard(settings, console, story)
        started = time.monotonic()
        try:
            for chapter in story.chapters:
                await _tell(settings, pool, console, chapter)
        finally:
            if pool is not None:
                await pool.close()
        console.print(f"  applied in {time.monotonic() - started:.1f} s\n")
        problems = await _report(settings, console, story)
        if problems:
            console.print("\n[bold red]Demo incomplete:[/bold red] " + "; ".join(problems))
            return False
        console.print(
            "\nDemo complete: every expected suggestion and outcome arrived.", soft_wrap=True
        )
        async with open_queries(settings) as queries:
            await queries.refresh_statistics()  # the overview's figures, now
        token = settings.web_admin_token or SecretStr(secrets.token_urlsafe(12))
        web_settings = settings.model_copy(update={"web_admin_token": token})
        ready = asyncio.Event()
        dashboard = asyncio.create_task(serve_async(web_settings, ready=ready))
        waiting = asyncio.create_task(ready.wait())
        await asyncio.wait({waiting, dashboard}, timeout=120, return_when=asyncio.FIRST_COMPLETED)
        if ready.is_set():
            console.print(
                f"Dashboard: http://{settings.web_host}:{settings.web_port}/ "
                f"(operator pages: token {token.get_secret_value()})",
                soft_wrap=True,
            )
        else:  # the port is taken, say: the demo stands without its page
            waiting.cancel()
            console.print(
                f"[yellow]The dashboard did not start on port {settings.web_port} "
                "(BUREAU_WEB_PORT chooses another).[/yellow]"
            )
        if keep_running:
            console.print(
                f"The exchange keeps running on {settings.kafka_bootstrap}; "
                "press Ctrl-C to stop it.",
                soft_wrap=True,
            )
            await until_signalled()
        dashboard.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await dashboard
    return True
