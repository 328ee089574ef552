"""Thin subscribers: a poll batch, each record decoded (or dead-lettered) → the exchange.

A subscriber takes what one poll returned (at most ``batch_max`` records, in offset
order per partition) and applies it record by record inside ``Exchange.batch``: the
records' deliveries go out together at the batch's end and the offsets are committed
once, after that. A failure rewinds every partition of the batch to its first record;
what was applied before the failure is recognised as a duplicate on the way back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeAlias

import structlog
from aiokafka import ConsumerRecord
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import propagate
from opentelemetry.trace import SpanKind, Tracer
from pydantic import TypeAdapter

from bureau.domain.roles import check_sender
from bureau.handlers.decode import InvalidEventError, decode
from bureau.handlers.middleware import TRANSIENT, Resilience
from bureau.schemas.applications import application_event
from bureau.schemas.lectures import lecture_event, specialist_event
from bureau.schemas.offers import offer_event
from bureau.schemas.organisations import organisation_event
from bureau.schemas.research import research_event
from bureau.schemas.rounds import round_event
from bureau.schemas.students import student_event
from bureau.security.verify import SignatureCheck
from bureau.service import Exchange, Position, PresumedAbsentError, RejectedEventError
from bureau.settings import Settings
from bureau.topics import Purpose, Topics

log = structlog.get_logger(__name__)

Record: TypeAlias = ConsumerRecord[bytes, bytes]
DeadLetter = Callable[[Record, str], Awaitable[None]]


def register(
    broker: KafkaBroker,
    *,
    exchange: Exchange,
    settings: Settings,
    dead_letter: DeadLetter,
    resilience: Resilience,
    signatures: SignatureCheck | None = None,
    tracer: Tracer | None = None,
) -> None:
    """Subscribe the exchange to the inbound topics: one group per purpose."""
    t = Topics.from_settings(settings)
    applier = _Applier(exchange, dead_letter, resilience, tracer, settings.max_message_bytes)
    applier.signatures = signatures

    def subscribe(purpose: str, routes: Mapping[str, TypeAdapter[Any]]) -> None:
        grouped = True

        async def handle(message: KafkaMessage) -> None:
            nonlocal grouped
            raw = message.raw_message
            # A poll batch; FastStream's test broker hands a batch subscriber one record.
            records = raw if isinstance(raw, tuple | list) else (raw,)
            decoded = [(record, applier.decoded(record, routes)) for record in records]

            async def apply(presume: bool) -> None:
                async with exchange.batch(grouped=grouped, presume=presume):
                    await _prefetch(exchange, [e for _, e in decoded if e is not None])
                    for record, event in decoded:
                        await applier.one(record, routes, event)

            try:
                try:
                    await apply(presume=True)
                except PresumedAbsentError as exc:
                    # A creation taken as new was stored (a redelivery, a placeholder):
                    # at once again, reading it this time, as a redelivery would.
                    log.info("batch_applied_again_from_reads", reason=str(exc))
                    await apply(presume=False)
            except TRANSIENT:
                raise
            except Exception:
                # The batch's one write failed for good, or one event did: apply the
                # batch again event by event, each write at once, so the event at fault
                # fails on its own (and is dead-lettered on its fifth failure).
                grouped = False
                raise
            grouped = True

        limit = settings.max_message_bytes
        # NACK_ON_ERROR: the offsets are committed only after the batch was applied and
        # delivered; a failure rewinds to the batch's first records.
        broker.subscriber(
            *routes,
            group_id=t.group(purpose),
            ack_policy=AckPolicy.NACK_ON_ERROR,
            auto_offset_reset="earliest",
            partition_assignment_strategy=(RangePartitionAssignor,),
            # Fetch at least one oversize message whole, so it can be dead-lettered.
            max_partition_fetch_bytes=max(2 * limit, 1024 * 1024),
            batch=True,
            max_records=settings.batch_max,
            # An idle poll waits this long (and FastStream as long again) before the next:
            # the most an event waits for its batch to start.
            batch_timeout_ms=20,
            title=f"{t.group(purpose)}:apply",
        )(handle)

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


async def _prefetch(exchange: Exchange, events: list[Any]) -> None:
    # Reading ahead saves round trips, nothing more: if it fails for good, each event
    # reads for itself, and one that keeps failing is dead-lettered on its own.
    try:
        await exchange.prefetch(events)
    except TRANSIENT:
        raise
    except Exception:
        log.exception("prefetch_failed")


class _Applier:
    """Applies one record of a batch: decode, check the sender, apply, or dead-letter."""

    def __init__(
        self,
        exchange: Exchange,
        dead_letter: DeadLetter,
        resilience: Resilience,
        tracer: Tracer | None,
        limit: int,
    ) -> None:
        self.exchange, self.dead_letter, self.resilience = exchange, dead_letter, resilience
        self.tracer, self.limit = tracer, limit
        self.signatures: SignatureCheck | None = None
        """Who produced a record (the envelope's ``source`` is only a claim)."""

    def decoded(self, record: Record, routes: Mapping[str, TypeAdapter[Any]]) -> Any:
        """The event in ``record``, or None (a tombstone, or a reason to dead-letter it)."""
        if record.value is None:
            return None
        try:
            return decode(routes[record.topic], record.value, self.limit, record.key)
        except InvalidEventError:
            return None  # ``one`` decodes it again and dead-letters it with the reason

    async def one(
        self, record: Record, routes: Mapping[str, TypeAdapter[Any]], event: Any = None
    ) -> None:
        """Apply ``record`` (``event``: decoded already); raise only to retry it."""
        if record.value is None:
            return  # a tombstone: compaction's business, not an event
        at = Position(record.topic, record.partition, record.offset)
        where = (record.topic, record.partition, record.offset)
        correlation = dict(record.headers or ()).get("correlation_id")
        with (
            structlog.contextvars.bound_contextvars(
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                correlation_id=correlation.decode(errors="replace") if correlation else None,
            ),
            self._span(record),
        ):
            try:
                if event is None:
                    event = decode(routes[record.topic], record.value, self.limit, record.key)
                if (refused := check_sender(event)) is not None:
                    raise RejectedEventError(refused.reason)
                if self.signatures and (unproven := await self.signatures(record, event.source)):
                    raise RejectedEventError(unproven)
                with structlog.contextvars.bound_contextvars(
                    event_id=str(event.event_id), event_type=event.event_type
                ):
                    await self.exchange.apply(event, at)
            except (InvalidEventError, RejectedEventError) as exc:
                log.warning("dead_lettered", reason=str(exc))
                await self.dead_letter(record, str(exc))
            except TRANSIENT:
                raise
            except Exception as exc:
                # A bug must not block the partition forever: after a few tries, park the
                # message in the dead-letter topic and go on with the batch.
                attempts = self.resilience.failed(where)
                if attempts < self.resilience.max_attempts:
                    raise
                log.exception("handler_failed_dead_lettered", attempt=attempts)
                await self.dead_letter(record, f"handler failed {attempts} times: {exc!r}")
            self.resilience.forget(where)

    @contextlib.contextmanager
    def _span(self, record: Record) -> Iterator[None]:
        # FastStream's span covers the whole batch; each event gets its own, a child of
        # the partner's trace in its headers, so what it causes joins that trace.
        if self.tracer is None:
            yield
            return
        carrier = {k: v.decode(errors="replace") for k, v in record.headers or ()}
        with self.tracer.start_as_current_span(
            f"{record.topic} process", context=propagate.extract(carrier), kind=SpanKind.CONSUMER
        ):
            yield
