"""Poll batches: deliveries at the batch's end, nothing lost when it is abandoned."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import Sequence
from typing import Any

import pytest
import structlog

from bureau.adapters.memory import InMemoryStore
from bureau.adapters.store import ConcurrentWriteError, Document
from bureau.schemas import offer_event, student_event
from bureau.service import Exchange, Position
from bureau.service import batch as batches
from bureau.service.context import Context
from bureau.service.documents import changelog
from bureau.service.sealing import Plain
from bureau.topics import Table, Topics
from tests.support import events, publisher

TOPICS = Topics()


class Log(publisher.Log):
    """bureau's publisher, with the changelog versions it was told."""

    def versions(self, student_id: str) -> list[int]:
        """The versions of ``student_id``'s changelog records, in publishing order."""
        return [
            json.loads(v)["v"]
            for t, k, v in self.records
            if t == TOPICS.state(Table.STUDENTS) and k == student_id.encode() and v
        ]


class CrashError(Exception):
    """The worker dies in the middle of a batch."""


def _exchange(log: Log, store: InMemoryStore, **kwargs: Any) -> Exchange:
    return Exchange(store=store, publish=log, topics=TOPICS, **kwargs)


async def _two_versions_then_crash(exchange: Exchange, *, written_between: bool) -> list[Any]:
    first = student_event.validate_python(events.student("s-1"))
    second = student_event.validate_python(
        events.student("s-1", skills=("python",), event_type="StudentProfileUpdated")
    )

    async def crashing() -> None:
        async with exchange.batch():
            await exchange.apply(first, Position(TOPICS.students, 0, 0))
            if written_between:  # as a park or a round's close in between does
                await exchange.pipeline.write_pending()
            await exchange.apply(second, Position(TOPICS.students, 0, 1))
            await exchange.pipeline.write_pending()
            raise CrashError  # after the writes, before the batch's delivery

    with pytest.raises(CrashError):
        await crashing()
    return [first, second]


async def _redeliver(exchange: Exchange, redelivered: list[Any]) -> None:
    """The batch is consumed again (its offsets were never committed)."""
    async with exchange.batch():
        for offset, event in enumerate(redelivered):
            await exchange.apply(event, Position(TOPICS.students, 0, offset))


@pytest.fixture
def held_overwritten(monkeypatch: pytest.MonkeyPatch) -> None:
    """Control: a second change of an aggregate does not deliver the held first."""
    monkeypatch.setattr(batches.Batch, "holds", lambda self, aggregate: False)


@pytest.fixture
def last_outbox_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Control: an aggregate's one write in a batch keeps only its last event's outbox."""
    stage = batches.Batch.stage

    def forgetful(self: batches.Batch, kind: str, commit: Any) -> None:
        if (earlier := self.staged.pop((kind, commit.key), None)) is not None:
            commit = dataclasses.replace(commit, previous=earlier.previous)
        stage(self, kind, commit)

    monkeypatch.setattr(batches.Batch, "stage", forgetful)


@pytest.mark.parametrize("control", [False, True], ids=["batch", "control-last-outbox-only"])
async def test_an_aggregate_written_once_per_batch_delivers_all_its_changes_on_redelivery(
    control: bool, request: pytest.FixtureRequest
) -> None:
    if control:
        request.getfixturevalue("last_outbox_only")
    log, store = Log(), InMemoryStore()
    exchange = _exchange(log, store)
    redelivered = await _two_versions_then_crash(exchange, written_between=False)
    stored = await store.load("students", "s-1")
    assert stored is not None
    assert stored.version == 2  # two events, one write

    await _redeliver(exchange, redelivered)
    assert set(log.versions("s-1")) == ({2} if control else {1, 2})


@pytest.mark.parametrize("control", [False, True], ids=["batch", "control-overwrites-held"])
async def test_a_change_after_a_write_in_the_batch_delivers_the_held_first(
    control: bool, request: pytest.FixtureRequest
) -> None:
    if control:
        request.getfixturevalue("held_overwritten")
    log, store = Log(), InMemoryStore()
    exchange = _exchange(log, store)
    redelivered = await _two_versions_then_crash(exchange, written_between=True)

    await _redeliver(exchange, redelivered)
    # Every committed change reached the changelog; the control loses the first one.
    assert set(log.versions("s-1")) == ({2} if control else {1, 2})


async def test_one_barrier_per_batch_after_its_records_are_out() -> None:
    log, store = Log(), InMemoryStore()
    seen_at_barrier: list[int] = []

    async def barrier() -> None:
        seen_at_barrier.append(len(log.records))

    exchange = _exchange(log, store, barrier=barrier)
    async with exchange.batch():
        for n in range(5):
            await exchange.apply(student_event.validate_python(events.student(f"s-{n}")))
        await exchange.apply(offer_event.validate_python(events.offer("o-1")))
    assert seen_at_barrier == [len(log.records)]

    # Without a batch, each applied student or offer waits for the log on its own.
    await exchange.apply(student_event.validate_python(events.student("s-9")))
    await exchange.apply(offer_event.validate_python(events.offer("o-2")))
    assert len(seen_at_barrier) == 3


@pytest.mark.parametrize("foreign", [True, False], ids=["raced", "control-alone"])
async def test_a_change_of_another_worker_read_at_the_barrier_is_matched(foreign: bool) -> None:
    """Another worker registered s-9 while we opened o-1: the batch's barrier reads it."""
    log, store = Log(), InMemoryStore()
    exchange: Exchange

    async def barrier() -> None:
        if foreign:  # the follower applies the other worker's record now
            profile = events.student("s-9", skills=("linux",))["data"]
            value = changelog(Table.STUDENTS, 1, events.T0, {"profile": profile})
            assert value is not None
            exchange.tables.apply(Table.STUDENTS, "s-9", value)

    exchange = _exchange(log, store, barrier=barrier)
    async with exchange.batch():
        await exchange.apply(offer_event.validate_python(events.offer("o-1")))
    suggested = [
        json.loads(v)["data"]["student_id"] for t, _, v in log.records if t == TOPICS.matches and v
    ]
    assert suggested == (["s-9"] if foreign else [])


