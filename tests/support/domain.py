"""Matching views of offers and students for domain tests."""

from __future__ import annotations

from typing import Any

from bureau.domain.matching import Offer, Student
from bureau.schemas.common import Level


def make_offer(offer_id: str = "o-1", **kw: Any) -> Offer:
    fields: dict[str, Any] = {
        "offer_id": offer_id,
        "company_id": "acme",
        "title": "Pentest intern",
        "levels": frozenset({Level.MBO_4, Level.HBO}),
        "skills": frozenset({"linux", "python"}),
        "region": "1012",
        "capacity": 1,
    }
    return Offer(**(fields | kw))


def make_student(student_id: str = "s-1", **kw: Any) -> Student:
    fields: dict[str, Any] = {
        "student_id": student_id,
        "school_id": "roc",
        "level": Level.MBO_4,
        "skills": frozenset({"linux"}),
        "region": "1013",
        "consent": True,
    }
    return Student(**(fields | kw))
