"""Builders of valid wire events, as partner systems would send them (JSON-ready dicts).

The demo tells its stories with them and the tests build their scenarios with them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from bureau.schemas import InternshipOffered, StudentRegistered

__all__ = [
    "T0",
    "application",
    "consent",
    "envelope",
    "erasure",
    "lecture_booking",
    "lecture_cancellation",
    "lecture_request",
    "offer",
    "offered",
    "organisation",
    "question",
    "question_closed",
    "regional_organisation",
    "registered",
    "specialist",
    "student",
    "team",
    "withdrawal",
]

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def envelope(
    event_type: str,
    source: str,
    data: dict[str, Any],
    *,
    event_id: uuid.UUID | None = None,
    at: datetime = T0,
) -> dict[str, Any]:
    """Wrap ``data`` in the versioned envelope."""
    return {
        "event_id": str(event_id or uuid.uuid4()),
        "event_type": event_type,
        "occurred_at": at.isoformat(),
        "source": source,
        "schema_version": 1,
        "data": data,
    }


def offer(
    offer_id: str = "offer-1",
    *,
    company_id: str = "acme-security",
    levels: tuple[str, ...] = ("mbo-4", "hbo"),
    skills: tuple[str, ...] = ("linux", "networking"),
    themes: tuple[str, ...] = ("cybersecurity",),
    capacity: int = 2,
    region: str = "1012",
    event_type: str = "InternshipOffered",
    event_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Return an InternshipOffered (or, with ``event_type``, an update) event."""
    data = {
        "offer_id": offer_id,
        "company_id": company_id,
        "title": f"Internship {offer_id}",
        "levels": list(levels),
        "skills": list(skills),
        "themes": list(themes),
        "region": region,
        "period": {"start": "2027-02-01", "end": "2027-06-30"},
        "capacity": capacity,
    }
    return envelope(event_type, company_id, data, event_id=event_id)


def withdrawal(offer_id: str, *, company_id: str = "acme-security") -> dict[str, Any]:
    """Return an InternshipOfferWithdrawn event."""
    data = {"offer_id": offer_id, "company_id": company_id, "reason": "filled elsewhere"}
    return envelope("InternshipOfferWithdrawn", company_id, data)


