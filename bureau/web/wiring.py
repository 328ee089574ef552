"""The dashboard wired to the real projections, Kafka's admin API and the service."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

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
from bureau.web.queries import MongoReadModel


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
    restored = asyncio.Lock()
    following: list[bool] = []

    async def shortlist(offer_id: str) -> Sequence[Suggestion]:
        # Restored on first use: the other pages need no broker.
        async with restored:
            if not following:
                await follower.restore()
                following.append(True)
        return queries.shortlist(offer_id)

    async def redrive_topic(topic: str) -> int:
        return await redrive(settings, topic)

    try:
        yield Wiring(
            read=CachedReadModel(read, ttl=1.0),
            access=Access.from_settings(settings),
            shortlist=shortlist,
            lag=kafka_lag(settings),
            redrive=redrive_topic,
            dlq_topics=[dlq(t) for t in topics.inbound],
        )
    finally:
        await follower.stop()
        await read.close()
        await store.close()


__all__ = ["wiring_from_settings"]
