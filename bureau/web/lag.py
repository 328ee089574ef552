"""Consumer lag per group and partition, from Kafka's admin API (the operator page only)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bureau.security.client import aiokafka_security
from bureau.settings import Settings


@dataclass(frozen=True, kw_only=True)
class PartitionLag:
    """How far one group is behind on one partition."""

    group: str
    topic: str
    partition: int
    committed: int
    end: int

    @property
    def lag(self) -> int:
        """Records written but not yet consumed by the group."""
        return max(0, self.end - self.committed)


@dataclass(frozen=True, kw_only=True)
class GroupLag:
    """One consumer group's lag, in total and per partition."""

    group: str
    partitions: tuple[PartitionLag, ...]

    @property
    def total(self) -> int:
        """The group's lag over all its partitions."""
        return sum(p.lag for p in self.partitions)


LagSource = Callable[[], Awaitable[list[GroupLag]]]


def kafka_lag(settings: Settings) -> LagSource:
    """A lag source for bureau's own groups (``<group_prefix>bureau-*``)."""
    prefix = f"{settings.group_prefix}bureau-"
    security = aiokafka_security(settings)

    async def read() -> list[GroupLag]:
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, **security)
        await admin.start()
        try:
            listed = await admin.list_consumer_groups()
            groups = sorted(g[0] for g in listed if str(g[0]).startswith(prefix))
            committed: dict[str, dict[TopicPartition, int]] = {}
            for group in groups:
                offsets = await admin.list_consumer_group_offsets(group)
                committed[group] = {tp: meta.offset for tp, meta in offsets.items()}
        finally:
            await admin.close()
        every = sorted({tp for c in committed.values() for tp in c})
        ends = await _end_offsets(settings.kafka_bootstrap, every, security) if every else {}
        return [
            GroupLag(
                group=group,
                partitions=tuple(
                    PartitionLag(
                        group=group,
                        topic=tp.topic,
                        partition=tp.partition,
                        committed=max(offset, 0),
                        end=ends.get(tp, 0),
                    )
                    for tp, offset in sorted(committed[group].items())
                ),
            )
            for group in groups
        ]

    return read


async def _end_offsets(
    bootstrap: str, partitions: list[TopicPartition], security: Mapping[str, Any]
) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **security)
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


__all__ = ["GroupLag", "LagSource", "PartitionLag", "kafka_lag"]
