"""Erasure of one student from the aggregates and views that name them (pure).

What stays is what the exchange needs to go on counting: an application keeps its
status and its two timestamps (capacity and lead-time statistics), nothing written
about the student.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bureau.domain.book import Book
from bureau.domain.collaboration import Question


def scrub_book(book: Book, student_id: str) -> Book:
    """The book without the student's dates, rating and history (status kept: capacity)."""
    apps = {
        i: a.model_copy(update={"start": None, "end": None, "rating": None, "history": ()})
        if a.student_id == student_id
        else a
        for i, a in book.applications.items()
    }
    return book.model_copy(update={"applications": apps})


def scrub_question(question: Question, student_id: str) -> Question:
    """The question with the student gone from every team; a team left empty goes too."""
    teams = {}
    for team_id, team in question.teams.items():
        members = tuple(m for m in team.members if m.student_id != student_id)
        if members:
            teams[team_id] = team.model_copy(update={"members": members})
    return question.model_copy(update={"teams": teams})


def without_student(entries: Mapping[str, Any], student_id: str) -> dict[str, Any]:
    """A mapping student id → data (round preferences) without the student's entry."""
    return {s: v for s, v in entries.items() if s != student_id}


def ranking_without(ranking: Sequence[str], student_id: str) -> list[str]:
    """A company's ranking of applicants without the student."""
    return [s for s in ranking if s != student_id]


def pairs_of(pair_ids: Iterable[str], student_id: str) -> list[str]:
    """The ids ``<offer>/<student>`` (pair scores) that belong to the student."""
    return [p for p in pair_ids if p.rpartition("/")[2] == student_id]
