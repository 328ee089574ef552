"""Events on ``bureau.students.v1`` (key: pseudonymous student id), published by schools."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import Field, TypeAdapter, model_validator

from bureau.schemas.common import (
    Crebo,
    Frozen,
    Level,
    Period,
    PostcodeArea,
    Skills,
    Themes,
    Title,
)
from bureau.schemas.envelope import Envelope, Identifier


class AgeBand(StrEnum):
    """Age in bands, not a date of birth: enough for the consent rule, no more."""

    UNDER_16 = "under-16"
    FROM_16_TO_17 = "16-17"
    ADULT = "18+"


class Gender(StrEnum):
    """Only for aggregate statistics, and only with the student's consent."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "x"


class StudentProfile(Frozen):
    """The least that matching and statistics need: no name, address or birth date."""

    student_id: Identifier = Field(description="Pseudonym issued by the school.")
    school_id: Identifier
    level: Level
    programme: Title
    crebo: Crebo | None = None
    skills: Skills = frozenset()
    themes: Themes = frozenset()
    region: PostcodeArea
    available: Period | None = None
    age_band: AgeBand
    consent: bool = Field(description="The student agreed to be matched.")
    guardian_consent: bool = Field(
        default=False, description="A guardian agreed too; required under 16 (AVG)."
    )
    statistics_consent: bool = False
    gender: Gender | None = None

    @model_validator(mode="after")
    def _least_data(self) -> Self:
        if self.gender is not None and not self.statistics_consent:
            raise ValueError("gender may only be sent with statistics_consent")
        if self.crebo is not None and not self.level.value.startswith("mbo"):
            raise ValueError("a crebo code belongs to an mbo programme")
        return self

    @property
    def may_be_matched(self) -> bool:
        """Consent as the AVG asks: below 16 a guardian must agree too."""
        if self.age_band is AgeBand.UNDER_16:
            return self.consent and self.guardian_consent
        return self.consent


class _FromItsSchool(Envelope):
    data: StudentProfile

    @model_validator(mode="after")
    def _school_speaks(self) -> Self:
        if self.data.school_id != self.source:
            raise ValueError("source must be the student's school")
        return self


class StudentRegistered(_FromItsSchool):
    """A school registered one of its students."""

    event_type: Literal["StudentRegistered"]


class StudentProfileUpdated(_FromItsSchool):
    """A school replaced a student's profile (level, skills, consent, ...)."""

    event_type: Literal["StudentProfileUpdated"]


class StudentErasureData(Frozen):
    """Which student to erase."""

    student_id: Identifier
    school_id: Identifier


class StudentErased(Envelope):
    """Right to erasure: bureau forgets the student's profile everywhere it keeps one."""

    event_type: Literal["StudentErased"]
    data: StudentErasureData

    @model_validator(mode="after")
    def _school_speaks(self) -> Self:
        if self.data.school_id != self.source:
            raise ValueError("source must be the student's school")
        return self


class Purpose(StrEnum):
    """What a student may consent to, each on its own."""

    MATCHING = "matching"
    STATISTICS = "statistics"
    TEAMS = "teams"


class ConsentGiver(StrEnum):
    """Who consented: the student, or (under 16, required too) a guardian."""

    STUDENT = "student"
    GUARDIAN = "guardian"


class ConsentData(Frozen):
    """Who gave or withdrew consent, for which purposes; when is the event's ``occurred_at``."""

    student_id: Identifier
    school_id: Identifier
    by: ConsentGiver
    purposes: Annotated[frozenset[Purpose], Field(min_length=1)]


class _ConsentFromItsSchool(Envelope):
    data: ConsentData

    @model_validator(mode="after")
    def _school_speaks(self) -> Self:
        if self.data.school_id != self.source:
            raise ValueError("source must be the student's school")
        return self


class ConsentGiven(_ConsentFromItsSchool):
    """The student or their guardian consented to some purposes (the school records it)."""

    event_type: Literal["ConsentGiven"]


class ConsentWithdrawn(_ConsentFromItsSchool):
    """The student or their guardian withdrew consent for some purposes."""

    event_type: Literal["ConsentWithdrawn"]


StudentEvent = Annotated[
    StudentRegistered | StudentProfileUpdated | StudentErased | ConsentGiven | ConsentWithdrawn,
    Field(discriminator="event_type"),
]
student_event: TypeAdapter[StudentEvent] = TypeAdapter(StudentEvent)

ConsentEvent = Annotated[ConsentGiven | ConsentWithdrawn, Field(discriminator="event_type")]
consent_event: TypeAdapter[ConsentEvent] = TypeAdapter(ConsentEvent)
