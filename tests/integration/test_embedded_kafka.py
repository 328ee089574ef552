"""The embedded Kafka broker speaks everything bureau needs from aiokafka and FastStream."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from faststream.kafka import KafkaBroker
from faststream.security import SASLScram512

from bureau.embedded.kafka import EmbeddedKafka, run_kafka
from bureau.security.client import aiokafka_security
from bureau.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def kafka() -> Iterator[EmbeddedKafka]:
    # Secured, so aiokafka and FastStream are shown to work with SCRAM and the authorizer.
    with run_kafka(security=True) as broker:
        SECURITY.update(aiokafka_security(Settings(**broker.settings_update()), admin=True))  # type: ignore[arg-type]
        yield broker


SECURITY: dict[str, Any] = {}
"""The admin's client kwargs on the module's (secured) broker."""


def _topic() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


async def _create_topic(bootstrap: str, topic: str, partitions: int = 6) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **SECURITY)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(topic, num_partitions=partitions, replication_factor=1)]
        )
        # The metadata answering list_topics may lag the creation on a busy machine.
        async with asyncio.timeout(60):
            while topic not in await admin.list_topics():  # noqa: ASYNC110
                await asyncio.sleep(0.1)
    finally:
        await admin.close()


async def _drain(consumer: AIOKafkaConsumer, want: int, seconds: float = 20.0) -> list[bytes]:
    values: list[bytes] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while len(values) < want and loop.time() < deadline:
        batch = await consumer.getmany(timeout_ms=500, max_records=want - len(values))
        for records in batch.values():
            values += [r.value for r in records]
    return values


def _consumer(bootstrap: str, topic: str, group: str, **extra: object) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **SECURITY,
        **extra,
    )


async def test_idempotent_produce_and_group_resume(kafka: EmbeddedKafka) -> None:
    topic = _topic()
    await _create_topic(kafka.bootstrap, topic)
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap, enable_idempotence=True, acks="all", **SECURITY
    )
    await producer.start()
    try:
        for i in range(20):
            await producer.send_and_wait(topic, f"m{i}".encode(), key=str(i).encode())
    finally:
        await producer.stop()

    first = _consumer(kafka.bootstrap, topic, "g-resume")
    await first.start()
    try:
        read: list[bytes] = []
        offsets: dict[TopicPartition, int] = {}
        while len(read) < 10:
            batch = await first.getmany(timeout_ms=500, max_records=10 - len(read))
            for tp, records in batch.items():
                read += [r.value for r in records]
                offsets[tp] = records[-1].offset + 1
        await first.commit(offsets)
    finally:
        await first.stop()

    second = _consumer(kafka.bootstrap, topic, "g-resume")
    await second.start()
    try:
        rest = await _drain(second, 10)
    finally:
        await second.stop()
    assert len(rest) == 10
    assert set(read) | set(rest) == {f"m{i}".encode() for i in range(20)}


async def test_transactions_hide_aborted_records(kafka: EmbeddedKafka) -> None:
    topic = _topic()
    await _create_topic(kafka.bootstrap, topic, partitions=1)
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap, transactional_id=_topic(), **SECURITY
    )
    await producer.start()
    try:
        async with producer.transaction():
            await producer.send(topic, b"kept-1")
            await producer.send(topic, b"kept-2")
        await producer.begin_transaction()
        await producer.send(topic, b"aborted")
        await producer.abort_transaction()
        async with producer.transaction():
            await producer.send(topic, b"kept-3")
    finally:
        await producer.stop()

    consumer = _consumer(kafka.bootstrap, topic, "g-tx", isolation_level="read_committed")
    await consumer.start()
    try:
        values = await _drain(consumer, 3)
    finally:
        await consumer.stop()
    assert values == [b"kept-1", b"kept-2", b"kept-3"]


async def test_faststream_publish_subscribe(kafka: EmbeddedKafka) -> None:
    topic = _topic()
    broker = KafkaBroker(
        kafka.bootstrap,
        security=SASLScram512(
            username=SECURITY["sasl_plain_username"], password=SECURITY["sasl_plain_password"]
        ),
    )
    received: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    @broker.subscriber(topic, group_id="g-faststream", auto_offset_reset="earliest")
    async def handle(body: str) -> None:
        if not received.done():
            received.set_result(body)

    await broker.start()
    try:
        await broker.publish("hello", topic)
        assert await asyncio.wait_for(received, 30) == "hello"
    finally:
        await broker.stop()


async def test_restart_after_kill_keeps_port_and_data(kafka: EmbeddedKafka) -> None:
    topic = _topic()
    await _create_topic(kafka.bootstrap, topic, partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all", **SECURITY)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"before-crash")
    finally:
        await producer.stop()

    bootstrap = kafka.bootstrap
    kafka.kill()
    assert not kafka.process.alive()
    await asyncio.to_thread(kafka.restart)
    assert kafka.bootstrap == bootstrap

    consumer = _consumer(kafka.bootstrap, topic, "g-restart")
    await consumer.start()
    try:
        assert await _drain(consumer, 1) == [b"before-crash"]
    finally:
        await consumer.stop()
