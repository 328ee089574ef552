"""Pure, synchronous domain rules: no I/O, no framework imports."""

from bureau.domain.matching import (
    Offer,
    Student,
    Suggestion,
    offers_for_student,
    students_for_offer,
    suggest,
    suggestion_id,
)

__all__ = [
    "Offer",
    "Student",
    "Suggestion",
    "offers_for_student",
    "students_for_offer",
    "suggest",
    "suggestion_id",
]
