"""A worker's stop ends, in bounded time, even while a batch is stuck in the store.

After a round's close the offers' books take its allocations; on FerretDB 1.24 one of
their grouped writes never answered, and the bench's worker stop then ran for minutes:
FastStream cancelled the batch and logged it with a traceback whose every frame's
locals were rendered, holding the event loop, and aiokafka's CancelledError from a
timed-out fetch cancelled the caller's next await.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence

import pytest
import structlog

from bureau.adapters.kafka import ensure_topics
from bureau.adapters.memory import InMemoryStore
from bureau.adapters.store import Commit
from bureau.app import Worker, topic_configs, wire
from bureau.security.client import aiokafka_security
from bureau.settings import Settings
from bureau.stopping import BROKER_LOGGER, STOP_TIMEOUT, bounded
from bureau.topics import Topics
from tests.support import events
from tests.support.kafka import as_json, produce

GRACE = 15.0
"""FastStream's graceful timeout: what a running batch gets before it is cancelled."""


class _Stuck(InMemoryStore):
    """A store whose grouped write never answers, as FerretDB's did."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = asyncio.Event()

    async def commit_many(self, kind: str, commits: Sequence[Commit]) -> None:
        self.entered.set()
        await asyncio.Event().wait()


@contextlib.asynccontextmanager
async def _stuck_worker(settings: Settings) -> AsyncIterator[Worker]:
    topics = Topics.from_settings(settings)
    await ensure_topics(
        settings.kafka_bootstrap,
        topics.all(),
        settings.partitions,
        topic_configs(settings),
        **aiokafka_security(settings),
    )
    store = _Stuck()
    worker = wire(settings, store)
    await worker.follower.restore()
    await worker.broker.start()
    try:
        students = [events.student(f"s-{i}", school_id="roc-a") for i in range(3)]
        await produce(settings.kafka_bootstrap, topics.students, as_json(students, "student_id"))
        async with asyncio.timeout(120):  # the worker takes the batch and is stuck in it
            await store.entered.wait()
        yield worker
    finally:
        await worker.stop(within=10)  # again, after a test that failed or stopped it


async def test_a_stop_ends_while_a_batch_is_stuck_and_reports_it_in_one_line(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=BROKER_LOGGER)
    async with _stuck_worker(settings) as worker:
        started = time.monotonic()
        with structlog.testing.capture_logs() as logs:
            # A stop that does not end fails here instead of holding the run.
            async with asyncio.timeout(GRACE + 4 * STOP_TIMEOUT):
                await worker.stop()
        took = time.monotonic() - started
        await asyncio.sleep(0)  # the caller's next await is not cancelled
        assert GRACE - 1 < took < GRACE + STOP_TIMEOUT, took
        said = [e["event"] for e in logs]
        assert said.count("worker_batch_cancelled") == 1, said
        assert "worker_batch_abandoned" not in said, said
        cancelled = [r for r in caplog.records if r.name == BROKER_LOGGER and r.exc_info]
        assert cancelled == []  # not FastStream's error with its traceback
        assert worker.follower._consumer is None  # the tables' reader closed too


async def test_control_the_brokers_own_stop_reports_the_batch_with_its_traceback(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The checks above see the fault: FastStream's stop logs the cancelled batch as an error."""
    caplog.set_level(logging.WARNING, logger=BROKER_LOGGER)
    async with _stuck_worker(settings) as worker:
        # Rendered by a bare handler here; bureau's console renderer draws every local.
        async with asyncio.timeout(GRACE + 4 * STOP_TIMEOUT):
            await worker.broker.stop()
            await worker.follower.stop()
            await worker.publisher.close()
        cancelled = [r for r in caplog.records if r.name == BROKER_LOGGER and r.exc_info]
        assert [type(r.exc_info[1]) for r in cancelled if r.exc_info] == [asyncio.CancelledError]
        assert cancelled[0].levelno == logging.ERROR


async def test_a_part_that_never_ends_is_abandoned_and_one_cancelled_inside_stays_inside() -> None:
    async def forever() -> None:
        await asyncio.Event().wait()

    async def cancelled_inside() -> None:
        # As aiokafka's fetcher: a fetch sleeping after a timeout, cancelled by the close.
        raise asyncio.CancelledError

    with structlog.testing.capture_logs() as logs:
        started = time.monotonic()
        await bounded("forever", forever(), within=0.2)
        assert time.monotonic() - started < 5
        await bounded("fetcher", cancelled_inside(), within=5)
        await asyncio.sleep(0)  # not cancelled: the CancelledError ended its own task
    # Only the stop's lines: a task another test left behind may log meanwhile.
    assert [(e["event"], e["part"]) for e in logs if e["event"].startswith("worker_stop")] == [
        ("worker_stop_abandoned", "forever"),
        ("worker_stop_cancelled", "fetcher"),
    ]
