"""Plain aiokafka clients, as partner systems and readers outside bureau would use them."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bureau.security.client import aiokafka_security
from bureau.settings import Settings
from tests.support import signing


def admin_security() -> dict[str, Any]:
    """The admin's client kwargs from ``BUREAU_KAFKA_*`` (these helpers observe everything)."""
    return aiokafka_security(Settings(), admin=True)


async def eventually(
    check: Callable[[], Awaitable[bool]], *, within: float = 300.0, what: str = "condition"
) -> None:
    """Poll ``check`` until it is true; fail the test after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not true after {within:.0f}s")
        await asyncio.sleep(0.1)  # poll interval, not synchronisation


async def produce(bootstrap: str, topic: str, messages: Iterable[tuple[bytes, bytes]]) -> None:
    """Send ``(key, value)`` pairs in order, each signed by its envelope's source."""
    pairs = list(messages)
    settings = signing.settings_for(bootstrap, topic)
    await signing.enrol_async(settings, (value for _, value in pairs))
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, **admin_security()
    )
    await producer.start()
    try:
        for key, value in pairs:
            headers = signing.headers(settings, key, value)
            await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


def as_json(events: Iterable[dict[str, Any]], key_field: str) -> list[tuple[bytes, bytes]]:
    """Encode events as a partner would: key = the aggregate id from ``data``."""
    return [(e["data"][key_field].encode(), json.dumps(e).encode()) for e in events]


async def end_offsets(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    """Return the log-end offset of each partition of ``topic``."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **admin_security())
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    parts = [TopicPartition(topic, p["partition"]) for p in described.get("partitions", [])]
    if not parts:
        return {}
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **admin_security())
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(parts))
    finally:
        await consumer.stop()


async def read_all(bootstrap: str, topic: str) -> list[Any]:
    """Read every record now in ``topic``, from offset 0 to the current end."""
    ends = await end_offsets(bootstrap, topic)
    wanted = {tp: end for tp, end in ends.items() if end > 0}
    records: list[Any] = []
    if not wanted:
        return records
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, **admin_security()
    )
    await consumer.start()
    try:
        consumer.assign(list(wanted))
        await consumer.seek_to_beginning(*wanted)
        while wanted:
            batch = await consumer.getmany(timeout_ms=1000)
            for tp, recs in batch.items():
                records.extend(r for r in recs if r.offset < wanted.get(tp, 0))
            for tp in list(wanted):
                if await consumer.position(tp) >= wanted[tp]:
                    del wanted[tp]
    finally:
        await consumer.stop()
    return records


async def committed(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    """Return the offsets ``group`` has committed."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **admin_security())
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        return {tp: meta.offset for tp, meta in offsets.items()}
    finally:
        await admin.close()


async def wait_consumed(bootstrap: str, group: str, topic: str, *, within: float = 300.0) -> None:
    """Wait until ``group`` has committed every record now in ``topic``."""
    ends = await end_offsets(bootstrap, topic)

    async def caught_up() -> bool:
        done = await committed(bootstrap, group)
        return all(done.get(tp, 0) >= end for tp, end in ends.items() if end > 0)

    await eventually(caught_up, within=within, what=f"{group} consumed {topic}")
