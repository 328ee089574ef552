"""The one mapping between domain objects and stored documents, views and records.

Document shapes and collection names live here and in the store adapters only.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from pydantic import BaseModel
from pydantic_core import to_json

from bureau.adapters.store import Document, Stored
from bureau.domain.book import Application, Book
from bureau.domain.collaboration import LectureBooking, Question
from bureau.domain.consent import ConsentRecord, applied_to, from_profile, record_consent
from bureau.domain.decisions import Rejected
from bureau.domain.matching import Offer, Student, Suggestion, told_id
from bureau.domain.round import Round
from bureau.schemas.envelope import BUREAU, Envelope
from bureau.schemas.offers import WorkMode
from bureau.schemas.outcomes import (
    ConsentWithdrawal,
    ConsentWithdrawalApplied,
    Outcome,
    PlacementOutcome,
    PlacementStatus,
)
from bureau.schemas.students import ConsentGiven, ConsentWithdrawn, Purpose, StudentProfile

S = TypeVar("S", bound=BaseModel)

OUTCOME_NAMESPACE = uuid.UUID("a3c9e0f4-7b51-4f0e-8d7a-5e2b9c1d6f38")
PLACED = frozenset(
    {
        PlacementStatus.OFFERED,
        PlacementStatus.ACCEPTED,
        PlacementStatus.CONFIRMED,
        PlacementStatus.COMPLETED,
    }
)


class Kind:
    """Aggregate collections."""

    OFFERS = "offers"
    STUDENTS = "students"
    ORGANISATIONS = "organisations"
    RESEARCH = "research"
    LECTURES = "lectures"
    SPECIALISTS = "specialists"
    ROUNDS = "rounds"


PARKING = (
    Kind.STUDENTS,
    Kind.OFFERS,
    Kind.ORGANISATIONS,
    Kind.RESEARCH,
    Kind.LECTURES,
    Kind.SPECIALISTS,
    Kind.ROUNDS,
)
"""Every aggregate collection an event may park on (the expiry sweep looks in each)."""


class View:
    """Derived views (written from outboxes) and append-only inputs."""

    APPLICATIONS = "applications"
    PLACEMENTS = "placements"
    BOOKINGS = "bookings"
    STATISTICS = "statistics"
    ROUND_INPUTS = "round_inputs"
    DEAD_LETTERS = "dead_letters"
    TEAM_MEMBERS = "team_members"
    """One document per member of a proposed team: how erasure finds the questions."""


class StudentRecord(BaseModel):
    """A student's profile, every level they have had (continuation), their consents."""

    profile: StudentProfile
    levels_seen: tuple[str, ...]
    consent: ConsentRecord | None = None
    """None until the first consent event: the profile's booleans stand until then."""

    @property
    def effective(self) -> StudentProfile:
        """The profile as matching, teams and statistics see it (consents from the record)."""
        return applied_to(self.profile, self.consent)


class Tombstone(BaseModel):
    """What bureau keeps of an erased student."""

    school_id: str
    erased: bool = True


def state_of(model: type[S], stored: Stored | None) -> S | None:
    """The aggregate's state as ``model``, or None when nothing (or a placeholder) is stored."""
    if stored is None or stored.state is None:
        return None
    return model.model_validate(stored.state)


def student_record(stored: Stored | None, profile: StudentProfile) -> StudentRecord:
    """The new record of a student, keeping the levels they had before."""
    old = None if is_erased(stored) else state_of(StudentRecord, stored)
    seen = set(old.levels_seen) if old else set()
    return StudentRecord(
        profile=profile,
        levels_seen=tuple(sorted(seen | {profile.level.value})),
        consent=old.consent if old else None,
    )


def with_consent(record: StudentRecord, event: ConsentGiven | ConsentWithdrawn) -> StudentRecord:
    """The record with the consent event added (the profile's booleans seed a first one)."""
    consent = record.consent or from_profile(record.profile, event.occurred_at)
    return record.model_copy(update={"consent": record_consent(consent, event)})


def consent_withdrawal_applied(
    cause: ConsentWithdrawn | ConsentGiven, lost: frozenset[Purpose]
) -> ConsentWithdrawalApplied:
    """What the school is told when a withdrawal took effect; derived from its cause."""
    return ConsentWithdrawalApplied(
        event_id=uuid.uuid5(OUTCOME_NAMESPACE, f"consent/{cause.event_id}"),
        occurred_at=cause.occurred_at,
        source=BUREAU,
        correlation_id=str(cause.event_id),
        data=ConsentWithdrawal(
            student_id=cause.data.student_id, school_id=cause.data.school_id, purposes=lost
        ),
    )


