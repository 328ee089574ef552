"""Re-drive dead letters: publish a dead-letter topic's records again to their origin topic.

The web dashboard's redrive button and the CLI call the same ``redrive``. Records are
read in the consumer group ``bureau-dlq-redrive``, whose offsets are committed once
the origin topic acknowledged them, so a record is re-driven once, and a crash in
between re-drives it again (harmless: bureau applies each event id once).
"""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord
from pymongo import AsyncMongoClient

from bureau.handlers.dead_letter import ORIGIN, REASON
from bureau.privacy.dead_letters import open_dead_letter
from bureau.privacy.keys import KeyStore, MongoKeyStore
from bureau.security.client import aiokafka_security
from bureau.settings import Settings
from bureau.topics import Topics, dlq

REDRIVEN_FROM = "bureau-redriven-from"
PURPOSE = "dlq-redrive"


def dead_letter_topic(topic: str) -> str:
    """The dead-letter topic of ``topic``, which may be named either way."""
    return topic if topic.endswith(".dlq") else dlq(topic)


async def redrive(settings: Settings, topic: str, keys: KeyStore | None = None) -> int:
    """Re-publish what ``topic``'s dead-letter topic holds now; return how many records.

    Sealed dead letters are opened with ``keys`` (default: the configured store's); an
    erased student's are not re-driven: nobody can read them any more.
    """
    if keys is None:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url)
        try:
            return await redrive(settings, topic, MongoKeyStore(client[settings.mongo_db]))
        finally:
            await client.close()
    source = dead_letter_topic(topic)
    # bureau's principal: it alone reads dead letters and writes back to inbound topics.
    # The original record's signature headers travel with it, so it verifies again.
    security = aiokafka_security(settings)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=Topics.from_settings(settings).group(PURPOSE),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **security,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, acks="all", enable_idempotence=True, **security
    )
    await consumer.start()
    await producer.start()
    try:
        if source not in await consumer.topics():
            return 0
        partitions = [
            TopicPartition(source, p) for p in sorted(await producer.partitions_for(source))
        ]
        if not partitions:
            return 0
        consumer.assign(partitions)
        # Only what is there now: records dead-lettered meanwhile wait for the next redrive.
        ends = await consumer.end_offsets(partitions)
        done = {tp: await consumer.position(tp) for tp in partitions}
        sent = 0
        while pending := [tp for tp in partitions if done[tp] < ends[tp]]:
            batches = await consumer.getmany(*pending, timeout_ms=1000)
            for tp in pending:
                for record in batches.get(tp, []):
                    if record.offset >= ends[tp]:
                        break
                    value = record.value
                    if value is not None and (value := await open_dead_letter(value, keys)) is None:
                        continue  # sealed under a student's key that erasure deleted
                    await producer.send_and_wait(
                        _origin(record, source), value, key=record.key, headers=_headers(record)
                    )
                    sent += 1
                # Offsets may have gaps (compaction, retention): the position says where next.
                done[tp] = min(await consumer.position(tp), ends[tp])
            # Committed explicitly up to the snapshot's end, never past what was re-sent.
            await consumer.commit({tp: done[tp] for tp in pending})
        return sent
    finally:
        await producer.stop()
        await consumer.stop()


def _origin(record: ConsumerRecord[bytes, bytes], source: str) -> str:
    for name, value in record.headers:
        if name == ORIGIN:
            return str(value.decode()).rsplit("/", 2)[0]
    return source.removesuffix(".dlq")


def _headers(record: ConsumerRecord[bytes, bytes]) -> list[tuple[str, bytes]]:
    kept = [(k, v) for k, v in record.headers if k not in (ORIGIN, REASON, REDRIVEN_FROM)]
    where = f"{record.topic}/{record.partition}/{record.offset}".encode()
    return [*kept, (REDRIVEN_FROM, where)]


__all__ = ["dead_letter_topic", "redrive"]
