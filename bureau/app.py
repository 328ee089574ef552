"""Wiring: settings → store, broker, handlers, FastStream application."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
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
from bureau.handlers.dead_letter import dead_letter
from bureau.handlers.exchange import register
from bureau.handlers.middleware import Backoff, Resilience
from bureau.lag import subscriptions
from bureau.security.client import aiokafka_security, bureau_signer, faststream_security
from bureau.service import Exchange, Publish, Tables
from bureau.service.documents import View
from bureau.service.queries import Queries
from bureau.settings import Settings
from bureau.topics import Topics, dlq
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


def build_broker(
    settings: Settings, store: Store, publish: Callable[[KafkaBroker], Publish] | None = None
) -> KafkaBroker:
    """Create the broker with bureau's handlers registered on it."""
    return wire(settings, store, publish).broker


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
) -> Worker:
    """Connect settings, store, broker, publisher, tables and the exchange's rooms.

    ``publish`` replaces bureau's own producer (a replay discards, unit tests capture).
    """
    broker: KafkaBroker

    async def _dead_letter(record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        await dead_letter(broker, record, reason)
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
        logger=logging.getLogger("bureau.broker"),
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
        ensure=TopicMaker(settings.kafka_bootstrap, configs=configs, client=security),
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
    )
    register(
        broker,
        exchange=exchange,
        settings=settings,
        dead_letter=_dead_letter,
        resilience=resilience,
        tracer=tracer_provider.get_tracer("bureau.handlers") if tracer_provider else None,
    )
    return Worker(broker, publisher, follower, exchange)


def create_app(
    settings: Settings | None = None, *, tracer_provider: TracerProvider | None = None
) -> FastStream:
    """Create the worker application: MongoDB projections behind Kafka subscribers.

    Traces go to ``tracer_provider`` if given, else where ``BUREAU_TRACE_EXPORTER`` says.
    """
    settings = settings or Settings()
    store = MongoStore(settings.mongo_url, settings.mongo_db)
    own_provider = None if tracer_provider else tracing.tracer_provider(settings)
    worker = wire(settings, store, tracer_provider=tracer_provider or own_provider)
    app = FastStream(worker.broker, logger=logging.getLogger("bureau.app"))
    exposition = metrics.Exposition(
        host=settings.metrics_host,
        port=settings.metrics_port,
        bootstrap=settings.kafka_bootstrap,
        groups=subscriptions(Topics.from_settings(settings)),
    )

    feed: list[asyncio.Task[None]] = []

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
        await store.ensure_indexes()
        # The tables first: no event is taken before the worker knows the exchange.
        await worker.follower.restore()
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
        if settings.metrics_port:
            exposition.start(settings.metrics_lag_interval)

    @app.after_shutdown
    async def _close() -> None:
        for task in feed:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await exposition.stop()
        if own_provider is not None:
            own_provider.shutdown()
        await worker.follower.stop()
        await worker.publisher.close()
        await store.close()

    return app


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
    """Per-topic settings that carry a promise: erasure by compaction, bounded dead letters."""
    topics = Topics.from_settings(settings)
    retention_ms = str(settings.dlq_retention_days * 24 * 3600 * 1000)
    # Dead letters keep original bytes, personal data among them: not forever.
    configs = {dlq(t): {"retention.ms": retention_ms} for t in topics.inbound}
    # Profiles are full replacements, so the latest per student is all a replay needs;
    # compaction then lets an erasure's tombstone remove the student from the log.
    configs[topics.students] = {"cleanup.policy": "compact"}
    # Tables are current state: the latest record per key is all a restore needs; so is
    # the open statistics feed.
    for changelog in [*topics.changelogs, statistics_topic(topics)]:
        configs[changelog] = {"cleanup.policy": "compact"}
    return configs


async def until_signalled() -> None:
    """Wait for SIGINT or SIGTERM (Ctrl-C, or a service manager's stop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
