"""Follow the partner registry topic so that every worker sees onboarding and revocation."""

from __future__ import annotations

import asyncio
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
        found = await _partitions(bootstrap, topic, patience, **security)
        parts = [TopicPartition(topic, p) for p in found]
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
