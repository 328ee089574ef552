"""Events on ``bureau.matches.v1``: suggestions bureau makes to students and companies."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bureau.schemas.common import Sealed
from bureau.schemas.envelope import Envelope, Identifier


class MatchSuggestedData(BaseModel):
    """One student suggested for one offer, with the reasons a person can read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    offer_id: Identifier
    company_id: Identifier
    student_id: Identifier
    school_id: Identifier
    score: float = Field(ge=0)
    reasons: tuple[str, ...] = ()
    sealed: Sealed | None = Field(
        default=None, description="The reasons, sealed: they quote the student's profile."
    )


class MatchSuggested(Envelope):
    """bureau suggests a student for an offer; ``event_id`` derives from the pair."""

    event_type: Literal["MatchSuggested"] = "MatchSuggested"
    data: MatchSuggestedData


class LectureMatchData(BaseModel):
    """A specialist suggested for a guest-lecture request (both are told)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    request_id: Identifier
    school_id: Identifier
    specialist_id: Identifier
    company_id: Identifier
    score: float = Field(ge=0)
    reasons: tuple[str, ...]


class LectureMatchSuggested(Envelope):
    """bureau suggests a specialist for a lecture request; the id derives from the pair."""

    event_type: Literal["LectureMatchSuggested"] = "LectureMatchSuggested"
    data: LectureMatchData


class ResearchMatchData(BaseModel):
    """A school suggested for a research question."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    question_id: Identifier
    owner_id: Identifier
    school_id: Identifier
    score: float = Field(ge=0)
    reasons: tuple[str, ...]


class ResearchMatchSuggested(Envelope):
    """bureau suggests a school for a research question; the id derives from the pair."""

    event_type: Literal["ResearchMatchSuggested"] = "ResearchMatchSuggested"
    data: ResearchMatchData
