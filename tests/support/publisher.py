"""A publisher for unit tests: bureau's records, written down in order."""

from __future__ import annotations

import json
from typing import Any


class Log:
    """bureau's publisher, writing down every record."""

    def __init__(self) -> None:
        self.records: list[tuple[str, bytes, bytes | None]] = []

    async def __call__(self, topic: str, key: bytes, value: bytes | None) -> None:
        self.records.append((topic, key, value))

    def events(self, topic: str) -> list[dict[str, Any]]:
        """The JSON records published on ``topic`` (tombstones left out)."""
        return [json.loads(v) for t, _, v in self.records if t == topic and v is not None]
