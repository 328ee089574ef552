"""Events on ``bureau.outcomes.<school>.v1``: what a school needs to know, no more."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, model_validator

from bureau.schemas.common import Frozen, Sealed, Text, WireDate, ordered
from bureau.schemas.envelope import Envelope, Identifier
from bureau.schemas.students import Purpose


class PlacementStatus(StrEnum):
    """Where an application stands."""

    SUBMITTED = "submitted"
    SHORTLISTED = "shortlisted"
    REJECTED = "rejected"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


class Outcome(Frozen):
    """One decision about one of the school's students."""

    student_id: Identifier
    school_id: Identifier
    application_id: Identifier
    offer_id: Identifier
    company_id: Identifier
    status: PlacementStatus
    reason: Text = ""
    start: WireDate | None = None
    end: WireDate | None = None
    sealed: Sealed | None = Field(
        default=None, description="Reason and dates, sealed under the student's data key."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        ordered(self.start, self.end, "the placement")
        return self


class PlacementOutcome(Envelope):
    """bureau tells a school about a placement decision; the id derives from its cause."""

    event_type: Literal["PlacementOutcome"] = "PlacementOutcome"
    data: Outcome


class ConsentWithdrawal(Frozen):
    """What bureau stopped doing with one of the school's students after a withdrawal."""

    student_id: Identifier
    school_id: Identifier
    purposes: frozenset[Purpose] = Field(
        default=frozenset(),
        description="Purposes lost: matching (no new suggestions, out of open rounds before "
        "allocation and out of proposed teams), teams (out of proposed teams), statistics.",
    )
    sealed: Sealed | None = Field(
        default=None, description="The purposes, sealed under the student's data key."
    )


class ConsentWithdrawalApplied(Envelope):
    """bureau tells a school that a withdrawal took effect; the id derives from it."""

    event_type: Literal["ConsentWithdrawalApplied"] = "ConsentWithdrawalApplied"
    data: ConsentWithdrawal
