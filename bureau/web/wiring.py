"""The dashboard wired to the real projections, Kafka's admin API and the service."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

import structlog

from bureau.adapters.changelog import TableFollower
from bureau.adapters.mongo import MongoStore
from bureau.dlq import redrive
from bureau.domain.eligibility import Rules
from bureau.domain.matching import Suggestion
from bureau.domain.scoring import Weights
from bureau.security.client import aiokafka_security
from bureau.service import Tables
from bureau.service.queries import Queries
from bureau.settings import Settings
from bureau.topics import Topics, dlq
from bureau.web.access import Access
from bureau.web.app import Wiring
from bureau.web.cache import CachedReadModel
from bureau.web.lag import kafka_lag
from bureau.web.partner_login import PartnerLogins
from bureau.web.queries import MongoReadModel

log = structlog.get_logger(__name__)


@contextlib.asynccontextmanager
async def wiring_from_settings(settings: Settings) -> AsyncIterator[Wiring]:
    """The dashboard's read model, credentials, shortlist, lag and redrive from settings."""
    topics = Topics.from_settings(settings)
    read = MongoReadModel(settings.mongo_url, settings.mongo_db)
    store = MongoStore(settings.mongo_url, settings.mongo_db)
    # The shortlist is a query of the service, computed on read from the same tables the
    # worker keeps (restored from bureau's changelogs, then followed); it publishes nothing.
    tables = Tables(
        weights=Weights(
            skills=settings.weight_skills,
            theme=settings.weight_theme,
            level=settings.weight_level,
            distance=settings.weight_distance,
        ),
        rules=Rules(default_max_travel_km=settings.max_travel_km),
    )
    follower = TableFollower(
        settings.kafka_bootstrap, topics, tables.apply, client=aiokafka_security(settings)
    )
    queries = Queries(store=store, tables=tables, top_k=settings.top_k)
    restoring: list[asyncio.Task[float]] = []

    def restore() -> asyncio.Task[float]:
        # Begun at start, so the first shortlist does not wait for a whole restore; begun
        # again if it failed (no broker yet). The other pages never need the broker.
        if not restoring or _failed(restoring[-1]):
            task = asyncio.ensure_future(follower.restore())
            task.add_done_callback(_log_failure)
            restoring.append(task)
        return restoring[-1]

    async def shortlist(offer_id: str) -> Sequence[Suggestion]:
        await asyncio.shield(restore())
        return queries.shortlist(offer_id)

    async def redrive_topic(topic: str) -> int:
        return await redrive(settings, topic)

    restore()
    try:
        yield Wiring(
            read=CachedReadModel(read, ttl=1.0),
            access=Access.from_settings(settings),
            shortlist=shortlist,
            lag=kafka_lag(settings),
            redrive=redrive_topic,
            dlq_topics=[dlq(t) for t in topics.inbound],
            partner_logins=PartnerLogins.from_settings(settings),
        )
    finally:
        for task in restoring:
            task.cancel()
        await follower.stop()
        await read.close()
        await store.close()


def _failed(task: asyncio.Task[float]) -> bool:
    return task.done() and (task.cancelled() or task.exception() is not None)


def _log_failure(task: asyncio.Task[float]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.warning("web_tables_restore_failed", error=type(exc).__name__)
    elif not task.cancelled():
        log.info("web_tables_restored", seconds=round(task.result(), 1))


__all__ = ["wiring_from_settings"]
