"""Wiring: settings → store, broker, handlers, FastStream application."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from faststream import FastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage

from bureau.adapters.changelog import TableFollower
from bureau.adapters.kafka import KafkaPublisher, TopicMaker, ensure_topics
from bureau.adapters.mongo import MongoStore
from bureau.adapters.store import Store
from bureau.domain.eligibility import Rules
from bureau.domain.scoring import Weights
from bureau.handlers.dead_letter import dead_letter
from bureau.handlers.exchange import register
from bureau.handlers.middleware import Backoff, Resilience
from bureau.privacy.keys import CachedKeyStore, InMemoryKeyStore, KeyStore, MongoKeyStore
from bureau.privacy.outbox import OutboxSealer
from bureau.privacy.topics import report_drift, retention_configs
from bureau.service import Exchange, Publish, Tables
from bureau.service.queries import Queries
from bureau.settings import Settings
from bureau.topics import Topics


@dataclass(frozen=True)
class Worker:
    """One worker's parts: the broker with its subscribers, the publisher, the tables."""

    broker: KafkaBroker
    publisher: KafkaPublisher
    follower: TableFollower
    exchange: Exchange


def build_broker(
    settings: Settings,
    store: Store,
    publish: Callable[[KafkaBroker], Publish] | None = None,
    keys: KeyStore | None = None,
) -> KafkaBroker:
    """Create the broker with bureau's handlers registered on it."""
    return wire(settings, store, publish, keys).broker


def key_store(settings: Settings, store: Store) -> CachedKeyStore:
    """Students' data keys beside the store (``keys``), cached for sealing only."""
    inner: KeyStore = (
        MongoKeyStore(store.db) if isinstance(store, MongoStore) else InMemoryKeyStore()
    )
    return CachedKeyStore(inner, ttl=settings.key_cache_seconds)


def wire(
    settings: Settings,
    store: Store,
    publish: Callable[[KafkaBroker], Publish] | None = None,
    keys: KeyStore | None = None,
) -> Worker:
    """Connect settings, store, broker, publisher, tables and the exchange's rooms.

    ``publish`` replaces bureau's own producer (a replay discards, unit tests capture).
    ``keys``: the students' data keys (default: the ``keys`` collection of a MongoDB
    store, in memory beside any other store); a replay passes the live database's.
    """
    broker: KafkaBroker

    async def _dead_letter(message: KafkaMessage, reason: str) -> None:
        await dead_letter(broker, message, reason)

    resilience = Resilience(
        dead_letter=_dead_letter,
        backoff=Backoff(settings.retry_backoff_initial, settings.retry_backoff_max),
        unsafe_ack_first=settings.unsafe_ack_first,
    )
    broker = KafkaBroker(
        settings.kafka_bootstrap,
        # Every notification is acknowledged by all in-sync replicas, and the producer
        # never writes one record twice on its own retries.
        acks="all",
        enable_idempotence=True,
        middlewares=[resilience],
        logger=logging.getLogger("bureau.broker"),
        # Per-message "Received/Processed" lines at DEBUG: bureau logs each outcome itself.
        log_level=logging.DEBUG,
        description="bureau: exchange between schools and companies",
    )
    topics = Topics.from_settings(settings)
    configs = topic_configs(settings)

    publisher = KafkaPublisher(
        settings.kafka_bootstrap, ensure=TopicMaker(settings.kafka_bootstrap, configs=configs)
    )
    publisher.known.update(topics.all())
    tables = Tables()
    follower = TableFollower(settings.kafka_bootstrap, topics, tables.apply)
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
        sealer=OutboxSealer(keys or key_store(settings, store)),
    )
    register(broker, exchange=exchange, settings=settings)
    return Worker(broker, publisher, follower, exchange)


def create_app(settings: Settings | None = None) -> FastStream:
    """Create the worker application: MongoDB projections behind Kafka subscribers."""
    settings = settings or Settings()
    store = MongoStore(settings.mongo_url, settings.mongo_db)
    worker = wire(settings, store)
    app = FastStream(worker.broker, logger=logging.getLogger("bureau.app"))

    @app.on_startup
    async def _prepare() -> None:
        topics = Topics.from_settings(settings)
        await ensure_topics(
            settings.kafka_bootstrap, topics.all(), settings.partitions, topic_configs(settings)
        )
        # A topic made before a promise changed keeps its old config: say so, loudly.
        await report_drift(settings)
        await store.ensure_indexes()
        # The tables first: no event is taken before the worker knows the exchange.
        await worker.follower.restore()

    @app.after_shutdown
    async def _close() -> None:
        await worker.follower.stop()
        await worker.publisher.close()
        await store.close()

    return app


@contextlib.asynccontextmanager
async def open_queries(settings: Settings, *, tables: bool = False) -> AsyncIterator[Queries]:
    """Queries over the configured store; ``tables``: restored from the changelogs first."""
    store = MongoStore(settings.mongo_url, settings.mongo_db)
    state = Tables()
    follower = TableFollower(settings.kafka_bootstrap, Topics.from_settings(settings), state.apply)
    try:
        if tables:
            await follower.restore()
        yield Queries(store=store, tables=state, top_k=settings.top_k)
    finally:
        await follower.stop()
        await store.close()


def topic_configs(settings: Settings) -> dict[str, dict[str, str]]:
    """Per-topic settings that carry a promise: erasure by compaction, bounded retention."""
    return retention_configs(settings)


async def until_signalled() -> None:
    """Wait for SIGINT or SIGTERM (Ctrl-C, or a service manager's stop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
