"""Thin subscribers: decode (or dead-letter) → the exchange service → ack."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import TypeAdapter

from bureau.domain.roles import check_sender
from bureau.handlers.decode import InvalidEventError, decode
from bureau.handlers.middleware import DeadLetter
from bureau.schemas.applications import application_event
from bureau.schemas.lectures import lecture_event, specialist_event
from bureau.schemas.offers import offer_event
from bureau.schemas.organisations import organisation_event
from bureau.schemas.research import research_event
from bureau.schemas.rounds import round_event
from bureau.schemas.students import student_event
from bureau.security.verify import SignatureCheck
from bureau.service import Exchange, Position, RejectedEventError
from bureau.settings import Settings
from bureau.topics import Purpose, Topics

log = structlog.get_logger(__name__)


Apply = Callable[[Any, Position], Awaitable[None]]


def register(
    broker: KafkaBroker,
    *,
    exchange: Exchange,
    settings: Settings,
    dead_letter: DeadLetter,
    signatures: SignatureCheck | None = None,
) -> None:
    """Subscribe the exchange to the inbound topics: one group per purpose."""
    t = Topics.from_settings(settings)
    subscribe = _subscriber(broker, settings, exchange.apply, dead_letter, signatures)
    # Offers and applications are both keyed by offer id and change one aggregate, the
    # offer's book: one subscriber reads both, and the range assignor gives partition i
    # of each topic to the same worker, so a book has a single writer.
    subscribe(Purpose.OFFER_BOOK, {t.offers: offer_event, t.applications: application_event})
    subscribe(Purpose.STUDENTS, {t.students: student_event})
    subscribe(Purpose.ORGANISATIONS, {t.organisations: organisation_event})
    subscribe(Purpose.RESEARCH, {t.research: research_event})
    subscribe(Purpose.LECTURES, {t.lectures: lecture_event})
    subscribe(Purpose.ROUNDS, {t.rounds: round_event})
    subscribe(Purpose.SPECIALISTS, {t.specialists: specialist_event})


def _subscriber(
    broker: KafkaBroker,
    settings: Settings,
    apply: Apply,
    dead_letter: DeadLetter,
    signatures: SignatureCheck | None,
) -> Callable[[str, Mapping[str, TypeAdapter[Any]]], None]:
    limit = settings.max_message_bytes
    topics = Topics.from_settings(settings)

    def subscribe(purpose: str, routes: Mapping[str, TypeAdapter[Any]]) -> None:
        async def handle(message: KafkaMessage) -> None:
            record = message.raw_message
            assert not isinstance(record, tuple), "bureau subscribers take one message at a time"
            if record.value is None:
                return  # a tombstone: compaction's business, not an event
            at = Position(record.topic, record.partition, record.offset)
            try:
                event = decode(routes[record.topic], message.body, limit, record.key)
                if (refused := check_sender(event)) is not None:
                    raise RejectedEventError(refused.reason)
                if signatures and (unproven := await signatures(record, event.source)):
                    raise RejectedEventError(unproven)
                with structlog.contextvars.bound_contextvars(
                    event_id=str(event.event_id), event_type=event.event_type
                ):
                    await apply(event, at)
            except (InvalidEventError, RejectedEventError) as exc:
                log.warning("dead_lettered", reason=str(exc))
                await dead_letter(message, str(exc))

        # NACK_ON_ERROR: the offset is committed only after the handler returned, and a
        # failure rewinds to the message, so nothing is acknowledged before it is applied.
        broker.subscriber(
            *routes,
            group_id=topics.group(purpose),
            ack_policy=AckPolicy.NACK_ON_ERROR,
            auto_offset_reset="earliest",
            partition_assignment_strategy=(RangePartitionAssignor,),
            # Fetch at least one oversize message whole, so it can be dead-lettered.
            max_partition_fetch_bytes=max(2 * limit, 1024 * 1024),
            title=f"{topics.group(purpose)}:apply",
        )(handle)

    return subscribe
