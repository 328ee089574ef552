"""Dead letters: the original bytes, key and a reason, on ``<topic>.dlq``."""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage

from bureau.topics import dlq

REASON = "bureau-dlq-reason"
ORIGIN = "bureau-dlq-origin"


async def dead_letter(broker: KafkaBroker, message: KafkaMessage, reason: str) -> None:
    """Publish ``message`` unchanged to its topic's dead-letter topic, with why."""
    record = message.raw_message
    assert not isinstance(record, tuple), "bureau subscribers take one message at a time"
    await broker.publish(
        record.value or b"",
        topic=dlq(record.topic),
        key=record.key,
        headers={
            REASON: reason[:2000],
            ORIGIN: f"{record.topic}/{record.partition}/{record.offset}",
        },
        correlation_id=message.correlation_id,
    )
