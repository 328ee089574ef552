"""The checker: every projection and notification against the events that were sent.

Definitions (also in docs/faults.md):

- **sent**: distinct messages the broker acknowledged to the partners (a valid event
  counts once however often it was delivered; each poison message counts once).
- **applied**: sent valid events whose id is in their aggregate's ``applied`` list.
- **lost**: sent valid events not applied, plus expected notifications never
  published, plus poison messages missing from the dead-letter topic.
- **duplicate effects**: an event id applied twice (twice in an ``applied`` list,
  or logged as newly applied by two deliveries), a pair (offer, student) told again
  without a changed score (a second notification for one cause), or one notification
  id published with different bytes. Ids must derive from their cause: the pair, or
  the pair and the event that changed its score.
- **redelivered**: the same notification id with the same bytes published again, or
  one poison message dead-lettered again: allowed by at-least-once, not an effect.
- **order**: aggregates whose ``applied`` list is not in the partners' send order,
  or whose final fields are not those of the last event sent.
- **dead-lettered**: poison messages found in ``<topic>.dlq`` with their original key,
  bytes, origin (topic/partition/offset) and a reason of the right kind.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from bureau.domain.matching import Offer, Student, suggest, told_id
from bureau.handlers.dead_letter import ORIGIN, REASON
from bureau.privacy.dead_letters import open_dead_letter
from bureau.privacy.keys import MongoKeyStore
from bureau.schemas.common import Level
from bureau.topics import dlq
from tests.faults.harness import FaultEnv, Sent
from tests.support.kafka import read_all

Doc = dict[str, Any]


@dataclass(frozen=True)
class Projection:
    """Where an event type's effect lands, and which top-level fields it sets."""

    collection: str
    key: Callable[[Mapping[str, Any]], str]
    fields: Callable[[Mapping[str, Any]], Doc]


def _offer_fields(event: Mapping[str, Any]) -> Doc:
    d = event["data"]
    return {
        "company_id": d["company_id"],
        "title": d["title"],
        "levels": sorted(d["levels"]),
        "skills": sorted(s.lower() for s in d["skills"]),
        "capacity": d["capacity"],
    }


def _student_fields(event: Mapping[str, Any]) -> Doc:
    d = event["data"]
    return {
        "school_id": d["school_id"],
        "level": d["level"],
        "skills": sorted(s.lower() for s in d["skills"]),
        "consent": d["consent"],
    }


PROJECTIONS: dict[str, Projection] = {
    "InternshipOffered": Projection("offers", lambda e: e["data"]["offer_id"], _offer_fields),
    "StudentRegistered": Projection("students", lambda e: e["data"]["student_id"], _student_fields),
}
"""Event type → its projection. A new event type in a workload needs an entry here."""


def expected_matches(
    offers: Mapping[str, Mapping[str, Any]], students: Mapping[str, Mapping[str, Any]], top_k: int
) -> set[tuple[str, str]]:
    """Every (offer, student) pair bureau must suggest, given the final events of each."""
    domain_offers = [_offer(e["data"]) for e in offers.values()]
    domain_students = [_student(e["data"]) for e in students.values()]
    pairs = {
        (o.offer_id, s.student_id)
        for o in domain_offers
        for s in domain_students
        if suggest(o, s) is not None
    }
    per_offer = Counter(o for o, _ in pairs)
    per_student = Counter(s for _, s in pairs)
    # Beyond top-K the suggestions would depend on processing order: no exact expectation.
    if max(per_offer.values(), default=0) > top_k or max(per_student.values(), default=0) > top_k:
        raise ValueError("workload too dense: a cluster has more matches than top-K")
    return pairs


def _offer(d: Mapping[str, Any]) -> Offer:
    return Offer(
        offer_id=d["offer_id"],
        company_id=d["company_id"],
        title=d["title"],
        levels=frozenset(Level(v) for v in d["levels"]),
        skills=frozenset(s.lower() for s in d["skills"]),
        region=d["region"],
        capacity=d["capacity"],
    )


