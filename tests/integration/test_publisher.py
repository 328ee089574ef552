"""bureau's producer on a real broker: a broken one is replaced, never retried forever."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError, OutOfOrderSequenceNumber

from bureau.adapters.kafka import KafkaPublisher, ProducerReplacedError, TopicMaker, ensure_topics
from bureau.security.client import aiokafka_security
from bureau.settings import Settings
from bureau.topics import Topics
from tests.support.kafka import read_all


async def test_a_producer_left_unusable_is_replaced_and_the_next_send_goes_through(
    settings: Settings,
) -> None:
    topic = Topics.from_settings(settings).outcomes("roc-amsterdam")
    security = aiokafka_security(settings)
    publisher = KafkaPublisher(
        settings.kafka_bootstrap,
        ensure=TopicMaker(settings.kafka_bootstrap, client=security),
        client=security,
    )
    try:
        await publisher(topic, b"k", b"first")
        broken = publisher._producer
        assert broken is not None

        async def out_of_order(*args: Any, **kwargs: Any) -> None:
            raise OutOfOrderSequenceNumber("sequence numbers out of step")

        broken.send = out_of_order
        with pytest.raises(ProducerReplacedError):
            await publisher(topic, b"k", b"second")
        assert publisher.replaced == 1
        await publisher(topic, b"k", b"second")  # the retry, on a new producer
        assert publisher._producer is not broken
    finally:
        await publisher.close()
    assert [r.value for r in await read_all(settings.kafka_bootstrap, topic)] == [
        b"first",
        b"second",
    ]


async def test_control_without_replacement_every_later_send_fails(settings: Settings) -> None:
    """The checker above sees a wedge: a producer kept after the error fails again."""
    topic = Topics.from_settings(settings).outcomes("roc-amsterdam")
    security = aiokafka_security(settings)
    publisher = KafkaPublisher(
        settings.kafka_bootstrap,
        ensure=TopicMaker(settings.kafka_bootstrap, client=security),
        client=security,
    )
    try:
        await publisher(topic, b"k", b"first")
        broken = publisher._producer
        assert broken is not None

        async def out_of_order(*args: Any, **kwargs: Any) -> None:
            raise OutOfOrderSequenceNumber("sequence numbers out of step")

        broken.send_and_wait = out_of_order
        for _ in range(3):
            with pytest.raises(OutOfOrderSequenceNumber):
                await broken.send_and_wait(topic, b"second", key=b"k")
    finally:
        await publisher.close()


async def test_many_records_keep_their_order_and_one_lost_ack_replaces_the_producer(
    settings: Settings,
) -> None:
    """Queued without a task each, records keep their order; a failed ack is retried whole."""
    topic = Topics.from_settings(settings).outcomes("roc-rotterdam")
    security = aiokafka_security(settings)
    publisher = KafkaPublisher(
        settings.kafka_bootstrap,
        ensure=TopicMaker(settings.kafka_bootstrap, client=security),
        client=security,
    )
    first = [f"r{i:03d}".encode() for i in range(200)]
    second = [f"r{i:03d}".encode() for i in range(200, 210)]
    try:
        await publisher.many([(topic, b"k", v, None) for v in first])
        broken = publisher._producer
        assert broken is not None
        real_send, sent = broken.send, 0

        async def one_ack_expires(*args: Any, **kwargs: Any) -> asyncio.Future[Any]:
            nonlocal sent
            sent += 1
            ack: asyncio.Future[Any] = await real_send(*args, **kwargs)
            if sent != 5:
                return ack
            expired: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            expired.set_exception(KafkaTimeoutError("batch expired"))
            return expired

        broken.send = one_ack_expires
        with pytest.raises(ProducerReplacedError):
            await publisher.many([(topic, b"k", v, None) for v in second])
        assert publisher.replaced == 1
        await publisher.many([(topic, b"k", v, None) for v in second])  # the redelivery's
        assert publisher._producer is not broken
    finally:
        await publisher.close()
    values = [r.value for r in await read_all(settings.kafka_bootstrap, topic)]
    # At least once: the first try's other nine records are there too, before the retry.
    assert values[:200] == first
    assert values[-10:] == second
    assert set(values[200:-10]) <= set(second)


@pytest.mark.parametrize("warmed", [True, False])
async def test_a_new_producer_learns_every_topic_at_once(settings: Settings, warmed: bool) -> None:
    """Sending to parties' topics that exist asks the broker nothing more per topic.

    Each metadata answer lists every topic the producer tracks, decoded in Python; asked
    once per party it grew with the number of parties. The control skips the warm-up:
    every first send to a party's topic asks again.
    """
    names = Topics.from_settings(settings)
    parties = [names.suggestions(f"company-warm-{i}") for i in range(12)]
    security = aiokafka_security(settings)
    await ensure_topics(settings.kafka_bootstrap, parties, 1, **security)
    publisher = KafkaPublisher(
        settings.kafka_bootstrap,
        ensure=TopicMaker(settings.kafka_bootstrap, client=security),
        client=security,
    )
    if not warmed:

        async def not_warmed(producer: Any) -> None:
            return None

        publisher._warmed = not_warmed  # type: ignore[method-assign]
    try:
        await publisher(names.outcomes("roc-warm"), b"k", b"first")
        producer = publisher._producer
        assert producer is not None
        real_update, asked = producer.client._metadata_update, 0

        async def counted(*args: Any) -> Any:
            nonlocal asked
            asked += 1
            return await real_update(*args)

        producer.client._metadata_update = counted
        for topic in parties:
            await publisher(topic, b"k", b"v")
    finally:
        await publisher.close()
    assert (asked == 0) is warmed
    if not warmed:
        assert asked >= len(parties)
    for topic in parties:
        assert [r.value for r in await read_all(settings.kafka_bootstrap, topic)] == [b"v"]
