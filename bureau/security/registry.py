"""Follow the partner registry topic so that every worker sees onboarding and revocation."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from bureau.security.signing import PartnerRegistry


async def _partitions(consumer: AIOKafkaConsumer, topic: str, patience: float) -> list[int]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    while True:
        await consumer.topics()  # refreshes the metadata
        found = consumer.partitions_for_topic(topic)
        if found:
            return sorted(found)
        if loop.time() > deadline:
            raise RuntimeError(f"partner registry topic {topic!r} does not exist")
        await asyncio.sleep(0.5)  # retry interval while bureau provisions the topic


async def follow(
    bootstrap: str,
    topic: str,
    registry: PartnerRegistry,
    *,
    caught_up: asyncio.Event | None = None,
    patience: float = 60.0,
    **security: Any,
) -> None:
    """Keep ``registry`` current from ``topic``, from offset 0, until cancelled.

    No consumer group: every worker reads every partition (manual assignment), so a
    revocation reaches all of them. ``caught_up`` is set once the records that existed
    at start have been applied.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None, **security
    )
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in await _partitions(consumer, topic, patience)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        pending = {tp for tp, end in ends.items() if end > 0}
        if not pending and caught_up is not None:
            caught_up.set()
        while True:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    registry.apply(record.key, record.value)
            if pending:
                for tp in list(pending):
                    if await consumer.position(tp) >= ends[tp]:
                        pending.discard(tp)
                if not pending and caught_up is not None:
                    caught_up.set()
    finally:
        await consumer.stop()
