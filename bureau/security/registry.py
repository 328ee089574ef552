"""Follow the partner registry topic so that every worker sees onboarding and revocation."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bureau.security.signing import PartnerRegistry


async def _partitions(bootstrap: str, topic: str, patience: float, **security: Any) -> list[int]:
    # The consumer's own metadata lists only topics it is assigned, so ask an admin client.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security)
    await admin.start()
    try:
        while True:
            [described] = await admin.describe_topics([topic])
            found = [p["partition"] for p in described.get("partitions", [])]
            if found and not described.get("error_code"):
                return sorted(found)
            if loop.time() > deadline:
                raise RuntimeError(f"partner registry topic {topic!r} is not readable")
            await asyncio.sleep(0.5)  # retry interval while bureau provisions the topic
    finally:
        await admin.close()


class RegistryFollower:
    """Reads ``topic`` from offset 0 into ``registry``, then follows it until stopped.

    No consumer group: every worker reads every partition (manual assignment), so a
    revocation reaches all of them. ``sync`` waits until what the topic holds now is
    applied: a record signed by a partner onboarded a moment ago is then judged with
    its key.
    """

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        registry: PartnerRegistry,
        *,
        patience: float = 60.0,
        **security: Any,
    ) -> None:
        """Follow ``topic`` on ``bootstrap`` with the ``security`` kwargs (aiokafka)."""
        self.bootstrap, self.topic, self.registry = bootstrap, topic, registry
        self.patience, self.security = patience, security
        self.caught_up = asyncio.Event()
        self._positions: dict[TopicPartition, int] = {}
        self._parts: list[TopicPartition] = []
        self._ends: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.synced_at = 0.0
        """Wall-clock time (s) at which the last completed ``sync`` began."""

    async def start(self) -> None:
        """Start following and wait until the records present at start are applied."""
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="bureau-partner-registry")
        waiting = asyncio.ensure_future(self.caught_up.wait())
        await asyncio.wait(
            {self._task, waiting}, timeout=self.patience, return_when=asyncio.FIRST_COMPLETED
        )
        waiting.cancel()
        if self._task.done():
            self._task.result()  # the follower failed: say why
        if not self.caught_up.is_set():
            raise TimeoutError(f"partner registry not read within {self.patience:.0f}s")

    async def run(self) -> None:
        """Apply the topic's records to the registry until cancelled."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            enable_auto_commit=False,
            group_id=None,
            **self.security,
        )
        await consumer.start()
        try:
            found = await _partitions(self.bootstrap, self.topic, self.patience, **self.security)
            self._parts = [TopicPartition(self.topic, p) for p in found]
            consumer.assign(self._parts)
            await consumer.seek_to_beginning(*self._parts)
            ends = await consumer.end_offsets(self._parts)
            while True:
                for tp in self._parts:
                    self._positions[tp] = await consumer.position(tp)
                if all(self._positions[tp] >= end for tp, end in ends.items()):
                    self.caught_up.set()
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    for record in records:
                        self.registry.apply(record.key, record.value)
        finally:
            await consumer.stop()

    async def sync(self, within: float = 15.0) -> bool:
        """Wait until every record now in the topic is applied; False past ``within`` s."""
        began = time.time()
        async with self._lock:
            if self._ends is None:
                ends_reader = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, **self.security)
                await ends_reader.start()
                self._ends = ends_reader
            if not self._parts:
                return False
            ends = await self._ends.end_offsets(self._parts)
        deadline = time.monotonic() + within
        while any(self._positions.get(tp, 0) < end for tp, end in ends.items()):
            if time.monotonic() > deadline or (self._task is not None and self._task.done()):
                return False
            await asyncio.sleep(0.02)  # the follower's fetch returns as records arrive
        self.synced_at = max(self.synced_at, began)
        return True

    async def stop(self) -> None:
        """Stop following."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._ends is not None:
            await self._ends.stop()
            self._ends = None


async def follow(
    bootstrap: str,
    topic: str,
    registry: PartnerRegistry,
    *,
    caught_up: asyncio.Event | None = None,
    patience: float = 60.0,
    **security: Any,
) -> None:
    """Keep ``registry`` current from ``topic`` until cancelled; set ``caught_up`` once read."""
    follower = RegistryFollower(bootstrap, topic, registry, patience=patience, **security)
    if caught_up is not None:
        follower.caught_up = caught_up
    await follower.run()