def owned(stored: Stored | None, owner_field: str, source: str) -> Rejected | None:
    """Refuse a profile change from anyone but the profile's owner (a company)."""
    held = stored.state.get(owner_field) if stored and stored.state else None
    if held is not None and held != source:
        return Rejected(f"{source} may not change a profile that belongs to {held}")
    return None


def owner(stored: Stored | None) -> str | None:
    """The school a stored student (or an erased student's tombstone) belongs to."""
    state = stored.state if stored else None
    if state is None:
        return None
    school = state.get("profile", {}).get("school_id") or state.get("school_id")
    return str(school) if school else None


def is_erased(stored: Stored | None) -> bool:
    """Whether the stored student is an erasure tombstone."""
    return stored is not None and stored.state is not None and bool(stored.state.get("erased"))


def placement_outcome(cause: Envelope, outcome: Outcome) -> PlacementOutcome:
    """The outcome record a school receives; derived from its cause, so replays repeat it."""
    return PlacementOutcome(
        event_id=uuid.uuid5(OUTCOME_NAMESPACE, f"{cause.event_id}/{outcome.application_id}"),
        occurred_at=cause.occurred_at,
        source=BUREAU,
        correlation_id=str(cause.event_id),
        data=outcome,
    )


def application_from_view(doc: Document | None) -> Application | None:
    """An application as its applications view keeps it (None: no such view).

    Only what the book's rules read (who, whose school, which status) and its two
    timestamps: the view's dates, rating and history may be sealed, and are left out.
    """
    if doc is None:
        return None
    return Application(
        application_id=doc["application_id"],
        student_id=doc["student_id"],
        school_id=doc["school_id"],
        status=doc["status"],
        submitted_at=doc["submitted_at"],
        decided_at=doc.get("decided_at"),
    )


def application_views(book: Book, app: Application) -> list[tuple[str, str, Document | None]]:
    """The applications view of ``app`` and, when placed, the placements view."""
    doc = {
        "offer_id": book.offer.offer_id,
        "company_id": book.offer.company_id,
        **app.model_dump(mode="json"),
    }
    keys = (
        "offer_id",
        "company_id",
        "student_id",
        "school_id",
        "status",
        "submitted_at",
        "decided_at",
        "start",
        "end",
    )
    views: list[tuple[str, str, Document | None]] = [(View.APPLICATIONS, app.application_id, doc)]
    if app.status in PLACED:
        views.append((View.PLACEMENTS, app.application_id, {k: doc[k] for k in keys}))
    elif any(step.status in PLACED for step in app.history[:-1]):
        views.append((View.PLACEMENTS, app.application_id, None))  # no longer placed
    return views


def booking_view(lecture: LectureBooking) -> tuple[str, str, Document | None]:
    """The bookings view of a lecture request."""
    request = lecture.request
    doc = None
    if lecture.booking is not None:
        doc = {
            "school_id": request.school_id,
            "specialist_id": lecture.booking.specialist_id,
            "company_id": lecture.company_id,
            "on": lecture.booking.on.isoformat(),
            "cancelled": lecture.cancelled,
        }
    return View.BOOKINGS, request.request_id, doc


def offer_fields(book: Book) -> Document:
    """Top-level query fields of an offer's book."""
    o = book.offer
    return {
        "company_id": o.company_id,
        "title": o.title,
        "levels": sorted(level.value for level in o.levels),
        "skills": sorted(o.skills),
        "themes": sorted(o.themes),
        "region": o.region,
        "withdrawn": book.withdrawn,
        "filled": book.filled,
        "capacity": book.remaining,
        "places": o.capacity,
        "period": o.period.model_dump(mode="json") if o.period else None,
        "remote": o.mode is WorkMode.REMOTE,
    }


