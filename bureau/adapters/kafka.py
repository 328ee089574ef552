"""Kafka adapters: topic provisioning and bureau's record publisher."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    InvalidProducerEpoch,
    KafkaError,
    KafkaTimeoutError,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    TopicAlreadyExistsError,
    for_code,
)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from opentelemetry import context as otel
from opentelemetry import propagate
from opentelemetry.trace import Span, SpanKind, Tracer, set_span_in_context

from bureau.security.signing import signed_headers

log = structlog.get_logger(__name__)


async def ensure_topics(
    bootstrap: str,
    names: Iterable[str],
    partitions: int,
    configs: Mapping[str, Mapping[str, str]] | None = None,
    **security: Any,
) -> None:
    """Create the topics that do not exist yet (with ``configs[name]``); leave the rest.

    ``security``: the kwargs of ``bureau.security.client.aiokafka_security``.
    """
    configs = configs or {}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                name=n,
                num_partitions=partitions,
                replication_factor=1,
                topic_configs=dict(configs.get(n, {})),
            )
            for n in names
            if n not in existing
        ]
        if missing:
            # Another worker may create one between our list and create.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
            created = [t.name for t in missing]
            async with asyncio.timeout(60):
                while not _led(await admin.describe_topics(created)):  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
    finally:
        await admin.close()


PARTY_TOPIC_LAYOUT: Mapping[str, str] = {
    "index.interval.bytes": str(2**20),
    "segment.index.bytes": str(2**20),
}
"""How a per-party topic's log is laid out: an index entry per MiB, in 1 MiB index files.

