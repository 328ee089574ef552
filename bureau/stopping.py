"""A worker's stop that always ends: bounded parts, a cancelled batch in one line."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Iterator
from typing import Any

import structlog
from faststream.kafka import KafkaBroker

log = structlog.get_logger(__name__)

BROKER_LOGGER = "bureau.broker"

STOP_TIMEOUT = 30.0
"""Seconds each part of a worker's stop may take before it is abandoned.

Longer than FastStream's graceful timeout (15 s), which a running batch gets first.
"""


def consuming(broker: KafkaBroker) -> set[asyncio.Task[Any]]:
    """The subscribers' consume tasks (each runs one batch at a time)."""
    return {t for sub in broker.subscribers for t in getattr(sub, "tasks", ()) if not t.done()}


async def settled(batches: set[asyncio.Task[Any]], within: float) -> None:
    """Wait for the consume tasks the broker cancelled; report one that does not end."""
    # FastStream cancels a batch that outlived the graceful timeout without waiting for
    # it: its unwinding, and FastStream's report of it, come after the broker's stop.
    if batches:
        _, running = await asyncio.wait(batches, timeout=within)
        if running:
            log.warning("worker_batch_abandoned", batches=len(running), after_s=within)


async def bounded(part: str, stopping: Coroutine[Any, Any, None], within: float) -> None:
    """Await ``stopping`` for at most ``within`` seconds; log, never raise, if it fails."""
    # A task of its own: a CancelledError raised while closing (aiokafka's fetcher ends
    # a timed-out fetch so; FastStream's task group then cancels itself) ends that
    # task, not the caller's next await.
    task = asyncio.create_task(stopping, name=f"stop {part}")
    task.add_done_callback(_outcome_read)
    try:
        await asyncio.wait({task}, timeout=within)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not task.done():
        task.cancel()
        log.warning("worker_stop_abandoned", part=part, after_s=within)
    elif task.cancelled():
        log.warning("worker_stop_cancelled", part=part)
    elif (error := task.exception()) is not None:
        log.warning("worker_stop_failed", part=part, error=repr(error))


def _outcome_read(task: asyncio.Task[None]) -> None:
    # An abandoned part may fail after its caller moved on: no "never retrieved" noise.
    if not task.cancelled():
        task.exception()


class _CancelledBatch(logging.Filter):
    """Reports a batch cancelled by a stop in one warning, instead of FastStream's error."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, asyncio.CancelledError):
            return True
        # FastStream logs it with its traceback; on the console that renders every
        # frame's locals (the batch, the tables), which held the event loop for
        # minutes after a 5,000-student round.
        log.warning(
            "worker_batch_cancelled",
            topic=getattr(record, "topic", None),
            group=getattr(record, "group_id", None),
            why="still running after the graceful timeout; not committed, delivered again",
        )
        return False


@contextlib.contextmanager
def cancelled_batches_in_one_line() -> Iterator[None]:
    """While stopping: a batch the broker cancels is logged in one warning line."""
    broker_log, quiet = logging.getLogger(BROKER_LOGGER), _CancelledBatch()
    broker_log.addFilter(quiet)
    try:
        yield
    finally:
        broker_log.removeFilter(quiet)
