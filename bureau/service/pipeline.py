"""The one path every event takes: load by ``_id``, decide, one write, then deliver.

Exactly once, with a bounded record. Each aggregate keeps, in the same document as
its state, (a) per source partition the highest offset it applied, and (b) the ids and
body digests of its last ``RECENT`` events. Kafka redelivers only what follows a
committed offset and a partition's records reach one aggregate in offset order, so
(a) recognises every redelivery and every re-read from offset 0; (b) recognises a
partner sending one event twice (or a parked event re-driven twice) within that
window, and refuses a reused event id with a different body. Neither grows.

The outbox holds what the last write sends (views, outcomes, changelog records,
re-driven parked events): one event's, or in a poll batch all of the events that
write covers (``service.batch``). It is written in the same write as the state and
never cleared: a redelivery of the write's last event delivers it again, under the
same ids. It is sealed (``sealing.Sealer``) before the commit, so what rests and what goes
out match.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import structlog
from opentelemetry import context as otel

from bureau.adapters.store import Commit, ConcurrentWriteError, Document, Store, Stored
from bureau.domain.decisions import Applied, Parked, Rejected, check_same_body
from bureau.domain.retention import PARKED_AT
from bureau.schemas.envelope import Envelope
from bureau.schemas.identity import aggregate_id, event_digest
from bureau.service import batch as batches
from bureau.service.sealing import Plain, Sealer

log = structlog.get_logger(__name__)

RECENT = 64
"""Ids (with body digests) of the last events each aggregate remembers."""


class Publish(Protocol):
    """Sends one record; returns once the broker acknowledged it."""

    async def __call__(self, topic: str, key: bytes, value: bytes | None) -> None:
        """Publish ``value`` under ``key`` on ``topic``; ``None`` is a tombstone."""
        ...


class PublishMany(Protocol):
    """A publisher that takes many records at once (``KafkaPublisher``): no task each."""

    async def many(
        self, records: Sequence[tuple[str, bytes, bytes | None, otel.Context | None]]
    ) -> None:
        """Send ``records`` (topic, key, value, trace) in order; return once all are acked."""
        ...


class RejectedEventError(Exception):
    """The domain refused the event (illegal transition, stranger speaking, ...)."""


class PresumedAbsentError(ConcurrentWriteError):
    """A batch took a key as new (``Pipeline.presume``), and it was stored: apply it again."""


@dataclass(frozen=True)
class Position:
    """Where a consumed event came from."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class Done:
    """The event was applied now; ``before`` is what was stored until then."""

    decision: Applied[Any]
    before: Stored | None
    outbox: tuple[Document, ...]


@dataclass(frozen=True)
class Duplicate:
    """The event was applied before; ``last`` when it is the aggregate's latest one."""

    stored: Stored
    last: bool


@dataclass(frozen=True)
class Waiting:
    """The event was parked until ``ref`` exists."""

    ref: str


Result = Done | Duplicate | Waiting
Decide = Callable[[Stored | None], Applied[Any] | Rejected | Parked]
Follow = Callable[[Stored | None, Applied[Any]], Sequence[Document]]


def recognise(seen: Document, event: Envelope, at: Position | None) -> bool | None:
    """True: applied before; None: new; raises if the id was used for another body."""
    event_id = str(event.event_id)
    for entry in seen.get("recent", ()):
        if entry["id"] == event_id:
            if refused := check_same_body(event, entry["h"]):
                raise RejectedEventError(refused.reason)
            return True
    if at is not None:
        for mark in seen.get("marks", ()):
            if mark["t"] == at.topic and mark["p"] == at.partition:
                return True if at.offset <= mark["o"] else None
    return None


def remember(
    seen: Document, cause: Envelope, emitted: Sequence[Envelope], at: Position | None
) -> Document:
    """The seen-record after applying ``cause`` (which emitted ``emitted``) from ``at``."""
    # The cause goes last: a redelivered cause is recognised as the aggregate's latest
    # event by that, and only then is the outbox it left delivered again.
    recent = [
        *seen.get("recent", ()),
        *({"id": str(e.event_id), "h": event_digest(e)} for e in (*emitted, cause)),
    ]
    marks = [
        m
        for m in seen.get("marks", ())
        if at is None or (m["t"], m["p"]) != (at.topic, at.partition)
    ]
    if at is not None:
        marks.append({"t": at.topic, "p": at.partition, "o": at.offset})
    return {"marks": marks, "recent": recent[-RECENT:]}


def publish_entry(topic: str, key: str, event: Envelope | None) -> Document:
    """An outbox entry that publishes ``event`` (None: a tombstone) under ``key``."""
    return {"topic": topic, "key": key, "value": event.model_dump_json() if event else None}


def topics_of(entry: Document) -> list[str]:
    """The topics an outbox entry publishes to: one, or (a suggestion) several."""
    if "topics" in entry:
        return list(entry["topics"])
    return [entry["topic"]] if "topic" in entry else []


def view_entry(view: str, key: str, doc: Document | None) -> Document:
    """An outbox entry that replaces (None: deletes) one view document."""
    return {"view": view, "key": key, "doc": doc}


