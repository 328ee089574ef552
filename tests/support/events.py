"""Builders of valid wire events, as partner systems would send them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from bureau.schemas import InternshipOffered, StudentRegistered

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def offer(
    offer_id: str = "offer-1",
    *,
    company_id: str = "acme-security",
    levels: tuple[str, ...] = ("mbo-4", "hbo"),
    skills: tuple[str, ...] = ("linux", "networking"),
    capacity: int = 2,
    event_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Return an InternshipOffered event as a JSON-ready dict."""
    return {
        "event_id": str(event_id or uuid.uuid4()),
        "event_type": "InternshipOffered",
        "occurred_at": T0.isoformat(),
        "source": company_id,
        "schema_version": 1,
        "data": {
            "offer_id": offer_id,
            "company_id": company_id,
            "title": f"Internship {offer_id}",
            "levels": list(levels),
            "skills": list(skills),
            "region": "1012",
            "capacity": capacity,
        },
    }


def student(
    student_id: str = "s-0001",
    *,
    school_id: str = "roc-amsterdam",
    level: str = "mbo-4",
    skills: tuple[str, ...] = ("linux",),
    consent: bool = True,
    event_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Return a StudentRegistered event as a JSON-ready dict."""
    return {
        "event_id": str(event_id or uuid.uuid4()),
        "event_type": "StudentRegistered",
        "occurred_at": T0.isoformat(),
        "source": school_id,
        "schema_version": 1,
        "data": {
            "student_id": student_id,
            "school_id": school_id,
            "level": level,
            "skills": list(skills),
            "region": "1013",
            "consent": consent,
        },
    }


def offered(**kwargs: Any) -> InternshipOffered:
    """Return a validated InternshipOffered."""
    return InternshipOffered.model_validate(offer(**kwargs))


def registered(**kwargs: Any) -> StudentRegistered:
    """Return a validated StudentRegistered."""
    return StudentRegistered.model_validate(student(**kwargs))
