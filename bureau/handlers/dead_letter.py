"""Dead letters: the original bytes, key and a reason, on ``<topic>.dlq``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker

from bureau.topics import dlq

REASON = "bureau-dlq-reason"
ORIGIN = "bureau-dlq-origin"


Seal = Callable[[str, bytes | None, bytes], Awaitable[bytes]]
"""(topic, key, value) -> the bytes to keep: sealed under the student it is about."""


async def dead_letter(
    broker: KafkaBroker,
    record: ConsumerRecord[bytes, bytes],
    reason: str,
    seal: Seal | None = None,
) -> None:
    """Publish ``record`` (sealed by ``seal``) to its topic's dead-letter topic, with why."""
    headers = dict(record.headers or ())
    correlation = headers.get("correlation_id")
    value = record.value or b""
    await broker.publish(
        await seal(record.topic, record.key, value) if seal else value,
        topic=dlq(record.topic),
        key=record.key,
        headers={
            REASON: reason[:2000],
            ORIGIN: f"{record.topic}/{record.partition}/{record.offset}",
        },
        correlation_id=correlation.decode(errors="replace") if correlation else None,
    )
