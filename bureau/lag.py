"""Consumer lag of bureau's groups: what each group has committed against each log end."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bureau.topics import Purpose, Topics


@dataclass(frozen=True, kw_only=True)
class Lag:
    """One partition of one group: records written but not yet applied."""

    group: str
    topic: str
    partition: int
    committed: int
    end: int

    @property
    def lag(self) -> int:
        """Records behind the end (a group that never committed starts at offset 0)."""
        return max(0, self.end - max(self.committed, 0))


def subscriptions(topics: Topics) -> dict[str, list[str]]:
    """Each consumer group of the worker with the inbound topics it applies."""
    t = topics
    return {
        t.group(Purpose.OFFER_BOOK): [t.offers, t.applications],
        t.group(Purpose.STUDENTS): [t.students],
        t.group(Purpose.ORGANISATIONS): [t.organisations],
        t.group(Purpose.RESEARCH): [t.research],
        t.group(Purpose.LECTURES): [t.lectures],
        t.group(Purpose.SPECIALISTS): [t.specialists],
        t.group(Purpose.ROUNDS): [t.rounds],
    }


async def partitions(
    bootstrap: str,
    topics: Sequence[str],
    *,
    timeout_ms: int,
    client: Mapping[str, Any] | None = None,
) -> list[TopicPartition]:
    """The partitions of those ``topics`` that exist (never creates a topic).

    ``client``: security kwargs (``bureau.security.client.aiokafka_security``), as below.
    """
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=timeout_ms, **(client or {})
    )
    await admin.start()
    try:
        # All topics' metadata: naming topics could auto-create them on some brokers.
        described = await admin.describe_topics()
    finally:
        await admin.close()
    wanted = set(topics)
    return sorted(
        TopicPartition(d["topic"], p["partition"])
        for d in described
        if d["topic"] in wanted
        for p in d["partitions"]
    )


async def end_offsets(
    bootstrap: str,
    parts: Sequence[TopicPartition],
    *,
    timeout_ms: int,
    client: Mapping[str, Any] | None = None,
) -> dict[TopicPartition, int]:
    """The log-end offset of each partition."""
    if not parts:
        return {}
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, request_timeout_ms=timeout_ms, **(client or {})
    )
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(list(parts)))
    finally:
        await consumer.stop()


async def consumer_lag(
    bootstrap: str,
    groups: Mapping[str, Sequence[str]],
    *,
    timeout_ms: int = 10_000,
    client: Mapping[str, Any] | None = None,
) -> list[Lag]:
    """Lag per group and partition of the topics each group reads."""
    wanted = sorted({t for ts in groups.values() for t in ts})
    parts = await partitions(bootstrap, wanted, timeout_ms=timeout_ms, client=client)
    ends = await end_offsets(bootstrap, parts, timeout_ms=timeout_ms, client=client)
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=timeout_ms, **(client or {})
    )
    await admin.start()
    try:
        rows: list[Lag] = []
        for group, topics in groups.items():
            done = await admin.list_consumer_group_offsets(group)
            rows.extend(
                Lag(
                    group=group,
                    topic=tp.topic,
                    partition=tp.partition,
                    committed=done[tp].offset if tp in done else -1,
                    end=ends.get(tp, 0),
                )
                for tp in parts
                if tp.topic in topics
            )
        return rows
    finally:
        await admin.close()
