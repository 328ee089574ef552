"""Wiring: settings → store, broker, handlers, FastStream application."""

from __future__ import annotations

import asyncio
import logging
import signal

from faststream import FastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage

from bureau.adapters.kafka import KafkaPublisher, ensure_topics
from bureau.adapters.mongo import MongoStore
from bureau.adapters.store import Store
from bureau.domain.eligibility import Rules
from bureau.domain.scoring import Weights
from bureau.handlers.dead_letter import dead_letter
from bureau.handlers.exchange import register
from bureau.handlers.middleware import Backoff, Resilience
from bureau.privacy.topics import retention_configs
from bureau.service import Exchange
from bureau.settings import Settings
from bureau.topics import Topics


def build_broker(settings: Settings, store: Store) -> KafkaBroker:
    """Create the broker with bureau's handlers registered on it."""
    return _wire(settings, store)[0]


def _wire(settings: Settings, store: Store) -> tuple[KafkaBroker, KafkaPublisher]:
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
    publisher = KafkaPublisher(broker, settings.kafka_bootstrap)
    exchange = Exchange(
        store=store,
        publish=publisher,
        topics=Topics.from_settings(settings),
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
    register(broker, exchange=exchange, settings=settings)
    return broker, publisher


def create_app(settings: Settings | None = None) -> FastStream:
    """Create the worker application: MongoDB projections behind Kafka subscribers."""
    settings = settings or Settings()
    store = MongoStore(settings.mongo_url, settings.mongo_db)
    broker, publisher = _wire(settings, store)
    app = FastStream(broker, logger=logging.getLogger("bureau.app"))

    @app.on_startup
    async def _prepare() -> None:
        topics = Topics.from_settings(settings)
        await ensure_topics(
            settings.kafka_bootstrap, topics.all(), settings.partitions, topic_configs(settings)
        )
        await store.ensure_indexes()

    @app.after_shutdown
    async def _close() -> None:
        await publisher.close()
        await store.close()

    return app


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