def _student(d: Mapping[str, Any]) -> Student:
    return Student(
        student_id=d["student_id"],
        school_id=d["school_id"],
        level=Level(d["level"]),
        skills=frozenset(s.lower() for s in d["skills"]),
        region=d["region"],
        consent=d["consent"],
    )


@dataclass(kw_only=True)
class Verdict:
    """The audit's counts, and the first problems found, for one scenario."""

    sent: int = 0
    applied: int = 0
    lost_events: int = 0
    lost_notifications: int = 0
    lost_dead_letters: int = 0
    duplicate_effects: int = 0
    dead_lettered: int = 0
    notifications: int = 0
    redelivered: int = 0
    order: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        """Everything that should have had an effect and has none."""
        return self.lost_events + self.lost_notifications + self.lost_dead_letters

    def problem(self, text: str) -> None:
        """Record one problem (the first 20 are kept for the failure message)."""
        if len(self.problems) < 20:
            self.problems.append(text)

    def broken(self) -> bool:
        """Whether any guarantee is broken."""
        return bool(self.lost or self.duplicate_effects or self.order or self.problems)

    def summary(self) -> str:
        """One line of counts and the problems, for assertion messages."""
        counts = (
            f"sent={self.sent} applied={self.applied} lost={self.lost} "
            f"(events={self.lost_events}, notifications={self.lost_notifications}, "
            f"dead letters={self.lost_dead_letters}) duplicate_effects={self.duplicate_effects} "
            f"order={self.order} dead_lettered={self.dead_lettered} "
            f"notifications={self.notifications} redelivered={self.redelivered}"
        )
        return "\n".join([counts, *self.problems])


async def read_projections(env: FaultEnv, database: str | None = None) -> dict[str, list[Doc]]:
    """Every document of every collection of the scenario's database."""
    client: AsyncMongoClient[Doc] = AsyncMongoClient(env.settings.mongo_url)
    try:
        db = client[database or env.settings.mongo_db]
        names = await db.list_collection_names()
        return {name: await db[name].find().to_list() for name in names}
    finally:
        await client.close()


def newly_applied(log: Iterable[Mapping[str, Any]]) -> Counter[str]:
    """How often workers logged each event id as applied for the first time."""
    return Counter(
        str(line["event_id"])
        for line in log
        if line.get("event") == "event_applied"
        and "event_id" in line
        and not line.get("duplicate", False)
    )


async def audit(
    env: FaultEnv,
    sent: Sequence[Sent],
    *,
    log: Iterable[Mapping[str, Any]] = (),
    database: str | None = None,
) -> Verdict:
    """Compare the projections, notifications and dead letters with what was ``sent``."""
    v = Verdict()
    docs = await read_projections(env, database)
    _audit_events(v, sent, docs, newly_applied(log))
    matches = await read_all(env.settings.kafka_bootstrap, env.topics.matches)
    _audit_notifications(v, sent, matches, env.settings.top_k)
    dead: list[Any] = []
    for topic in sorted({s.topic for s in sent}):
        dead.extend(await read_all(env.settings.kafka_bootstrap, dlq(topic)))
    _audit_dead_letters(v, sent, await _opened(env, dead))
    return v


