"""Rebuild every projection from the inbound topics into a fresh database, and compare.

A replay seals and opens with the live database's key store (the students' data keys
are no projection: they are not rebuilt, nor compared), and starts knowing every
erased pseudonym: an erased student stays erased, and nothing sealed for them opens.

``bureau replay --into-db NAME`` runs the worker's own subscribers (the same decoding,
service code and idempotency) against the database ``NAME``, in consumer groups of its
own that start at offset 0 of every inbound topic, until they have consumed what the
topics held when the replay began. Nothing is published: notifications, dead letters
and re-driven events from a replay are discarded, because the live system already
published them (the ledger in ``NAME`` still records the notifications as sent).

Then every collection of both databases is reduced to a canonical hash (documents as
canonical JSON, sorted), so a rebuilt database can be compared with the live one.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from faststream import BaseMiddleware
from faststream.kafka import KafkaBroker
from faststream.kafka.subscriber.usecase import LogicSubscriber
from pymongo import AsyncMongoClient

from bureau.adapters.mongo import MongoStore
from bureau.app import wire
from bureau.privacy.keys import KEYS, MongoKeyStore
from bureau.security.client import aiokafka_security
from bureau.settings import Settings

DELIVERY = frozenset({"version", "seen", "outbox", "parked"})
SCHEDULED = frozenset({"statistics", "dead_letters"})
"""Collections written on a schedule or at delivery time (the statistics refresh, the
operator's list of dead letters with when they happened), not by applying events."""
"""Fields left out of the comparison: how and when events were delivered (a version moves
on when an event is parked), not what they made of the projections."""


class ReplayError(RuntimeError):
    """The replay cannot start (for instance, the target database is not fresh)."""


class _DiscardPublishes(BaseMiddleware):
    """Drops every publish: the live system has sent all of it already."""

    async def publish_scope(self, call_next: Callable[[Any], Awaitable[Any]], cmd: Any) -> Any:
        return None


async def _discard(topic: str, key: bytes, value: bytes | None) -> None:
    """Bureau's publisher in a replay: the live system has sent all of it already."""


class Progress:
    """A progress bar on a terminal, a line per tenth otherwise."""

    def __init__(self, total: int, *, label: str = "replay", stream: IO[str] | None = None):
        """Show progress towards ``total`` records on ``stream`` (stderr by default)."""
        self.total, self.label = total, label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.done = 0
        self.started = time.monotonic()
        self._drawn = -1.0
        self._tenth = -1

    def update(self, done: int) -> None:
        """Show that ``done`` records are applied."""
        self.done = min(done, self.total)
        now = time.monotonic()
        tenth = 10 * self.done // max(self.total, 1)
        if self.tty and now - self._drawn >= 0.1:
            self._drawn = now
            self.stream.write("\r" + self._line(now))
            self.stream.flush()
        elif not self.tty and tenth > self._tenth:
            self._tenth = tenth
            self.stream.write(self._line(now) + "\n")
            self.stream.flush()

    def close(self) -> None:
        """Draw the final state and end the line."""
        self._drawn = -1.0
        self.update(self.done)
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def _line(self, now: float) -> str:
        share = self.done / self.total if self.total else 1.0
        bar = "#" * int(30 * share)
        elapsed = now - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        return (
            f"{self.label} [{bar:<30}] {self.done}/{self.total} {100 * share:3.0f}% "
            f"{elapsed:5.1f} s {rate:6.0f} records/s"
        )


@dataclass(frozen=True)
class ReplayReport:
    """What a replay did."""

    database: str
    records: int
    seconds: float


def consumer_groups(broker: KafkaBroker) -> dict[str, list[str]]:
    """Each consumer group of ``broker``'s subscribers and the topics it reads."""
    return {
        sub.group_id or "": list(sub.topic_names)
        for sub in broker.subscribers
        if isinstance(sub, LogicSubscriber)
    }


async def replay(
    settings: Settings, *, into_db: str, progress: Callable[[int], Progress] | None = None
) -> ReplayReport:
    """Apply every record of the inbound topics, from offset 0, to the fresh ``into_db``."""
    if into_db == settings.mongo_db:
        raise ReplayError(f"refusing to replay into the live database {into_db!r}")
    store = MongoStore(settings.mongo_url, into_db)
    try:
        if await store.db.list_collection_names():
            raise ReplayError(f"database {into_db!r} is not empty; replay needs a fresh one")
        await store.ensure_indexes()
        own = settings.model_copy(
            update={
                "mongo_db": into_db,
                # Inside bureau's ACL on groups (prefix "<group_prefix>bureau-").
                "group_prefix": f"{settings.group_prefix}bureau-replay-{uuid.uuid4().hex[:12]}.",
            }
        )
        # The live key store: what was sealed opens and seals alike, and an erased
        # student's key stays gone, so nothing of theirs becomes readable here.
        keys = MongoKeyStore(store.db.client[settings.mongo_db])
        worker = wire(own, store, publish=lambda _: _discard, keys=keys)
        worker.exchange.tables.erased.update(await keys.erased())
        broker = worker.broker
        broker.add_middleware(_DiscardPublishes)  # dead letters go through the broker
        groups = consumer_groups(broker)
        topics = sorted({t for ts in groups.values() for t in ts})
        security = aiokafka_security(settings)
        start, end = await _offsets(settings.kafka_bootstrap, topics, security)
        # A record counts once per group that reads it (today: one group per topic).
        total = sum(
            end[tp] - start[tp] for topics in groups.values() for tp in end if tp.topic in topics
        )
        bar = progress(total) if progress else None
        began = time.monotonic()
        await broker.start()
        try:
            admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, **security)
            await admin.start()
            try:
                while True:
                    done = await _done(admin, groups, start, end)
                    if bar:
                        bar.update(done)
                    if done >= total:
                        break
                    await asyncio.sleep(0.2)  # poll interval of the progress bar
            finally:
                await admin.close()
        finally:
            await broker.stop()
            if worker.signatures is not None:
                await worker.signatures.stop()
            if bar:
                bar.close()
        return ReplayReport(database=into_db, records=total, seconds=time.monotonic() - began)
    finally:
        await store.close()


