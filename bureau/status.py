"""What ``bureau status`` reports: reachability, consumer lag, dead letters, rounds."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from bureau.domain.round import Round
from bureau.handlers.dead_letter import REASON
from bureau.lag import Lag, consumer_lag, end_offsets, partitions, subscriptions
from bureau.security.client import aiokafka_security
from bureau.settings import Settings
from bureau.topics import Topics, dlq


@dataclass(frozen=True, kw_only=True)
class DeadLetters:
    """One dead-letter topic: how many records and the commonest reasons."""

    topic: str
    count: int
    reasons: list[tuple[str, int]]


@dataclass(frozen=True, kw_only=True)
class RoundSummary:
    """One matching round as the store has it."""

    round_id: str
    closed: bool
    offers: int
    placed: int | None
    unplaced: int | None


@dataclass(kw_only=True)
class Status:
    """Everything ``bureau status`` shows; ``broker_error``/``store_error`` when unreachable."""

    broker_error: str | None = None
    store_error: str | None = None
    lag: list[Lag] = field(default_factory=list)
    dead_letters: list[DeadLetters] = field(default_factory=list)
    rounds: list[RoundSummary] = field(default_factory=list)

    @property
    def reachable(self) -> bool:
        """Both the broker and the store answered."""
        return self.broker_error is None and self.store_error is None


async def _broker(bootstrap: str, seconds: float, client: Mapping[str, Any]) -> None:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=int(seconds * 1000), **client
    )
    await asyncio.wait_for(admin.start(), seconds)
    try:
        await asyncio.wait_for(admin.describe_cluster(), seconds)
    finally:
        await admin.close()


async def _store(url: str, seconds: float) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        url, serverSelectionTimeoutMS=int(seconds * 1000)
    )
    try:
        await client.admin.command("ping")
    finally:
        await client.close()


async def records(
    bootstrap: str, topics: Sequence[str], *, client: Mapping[str, Any] | None = None
) -> list[Any]:
    """Every record now in ``topics`` (those that exist), from offset 0 to the current end.

    ``client``: security kwargs (``bureau.security.client.aiokafka_security``).
    """
    parts = await partitions(bootstrap, topics, timeout_ms=10_000, client=client)
    ends = await end_offsets(bootstrap, parts, timeout_ms=10_000, client=client)
    wanted = {tp: end for tp, end in ends.items() if end > 0}
    found: list[Any] = []
    if not wanted:
        return found
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, **(client or {})
    )
    await consumer.start()
    try:
        consumer.assign(list(wanted))
        await consumer.seek_to_beginning(*wanted)
        while wanted:
            for tp, batch in (await consumer.getmany(timeout_ms=1000)).items():
                found.extend(r for r in batch if r.offset < wanted.get(tp, 0))
            for tp in list(wanted):
                if await consumer.position(tp) >= wanted[tp]:
                    del wanted[tp]
    finally:
        await consumer.stop()
    return found


async def dead_letters(
    bootstrap: str,
    topics: Sequence[str],
    top: int = 3,
    *,
    client: Mapping[str, Any] | None = None,
) -> list[DeadLetters]:
    """Count each dead-letter topic's records by their ``bureau-dlq-reason`` header."""
    reasons: dict[str, Counter[str]] = {dlq(t): Counter() for t in topics}
    for r in await records(bootstrap, list(reasons), client=client):
        why = dict(r.headers).get(REASON, b"(no reason)")
        reasons[r.topic][why.decode(errors="replace")] += 1
    return [
        DeadLetters(topic=n, count=sum(c.values()), reasons=c.most_common(top))
        for n, c in reasons.items()
    ]


async def rounds(settings: Settings) -> list[RoundSummary]:
    """The store's matching rounds: open ones and what each closed one placed."""
    from bureau.adapters.mongo import MongoStore

    store = MongoStore(settings.mongo_url, settings.mongo_db)
    try:
        found = []
        for doc in await store.find("rounds", {}):
            stored = await store.load("rounds", str(doc["_id"]))
            if stored is None:
                continue
            r = Round.model_validate(stored.state)
            found.append(
                RoundSummary(
                    round_id=r.details.round_id,
                    closed=r.closed,
                    offers=len(r.details.offer_ids),
                    placed=r.run.placed if r.run else None,
                    unplaced=r.run.unplaced if r.run else None,
                )
            )
        return found
    finally:
        await store.close()


async def gather(settings: Settings, *, seconds: float = 5.0) -> Status:
    """Ask the broker and the store; whatever answers is reported."""
    status = Status()

    def short(exc: Exception) -> str:
        text = str(exc).split(" (configured timeouts", 1)[0]
        return f"{type(exc).__name__}: {text[:160]}"

    topics = Topics.from_settings(settings)
    client = aiokafka_security(settings)
    try:
        await _broker(settings.kafka_bootstrap, seconds, client)
    except Exception as exc:
        status.broker_error = short(exc)
    try:
        await _store(settings.mongo_url, seconds)
    except Exception as exc:
        status.store_error = short(exc)
    if status.broker_error is None:
        status.lag = await consumer_lag(
            settings.kafka_bootstrap, subscriptions(topics), client=client
        )
        status.dead_letters = await dead_letters(
            settings.kafka_bootstrap, topics.inbound, client=client
        )
    if status.store_error is None:
        status.rounds = await rounds(settings)
    return status