async def _opened(env: FaultEnv, records: list[Any]) -> list[tuple[Any, bytes | None]]:
    """Each dead letter with its original bytes: those about a student rest sealed."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(env.settings.mongo_url)
    keys = MongoKeyStore(client[env.settings.mongo_db])
    try:
        return [
            (r, await open_dead_letter(r.value, keys) if r.value is not None else None)
            for r in records
        ]
    finally:
        await client.close()


def _audit_events(
    v: Verdict, sent: Sequence[Sent], docs: Mapping[str, list[Doc]], logged: Counter[str]
) -> None:
    # Per aggregate: the event ids in the order the partners first sent them.
    order: dict[tuple[str, str], list[str]] = defaultdict(list)
    last: dict[tuple[str, str], Mapping[str, Any]] = {}
    seen: set[str] = set()
    for s in sent:
        event = s.message.event
        if event is None or s.message.event_id in seen:
            continue
        seen.add(str(s.message.event_id))
        projection = PROJECTIONS[event["event_type"]]
        where = (projection.collection, projection.key(event))
        order[where].append(str(event["event_id"]))
        last[where] = event
    v.sent = len(seen) + sum(1 for s in sent if s.message.poison is not None)

    by_id = {name: {d["_id"]: d for d in ds} for name, ds in docs.items()}
    for (collection, key), wanted in order.items():
        doc = by_id.get(collection, {}).get(key)
        # The seen-record keeps the last 64 event ids per aggregate: all of a workload's.
        recent = doc.get("seen", {}).get("recent", []) if doc else []
        applied: list[str] = [str(a["id"]) for a in recent]
        counts = Counter(applied)
        for event_id, n in counts.items():
            if n > 1:
                v.duplicate_effects += n - 1
                v.problem(f"{collection}/{key}: event {event_id} applied {n} times")
        foreign = [a for a in counts if a not in wanted]
        if foreign:
            v.problem(f"{collection}/{key}: applied events that were not sent to it: {foreign}")
        missing = [e for e in wanted if e not in counts]
        v.applied += len(wanted) - len(missing)
        v.lost_events += len(missing)
        if missing:
            v.problem(f"{collection}/{key}: {len(missing)} of {len(wanted)} events never applied")
        in_order = [a for a in dict.fromkeys(applied) if a in wanted]
        if in_order != [e for e in wanted if e in counts]:
            v.order += 1
            v.problem(f"{collection}/{key}: applied out of order: {in_order} vs sent {wanted}")
        elif doc is not None and not missing:
            want = PROJECTIONS[last[(collection, key)]["event_type"]].fields(
                last[(collection, key)]
            )
            got = {k: doc.get(k) for k in want}
            if got != want:
                v.order += 1
                v.problem(f"{collection}/{key}: final fields {got} are not the last sent {want}")
    for event_id, n in logged.items():
        if n > 1:
            v.duplicate_effects += n - 1
            v.problem(f"event {event_id} was newly applied {n} times (worker logs)")


def _audit_notifications(
    v: Verdict, sent: Sequence[Sent], records: Sequence[Any], top_k: int
) -> None:
    finals: dict[str, dict[str, Mapping[str, Any]]] = defaultdict(dict)
    causes: dict[str, set[str]] = defaultdict(set)  # aggregate key → its event ids
    for s in sent:
        event = s.message.event
        if event is not None:
            projection = PROJECTIONS[event["event_type"]]
            finals[projection.collection][projection.key(event)] = event
            causes[projection.key(event)].add(str(event["event_id"]))
    expected = expected_matches(finals["offers"], finals["students"], top_k)

    # Records of one pair share a key (the offer id), hence a partition: topic order is
    # publish order.
    told: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    bytes_by_id: dict[str, set[bytes]] = defaultdict(set)
    for record in records:
        body = json.loads(record.value)
        pair = (body["data"]["offer_id"], body["data"]["student_id"])
        event_id = body["event_id"]
        if event_id not in bytes_by_id:
            told[pair].append((event_id, float(body["data"]["score"])))
        bytes_by_id[event_id].add(record.value)
        # A pair is told under an id derived from it and the versions of both sides (an
        # aggregate's version counts its applied events, and parked ones it held).
        versions = [range(1, 2 * len(causes[side]) + 3) for side in pair]
        derived = {told_id(*pair, vo, vs) for vo in versions[0] for vs in versions[1]}
        if uuid.UUID(event_id) not in derived:
            v.problem(f"notification {event_id} for {pair}: id not derived from its cause")
    v.notifications = len(bytes_by_id)
    v.redelivered = len(records) - sum(len(b) for b in bytes_by_id.values())
    for pair, notes in told.items():
        for (_, before), (event_id, score) in itertools.pairwise(notes):
            if score == before:
                v.duplicate_effects += 1
                v.problem(f"{pair} told again ({event_id}) with the same score {score}")
    for event_id, variants in bytes_by_id.items():
        if len(variants) > 1:
            v.duplicate_effects += len(variants) - 1
            shown = " | ".join(sorted(b.decode()[:300] for b in variants))
            v.problem(
                f"notification {event_id} published with {len(variants)} different bodies: {shown}"
            )
    published = set(told)
    v.lost_notifications = len(expected - published)
    for pair in sorted(expected - published)[:5]:
        v.problem(f"notification for {pair} never published")
    for pair in sorted(published - expected)[:5]:
        v.problem(f"notification for {pair} published but not expected")


def _audit_dead_letters(
    v: Verdict, sent: Sequence[Sent], records: Sequence[tuple[Any, bytes | None]]
) -> None:
    poison = {f"{s.topic}/{s.partition}/{s.offset}": s for s in sent if s.message.poison}
    valid = {f"{s.topic}/{s.partition}/{s.offset}" for s in sent if s.message.event is not None}
    found: Counter[str] = Counter()
    for record, value in records:
        headers = {k: val.decode() for k, val in record.headers}
        origin = headers.get(ORIGIN, "?")
        if origin in valid:
            v.problem(f"valid event at {origin} was dead-lettered: {headers.get(REASON)}")
            continue
        s = poison.get(origin)
        if s is None:
            v.problem(f"dead letter from {origin} matches nothing that was sent")
            continue
        found[origin] += 1
        if record.key != s.message.key or value != s.message.value:
            v.problem(f"dead letter from {origin} does not keep the original key and bytes")
        reason = headers.get(REASON, "")
        expected = s.message.reason if s.message.reason is not None else s.message.poison
        if not reason or not reason.startswith(expected or ""):
            v.problem(f"dead letter from {origin}: reason {reason!r}, expected {expected}…")
    v.dead_lettered = len(found)
    v.redelivered += sum(n - 1 for n in found.values())
    v.lost_dead_letters = len(set(poison) - set(found))
    for origin in sorted(set(poison) - set(found))[:5]:
        v.problem(f"poison message at {origin} is not in the dead-letter topic")


@dataclass(frozen=True, kw_only=True)
class Row:
    """One line of the fault table."""

    number: str
    scenario: str
    verdict: Verdict
    recover: str = "-"
    notes: tuple[str, ...] = ()


@dataclass
class Table:
    """The rows the scenarios report; printed at the end of the session."""

    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> None:
        """Add (or replace) the row of one scenario."""
        self.rows = [r for r in self.rows if r.number != row.number] + [row]

    def render(self) -> str:
        """The table as Markdown."""
        head = (
            "| # | scenario | events sent | applied | lost | duplicate effects | dead-lettered "
            "| time to recover | notifications | redelivered | order |"
        )
        lines = [head, "|" + "---|" * 11]
        for r in sorted(self.rows, key=lambda r: r.number):
            v = r.verdict
            lines.append(
                f"| {r.number} | {r.scenario} | {v.sent} | {v.applied} | {v.lost} "
                f"| {v.duplicate_effects} | {v.dead_lettered} | {r.recover} "
                f"| {v.notifications} | {v.redelivered} | {v.order} |"
            )
        notes = [
            f"- {r.number}: {n}" for r in sorted(self.rows, key=lambda r: r.number) for n in r.notes
        ]
        return "\n".join([*lines, *([""] if notes else []), *notes])


TABLE = pytest.StashKey[Table]()
"""Where the session keeps the table (``config.stash``)."""


def seconds(values: Sequence[float]) -> str:
    """Format recovery times: the longest, and how many faults there were."""
    if not values:
        return "-"
    worst = max(values)
    return f"{worst:.1f} s" if len(values) == 1 else f"{worst:.1f} s (worst of {len(values)})"
