"""Events on ``bureau.applications.v1`` (key: offer id, so one offer's book stays ordered).

Schools speak for their students (apply, withdraw, accept, decline); companies speak
for their offers (shortlist, reject, offer, confirm, complete). Who may send which
event is checked against the offer and the student when the event is applied.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, TypeAdapter, model_validator

from bureau.schemas.common import Frozen, Text, WireDate, ordered
from bureau.schemas.envelope import Envelope, Identifier


class ApplicationRef(Frozen):
    """Which application an event is about."""

    application_id: Identifier
    offer_id: Identifier
    student_id: Identifier


class Rejection(ApplicationRef):
    """An application turned down, and why."""

    reason: Text = ""


class Confirmation(ApplicationRef):
    """A placement made definite, with its dates."""

    start: WireDate
    end: WireDate

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        ordered(self.start, self.end, "the placement")
        return self


class Evaluation(ApplicationRef):
    """A completed placement and how it went."""

    rating: int = Field(ge=1, le=5)
    remarks: Text = ""


class ApplicationSubmitted(Envelope):
    """A school applied for an offer on behalf of one of its students."""

    event_type: Literal["ApplicationSubmitted"]
    data: ApplicationRef


class ApplicationWithdrawn(Envelope):
    """The school withdrew the application."""

    event_type: Literal["ApplicationWithdrawn"]
    data: ApplicationRef


class CandidateShortlisted(Envelope):
    """The company shortlisted the applicant."""

    event_type: Literal["CandidateShortlisted"]
    data: ApplicationRef


class ApplicationRejected(Envelope):
    """The company (or bureau, when the offer is full) turned the application down."""

    event_type: Literal["ApplicationRejected"]
    data: Rejection


class PlacementOffered(Envelope):
    """The company offered the applicant a place."""

    event_type: Literal["PlacementOffered"]
    data: ApplicationRef


class PlacementAccepted(Envelope):
    """The student (through the school) accepted the offered place."""

    event_type: Literal["PlacementAccepted"]
    data: ApplicationRef


class PlacementDeclined(Envelope):
    """The student (through the school) declined the offered place."""

    event_type: Literal["PlacementDeclined"]
    data: ApplicationRef


class PlacementConfirmed(Envelope):
    """The company confirmed the placement: it takes one of the offer's places."""

    event_type: Literal["PlacementConfirmed"]
    data: Confirmation


class PlacementCompleted(Envelope):
    """The internship ended; the company evaluated it."""

    event_type: Literal["PlacementCompleted"]
    data: Evaluation


class Allocation(ApplicationRef):
    """A place a matching round allocated."""

    round_id: Identifier


class PlacementAllocated(Envelope):
    """A matching round placed the student here: an offered place to accept or decline."""

    event_type: Literal["PlacementAllocated"]
    data: Allocation


ApplicationEvent = Annotated[
    ApplicationSubmitted
    | ApplicationWithdrawn
    | CandidateShortlisted
    | ApplicationRejected
    | PlacementOffered
    | PlacementAccepted
    | PlacementDeclined
    | PlacementConfirmed
    | PlacementCompleted
    | PlacementAllocated,
    Field(discriminator="event_type"),
]
application_event: TypeAdapter[ApplicationEvent] = TypeAdapter(ApplicationEvent)