@dataclass(kw_only=True)
class Pipeline:
    """Runs events through load → decide → commit → deliver; one per exchange."""

    store: Store
    publish: Publish
    sealer: Sealer = field(default_factory=Plain)

    async def run(
        self,
        kind: str,
        key: str,
        event: Envelope,
        decide: Decide,
        *,
        topic: str,
        at: Position | None,
        fields: Callable[[Any], Document],
        follow: Follow | None = None,
        redrive: bool = True,
    ) -> Result:
        """Apply ``event`` to aggregate ``kind``/``key`` exactly once.

        ``redrive`` False drops the events parked on the aggregate instead of sending
        them again (an erased student's: they would be refused, and kept in the outbox).
        """
        batch = batches.current()
        if batch is not None and (kind, key) in batch.reads:
            # Read ahead, or staged by an earlier event of the batch: what is true now.
            stored = batch.reads[(kind, key)]
        else:
            stored = await self.store.load(kind, key)
        if stored is not None and stored.state is not None and recognise(stored.seen, event, at):
            recent = stored.seen.get("recent") or [{"id": None}]
            last = recent[-1]["id"] == str(event.event_id)
            # A crash may have come between the commit and the delivery.
            if last and batch is None:
                await self.deliver(stored.outbox)
            elif last and batch is not None and not batch.holds((kind, key)):
                batch.hold((kind, key), stored.outbox)
            log.info("event_duplicate")
            return Duplicate(stored, last)
        decision = decide(stored)
        if isinstance(decision, Rejected):
            raise RejectedEventError(decision.reason)
        if isinstance(decision, Parked):
            await self.park(decision.waiting_for, event, topic)
            return Waiting(decision.waiting_for)
        parked = stored.parked if stored and redrive else ()
        outbox = await self.sealer.seal([*(follow(stored, decision) if follow else ()), *parked])
        commit = Commit(
            key,
            stored,
            decision.state.model_dump(mode="json"),
            fields(decision.state),
            remember(stored.seen if stored else {}, event, decision.emitted, at),
            outbox,
            (stored.version if stored else 0) + 1,
        )
        if batch is None:
            await self.store.commit(
                kind,
                key,
                previous=stored,
                state=commit.state,
                fields=commit.fields,
                seen=commit.seen,
                outbox=outbox,
            )
            await self.deliver(outbox)
        else:
            if batch.holds((kind, key)) and (kind, key) not in batch.staged:
                # Written earlier in the batch, and our write replaces that outbox: out first.
                await self.deliver_traced(batch.take())
            if batch.grouped:
                batch.stage(kind, commit)
            else:
                await self.store.commit_many(kind, [commit])
                batch.reads.pop((kind, key), None)  # stored now; the next event loads it
            batch.hold((kind, key), outbox)
        if stored is not None and stored.parked:
            log.info(
                "parked_events_redriven" if redrive else "parked_events_dropped",
                count=len(stored.parked),
            )
        if batch is not None and batch.grouped:
            # Applied once written: the batch's write may still fail and be retried.
            context = structlog.contextvars.get_contextvars()
            batch.applied.append(context | {"outcomes": len(decision.outcomes)})
        else:
            log.info("event_applied", outcomes=len(decision.outcomes))
        return Done(decision, stored, tuple(outbox))

    async def prefetch(self, kind: str, keys: Sequence[str]) -> None:
        """Load the aggregates a batch's events will change, in one round trip.

        ``run`` uses each until it stages a change (which replaces it); a write outside
        ``run`` forgets it (``changed``). A stale one, changed meanwhile by another
        writer, fails the version check and the batch is applied again from fresh reads.
        """
        batch = batches.current()
        wanted = sorted({k for k in keys if (kind, k) not in batch.reads}) if batch else []
        if batch is None or not wanted:
            return
        found = await self.store.load_many(kind, wanted)
        batch.reads.update(((kind, k), found.get(k)) for k in wanted)

    def presume(self, kind: str, keys: Sequence[str]) -> None:
        """Take ``keys`` as stored nowhere, unread, in a batch that may presume.

        For creations of keys the tables do not know: nearly always new. One that was
        stored (a redelivery, a placeholder holding parked events) is decided as new,
        and its insert fails the batch's write (``PresumedAbsentError``); the batch is
        then applied again from reads, as a redelivery would be.
        """
        batch = batches.current()
        if batch is None or not batch.presume:
            return
        for key in keys:
            if (kind, key) not in batch.reads:
                batch.reads[(kind, key)] = None
                batch.presumed.add((kind, key))

    async def read(self, kind: str, key: str) -> Stored | None:
        """Load an aggregate that is read, not changed, by this event (once per batch)."""
        batch = batches.current()
        if batch is None:
            return await self.store.load(kind, key)
        if (kind, key) not in batch.reads:
            batch.reads[(kind, key)] = await self.store.load(kind, key)
        return batch.reads[(kind, key)]

    def changed(self, kind: str, key: str) -> None:
        """An aggregate was written outside ``run``: forget what ``read`` kept of it."""
        if (batch := batches.current()) is not None:
            # Forgetting a staged change would lose it: ``write_pending`` comes first.
            assert (kind, key) not in batch.staged, f"{kind}/{key} changed while staged"
            batch.reads.pop((kind, key), None)

    async def insert(self, view: str, key: str, doc: Document) -> None:
        """Add to an append-only view; in a batch, with the batch's other inserts."""
        batch = batches.current()
        if batch is None:
            await self.store.insert_view(view, key, doc)
        else:
            batch.inserts.append((view, key, doc))

    async def write_pending(self) -> None:
        """Write the batch's staged commits and held inserts now.

        Before reading around the pipeline, or writing outside it.
        """
        if (batch := batches.current()) is not None:
            await self.write_staged(batch)
            await self.insert_all(batch.inserts)
            batch.inserts = []

    async def write_staged(self, batch: batches.Batch) -> None:
        """Write ``batch``'s staged aggregates: one ``commit_many`` per kind."""
        staged, batch.staged = batch.staged, {}
        kinds: dict[str, list[Commit]] = {}
        for (kind, _), commit in staged.items():
            kinds.setdefault(kind, []).append(commit)
        for kind, commits in kinds.items():
            await self.store.commit_many(kind, commits)
        applied, batch.applied = batch.applied, []
        for logged in applied:
            log.info("event_applied", **logged)

    async def insert_all(self, inserts: Sequence[tuple[str, str, Document]]) -> None:
        """Write ``inserts``, one ``insert_views`` call per view."""
        views: dict[str, list[tuple[str, Document]]] = {}
        for view, key, doc in inserts:
            views.setdefault(view, []).append((key, doc))
        for view, docs in views.items():
            await self.store.insert_views(view, docs)

    async def deliver(self, outbox: Sequence[Document]) -> None:
        """Write the views, then publish the records (all in flight at once)."""
        now = otel.get_current()
        await self.deliver_traced([(entry, now) for entry in outbox])

    async def deliver_traced(self, outbox: Sequence[tuple[Document, otel.Context]]) -> None:
        """``deliver``, each record sent in the trace of the event that made it."""
        opened: list[tuple[Document, otel.Context]] = []
        for entry, trace in outbox:
            if "topic" in entry and "value" not in entry:  # a parked event, sealed whole
                opened.extend((e, trace) for e in await self.sealer.unpark([entry]))
            else:
                opened.append((entry, trace))
        outbox = opened
        views: dict[str, dict[str, Document | None]] = {}
        for entry, _ in outbox:
            if "view" in entry:  # one key twice: the later entry is the newer document
                views.setdefault(entry["view"], {})[entry["key"]] = entry["doc"]
        batch = batches.current()  # a delivery in mid-batch: what it read ahead moves on
        for view, docs in views.items():
            await self.store.put_views(view, docs)
            if batch is not None:
                batch.wrote(view, docs)
        records: list[tuple[str, str, bytes | None, otel.Context | None]] = []
        for e, trace in outbox:
            value = None if e.get("value") is None else e["value"].encode()
            records.extend((topic, e["key"], value, trace) for topic in topics_of(e))
        await self.publish_all(records)

    async def publish_all(
        self, records: Sequence[tuple[str, str, bytes | None, otel.Context | None]]
    ) -> None:
        """Publish records in chunks, many in flight so the producer batches them."""
        # The producer keeps per-partition order for records sent in order; chunks bound
        # how much is in flight, so a large publish cannot time out on a slow machine.
        # Told by its method: isinstance on a runtime-checkable Protocol costs ~5 µs.
        batched = cast(PublishMany, self.publish) if hasattr(self.publish, "many") else None
        for start in range(0, len(records), 500):
            chunk = records[start : start + 500]
            if batched is not None:
                await batched.many([(t, k.encode(), v, trace) for t, k, v, trace in chunk])
            else:
                await asyncio.gather(*(self._send(*record) for record in chunk))

    async def _send(
        self, topic: str, key: str, value: bytes | None, trace: otel.Context | None
    ) -> None:
        # Each send is a task of gather's: attaching here changes only this send's trace.
        token = otel.attach(trace) if trace is not None else None
        try:
            await self.publish(topic, key.encode(), value)
        finally:
            if token is not None:
                otel.detach(token)

    async def park(self, ref: str, event: Envelope, topic: str) -> None:
        """Keep ``event`` (from ``topic``) on the aggregate it waits for; then look again."""
        kind, _, key = ref.partition(":")
        # When it started waiting (the event's own time: a redelivery parks the same entry)
        since = {PARKED_AT: event.occurred_at.isoformat(), "ref": ref}
        entry = await self.sealer.park(publish_entry(topic, aggregate_id(event), event) | since)
        batch = batches.current()
        if batch is not None and (f"{kind}s", key) in batch.staged:
            await self.write_pending()  # parking moves the version the staged write expects
        self.changed(f"{kind}s", key)
        await self.store.park(f"{kind}s", key, entry)
        log.info("event_parked", waiting_for=ref)
        # The reference may have arrived meanwhile, and its writer may not look again.
        found = await self.store.load(f"{kind}s", key)
        if found is not None and found.state is not None and not found.state.get("erased"):
            await self.deliver(found.parked)
