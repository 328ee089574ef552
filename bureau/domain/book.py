"""An offer's placement book: the offer, its places, and its live applications.

One aggregate per offer, so capacity and the application lifecycle change in one
atomic write. Pure: the caller loads the book and the student and stores the result.

A closed application (rejected, withdrawn, declined, completed: no event moves it
again) leaves the book at the book's next change, so the document holds what is live
and does not grow with the offer's history. Its record stays in the applications
view (written with the change that closed it); a completed one still holds its place,
kept as a count. An event naming a closed application gets it from the caller
(``closed``), who reads it from that view, and is refused as before.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from bureau.domain.decisions import Applied, IdMap, Parked, Rejected, offer_ref
from bureau.domain.roles import check_allocation_consent
from bureau.schemas.applications import (
    ApplicationEvent,
    ApplicationRejected,
    ApplicationSubmitted,
    PlacementAllocated,
    PlacementCompleted,
    PlacementConfirmed,
    Rejection,
)
from bureau.schemas.envelope import BUREAU, Envelope
from bureau.schemas.offers import (
    InternshipOffered,
    InternshipOfferUpdated,
    InternshipOfferWithdrawn,
    OfferDetails,
    OfferEvent,
)
from bureau.schemas.outcomes import Outcome, PlacementStatus
from bureau.schemas.students import StudentProfile

S = PlacementStatus
BOOK_NAMESPACE = uuid.UUID("0b5f3f8e-5d7e-4a7b-9a37-3c1f7a0e2c44")

# Status → the events that may move an application out of it, and where to.
TRANSITIONS: dict[str, dict[S, S]] = {
    "ApplicationWithdrawn": {
        S.SUBMITTED: S.WITHDRAWN,
        S.SHORTLISTED: S.WITHDRAWN,
        S.OFFERED: S.WITHDRAWN,
        S.ACCEPTED: S.WITHDRAWN,
    },
    "CandidateShortlisted": {S.SUBMITTED: S.SHORTLISTED},
    "ApplicationRejected": {S.SUBMITTED: S.REJECTED, S.SHORTLISTED: S.REJECTED},
    "PlacementOffered": {S.SUBMITTED: S.OFFERED, S.SHORTLISTED: S.OFFERED},
    "PlacementAccepted": {S.OFFERED: S.ACCEPTED},
    "PlacementDeclined": {S.OFFERED: S.DECLINED},
    "PlacementConfirmed": {S.ACCEPTED: S.CONFIRMED},
    "PlacementCompleted": {S.CONFIRMED: S.COMPLETED},
}
HOLDING = frozenset({S.OFFERED, S.ACCEPTED, S.CONFIRMED})
"""Statuses that hold one of the offer's places."""
FILLED = frozenset({S.CONFIRMED, S.COMPLETED})
OPEN = frozenset({S.SUBMITTED, S.SHORTLISTED, S.OFFERED, S.ACCEPTED})
CLOSED = frozenset({S.REJECTED, S.WITHDRAWN, S.DECLINED, S.COMPLETED})
"""Statuses no event leaves: such an application leaves the book at its next change."""
SCHOOL_EVENTS = frozenset(
    {"ApplicationSubmitted", "ApplicationWithdrawn", "PlacementAccepted", "PlacementDeclined"}
)


class Step(BaseModel):
    """One line of an application's history."""

    model_config = ConfigDict(frozen=True)

    event_type: str
    status: S
    at: datetime
    reason: str = ""


class Application(BaseModel):
    """One student's application to the offer, with its history."""

    model_config = ConfigDict(frozen=True)

    application_id: str
    student_id: str
    school_id: str
    status: S
    submitted_at: datetime
    decided_at: datetime | None = None
    start: date | None = None
    end: date | None = None
    rating: int | None = None
    history: tuple[Step, ...] = ()


