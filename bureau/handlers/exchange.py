"""Thin subscribers: decode (or dead-letter) → the exchange service → ack."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import TypeAdapter

from bureau.handlers.dead_letter import dead_letter
from bureau.handlers.decode import InvalidEventError, decode
from bureau.schemas.envelope import Envelope
from bureau.schemas.offers import offer_event
from bureau.schemas.students import student_event
from bureau.service import Exchange
from bureau.settings import Settings
from bureau.topics import Topics

log = structlog.get_logger(__name__)

E = TypeVar("E", bound=Envelope)


def register(broker: KafkaBroker, *, exchange: Exchange, settings: Settings) -> None:
    """Subscribe the exchange's handlers to the inbound topics."""
    topics = Topics.from_settings(settings)
    _subscribe(
        broker,
        settings,
        topic=topics.offers,
        group=topics.group("offer-projector"),
        adapter=offer_event,
        apply=exchange.on_internship_offered,
    )
    _subscribe(
        broker,
        settings,
        topic=topics.students,
        group=topics.group("student-projector"),
        adapter=student_event,
        apply=exchange.on_student_registered,
    )


def _subscribe(
    broker: KafkaBroker,
    settings: Settings,
    *,
    topic: str,
    group: str,
    adapter: TypeAdapter[E],
    apply: Callable[[E], Awaitable[object]],
) -> None:
    limit = settings.max_message_bytes

    async def handle(message: KafkaMessage) -> None:
        try:
            event = decode(adapter, message.body, limit)
        except InvalidEventError as exc:
            log.warning("dead_lettered", reason=str(exc))
            await dead_letter(broker, message, str(exc))
            return
        with structlog.contextvars.bound_contextvars(
            event_id=str(event.event_id), event_type=event.event_type
        ):
            await apply(event)

    # NACK_ON_ERROR: the offset is committed only after the handler returned, and a
    # failure rewinds to the message, so nothing is acknowledged before it is applied.
    broker.subscriber(
        topic,
        group_id=group,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        # Fetch at least one oversize message whole, so it can be dead-lettered.
        max_partition_fetch_bytes=max(2 * limit, 1024 * 1024),
        title=f"{topic}:apply",
    )(handle)
