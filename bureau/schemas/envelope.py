"""The versioned envelope every bureau event travels in."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from bureau.schemas.common import EARLIEST, LATEST


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[
    AwareDatetime,
    # Bounded before it is converted: 9999-12-31T23:00-14:00 would overflow in UTC.
    Field(
        ge=datetime.combine(EARLIEST, time.min, UTC),
        le=datetime.combine(LATEST, time.max, UTC),
        json_schema_extra={
            "formatMinimum": f"{EARLIEST}T00:00:00Z",
            "formatMaximum": f"{LATEST}T23:59:59.999999Z",
        },
    ),
    AfterValidator(_to_utc),
]
"""A timezone-aware instant in bureau's range, normalised to UTC; naive datetimes are rejected."""

Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")
]
"""Ids of organisations, offers and pseudonymous students: lower-case, no personal data."""

CorrelationId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
]
"""A partner's tracing id (bureau uses the causing event's id): short, plain ASCII."""


def _an_integer(value: object) -> object:
    # A Literal compares by equality, and JSON true == 1 in Python.
    if type(value) is not int:
        raise ValueError("schema_version must be an integer")
    return value


SchemaVersion = Annotated[Literal[1], BeforeValidator(_an_integer)]
"""The envelope versions bureau understands."""

BUREAU = "bureau"
"""The ``source`` of events bureau itself emits."""


class Envelope(BaseModel):
    """Fields common to every event; subclasses fix ``event_type`` and add ``data``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID
    event_type: str
    occurred_at: UtcDatetime
    source: Identifier
    schema_version: SchemaVersion = 1
    correlation_id: CorrelationId | None = None
