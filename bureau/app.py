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
from bureau.handlers.dead_letter import dead_letter
from bureau.handlers.exchange import register
from bureau.handlers.middleware import Backoff, Resilience
from bureau.service import Exchange
from bureau.settings import Settings
from bureau.topics import Topics


def build_broker(settings: Settings, store: Store) -> KafkaBroker:
    """Create the broker with bureau's handlers registered on it."""
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
    exchange = Exchange(
        store=store,
        publish=KafkaPublisher(broker),
        topics=Topics.from_settings(settings),
        top_k=settings.top_k,
    )
    register(broker, exchange=exchange, settings=settings)
    return broker


def create_app(settings: Settings | None = None) -> FastStream:
    """Create the worker application: MongoDB projections behind Kafka subscribers."""
    settings = settings or Settings()
    store = MongoStore(settings.mongo_url, settings.mongo_db)
    broker = build_broker(settings, store)
    app = FastStream(broker, logger=logging.getLogger("bureau.app"))

    @app.on_startup
    async def _prepare() -> None:
        await ensure_topics(
            settings.kafka_bootstrap, Topics.from_settings(settings).all(), settings.partitions
        )
        await store.ensure_indexes()

    @app.after_shutdown
    async def _close() -> None:
        await store.close()

    return app


async def until_signalled() -> None:
    """Wait for SIGINT or SIGTERM (Ctrl-C, or a service manager's stop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
