"""Guest lectures: ``bureau.lectures.v1`` (requests) and ``bureau.specialists.v1``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import Field, TypeAdapter, model_validator

from bureau.schemas.common import (
    Frozen,
    Level,
    Levels,
    Period,
    PostcodeArea,
    Text,
    Themes,
    Title,
    WireDate,
)
from bureau.schemas.envelope import Envelope, Identifier


class Language(StrEnum):
    """Language of a lecture."""

    DUTCH = "nl"
    ENGLISH = "en"


class LectureRequest(Frozen):
    """What a school asks for: a topic, for a level, within a window, in a region."""

    request_id: Identifier
    school_id: Identifier
    topic: Title
    themes: Themes = frozenset()
    level: Level
    window: Period
    region: PostcodeArea
    language: Language = Language.DUTCH


class GuestLectureRequested(Envelope):
    """A school asked for a guest lecture."""

    event_type: Literal["GuestLectureRequested"]
    data: LectureRequest

    @model_validator(mode="after")
    def _school_speaks(self) -> Self:
        if self.data.school_id != self.source:
            raise ValueError("source must be the requesting school")
        return self


class Booking(Frozen):
    """A specialist booked for a request on a date."""

    request_id: Identifier
    specialist_id: Identifier
    on: WireDate


class GuestLectureBooked(Envelope):
    """The requesting school booked a specialist for its request."""

    event_type: Literal["GuestLectureBooked"]
    data: Booking


class Cancellation(Frozen):
    """Which booking is cancelled, and why."""

    request_id: Identifier
    reason: Text = ""


class GuestLectureCancelled(Envelope):
    """The school or the specialist's company cancelled the booking."""

    event_type: Literal["GuestLectureCancelled"]
    data: Cancellation


LectureEvent = Annotated[
    GuestLectureRequested | GuestLectureBooked | GuestLectureCancelled,
    Field(discriminator="event_type"),
]
lecture_event: TypeAdapter[LectureEvent] = TypeAdapter(LectureEvent)


class SpecialistDetails(Frozen):
    """A specialist a company makes available; pseudonymous like students."""

    specialist_id: Identifier
    company_id: Identifier
    expertise: Title
    themes: Themes = frozenset()
    levels: Levels
    languages: frozenset[Language] = Field(default=frozenset({Language.DUTCH}), min_length=1)
    available: Period
    region: PostcodeArea


class SpecialistAvailable(Envelope):
    """A company made a specialist available for guest lectures (or changed that)."""

    event_type: Literal["SpecialistAvailable"]
    data: SpecialistDetails

    @model_validator(mode="after")
    def _company_speaks(self) -> Self:
        if self.data.company_id != self.source:
            raise ValueError("source must be the specialist's company")
        return self


SpecialistEvent = SpecialistAvailable
specialist_event: TypeAdapter[SpecialistEvent] = TypeAdapter(SpecialistEvent)
