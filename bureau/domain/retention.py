"""How long a parked event may wait before it goes to the dead letters (pure).

An event parks until what it refers to exists (a student, an offer). A reference
that never comes would keep it, and the personal data in it, for ever: after the
TTL it goes to its topic's DLQ, which has a retention of its own, with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bureau.topics import dlq

PARKED_AT = "parked_at"
"""Field of a parked entry: when it started waiting (ISO-8601; the event's own time)."""


@dataclass(frozen=True)
class Keep:
    """Not expired yet (or its age is unknown: then it is kept and said so)."""

    reason: str = ""


@dataclass(frozen=True)
class Expire:
    """Expired: send it to ``dead_letter_topic`` with ``reason``, then unpark it."""

    entry_id: str
    dead_letter_topic: str
    reason: str


def parked_since(entry: Mapping[str, Any]) -> datetime | None:
    """When the entry was parked, else when its event occurred (None: unknown)."""
    if isinstance(stamp := entry.get(PARKED_AT), str):
        return datetime.fromisoformat(stamp)
    try:
        event = json.loads(entry.get("value", ""))
    except (TypeError, ValueError):
        return None
    occurred = event.get("occurred_at") if isinstance(event, dict) else None
    return datetime.fromisoformat(occurred) if isinstance(occurred, str) else None


def decide_expiry(entry: Mapping[str, Any], now: datetime, ttl: timedelta) -> Keep | Expire:
    """Tell whether a parked entry outlived ``ttl`` (``BUREAU_PARKED_TTL_DAYS``)."""
    since = parked_since(entry)
    if since is None:
        return Keep("parked without a time: the store must write parked_at")
    age = now - since
    if age < ttl:
        return Keep()
    waited = entry.get("ref", "its reference")
    return Expire(
        entry_id=str(entry.get("_id", "")),
        dead_letter_topic=dlq(entry["topic"]),
        reason=f"parked {age.days} days waiting for {waited}; expires after {ttl.days} days",
    )
