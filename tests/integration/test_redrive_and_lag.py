"""Re-driving a dead-letter topic and reading consumer lag, on a real broker."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pymongo import AsyncMongoClient

from bureau.adapters.kafka import ensure_topics
from bureau.dlq import REDRIVEN_FROM, redrive
from bureau.handlers.dead_letter import ORIGIN, REASON
from bureau.privacy.dead_letters import seal_dead_letter
from bureau.privacy.keys import MongoKeyStore
from bureau.security.client import aiokafka_security
from bureau.settings import Settings
from bureau.topics import Topics, dlq
from bureau.web.lag import kafka_lag
from tests.support.kafka import read_all


async def _dead_letter(settings: Settings, origin: str, key: bytes, value: bytes) -> None:
    # As the worker dead-letters: with bureau's own credentials.
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, acks="all", **aiokafka_security(settings)
    )
    await producer.start()
    try:
        await producer.send_and_wait(
            dlq(origin),
            value,
            key=key,
            headers=[(REASON, b"not JSON"), (ORIGIN, f"{origin}/0/17".encode())],
        )
    finally:
        await producer.stop()


async def test_redrive_republishes_each_dead_letter_once_to_its_origin(settings: Settings) -> None:
    t = Topics.from_settings(settings)
    await ensure_topics(
        settings.kafka_bootstrap,
        [t.offers, dlq(t.offers)],
        settings.partitions,
        **aiokafka_security(settings),
    )
    for n in range(3):
        await _dead_letter(settings, t.offers, f"o-{n}".encode(), f"body-{n}".encode())

    assert await redrive(settings, t.offers) == 3
    back = await read_all(settings.kafka_bootstrap, t.offers)
    assert sorted((r.key, r.value) for r in back) == [
        (f"o-{n}".encode(), f"body-{n}".encode()) for n in range(3)
    ]
    headers = dict(back[0].headers)
    assert REASON not in headers
    assert headers[REDRIVEN_FROM].startswith(dlq(t.offers).encode())

    # Already re-driven records stay put; a new dead letter goes on its own.
    assert await redrive(settings, dlq(t.offers)) == 0
    await _dead_letter(settings, t.offers, b"o-9", b"body-9")
    assert await redrive(settings, t.offers) == 1
    assert len(await read_all(settings.kafka_bootstrap, t.offers)) == 4


async def test_lag_is_what_a_group_has_not_yet_committed(settings: Settings) -> None:
    t = Topics.from_settings(settings)
    security = aiokafka_security(settings)
    await ensure_topics(settings.kafka_bootstrap, [t.offers], 1, **security)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", **security)
    await producer.start()
    try:
        for n in range(5):
            await producer.send_and_wait(t.offers, b"x", key=f"k{n}".encode(), partition=0)
    finally:
        await producer.stop()
    group = t.group("offer-book")
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=group,
        enable_auto_commit=False,
        **security,
    )
    await consumer.start()
    try:
        tp = TopicPartition(t.offers, 0)
        consumer.assign([tp])
        await consumer.commit({tp: 2})
    finally:
        await consumer.stop()

    [found] = [g for g in await kafka_lag(settings)() if g.group == group]
    assert found.total == 3
    [part] = found.partitions
    assert (part.topic, part.partition, part.committed, part.end) == (t.offers, 0, 2, 5)


async def test_redrive_opens_sealed_dead_letters_and_drops_an_erased_students(
    settings: Settings,
) -> None:
    t = Topics.from_settings(settings)
    await ensure_topics(
        settings.kafka_bootstrap,
        [t.students, dlq(t.students)],
        1,
        **aiokafka_security(settings),
    )
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url)
    keys = MongoKeyStore(client[settings.mongo_db])
    try:
        for student in ("s-kept", "s-erased"):
            body = f'{{"about": "{student}", "hobby": "zeppelin-xq"}}'.encode()
            sealed = await seal_dead_letter(body, student.encode(), students_topic=True, keys=keys)
            assert b"zeppelin-xq" not in sealed
            await _dead_letter(settings, t.students, student.encode(), sealed)
        await keys.delete("s-erased")
        assert await redrive(settings, t.students, keys) == 1
    finally:
        await client.close()
    [back] = await read_all(settings.kafka_bootstrap, t.students)
    assert (back.key, back.value) == (b"s-kept", b'{"about": "s-kept", "hobby": "zeppelin-xq"}')
