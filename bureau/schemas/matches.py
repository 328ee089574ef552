"""Events on ``bureau.matches.v1``: suggestions bureau makes to students and companies."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bureau.schemas.envelope import Envelope, Identifier


class MatchSuggestedData(BaseModel):
    """One student suggested for one offer, with the reasons a person can read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    offer_id: Identifier
    company_id: Identifier
    student_id: Identifier
    school_id: Identifier
    score: float = Field(ge=0)
    reasons: tuple[str, ...]


class MatchSuggested(Envelope):
    """bureau suggests a student for an offer; ``event_id`` derives from the pair."""

    event_type: Literal["MatchSuggested"] = "MatchSuggested"
    data: MatchSuggestedData
