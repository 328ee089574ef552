"""Opening what bureau sealed, as an entitled reader would (through the key store)."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

from bureau.privacy.fields import SEALED, unseal
from bureau.privacy.keys import MongoKeyStore
from bureau.settings import Settings


async def opened(event: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """``event`` (as JSON-decoded) with its tokens opened by the configured key store."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url)
    try:
        return await unseal(event, MongoKeyStore(client[settings.mongo_db]))
    finally:
        await client.close()


def is_sealed(event: dict[str, Any]) -> bool:
    """Whether the event's data carries a token in place of its personal fields."""
    return SEALED in event.get("data", {})
