"""Kafka adapters: topic provisioning and bureau's notification publisher."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker

from bureau.schemas.matches import MatchSuggested


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


class MatchPublisher:
    """Publishes MatchSuggested keyed by offer id; returns once the broker acknowledged."""

    def __init__(self, broker: KafkaBroker, topic: str) -> None:
        """Publish on ``topic`` through ``broker``'s idempotent producer."""
        self.broker, self.topic = broker, topic

    async def __call__(self, event: MatchSuggested) -> None:
        """Send ``event`` as JSON bytes."""
        await self.broker.publish(
            event.model_dump_json().encode(),
            topic=self.topic,
            key=event.data.offer_id.encode(),
            headers={"content-type": "application/json", "event-type": event.event_type},
        )