A party's topic is small and read in order, so a sparse index costs its readers
little. With Kafka's defaults (an entry per 4 KiB, 10 MiB index files) the broker spent
13-18 s of CPU on 6,000 records (374-534/s) when 950 one-partition topics each passed
their first 4 KiB; with this layout 0.2-0.5 s (8,600-13,600/s). ``bench.fanout``.
"""


class TopicMaker:
    """Creates topics on first use with one long-lived admin client, and waits for leaders.

    Per-party topics (a school's outcomes, a party's suggestions) carry little traffic:
    they get ``partitions`` (default 1), which Kafka creates far faster than six.
    """

    def __init__(
        self,
        bootstrap: str,
        *,
        partitions: int = 1,
        configs: Mapping[str, Mapping[str, str]] | None = None,
        client: Mapping[str, Any] | None = None,
        config_of: Callable[[str], Mapping[str, str]] | None = None,
    ) -> None:
        """Create missing topics on ``bootstrap`` with ``partitions`` and ``configs``.

        ``config_of`` gives the config of a topic ``configs`` does not name (per-party
        topics, whose names are not known in advance).
        """
        self.bootstrap, self.partitions = bootstrap, partitions
        self.configs, self._client = dict(configs or {}), dict(client or {})
        self.config_of = config_of
        self._admin: AIOKafkaAdminClient | None = None
        self._lock = asyncio.Lock()
        self._pending: dict[str, asyncio.Future[None]] = {}
        self._creator: asyncio.Task[None] | None = None

    async def __call__(self, topic: str) -> None:
        """Make sure ``topic`` exists and has a leader for every partition."""
        # Sends in flight together (a suggestion batch names many new parties) share one
        # create request: the first caller creates every topic asked for meanwhile.
        waiting = self._pending.get(topic)
        if waiting is None:
            waiting = self._pending[topic] = asyncio.get_running_loop().create_future()
            if len(self._pending) == 1 or self._creator is None or self._creator.done():
                self._creator = asyncio.create_task(self._create())
        await asyncio.shield(waiting)

    def _config(self, topic: str) -> Mapping[str, str]:
        if topic in self.configs or self.config_of is None:
            return self.configs.get(topic, {})
        return self.config_of(topic)

    async def _started(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            self._admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, **self._client)
            await self._admin.start()
        return self._admin

    async def existing(self) -> set[str]:
        """Every topic the cluster has now (one metadata request for all of them)."""
        async with self._lock:
            return set(await (await self._started()).list_topics())

    async def _create(self) -> None:
        await asyncio.sleep(0)  # let the other sends of this batch ask first
        batch, self._pending = self._pending, {}
        try:
            async with self._lock:
                admin = await self._started()
                # Asked to create, the broker answers per topic: created, or already
                # there. Listing the cluster's topics first would cost a metadata response
                # of every party's topic, decoded in Python, for each new party.
                made = await admin.create_topics(
                    [
                        NewTopic(
                            name=t,
                            num_partitions=self.partitions,
                            replication_factor=1,
                            topic_configs=dict(self._config(t)),
                        )
                        for t in batch
                    ]
                )
                new = _created(made.to_object()["topic_errors"])
                if new:
                    # A produce to a topic whose leader is not elected yet fails and is
                    # retried: wait here instead, once per topic.
                    async with asyncio.timeout(60):
                        while not _led(await admin.describe_topics(new)):  # noqa: ASYNC110
                            await asyncio.sleep(0.05)
        except Exception as exc:  # each waiting send raises it (and is retried)
            for future in batch.values():
                if not future.done():
                    future.set_exception(exc)
            return
        for future in batch.values():
            if not future.done():
                future.set_result(None)
        if self._pending:  # asked for while this batch was being created
            self._creator = asyncio.create_task(self._create())

    async def close(self) -> None:
        """Close the admin client."""
        if self._admin is not None:
            await self._admin.close()
            self._admin = None


def _created(answers: list[dict[str, Any]]) -> list[str]:
    """The topics a create request made; raises the first error but "already there"."""
    made = []
    for answer in answers:
        code = answer["error_code"]
        if code == 0:
            made.append(answer["topic"])
        elif code != TopicAlreadyExistsError.errno:
            raise for_code(code)(f"creating {answer['topic']}: {answer.get('error_message')}")
    return made


def _led(described: list[Any]) -> bool:
    parts = [p for t in described for p in t.get("partitions", [])]
    return bool(parts) and all(p.get("leader", -1) >= 0 for p in parts)


Record = tuple[str, bytes, bytes | None, otel.Context | None]
"""A record to send: topic, key, value (``None``: a tombstone), trace context."""


class ProducerReplacedError(KafkaError):  # type: ignore[misc]
    """The producer was broken and is replaced; the send is retried (transient)."""


# Errors after which aiokafka's idempotent producer stays unusable: every later send
# fails again (sequence numbers out of step, a timed-out or fenced batch). Replace it.
_BROKEN = (OutOfOrderSequenceNumber, KafkaTimeoutError, ProducerFenced, InvalidProducerEpoch)


_SIGNATURES_KEPT = 1024
"""Signatures of the latest records kept for the same record on other topics."""


class KafkaPublisher:
    """bureau's producer: idempotent, acks from all replicas, replaced when it breaks.

    Topics named per party (outcomes, suggestions) are created on first use, since a
    secured broker does not create topics on its own.
    """

    def __init__(
        self,
        bootstrap: str,
        *,
        ensure: TopicMaker | None = None,
        client: Mapping[str, Any] | None = None,
        on_sent: Callable[[str, bytes | None], None] | None = None,
        signer: tuple[str, Ed25519PrivateKey] | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        """Publish to ``bootstrap``; ``ensure(topic)`` creates a topic not seen before.

        ``client``: security kwargs; ``on_sent(topic, value)`` is told of every
        acknowledged record (metrics); ``signer`` (bureau's id and key) signs each record,
        so partners and bureau's own handlers can tell bureau's events from forgeries.
        """
        self.bootstrap, self._client = bootstrap, dict(client or {})
        self._ensure, self._on_sent, self.signer = ensure, on_sent, signer
        self._tracer = tracer
        self.on_written: Callable[[str, int, int], None] | None = None
        """Told where each record went (the table follower skips our own)."""
        self.known: set[str] = set()
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()
        self.replaced = 0
        self._signatures: dict[tuple[bytes, bytes], list[tuple[str, bytes]]] = {}
        self._located: set[str] = set()
        """Topics whose partitions the current producer knows."""
        self._listed = False

    async def __call__(self, topic: str, key: bytes, value: bytes | None) -> None:
        """Send one record (``None``: a tombstone) and wait for the acknowledgement."""
        await self.many([(topic, key, value, None)])

    async def many(self, records: Sequence[Record]) -> None:
        """Send records in their order and wait until the broker acknowledged every one.

        Each record is only queued (aiokafka's ``send``), in order, so records keep their
        order per partition and leave in batches; no task per record. A record's trace
        context (``None``: the current one) parents its span and travels in its headers.
        """
        new = {r[0] for r in records} - self.known
        if new and self._ensure is not None:
            await asyncio.gather(*(self._ensure(t) for t in new))
        self.known |= new
        producer = await self._started()
        # Records are queued one after another: a topic whose partitions this producer
        # has not looked up yet would stop the queue while it asks. Ask for all at once.
        unseen = {r[0] for r in records} - self._located
        if unseen:
            await asyncio.gather(*(producer.partitions_for(t) for t in unseen))
            self._located |= unseen
        acks: list[asyncio.Future[Any]] = []
        spans: list[Span | None] = []
        try:
            for topic, key, value, trace in records:
                span, headers = self._prepared(topic, key, value, trace)
                spans.append(span)
                acks.append(await producer.send(topic, value, key=key, headers=headers))
        except _BROKEN as exc:
            _abandon(acks, spans)
            await self._replace(producer, exc)
            raise ProducerReplacedError(f"producer replaced after {exc!r}") from exc
        except BaseException:
            _abandon(acks, spans)  # a cancelled delivery must not wait for acks
            raise
        results = await self._settled(acks, spans)
        failed: BaseException | None = None
        for (topic, _, value, _), result in zip(records, results, strict=True):
            if isinstance(result, BaseException):
                failed = failed or result
                continue
            if self._on_sent is not None:
                self._on_sent(topic, value)
            if self.on_written is not None:
                self.on_written(topic, result.partition, result.offset)
        if isinstance(failed, _BROKEN):
            await self._replace(producer, failed)
            raise ProducerReplacedError(f"producer replaced after {failed!r}") from failed
        if failed is not None:
            raise failed

    def _prepared(
        self, topic: str, key: bytes, value: bytes | None, trace: otel.Context | None
    ) -> tuple[Span | None, list[tuple[str, bytes]]]:
        """The record's span (if tracing) and headers: content type, trace, signature."""
        span = None
        if self._tracer is not None:
            span = self._tracer.start_span(
                f"{topic} publish", context=trace, kind=SpanKind.PRODUCER
            )
            trace = set_span_in_context(span, trace)
        # The trace of the message being handled travels on in the record's headers.
        carrier: dict[str, str] = {}
        propagate.inject(carrier, context=trace)
        # A tombstone has no body: no content type, or a reader would parse nothing as JSON.
        kind = _HEADERS if value is not None else []
        headers = [*kind, *((k, v.encode()) for k, v in carrier.items())]
        if self.signer is not None and value is not None:
            headers.extend(self._signed(self.signer, key, value))
        return span, headers

    @staticmethod
    async def _settled(
        acks: Sequence[asyncio.Future[Any]], spans: Sequence[Span | None]
    ) -> list[Any]:
        """Every acknowledgement or its error; each span ends with its record's."""
        results = await asyncio.gather(*acks, return_exceptions=True)
        for span in spans:
            if span is not None:
                span.end()
        return results

    def _signed(
        self, signer: tuple[str, Ed25519PrivateKey], key: bytes, value: bytes
    ) -> list[tuple[str, bytes]]:
        # A suggestion goes to three topics (bureau's log, the company's, the school's)
        # with one key and value, so one signature: signing costs ~50 µs of CPU.
        found = self._signatures.get((key, value))
        if found is None:
            if len(self._signatures) >= _SIGNATURES_KEPT:
                self._signatures.clear()
            found = self._signatures[(key, value)] = signed_headers(*signer, key, value)
        return found

    async def _started(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.bootstrap,
                    acks="all",
                    enable_idempotence=True,
                    # Generous: a busy 2-core machine must not turn a slow ack into a loss.
                    request_timeout_ms=60_000,
                    # A full batch stops the queue until it is sent (``many`` queues in
                    # order): 16 KiB by default, a few suggestions. Well under the
                    # broker's 1 MiB message limit.
                    max_batch_size=_BATCH_BYTES,
                    **self._client,
                )
                await producer.start()
                await self._warmed(producer)
                self._producer = producer
            return self._producer

    async def _warmed(self, producer: AIOKafkaProducer) -> None:
        """Tell a new producer every topic there is, in one metadata request.

        Without this, its first send to each party's topic asks the broker for all the
        topics it knows so far: a response decoded in Python that grows with the number
        of parties, once per party, quadratic in all.
        """
        if self._ensure is None:
            return
        if not self._listed:
            self.known |= await self._ensure.existing()
            self._listed = True
        await producer.client.set_topics(self.known)
        self._located = set(self.known)

    async def _replace(self, broken: AIOKafkaProducer, exc: BaseException) -> None:
        async with self._lock:
            replaced = self._producer is broken
            if replaced:  # else another send replaced it already
                self._producer, self._located = None, set()
                self.replaced += 1
        if replaced:
            log.warning("producer_replaced", error=repr(exc))
            with contextlib.suppress(Exception):
                await broken.stop()

    async def close(self) -> None:
        """Stop the producer, if it was started."""
        async with self._lock:
            producer, self._producer, self._located = self._producer, None, set()
        if producer is not None:
            await producer.stop()
        if self._ensure is not None:
            await self._ensure.close()


def _abandon(acks: Sequence[asyncio.Future[Any]], spans: Sequence[Span | None]) -> None:
    """Stop waiting for records already queued (the message is delivered again)."""
    for ack in acks:
        # Their outcome is read when it comes: no "exception never retrieved" noise.
        ack.add_done_callback(lambda done: done.cancelled() or done.exception())
    for span in spans:
        if span is not None:
            span.end()


_HEADERS = [("content-type", b"application/json")]
_BATCH_BYTES = 256 * 1024
