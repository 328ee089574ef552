"""A partner's producer: aiokafka plus an envelope signature on every record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

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
        await self._producer.start()
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