def student(
    student_id: str = "s-0001",
    *,
    school_id: str = "roc-amsterdam",
    level: str = "mbo-4",
    skills: tuple[str, ...] = ("linux",),
    themes: tuple[str, ...] = ("cybersecurity",),
    consent: bool = True,
    age_band: str = "18+",
    guardian_consent: bool = False,
    gender: str | None = None,
    region: str = "1013",
    event_type: str = "StudentRegistered",
    event_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Return a StudentRegistered (or, with ``event_type``, an update) event."""
    data: dict[str, Any] = {
        "student_id": student_id,
        "school_id": school_id,
        "level": level,
        "programme": "ICT",
        "skills": list(skills),
        "themes": list(themes),
        "region": region,
        "age_band": age_band,
        "consent": consent,
        "guardian_consent": guardian_consent,
    }
    if gender is not None:
        data |= {"gender": gender, "statistics_consent": True}
    return envelope(event_type, school_id, data, event_id=event_id)


def erasure(student_id: str, *, school_id: str = "roc-amsterdam") -> dict[str, Any]:
    """Return a StudentErased event."""
    return envelope("StudentErased", school_id, {"student_id": student_id, "school_id": school_id})


def consent(
    student_id: str,
    *,
    given: bool,
    purposes: tuple[str, ...] = ("matching",),
    by: str = "student",
    school_id: str = "roc-amsterdam",
) -> dict[str, Any]:
    """Return a ConsentGiven (or, ``given`` False, a ConsentWithdrawn) event."""
    data = {"student_id": student_id, "school_id": school_id, "by": by, "purposes": list(purposes)}
    return envelope("ConsentGiven" if given else "ConsentWithdrawn", school_id, data)


def application(
    event_type: str,
    application_id: str,
    *,
    offer_id: str = "offer-1",
    student_id: str = "s-0001",
    source: str = "roc-amsterdam",
    at: datetime = T0,
    **extra: Any,
) -> dict[str, Any]:
    """Return an application-lifecycle event (ApplicationSubmitted, PlacementOffered, ...)."""
    data = {"application_id": application_id, "offer_id": offer_id, "student_id": student_id}
    return envelope(event_type, source, data | extra, at=at)


def organisation(
    organisation_id: str, kind: str = "school", *, levels: tuple[str, ...] = ("mbo-4",)
) -> dict[str, Any]:
    """Return an OrganisationRegistered event."""
    data: dict[str, Any] = {
        "organisation_id": organisation_id,
        "kind": kind,
        "name": organisation_id.replace("-", " ").title(),
        "region": "1012",
        "themes": ["cybersecurity"],
    }
    if kind == "school":
        data["levels"] = list(levels)
    return envelope("OrganisationRegistered", organisation_id, data)


def offered(**kwargs: Any) -> InternshipOffered:
    """Return a validated InternshipOffered."""
    return InternshipOffered.model_validate(offer(**kwargs))


def registered(**kwargs: Any) -> StudentRegistered:
    """Return a validated StudentRegistered."""
    return StudentRegistered.model_validate(student(**kwargs))


def regional_organisation(
    organisation_id: str,
    kind: str,
    *,
    region: str,
    themes: tuple[str, ...] = (),
    levels: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Return an OrganisationRegistered event for an organisation in ``region``."""
    data: dict[str, Any] = {
        "organisation_id": organisation_id,
        "kind": kind,
        "name": organisation_id.replace("-", " ").title(),
        "region": region,
        "themes": list(themes),
    }
    if levels:
        data["levels"] = list(levels)
    return envelope("OrganisationRegistered", organisation_id, data)


def question(
    question_id: str,
    *,
    owner_id: str,
    kind: str = "research",
    levels: tuple[str, ...] = ("hbo", "wo"),
    composition: tuple[tuple[str, int], ...] = (),
    team_min: int = 1,
    team_max: int = 6,
    themes: tuple[str, ...] = (),
    region: str = "1012",
    deadline: date = date(2027, 6, 30),
) -> dict[str, Any]:
    """Return a ResearchQuestionPosted event; ``composition`` is (level, at least) pairs."""
    data = {
        "question_id": question_id,
        "owner_id": owner_id,
        "kind": kind,
        "title": f"Question {question_id}",
        "levels": list(levels),
        "themes": list(themes),
        "region": region,
        "team_min": team_min,
        "team_max": team_max,
        "composition": [{"level": lv, "at_least": n} for lv, n in composition],
        "deadline": deadline.isoformat(),
    }
    return envelope("ResearchQuestionPosted", owner_id, data)


def question_closed(question_id: str, *, source: str) -> dict[str, Any]:
    """Return a ResearchQuestionClosed event."""
    return envelope("ResearchQuestionClosed", source, {"question_id": question_id})


def team(
    question_id: str, team_id: str, members: tuple[tuple[str, str], ...], *, source: str
) -> dict[str, Any]:
    """Return a ResearchTeamProposed event; ``members`` are (student id, level) pairs."""
    data = {
        "question_id": question_id,
        "team_id": team_id,
        "members": [{"student_id": sid, "level": lv} for sid, lv in members],
    }
    return envelope("ResearchTeamProposed", source, data)


def specialist(
    specialist_id: str,
    *,
    company_id: str = "acme-security",
    levels: tuple[str, ...] = ("mbo-4", "hbo"),
    themes: tuple[str, ...] = (),
    available: tuple[date, date] = (date(2027, 1, 1), date(2027, 6, 30)),
    region: str = "1012",
) -> dict[str, Any]:
    """Return a SpecialistAvailable event."""
    data = {
        "specialist_id": specialist_id,
        "company_id": company_id,
        "expertise": f"Expertise of {specialist_id}",
        "themes": list(themes),
        "levels": list(levels),
        "available": {"start": available[0].isoformat(), "end": available[1].isoformat()},
        "region": region,
    }
    return envelope("SpecialistAvailable", company_id, data)


def lecture_request(
    request_id: str,
    *,
    school_id: str = "roc-amsterdam",
    level: str = "mbo-4",
    window: tuple[date, date] = (date(2027, 3, 1), date(2027, 3, 31)),
    themes: tuple[str, ...] = (),
    region: str = "1012",
) -> dict[str, Any]:
    """Return a GuestLectureRequested event."""
    data = {
        "request_id": request_id,
        "school_id": school_id,
        "topic": f"Lecture {request_id}",
        "themes": list(themes),
        "level": level,
        "window": {"start": window[0].isoformat(), "end": window[1].isoformat()},
        "region": region,
    }
    return envelope("GuestLectureRequested", school_id, data)


def lecture_booking(
    request_id: str, specialist_id: str, on: date, *, school_id: str = "roc-amsterdam"
) -> dict[str, Any]:
    """Return a GuestLectureBooked event, sent by the requesting school."""
    data = {"request_id": request_id, "specialist_id": specialist_id, "on": on.isoformat()}
    return envelope("GuestLectureBooked", school_id, data)


def lecture_cancellation(request_id: str, *, source: str = "roc-amsterdam") -> dict[str, Any]:
    """Return a GuestLectureCancelled event."""
    data = {"request_id": request_id, "reason": "ill"}
    return envelope("GuestLectureCancelled", source, data)
