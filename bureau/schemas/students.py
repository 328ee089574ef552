"""Events on ``bureau.students.v1``: pseudonymous student profiles published by schools."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from bureau.schemas.common import Level, PostcodeArea, Skill
from bureau.schemas.envelope import Envelope, Identifier


class StudentRegisteredData(BaseModel):
    """The least a match needs: no name, no address, no date of birth."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    student_id: Identifier = Field(description="Pseudonymous id issued by the school.")
    school_id: Identifier
    level: Level
    skills: frozenset[Skill] = Field(max_length=50)
    region: PostcodeArea
    consent: bool = Field(description="Student (or guardian, under 16) agreed to be matched.")


class StudentRegistered(Envelope):
    """A school has registered one of its students with the bureau."""

    event_type: Literal["StudentRegistered"]
    data: StudentRegisteredData


StudentEvent = StudentRegistered
"""Every event type that may appear on ``bureau.students.v1``."""

student_event: TypeAdapter[StudentEvent] = TypeAdapter(StudentEvent)
