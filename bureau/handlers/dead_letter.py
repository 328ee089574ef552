"""Dead letters: the original bytes, key and a reason, on ``<topic>.dlq``."""

from __future__ import annotations

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker

from bureau.topics import dlq

REASON = "bureau-dlq-reason"
ORIGIN = "bureau-dlq-origin"


async def dead_letter(
    broker: KafkaBroker, record: ConsumerRecord[bytes, bytes], reason: str
) -> None:
    """Publish ``record`` unchanged to its topic's dead-letter topic, with why."""
    headers = dict(record.headers or ())
    correlation = headers.get("correlation_id")
    await broker.publish(
        record.value or b"",
        topic=dlq(record.topic),
        key=record.key,
        headers={
            REASON: reason[:2000],
            ORIGIN: f"{record.topic}/{record.partition}/{record.offset}",
        },
        correlation_id=correlation.decode(errors="replace") if correlation else None,
    )
