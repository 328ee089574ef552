"""Wiring: settings → store, broker, handlers, FastStream application."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import ConsumerRecord
from faststream import FastStream
from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider

from bureau import metrics, tracing
from bureau.adapters.changelog import TableFollower
from bureau.adapters.kafka import KafkaPublisher, TopicMaker, ensure_topics
from bureau.adapters.mongo import MongoStore
from bureau.adapters.store import Store
from bureau.domain.eligibility import Rules
from bureau.domain.scoring import Weights
from bureau.handlers.dead_letter import ORIGIN, REASON, dead_letter
from bureau.handlers.exchange import register
from bureau.handlers.middleware import Backoff, Resilience
from bureau.lag import subscriptions
from bureau.privacy.dead_letters import seal_dead_letter
from bureau.privacy.expiry import expire_forever, expire_parked
from bureau.privacy.keys import CachedKeyStore, InMemoryKeyStore, KeyStore, MongoKeyStore
from bureau.privacy.outbox import OutboxSealer
from bureau.privacy.topics import party_topic_made_with, report_drift, retention_configs
from bureau.security.client import aiokafka_security, bureau_signer, faststream_security
from bureau.security.verify import SignatureCheck
from bureau.service import Exchange, Publish, Tables
from bureau.service.documents import PARKING, View
from bureau.service.queries import Queries
from bureau.settings import Settings
from bureau.stopping import (
    BROKER_LOGGER,
    STOP_TIMEOUT,
    bounded,
    cancelled_batches_in_one_line,
    consuming,
    settled,
)
from bureau.topics import Topics
from bureau.web.feed import refresh_forever, statistics_topic


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class Worker:
    """One worker's parts: the broker with its subscribers, the publisher, the tables."""

    broker: KafkaBroker
    publisher: KafkaPublisher
    follower: TableFollower
    exchange: Exchange
    signatures: SignatureCheck | None
    keys: KeyStore

    async def stop(self, within: float = STOP_TIMEOUT) -> None:
        """Stop taking events, then close the tables' reader and the producers.

        A batch still running gets the broker's graceful timeout, then is cancelled:
        its offsets were not committed, so it is delivered again. Each part has
        ``within`` seconds; one that overruns is abandoned with a warning, so a stop
        always returns and never cancels its caller.
        """
        batches = consuming(self.broker)
        with cancelled_batches_in_one_line():
            await bounded("subscribers", self.broker.stop(), within)
            await settled(batches, within)
        await bounded("tables", self.follower.stop(), within)
        if self.signatures is not None:
            await bounded("signatures", self.signatures.stop(), within)
        await bounded("publisher", self.publisher.close(), within)


def build_broker(
    settings: Settings,
    store: Store,
    publish: Callable[[KafkaBroker], Publish] | None = None,
    keys: KeyStore | None = None,
) -> KafkaBroker:
    """Create the broker with bureau's handlers registered on it."""
    return wire(settings, store, publish, keys=keys).broker


def key_store(settings: Settings, store: Store) -> CachedKeyStore:
    """Students' data keys beside the store (``keys``), cached for sealing only."""
    inner: KeyStore = (
        MongoKeyStore(store.db) if isinstance(store, MongoStore) else InMemoryKeyStore()
    )
    return CachedKeyStore(inner, ttl=settings.key_cache_seconds)


def _instruments(settings: Settings, tracer_provider: TracerProvider | None) -> list[Any]:
    """Tracing outermost (its span covers retries and dead letters), then metrics."""
    found: list[Any] = [tracing.middleware(tracer_provider)] if tracer_provider else []
    if settings.metrics_port:
        metrics.observe_decisions()
        found.extend(metrics.middlewares(Topics.from_settings(settings)))
    return found