class Book(BaseModel):
    """The aggregate: the offer's details, whether it is open, and its applications."""

    model_config = ConfigDict(frozen=True)

    offer: OfferDetails
    withdrawn: bool = False
    applications: IdMap[Application] = {}
    """Live applications, and those closed by the book's latest change."""
    completed: int = 0
    """Completed placements whose applications have left the book (they keep a place)."""

    def count(self, statuses: frozenset[S]) -> int:
        """Count applications in ``statuses`` (completed ones that left the book included)."""
        left = self.completed if S.COMPLETED in statuses else 0
        return left + sum(1 for a in self.applications.values() if a.status in statuses)

    @property
    def filled(self) -> int:
        """Places taken by confirmed or completed placements."""
        return self.count(FILLED)

    @property
    def held(self) -> int:
        """Places held: offered, accepted, confirmed or completed."""
        return self.count(HOLDING | {S.COMPLETED})

    @property
    def remaining(self) -> int:
        """Places still free for new placements (never below zero)."""
        if self.withdrawn:
            return 0
        return max(0, self.offer.capacity - self.held)

    def settled(self) -> Book:
        """The book without its closed applications (a completed one stays a count)."""
        closed = [a for a in self.applications.values() if a.status in CLOSED]
        if not closed:
            return self
        done = sum(1 for a in closed if a.status is S.COMPLETED)
        live = {i: a for i, a in self.applications.items() if a.status not in CLOSED}
        return self.model_copy(update={"applications": live, "completed": self.completed + done})


def caused_id(cause: uuid.UUID, what: str) -> uuid.UUID:
    """Derive the id of an event bureau emits from its cause, so replays repeat it."""
    return uuid.uuid5(BOOK_NAMESPACE, f"{what}/{cause}")


def apply_offer_event(book: Book | None, event: OfferEvent) -> Applied[Book] | Rejected:
    """Open, change or withdraw an offer."""
    if isinstance(event, InternshipOffered):
        if book is not None and book.offer != event.data:
            return Rejected(f"offer {event.data.offer_id} exists; send InternshipOfferUpdated")
        return Applied(book or Book(offer=event.data))
    if book is None:
        return Rejected(f"offer {event.data.offer_id} is unknown")
    if book.offer.company_id != event.source:
        return Rejected("only the offering company may change the offer")
    book = book.settled()
    if isinstance(event, InternshipOfferUpdated):
        held = book.held
        if event.data.capacity < held:
            return Rejected(f"capacity {event.data.capacity} is below the {held} places held")
        return Applied(book.model_copy(update={"offer": event.data}))
    assert isinstance(event, InternshipOfferWithdrawn)
    if book.withdrawn:
        return Rejected("offer is already withdrawn")
    # Open applications end with the offer; confirmed placements stand.
    apps = dict(book.applications)
    outcomes = []
    for app in book.applications.values():
        if app.status in OPEN:
            apps[app.application_id] = _move(app, event, S.REJECTED, "offer withdrawn")
            outcomes.append(_outcome(book, apps[app.application_id], "offer withdrawn"))
    return Applied(
        book.model_copy(update={"withdrawn": True, "applications": apps}), tuple(outcomes)
    )


def apply_application_event(
    book: Book | None,
    event: ApplicationEvent,
    student: StudentProfile | None,
    closed: Application | None = None,
) -> Applied[Book] | Rejected | Parked:
    """Move one application through its lifecycle, keeping capacity at or above zero.

    ``closed``: the application the event names, if it has left the book (closed).
    """
    ref = event.data
    if book is None:
        return Parked(offer_ref(ref.offer_id))
    book = book.settled()
    app = book.applications.get(ref.application_id) or closed
    if isinstance(event, ApplicationSubmitted):
        return _submit(book, event, student, app is not None)
    if isinstance(event, PlacementAllocated):
        return _allocated(book, event, student, app is not None)
    if app is None:
        return Rejected(f"application {ref.application_id} is unknown for offer {ref.offer_id}")
    if app.student_id != ref.student_id:
        return Rejected("the application belongs to another student")
    speaker = app.school_id if event.event_type in SCHOOL_EVENTS else book.offer.company_id
    if event.source != speaker:
        who = "the student's school" if speaker == app.school_id else "the offering company"
        return Rejected(f"{event.event_type} may only come from {who}")
    target = TRANSITIONS[event.event_type].get(app.status)
    if target is None:
        return Rejected(
            f"illegal transition: {event.event_type} on a {app.status.value} application"
        )
    if target in HOLDING and app.status not in HOLDING and book.remaining < 1:
        return _oversubscribed(book, app, event)
    reason = event.data.reason if isinstance(event, ApplicationRejected) else ""
    moved = _move(app, event, target, reason)
    if isinstance(event, PlacementConfirmed):
        moved = moved.model_copy(update={"start": event.data.start, "end": event.data.end})
    if isinstance(event, PlacementCompleted):
        moved = moved.model_copy(update={"rating": event.data.rating})
    new = book.model_copy(update={"applications": {**book.applications, app.application_id: moved}})
    return Applied(new, (_outcome(new, moved, reason),))


