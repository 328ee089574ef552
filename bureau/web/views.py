"""What the dashboard's pages show: plain values the read model fills."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bureau.domain.statistics import Row

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Page(Generic[T]):
    """One page of a list, and whether another follows."""

    items: tuple[T, ...]
    number: int = 1
    more: bool = False


@dataclass(frozen=True, kw_only=True)
class OfferFilter:
    """Which open offers a list shows: all, or one company's, or one region's."""

    company: str | None = None
    region: str | None = None


@dataclass(frozen=True, kw_only=True)
class OfferView:
    """An offer as listed: its places and who offers it (no applicants)."""

    offer_id: str
    title: str
    company_id: str
    region: str
    levels: tuple[str, ...]
    themes: tuple[str, ...]
    places_open: int
    places_filled: int
    withdrawn: bool


@dataclass(frozen=True, kw_only=True)
class RoundView:
    """A matching round and, once closed, its audit record and what places remain."""

    round_id: str
    coordinator_id: str
    offers: int
    follows: str | None
    closed: bool
    algorithm_version: str | None = None
    inputs_hash: str | None = None
    students: int | None = None
    places: int | None = None
    placed: int | None = None
    unplaced: int | None = None
    remaining: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class TeamView:
    """A proposed team, as counts per level (members are not named publicly)."""

    team_id: str
    size: int
    levels: Mapping[str, int]


@dataclass(frozen=True, kw_only=True)
class QuestionView:
    """A research question with the teams proposed for it."""

    question_id: str
    owner_id: str
    kind: str
    title: str
    levels: tuple[str, ...]
    themes: tuple[str, ...]
    deadline: str
    closed: bool
    teams: tuple[TeamView, ...]


@dataclass(frozen=True, kw_only=True)
class LectureView:
    """A guest-lecture request and its booking, if any."""

    request_id: str
    school_id: str
    topic: str
    level: str
    window: str
    company_id: str | None
    booked_on: str | None
    cancelled: bool


@dataclass(frozen=True, kw_only=True)
class OutcomeView:
    """One application of a school's student (pseudonymous id only)."""

    student_id: str
    offer_id: str
    company_id: str
    status: str
    submitted_at: str
    decided_at: str | None


@dataclass(frozen=True, kw_only=True)
class SchoolView:
    """A school's figures (as last refreshed) and one page of its students' applications."""

    school_id: str
    figures: Row | None
    status: str | None
    outcomes: Page[OutcomeView]

    @property
    def students(self) -> int:
        """Students registered at the last statistics refresh."""
        return (self.figures.students or 0) if self.figures else 0

    @property
    def placed(self) -> int:
        """Students with a confirmed or completed placement at the last refresh."""
        return (self.figures.students_placed or 0) if self.figures else 0


@dataclass(frozen=True, kw_only=True)
class DeadLetterGroup:
    """Dead letters recorded for one topic, with how often each reason occurred."""

    topic: str
    count: int
    reasons: tuple[tuple[str, int], ...]
    last_at: str | None