async def _offsets(
    bootstrap: str, topics: list[str], security: Mapping[str, Any]
) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **security)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security)
    await consumer.start()
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        described = await admin.describe_topics([t for t in topics if t in existing])
        parts = [
            TopicPartition(d["topic"], p["partition"])
            for d in described
            for p in d.get("partitions", [])
        ]
        if not parts:
            return {}, {}
        return dict(await consumer.beginning_offsets(parts)), dict(
            await consumer.end_offsets(parts)
        )
    finally:
        await admin.close()
        await consumer.stop()


async def _done(
    admin: AIOKafkaAdminClient,
    groups: Mapping[str, list[str]],
    start: Mapping[TopicPartition, int],
    end: Mapping[TopicPartition, int],
) -> int:
    done = 0
    for group, topics in groups.items():
        committed = await admin.list_consumer_group_offsets(group)
        for tp, last in end.items():
            if tp.topic in topics:
                meta = committed.get(tp)
                at = meta.offset if meta is not None and meta.offset >= 0 else start[tp]
                done += max(0, min(at, last) - start[tp])
    return done


@dataclass(frozen=True)
class Digest:
    """A collection reduced to its size and a hash of its canonical form."""

    count: int
    sha256: str


def canonical(doc: Mapping[str, Any]) -> str:
    """One document as canonical JSON: sorted keys, no spaces, dates and ids as strings."""
    return json.dumps(
        doc, sort_keys=True, separators=(",", ":"), default=_plain, ensure_ascii=False
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)  # UUID, ObjectId, Decimal128, ...