class GatedSealer(Plain):
    """Holds each outbox until two are waiting: both sides matched before either landed."""

    def __init__(self) -> None:
        self.waiting = 0
        self.both = asyncio.Event()

    async def seal(self, outbox: Sequence[Document]) -> list[Document]:
        self.waiting += 1
        if self.waiting >= 2:
            self.both.set()
        await self.both.wait()
        return await super().seal(outbox)


@pytest.mark.parametrize("control", [False, True], ids=["raced", "control-first-pass-only"])
async def test_two_subscribers_of_one_worker_racing_still_tell_the_pair(
    control: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A student and an offer in two subscribers' batches at once, each matched before the
    other's write: the second pass after the batches tells the pair anyway."""
    if control:

        async def first_pass_only(self: Context, result: Any, *_: Any) -> None:
            self.absorb(result)

        monkeypatch.setattr(Context, "matched", first_pass_only)
    log, store = Log(), InMemoryStore()
    exchange = _exchange(log, store, sealer=GatedSealer())

    async def subscriber(raw: dict[str, Any], adapter: Any) -> None:
        async with exchange.batch():
            await exchange.apply(adapter.validate_python(raw))

    await asyncio.gather(
        subscriber(events.student("s-1", skills=("linux",)), student_event),
        subscriber(events.offer("o-1", skills=("linux",)), offer_event),
    )
    pairs = {
        (json.loads(v)["data"]["offer_id"], json.loads(v)["data"]["student_id"])
        for t, _, v in log.records
        if t == TOPICS.matches and v
    }
    assert pairs == (set() if control else {("o-1", "s-1")})


async def test_an_event_sent_three_times_in_one_batch_has_one_effect() -> None:
    """The duplicates leave the staged change in place for the batch's next events."""
    log, store = Log(), InMemoryStore()
    exchange = _exchange(log, store)
    first = student_event.validate_python(events.student("s-1"))
    second = student_event.validate_python(
        events.student("s-1", skills=("python",), event_type="StudentProfileUpdated")
    )
    async with exchange.batch():
        for offset, event in enumerate([first, first, first, second]):
            await exchange.apply(event, Position(TOPICS.students, 0, offset))
    assert log.versions("s-1") == [1, 2]
    stored = await store.load("students", "s-1")
    assert stored is not None
    assert stored.version == 2


async def test_an_event_is_logged_as_applied_once_its_batch_is_written() -> None:
    """The workers' logs count first applications: a failed write must not count."""
    log, store = Log(), InMemoryStore()
    exchange = _exchange(log, store)
    real = store.commit_many
    refusals = [ConcurrentWriteError("another writer")]

    async def once_refused(kind: str, commits: Any) -> None:
        if refusals:
            raise refusals.pop()
        await real(kind, commits)

    store.commit_many = once_refused  # type: ignore[method-assign]
    registered = student_event.validate_python(events.student("s-1"))
    with structlog.testing.capture_logs() as logs:
        for _ in range(2):  # refused, then consumed again
            with contextlib.suppress(ConcurrentWriteError):
                async with exchange.batch():
                    await exchange.apply(registered, Position(TOPICS.students, 0, 0))
    assert [e["event"] for e in logs if e["event"] == "event_applied"] == ["event_applied"]