def _submit(
    book: Book, event: ApplicationSubmitted, student: StudentProfile | None, exists: bool
) -> Applied[Book] | Rejected | Parked:
    ref = event.data
    if exists:
        return Rejected(f"application {ref.application_id} exists")
    if book.withdrawn:
        return Rejected("the offer is withdrawn and takes no applications")
    if student is None:
        return Parked(f"student:{ref.student_id}")
    if event.source != student.school_id:
        return Rejected("ApplicationSubmitted may only come from the student's school")
    if not student.may_be_matched:
        return Rejected("the student has not consented (or, under 16, their guardian has not)")
    if student.level not in book.offer.levels:
        return Rejected(f"the offer does not take level {student.level.value}")
    if any(a.student_id == ref.student_id and a.status in OPEN for a in book.applications.values()):
        return Rejected("the student already has an open application to this offer")
    app = Application(
        application_id=ref.application_id,
        student_id=ref.student_id,
        school_id=student.school_id,
        status=S.SUBMITTED,
        submitted_at=event.occurred_at,
        history=(Step(event_type=event.event_type, status=S.SUBMITTED, at=event.occurred_at),),
    )
    new = book.model_copy(update={"applications": {**book.applications, app.application_id: app}})
    return Applied(new, (_outcome(new, app, ""),))


def _allocated(
    book: Book, event: PlacementAllocated, student: StudentProfile | None, exists: bool
) -> Applied[Book] | Rejected | Parked:
    ref = event.data
    if event.source != BUREAU:
        return Rejected("PlacementAllocated may only come from bureau's matching rounds")
    if exists:
        return Rejected(f"application {ref.application_id} exists")
    if student is None:
        return Parked(f"student:{ref.student_id}")
    refused = check_allocation_consent(student)
    if refused is not None:
        return refused
    app = Application(
        application_id=ref.application_id,
        student_id=ref.student_id,
        school_id=student.school_id,
        status=S.SUBMITTED,
        submitted_at=event.occurred_at,
    )
    if book.remaining < 1 or book.withdrawn:
        return _oversubscribed(book, app, event)
    offered = _move(app, event, S.OFFERED, f"matching round {ref.round_id}")
    new = book.model_copy(
        update={"applications": {**book.applications, app.application_id: offered}}
    )
    return Applied(new, (_outcome(new, offered, f"matching round {ref.round_id}"),))


def _oversubscribed(book: Book, app: Application, cause: Envelope) -> Applied[Book]:
    # Capacity never goes below zero: the application is turned down, explicitly.
    reason = "no places left"
    rejected = _move(app, cause, S.REJECTED, reason)
    rejection = ApplicationRejected(
        event_id=caused_id(cause.event_id, "ApplicationRejected"),
        event_type="ApplicationRejected",
        occurred_at=cause.occurred_at,
        source=BUREAU,
        correlation_id=str(cause.event_id),
        data=Rejection(
            application_id=app.application_id,
            offer_id=book.offer.offer_id,
            student_id=app.student_id,
            reason=reason,
        ),
    )
    new = book.model_copy(
        update={"applications": {**book.applications, app.application_id: rejected}}
    )
    return Applied(new, (_outcome(new, rejected, reason),), (rejection,))


def _move(app: Application, event: Envelope, status: S, reason: str) -> Application:
    step = Step(event_type=event.event_type, status=status, at=event.occurred_at, reason=reason)
    decided = event.occurred_at if status in FILLED | {S.REJECTED, S.DECLINED} else app.decided_at
    return app.model_copy(
        update={"status": status, "history": (*app.history, step), "decided_at": decided}
    )


def _outcome(book: Book, app: Application, reason: str) -> Outcome:
    return Outcome(
        student_id=app.student_id,
        school_id=app.school_id,
        application_id=app.application_id,
        offer_id=book.offer.offer_id,
        company_id=book.offer.company_id,
        status=app.status,
        reason=reason,
        start=app.start,
        end=app.end,
    )


__all__ = [
    "CLOSED",
    "Application",
    "Book",
    "Step",
    "apply_application_event",
    "apply_offer_event",
    "caused_id",
]
