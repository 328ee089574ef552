"""Partners' producers: aiokafka plus an envelope signature on every record."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from bureau.security.partners import Onboarding
from bureau.security.signing import load_private_key, signed_headers


class PartnerClient:
    """Publishes records signed as ``org`` with the key ``partners add`` wrote."""

    def __init__(self, org: str, key_file: Path, bootstrap: str, **security: Any) -> None:
        """Sign as ``org`` with the Ed25519 key in ``key_file``; connect with ``security``."""
        self.org = org
        self._key = load_private_key(key_file)
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, **security
        )

    async def __aenter__(self) -> PartnerClient:
        """Connect."""
        try:
            await self._producer.start()
        except BaseException:
            await self._producer.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Disconnect."""
        await self._producer.stop()

    async def send(self, topic: str, key: bytes, value: bytes | dict[str, Any]) -> None:
        """Send one signed record and wait for the acknowledgement."""
        body = value if isinstance(value, bytes) else json.dumps(value).encode()
        headers = [("content-type", b"application/json")]
        headers += signed_headers(self.org, self._key, key, body)
        await self._producer.send_and_wait(topic, body, key=key, headers=headers)


class PartnerPool:
    """One signed client per partner, each with its own credentials, opened on first use."""

    def __init__(self, onboarded: Mapping[str, Onboarding], bootstrap: str) -> None:
        """Send as the partners ``partners.add`` onboarded."""
        self._onboarded, self._bootstrap = onboarded, bootstrap
        self._clients: dict[str, PartnerClient] = {}

    async def send(self, org: str, topic: str, key: bytes, value: bytes) -> None:
        """Send one record signed by ``org``, through ``org``'s own connection."""
        client = self._clients.get(org)
        if client is None:
            found = self._onboarded[org]
            client = PartnerClient(
                org, found.key_file, self._bootstrap, **found.aiokafka_security()
            )
            await client.__aenter__()
            self._clients[org] = client
        await client.send(topic, key, value)

    async def close(self) -> None:
        """Disconnect every partner."""
        for client in self._clients.values():
            await client.__aexit__()
        self._clients.clear()
