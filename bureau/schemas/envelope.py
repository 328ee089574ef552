"""The versioned envelope every bureau event travels in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, StringConstraints


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware instant, normalised to UTC; naive datetimes are rejected."""

Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")
]
"""Ids of organisations, offers and pseudonymous students: lower-case, no personal data."""

BUREAU = "bureau"
"""The ``source`` of events bureau itself emits."""


class Envelope(BaseModel):
    """Fields common to every event; subclasses fix ``event_type`` and add ``data``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID
    event_type: str
    occurred_at: UtcDatetime
    source: Identifier
    schema_version: int = 1
    correlation_id: str | None = None