Canonical = dict[str, dict[str, str]]
"""Collection → canonical ``_id`` → canonical document."""


async def canonical_documents(url: str, database: str) -> Canonical:
    """Every document of ``database`` in canonical form, without delivery bookkeeping."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, uuidRepresentation="standard")
    try:
        db = client[database]
        out: Canonical = {}
        for name in sorted(set(await db.list_collection_names()) - SCHEDULED - {KEYS}):
            out[name] = {
                canonical({"_id": doc["_id"]}): canonical(
                    {k: v for k, v in doc.items() if k not in DELIVERY}
                )
                async for doc in db[name].find()
                # A placeholder holds only events parked for it: delivery, not state.
                if "state" in doc or "parked" not in doc
            }
        return out
    finally:
        await client.close()


def digest(documents: Mapping[str, str]) -> Digest:
    """The size and hash of one collection's canonical documents, in sorted order."""
    lines = sorted(documents.values())
    return Digest(count=len(lines), sha256=hashlib.sha256("\n".join(lines).encode()).hexdigest())


async def digests(url: str, database: str) -> dict[str, Digest]:
    """Canonical hash of every collection of ``database``."""
    return {name: digest(docs) for name, docs in (await canonical_documents(url, database)).items()}


def first_differences(rebuilt: Canonical, live: Canonical) -> dict[str, tuple[str, str, str]]:
    """Per differing collection, the first differing ``_id`` and both of its versions."""
    out = {}
    for name in sorted(set(rebuilt) | set(live)):
        mine, theirs = rebuilt.get(name, {}), live.get(name, {})
        for key in sorted(set(mine) | set(theirs)):
            if mine.get(key) != theirs.get(key):
                out[name] = (key, mine.get(key, "-"), theirs.get(key, "-"))
                break
    return out


def compare(rebuilt: Mapping[str, Digest], live: Mapping[str, Digest]) -> list[str]:
    """The collections whose canonical hashes differ (or exist on one side only)."""
    return sorted(n for n in set(rebuilt) | set(live) if rebuilt.get(n) != live.get(n))


def report(rebuilt: Mapping[str, Digest], live: Mapping[str, Digest] | None) -> str:
    """A table of the collections' sizes and hashes, side by side when comparing."""
    rows = [("collection", "rebuilt", "live" if live is not None else "", "")]
    for name in sorted(set(rebuilt) | set(live or {})):
        mine = rebuilt.get(name)
        theirs = (live or {}).get(name)
        rows.append(
            (
                name,
                f"{mine.count:>6} {mine.sha256[:16]}" if mine else "-",
                (f"{theirs.count:>6} {theirs.sha256[:16]}" if theirs else "-")
                if live is not None
                else "",
                ("equal" if mine == theirs else "DIFFERENT") if live is not None else "",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


async def run_replay(
    settings: Settings, *, into_db: str, compare_with: str | None, out: IO[str] = sys.stdout
) -> bool:
    """Replay into ``into_db``, print the hashes (against ``compare_with``); True if equal."""
    result = await replay(settings, into_db=into_db, progress=lambda total: Progress(total))
    print(
        f"replayed {result.records} records into {result.database} in {result.seconds:.1f} s",
        file=out,
    )
    rebuilt = await canonical_documents(settings.mongo_url, into_db)
    live = await canonical_documents(settings.mongo_url, compare_with) if compare_with else None
    print(
        report(
            {n: digest(d) for n, d in rebuilt.items()},
            {n: digest(d) for n, d in live.items()} if live is not None else None,
        ),
        file=out,
    )
    if live is None:
        return True
    different = first_differences(rebuilt, live)
    for name, (key, mine, theirs) in different.items():
        print(
            f"{name}: first difference at {key}\n  rebuilt: {mine}\n  live:    {theirs}", file=out
        )
    print(f"DIFFERENT: {', '.join(different)}" if different else "every collection equal", file=out)
    return not different
