"""What matching knows about offers and students: pseudonymous, and never their gender."""

from __future__ import annotations

from dataclasses import dataclass

from bureau.schemas.common import Level, Period


@dataclass(frozen=True, kw_only=True)
class Offer:
    """An internship place as matching sees it."""

    offer_id: str
    company_id: str
    title: str
    levels: frozenset[Level]
    skills: frozenset[str]
    region: str
    """Four-digit Dutch postcode area of the workplace."""
    capacity: int
    filled: int = 0
    """Places already taken; the offer is full when ``filled >= capacity``."""
    withdrawn: bool = False
    period: Period | None = None
    """When the internship runs; None: any time."""
    remote: bool = False
    """Fully remote: distance neither excludes nor costs points."""
    themes: frozenset[str] = frozenset()
    """Regional themes the offer belongs to, e.g. ``cybersecurity``."""

    @property
    def remaining(self) -> int:
        """Places still open (never negative)."""
        return max(self.capacity - self.filled, 0)


@dataclass(frozen=True, kw_only=True)
class Student:
    """A pseudonymous student as matching sees it."""

    student_id: str
    school_id: str
    level: Level
    skills: frozenset[str]
    region: str
    """Four-digit Dutch postcode area the student travels from."""
    consent: bool
    available: Period | None = None
    """When the student can do an internship; None: any time."""
    themes: frozenset[str] = frozenset()
    max_travel_km: float | None = None
    """How far the student will travel; None: the rules' default."""
