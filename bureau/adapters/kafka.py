"""Kafka adapters: topic provisioning and bureau's record publisher."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker


async def ensure_topics(bootstrap: str, names: Iterable[str], partitions: int) -> None:
    """Create the topics that do not exist yet; existing ones are left as they are."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name=n, num_partitions=partitions, replication_factor=1)
            for n in names
            if n not in existing
        ]
        if missing:
            # Another worker may create one between our list and create.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()


class KafkaPublisher:
    """Publishes JSON records through the broker's idempotent producer."""

    def __init__(self, broker: KafkaBroker) -> None:
        """Publish through ``broker``."""
        self.broker = broker

    async def __call__(self, topic: str, key: bytes, value: bytes) -> None:
        """Send one record and wait until the broker acknowledged it."""
        await self.broker.publish(
            value, topic=topic, key=key, headers={"content-type": "application/json"}
        )
