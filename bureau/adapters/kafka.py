"""Kafka adapters: topic provisioning and bureau's record publisher."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from faststream.kafka import KafkaBroker

from bureau.security.signing import signed_headers


async def ensure_topics(
    bootstrap: str,
    names: Iterable[str],
    partitions: int,
    configs: Mapping[str, Mapping[str, str]] | None = None,
    **security: Any,
) -> None:
    """Create the topics that do not exist yet (with ``configs[name]``); leave the rest.

    ``security``: the kwargs of ``bureau.security.client.aiokafka_security``.
    """
    configs = configs or {}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                name=n,
                num_partitions=partitions,
                replication_factor=1,
                topic_configs=dict(configs.get(n, {})),
            )
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
    """Publishes JSON records through the broker's idempotent producer, and tombstones."""

    def __init__(
        self,
        broker: KafkaBroker,
        bootstrap: str,
        *,
        partitions: int | None = None,
        signer: tuple[str, Ed25519PrivateKey] | None = None,
        **security: Any,
    ) -> None:
        """Publish through ``broker``; tombstones through a producer of our own.

        With ``partitions``, a topic is created (that many partitions) before the first
        record to it: per-party topics are not known in advance, and a secured broker does
        not auto-create them. With ``signer`` (bureau's org id and key), every record carries
        the envelope signature partners and bureau's own handlers verify.
        """
        self.signer = signer
        self.broker, self.bootstrap, self.security = broker, bootstrap, security
        self.partitions = partitions
        self._known: set[str] = set()
        self._raw: AIOKafkaProducer | None = None

    async def __call__(self, topic: str, key: bytes, value: bytes | None) -> None:
        """Send one record (``None``: a tombstone) and wait for the acknowledgement."""
        if self.partitions is not None and topic not in self._known:
            await ensure_topics(self.bootstrap, [topic], self.partitions, **self.security)
            self._known.add(topic)
        if value is None:
            await self._tombstone(topic, key)
            return
        headers = {"content-type": "application/json"}
        if self.signer is not None:
            org, private_key = self.signer
            headers |= {
                name: v.decode() for name, v in signed_headers(org, private_key, key, value)
            }
        await self.broker.publish(value, topic=topic, key=key, headers=headers)

    async def _tombstone(self, topic: str, key: bytes) -> None:
        # FastStream encodes None as b"", which compaction keeps; a tombstone is a
        # record with no value at all, so it goes through aiokafka directly.
        if self._raw is None:
            self._raw = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap,
                acks="all",
                enable_idempotence=True,
                **self.security,
            )
            await self._raw.start()
        await self._raw.send_and_wait(topic, None, key=key)

    async def close(self) -> None:
        """Stop the tombstone producer, if it was started."""
        if self._raw is not None:
            await self._raw.stop()
            self._raw = None