def student_fields(record: StudentRecord | Tombstone) -> Document:
    """Top-level query fields of a student (only the school for a tombstone)."""
    if isinstance(record, Tombstone):
        return {"school_id": record.school_id, "erased": True, "consent": False}
    p = record.effective
    return {
        "levels_seen": list(record.levels_seen),
        # Present only when the student consented to statistics (the schema sees to it).
        "gender": p.gender.value if p.gender else None,
        "school_id": p.school_id,
        "level": p.level.value,
        "skills": sorted(p.skills),
        "themes": sorted(p.themes),
        "region": p.region,
        "consent": p.may_be_matched,
        "available": p.available.model_dump(mode="json") if p.available else None,
        "erased": False,
    }


def question_fields(q: Question) -> Document:
    """Top-level query fields of a research question."""
    return {"owner_id": q.details.owner_id, "closed": q.closed, "themes": sorted(q.details.themes)}


def team_member_view(
    question_id: str, team_id: str, student_id: str, *, present: bool = True
) -> tuple[str, str, Document | None]:
    """The team-members view of one member of a proposed team (``present`` False: gone)."""
    doc = {"question_id": question_id, "team_id": team_id, "student_id": student_id}
    return View.TEAM_MEMBERS, f"{question_id}/{team_id}/{student_id}", doc if present else None


def round_fields(r: Round) -> Document:
    """Top-level query fields of a round."""
    return {"closed": r.closed, "coordinator_id": r.details.coordinator_id}


def lecture_fields(lecture: LectureBooking) -> Document:
    """Top-level query fields of a lecture request."""
    return {
        "school_id": lecture.request.school_id,
        "booked": lecture.booking is not None and not lecture.cancelled,
    }


def round_input(round_id: str, kind: str, subject: str, ranked: list[str], seq: str) -> Document:
    """One appended round input: a student's preferences or an offer's ranking."""
    return {"round_id": round_id, "kind": kind, "subject": subject, "ranked": ranked, "seq": seq}


def offer_for_matching(book: Book) -> Offer:
    """The matching view of an offer's book: remaining places as its capacity."""
    o = book.offer
    return Offer(
        offer_id=o.offer_id,
        company_id=o.company_id,
        title=o.title,
        levels=o.levels,
        skills=o.skills,
        region=o.region,
        capacity=book.remaining,
        withdrawn=book.withdrawn,
        period=o.period,
        remote=o.mode is WorkMode.REMOTE,
        themes=frozenset(t.value for t in o.themes),
    )


def student_for_matching(p: StudentProfile) -> Student:
    """The matching view of a student profile."""
    return Student(
        student_id=p.student_id,
        school_id=p.school_id,
        level=p.level,
        skills=p.skills,
        region=p.region,
        consent=p.may_be_matched,
        available=p.available,
        themes=frozenset(t.value for t in p.themes),
    )


@dataclass(frozen=True, slots=True)
class Told:
    """A suggestion to tell: a ``MatchSuggested`` from these versions of offer and student.

    ``at`` is the later side's time, the record's.
    """

    suggestion: Suggestion
    versions: tuple[int, int]
    at: datetime

    @property
    def event_id(self) -> uuid.UUID:
        """``told_id`` of the pair and the versions: equal versions, equal ids."""
        s = self.suggestion
        return told_id(s.offer_id, s.student_id, *self.versions)

    def json(self) -> bytes:
        """The ``MatchSuggested`` record's JSON, as ``model_dump_json`` writes it.

        Built without the model: every field derives from validated state, and a
        suggestion is the commonest record bureau writes (~10 per student registered,
        ~20 per offer), where the model's validation and dump cost 10 µs against 3.
        A test holds these bytes to the model's, valid and equal.
        """
        s = self.suggestion
        return to_json(
            {
                "event_id": self.event_id,
                "event_type": "MatchSuggested",
                "occurred_at": self.at.astimezone(UTC),
                "source": BUREAU,
                "schema_version": 1,
                "correlation_id": None,
                "data": {
                    "offer_id": s.offer_id,
                    "company_id": s.company_id,
                    "student_id": s.student_id,
                    "school_id": s.school_id,
                    "score": s.score,
                    "reasons": s.reasons,
                    "sealed": None,
                },
            }
        )


def changelog(kind: str, version: int, at: datetime, body: Document | None) -> str | None:
    """A record of bureau's changelog of ``kind``: the applied state others match from."""
    if body is None:
        return None
    record = {"kind": kind, "v": version, "at": at.isoformat(), **body}
    return json.dumps(record, sort_keys=True, separators=(",", ":"))
