"""Follows bureau's changelog topics into the in-memory tables, like a global table.

Every worker reads every partition of every changelog topic (no consumer group), so
each has the whole exchange's current state. ``restore`` reads up to the end offsets
before the worker takes events; ``barrier`` waits until everything published before
it was called has been read (so a match sees every change already committed).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition

from bureau.topics import Table, Topics

log = structlog.get_logger(__name__)

Apply = Callable[[str, str, bytes | None], object]
Progress = Callable[[int, int], None]

REFREEZE_AT = 10_000
"""Records applied before the tables are frozen again after a restore (then at each doubling)."""


class TableFollower:
    """Reads the changelog topics from the beginning and keeps applying them."""

    def __init__(
        self, bootstrap: str, topics: Topics, apply: Apply, client: Mapping[str, Any] | None = None
    ) -> None:
        """Apply each record of ``topics``' changelogs with ``apply(table, key, value)``."""
        self._bootstrap, self._client = bootstrap, dict(client or {})
        self._tables = {topics.state(t): t for t in Table.ALL}
        self._apply = apply
        self._consumer: AIOKafkaConsumer | None = None
        self._partitions: list[TopicPartition] = []
        self._task: asyncio.Task[None] | None = None
        self._moved = asyncio.Condition()
        self._positions: dict[TopicPartition, int] = {}
        self._own: dict[TopicPartition, set[int]] = {}
        self.patience = 15.0
        """Seconds a barrier waits for other workers' records before matching anyway."""
        self.records = 0
        self._refreeze = REFREEZE_AT

    async def restore(self, progress: Progress | None = None) -> float:
        """Read every changelog to its current end; return the seconds it took."""
        started = time.monotonic()
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=5000,
            # A barrier waits for records just written: an idle fetch must not sit on the
            # broker for the default 500 ms before it sees them.
            fetch_max_wait_ms=20,
            **self._client,
        )
        await consumer.start()
        self._consumer = consumer
        self._partitions = [
            TopicPartition(topic, p)
            for topic in self._tables
            for p in sorted(await _partitions(consumer, topic))
        ]
        consumer.assign(self._partitions)
        await consumer.seek_to_beginning(*self._partitions)
        start = await consumer.beginning_offsets(self._partitions)
        end = await consumer.end_offsets(self._partitions)
        total = sum(end[tp] - start[tp] for tp in self._partitions)
        log.info("tables_restoring", records=total)
        with _collector_off(collect=True):
            await self._poll()
            while not self._reached(end):
                await self._poll()
                if progress is not None:
                    progress(min(self.records, total), total)
        seconds = time.monotonic() - started
        self._refreeze = max(2 * self.records, REFREEZE_AT)
        log.info("tables_restored", records=self.records, seconds=round(seconds, 2))
        self._task = asyncio.create_task(self._follow())
        return seconds

    async def barrier(self) -> None:
        """Wait until every record published before this call has been applied."""
        consumer = self._consumer
        if consumer is None:
            return
        try:
            # Bounded: a barrier that cannot be met must not hold a partition. Past it,
            # matching goes on with the tables as they are (at worst a racing pair is
            # told by the other side only), and says so.
            async with asyncio.timeout(self.patience):
                end = await consumer.end_offsets(self._partitions)
                async with self._moved:
                    await self._moved.wait_for(lambda: self._reached(end))
        except TimeoutError:
            log.warning("tables_barrier_timed_out", seconds=self.patience)

    async def stop(self) -> None:
        """Stop following; give what the restore froze back to the collector."""
        gc.unfreeze()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    def written(self, topic: str, partition: int, offset: int) -> None:
        """Note a record this process wrote (and applied to its tables already)."""
        tp = TopicPartition(topic, partition)
        if tp in self._own or topic in self._tables:
            self._own.setdefault(tp, set()).add(offset)

    def _reached(self, end: Mapping[TopicPartition, int]) -> bool:
        # Our own records are in our tables already (write-through): a barrier waits only
        # for the records of other workers.
        for tp, offset in end.items():
            position = self._positions.get(tp, 0)
            if position < offset:
                own = self._own.get(tp, set())
                if not all(o in own for o in range(position, offset)):
                    return False
        return True

    async def _poll(self) -> None:
        assert self._consumer is not None
        batches = await self._consumer.getmany(timeout_ms=200, max_records=5000)
        with _collector_off():
            for tp, records in batches.items():
                table = self._tables[tp.topic]
                for record in records:
                    self._apply(table, record.key.decode(), record.value)
                self.records += len(records)
        for tp in self._partitions:
            self._positions[tp] = position = await self._consumer.position(tp)
            if own := self._own.get(tp):
                own.difference_update({o for o in own if o < position})
        async with self._moved:
            self._moved.notify_all()

    async def _follow(self) -> None:
        while True:
            try:
                await self._poll()
                if self.records >= self._refreeze:  # the tables grew: freeze them anew
                    _freeze()
                    self._refreeze = 2 * self.records
            except asyncio.CancelledError:
                raise
            except Exception:  # a broker hiccup must not end the tables: log and go on
                log.exception("tables_follow_failed")
                await asyncio.sleep(1.0)


@contextlib.contextmanager
def _collector_off(*, collect: bool = False) -> Iterator[None]:
    """Hold Python's cyclic garbage collector off; with ``collect``, collect once after.

    What survives that collection (the tables, mostly) is frozen: later full
    collections leave it alone (``_freeze``).
    """
    # Each record leaves a row of long-lived objects (a profile, its sets, an index
    # entry). With the collector on, every 700 allocations it walks the young objects,
    # and the older generations again as they grow: restoring 100k students spent about
    # half its CPU there. A fetched batch is bounded (max_records) and applied without
    # an await, so no other task runs meanwhile; the collector runs when it is done.
    # For a whole restore, one full collection at the end walks each row once and
    # leaves it in the oldest generation; other tasks (the web pages, during the web
    # app's restore) go without it for the restore's seconds, their cycles freed then.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if collect:
                _freeze()
            gc.enable()


def _freeze() -> None:
    """Collect once, then keep every survivor out of later collections (``gc.freeze``).

    A full collection walks every tracked object: with 10,000 students in the tables
    it paused the worker 0.6 s, twice in 5 s of offers at 100 a second (20 % of its
    CPU), and the pause grows with the tables. Frozen rows are still freed when
    nothing refers to them; only a cycle among frozen objects would stay (a row
    has none). ``TableFollower.stop`` gives them back to the collector.
    """
    gc.collect()
    gc.freeze()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> Sequence[int]:
    # bureau creates the topics before it restores; ask until the metadata says so.
    async with asyncio.timeout(60):
        while True:
            cluster = await consumer._client.fetch_all_metadata()  # aiokafka has no public call
            found = cluster.partitions_for_topic(topic)
            if found:
                return sorted(found)
            await asyncio.sleep(0.2)