def wire(
    settings: Settings,
    store: Store,
    publish: Callable[[KafkaBroker], Publish] | None = None,
    tracer_provider: TracerProvider | None = None,
    keys: KeyStore | None = None,
) -> Worker:
    """Connect settings, store, broker, publisher, tables and the exchange's rooms.

    ``publish`` replaces bureau's own producer (a replay discards, unit tests capture).
    ``keys``: the students' data keys (default: the ``keys`` collection of a MongoDB
    store, in memory beside any other store); a replay passes the live database's.
    """
    broker: KafkaBroker
    keystore = keys or key_store(settings, store)
    students_topic = Topics.from_settings(settings).students

    async def _seal(topic: str, key: bytes | None, value: bytes) -> bytes:
        # The original bytes, sealed under the student they are about: an erasure
        # reaches them at once, not after the DLQ's retention.
        return await seal_dead_letter(
            value, key, students_topic=topic == students_topic, keys=keystore
        )

    async def _dead_letter(record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        await dead_letter(broker, record, reason, _seal)
        # What the operator page lists: where it came from and why (never the bytes).
        where = f"{record.topic}/{record.partition}/{record.offset}"
        doc = {"topic": record.topic, "reason": reason[:2000], "at": _now()}
        await store.put_view(View.DEAD_LETTERS, where, doc)

    resilience = Resilience(
        backoff=Backoff(settings.retry_backoff_initial, settings.retry_backoff_max),
        unsafe_ack_first=settings.unsafe_ack_first,
    )
    broker = KafkaBroker(
        settings.kafka_bootstrap,
        # Every notification is acknowledged by all in-sync replicas, and the producer
        # never writes one record twice on its own retries.
        acks="all",
        enable_idempotence=True,
        middlewares=[*_instruments(settings, tracer_provider), resilience],
        logger=logging.getLogger(BROKER_LOGGER),
        # Per-message "Received/Processed" lines at DEBUG: bureau logs each outcome itself.
        log_level=logging.DEBUG,
        description="bureau: exchange between schools and companies",
        security=faststream_security(settings),
    )
    topics = Topics.from_settings(settings)
    configs = topic_configs(settings)
    security = aiokafka_security(settings)
    # A secured broker does not auto-create per-party topics: the publisher does.
    publisher = KafkaPublisher(
        settings.kafka_bootstrap,
        ensure=TopicMaker(
            settings.kafka_bootstrap,
            configs=configs,
            client=security,
            config_of=lambda topic: party_topic_made_with(settings, topic),
        ),
        client=security,
        on_sent=(lambda t, v: metrics.count_published(topics, t, v))
        if settings.metrics_port
        else None,
        signer=bureau_signer(settings),
        tracer=tracer_provider.get_tracer("bureau.publisher") if tracer_provider else None,
    )
    publisher.known.update(topics.all())
    tables = Tables()
    follower = TableFollower(settings.kafka_bootstrap, topics, tables.apply, client=security)
    publisher.on_written = follower.written
    exchange = Exchange(
        store=store,
        publish=publish(broker) if publish else publisher,
        topics=topics,
        tables=tables,
        barrier=follower.barrier,
        top_k=settings.top_k,
        weights=Weights(
            skills=settings.weight_skills,
            theme=settings.weight_theme,
            level=settings.weight_level,
            distance=settings.weight_distance,
        ),
        rules=Rules(default_max_travel_km=settings.max_travel_km),
        rescore_threshold=settings.rescore_threshold,
        sealer=OutboxSealer(keystore),
    )
    signatures = SignatureCheck.from_settings(settings)
    register(
        broker,
        exchange=exchange,
        settings=settings,
        dead_letter=_dead_letter,
        signatures=signatures,
        resilience=resilience,
        tracer=tracer_provider.get_tracer("bureau.handlers") if tracer_provider else None,
    )
    return Worker(broker, publisher, follower, exchange, signatures, keystore)


def create_app(
    settings: Settings | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    keys: KeyStore | None = None,
) -> FastStream:
    """Create the worker application: MongoDB projections behind Kafka subscribers.

    Traces go to ``tracer_provider`` if given, else where ``BUREAU_TRACE_EXPORTER`` says;
    ``keys`` replaces the students' key store (default: the store's ``keys``).
    """
    settings = settings or Settings()
    store = MongoStore(settings.mongo_url, settings.mongo_db)
    own_provider = None if tracer_provider else tracing.tracer_provider(settings)
    worker = wire(settings, store, tracer_provider=tracer_provider or own_provider, keys=keys)
    app = FastStream(worker.broker, logger=logging.getLogger("bureau.app"))
    exposition = metrics.Exposition(
        host=settings.metrics_host,
        port=settings.metrics_port,
        bootstrap=settings.kafka_bootstrap,
        groups=subscriptions(Topics.from_settings(settings)),
        client=aiokafka_security(settings),
    )

    feed: list[asyncio.Task[None]] = []
    stopping, batches = contextlib.ExitStack(), set[asyncio.Task[Any]]()

    @app.on_startup
    async def _prepare() -> None:
        topics = Topics.from_settings(settings)
        await ensure_topics(
            settings.kafka_bootstrap,
            topics.all(),
            settings.partitions,
            topic_configs(settings),
            **aiokafka_security(settings),
        )
        # A topic made before a promise changed keeps its old config: say so, loudly.
        await report_drift(settings, topic_configs(settings))
        await store.ensure_indexes()
        # The tables first: no event is taken before the worker knows the exchange.
        await worker.follower.restore()
        if worker.signatures is not None:  # and the partners' keys
            await worker.signatures.start()
        if settings.statistics_every > 0:
            feed.append(
                asyncio.create_task(
                    refresh_forever(
                        worker.exchange.queries.refresh_statistics,
                        worker.publisher,
                        topics,
                        every=settings.statistics_every,
                    )
                )
            )
        if settings.parked_sweep_every > 0:
            feed.append(
                asyncio.create_task(
                    expire_forever(
                        _expire_parked(settings, store, worker), every=settings.parked_sweep_every
                    )
                )
            )
        if settings.metrics_port:
            exposition.start(settings.metrics_lag_interval)

    @app.on_shutdown
    async def _quiet() -> None:
        # FastStream stops the broker between the two hooks.
        stopping.enter_context(cancelled_batches_in_one_line())
        batches.update(consuming(worker.broker))

    @app.after_shutdown
    async def _close() -> None:
        await settled(batches, STOP_TIMEOUT)
        batches.clear()
        stopping.close()
        for task in feed:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await exposition.stop()
        if own_provider is not None:
            own_provider.shutdown()
        await bounded("tables", worker.follower.stop(), STOP_TIMEOUT)
        if worker.signatures is not None:
            await bounded("signatures", worker.signatures.stop(), STOP_TIMEOUT)
        await bounded("publisher", worker.publisher.close(), STOP_TIMEOUT)
        await store.close()

    return app


def _expire_parked(
    settings: Settings, store: Store, worker: Worker
) -> Callable[[], Awaitable[int]]:
    """The sweep that moves parked events older than ``BUREAU_PARKED_TTL_DAYS`` to DLQs."""

    async def send(topic: str, key: bytes, value: bytes, reason: str) -> None:
        headers = {REASON: reason[:2000], ORIGIN: "parked"}
        await worker.broker.publish(value, topic=topic, key=key, headers=headers)

    async def sweep() -> int:
        return await expire_parked(
            store,
            worker.keys,
            send,
            kinds=PARKING,
            now=datetime.now(UTC),
            ttl=timedelta(days=settings.parked_ttl_days),
        )

    return sweep


@contextlib.asynccontextmanager
async def open_queries(settings: Settings, *, tables: bool = False) -> AsyncIterator[Queries]:
    """Queries over the configured store; ``tables``: restored from the changelogs first."""
    store = MongoStore(settings.mongo_url, settings.mongo_db)
    state = Tables()
    follower = TableFollower(
        settings.kafka_bootstrap,
        Topics.from_settings(settings),
        state.apply,
        client=aiokafka_security(settings),
    )
    try:
        if tables:
            await follower.restore()
        yield Queries(store=store, tables=state, top_k=settings.top_k)
    finally:
        await follower.stop()
        await store.close()


def topic_configs(settings: Settings) -> dict[str, dict[str, str]]:
    """Per-topic settings that carry a promise: erasure by compaction, bounded retention."""
    topics = Topics.from_settings(settings)
    # The open statistics feed is current state, like the tables.
    return retention_configs(settings) | {statistics_topic(topics): {"cleanup.policy": "compact"}}


async def until_signalled() -> None:
    """Wait for SIGINT or SIGTERM (Ctrl-C, or a service manager's stop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
