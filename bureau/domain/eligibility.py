"""Whether a student may be suggested for an offer at all, and if not, why not."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bureau.domain.geo import distance_km
from bureau.domain.model import Offer, Student


@dataclass(frozen=True, kw_only=True)
class Rules:
    """Eligibility thresholds; the service fills them from settings."""

    default_max_travel_km: float = 50.0
    """Travel limit of a student who did not state one."""

    def __post_init__(self) -> None:
        if self.default_max_travel_km < 0:
            raise ValueError("default_max_travel_km must not be negative")


DEFAULT_RULES = Rules()


class Ineligible(StrEnum):
    """The first rule a pair fails, in the order the rules are checked."""

    NO_CONSENT = "no consent to be matched"
    OFFER_CLOSED = "offer is full or withdrawn"
    LEVEL = "level not accepted"
    NO_SHARED_SKILL = "no shared skill"
    PERIOD = "periods do not overlap"
    DISTANCE = "too far to travel"


def offer_is_open(offer: Offer) -> bool:
    """Whether the offer still takes students."""
    return not offer.withdrawn and offer.remaining > 0


def travel_limit_km(student: Student, rules: Rules = DEFAULT_RULES) -> float:
    """How far ``student`` will travel."""
    if student.max_travel_km is None:
        return rules.default_max_travel_km
    return student.max_travel_km


def travel_km(offer: Offer, student: Student) -> int:
    """How far ``student`` travels to ``offer``: 0 for a remote offer."""
    return 0 if offer.remote else distance_km(offer.region, student.region)


def in_period(offer: Offer, student: Student) -> bool:
    """Whether the offer's period and the student's availability overlap (unset: always)."""
    if offer.period is None or student.available is None:
        return True
    return offer.period.overlaps(student.available)


def why_ineligible(
    offer: Offer, student: Student, rules: Rules = DEFAULT_RULES
) -> Ineligible | None:
    """The first eligibility rule the pair fails, or None if the student is eligible."""
    if not student.consent:
        return Ineligible.NO_CONSENT
    if not offer_is_open(offer):
        return Ineligible.OFFER_CLOSED
    if student.level not in offer.levels:
        return Ineligible.LEVEL
    if offer.skills.isdisjoint(student.skills):
        return Ineligible.NO_SHARED_SKILL
    if not in_period(offer, student):
        return Ineligible.PERIOD
    if travel_km(offer, student) > travel_limit_km(student, rules):
        return Ineligible.DISTANCE
    return None


def is_eligible(offer: Offer, student: Student, rules: Rules = DEFAULT_RULES) -> bool:
    """Whether ``student`` may be suggested for ``offer``."""
    return why_ineligible(offer, student, rules) is None
