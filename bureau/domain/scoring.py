"""An explainable score in [0, 1] for an eligible (offer, student) pair.

The score is a weighted mean of components in [0, 1]:

- skills: the share of the offer's skills the student has,
- theme: the share of the offer's themes the student is interested in (only when the
  offer names themes; otherwise the component and its weight are left out),
- level fit: 1 for an offer aimed at the student's level alone, less the more levels
  it accepts (a broad offer is less likely tailored to this student's programme),
- distance: 1 up to ``nearby_km``, falling linearly to 0 at ``far_km``.

Gender is not an input, by design: the engine never ranks or filters by it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from bureau.domain.eligibility import travel_km
from bureau.domain.model import Offer, Student
from bureau.schemas.common import Level

_LEVELS = len(Level)


@dataclass(frozen=True, kw_only=True)
class Weights:
    """Weights of the score's components and the shape of the distance component."""

    skills: float = 0.5
    theme: float = 0.15
    level: float = 0.1
    distance: float = 0.25
    nearby_km: float = 10.0
    """Up to this distance, distance costs nothing."""
    far_km: float = 100.0
    """From this distance on, the distance component is 0."""

    def __post_init__(self) -> None:
        for f in fields(self):
            if getattr(self, f.name) < 0:
                raise ValueError(f"{f.name} must not be negative")
        if self.skills + self.level + self.distance <= 0:
            raise ValueError("skills, level and distance weights must not all be 0")
        if self.far_km <= self.nearby_km:
            raise ValueError("far_km must exceed nearby_km")


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True, kw_only=True)
class Score:
    """A score with the reasons a person can read."""

    value: float
    reasons: tuple[str, ...]


def level_fit(offer: Offer) -> float:
    """How closely the offer targets one level: 1 for one level, 1/7 for all seven."""
    return 1.0 - (max(len(offer.levels), 1) - 1) / _LEVELS


def distance_fit(km: float, weights: Weights = DEFAULT_WEIGHTS) -> float:
    """1 when nearby, falling linearly to 0 at ``weights.far_km``."""
    if km <= weights.nearby_km:
        return 1.0
    if km >= weights.far_km:
        return 0.0
    return (weights.far_km - km) / (weights.far_km - weights.nearby_km)


class OfferScorer:
    """Scores one offer against many students, with the offer's share computed once."""

    __slots__ = ("_distance", "_level", "_norm", "_skills", "_theme", "_themes", "_weights")

    def __init__(self, offer: Offer, weights: Weights = DEFAULT_WEIGHTS) -> None:
        """Precompute what depends on the offer and the weights only."""
        self._skills = weights.skills / max(len(offer.skills), 1)
        self._themes = offer.themes
        self._theme = weights.theme / len(offer.themes) if offer.themes else 0.0
        self._level = weights.level * level_fit(offer)
        self._distance = weights.distance
        self._weights = weights
        theme = weights.theme if offer.themes else 0.0
        self._norm = weights.skills + theme + weights.level + weights.distance

    def value(self, student: Student, shared: int, km: float) -> float:
        """The score of ``student`` sharing ``shared`` skills at ``km``, rounded to 4 places."""
        # Summed in the same order as bound(), so float rounding keeps bound >= value.
        raw = self._skills * shared
        if self._themes:
            raw += self._theme * len(self._themes & student.themes)
        raw += self._level
        raw += self._distance * distance_fit(km, self._weights)
        return round(raw / self._norm, 4)

    def bound(self, shared: int, km: float = 0.0) -> float:
        """The best score a student sharing ``shared`` skills at ``km`` or more can reach."""
        raw = self._skills * shared
        if self._themes:
            raw += self._theme * len(self._themes)
        raw += self._level
        raw += self._distance * distance_fit(km, self._weights)
        return round(raw / self._norm, 4)


def score_value(
    offer: Offer, student: Student, *, shared: int, km: float, weights: Weights = DEFAULT_WEIGHTS
) -> float:
    """The score of a pair sharing ``shared`` skills at ``km``, rounded to 4 places."""
    return OfferScorer(offer, weights).value(student, shared, km)


def upper_bound(offer: Offer, *, shared: int, weights: Weights = DEFAULT_WEIGHTS) -> float:
    """The best score any student sharing ``shared`` of the offer's skills can reach."""
    return OfferScorer(offer, weights).bound(shared)


def explain(
    offer: Offer,
    student: Student,
    weights: Weights = DEFAULT_WEIGHTS,
    scorer: OfferScorer | None = None,
) -> Score:
    """Score an eligible pair and say why, in a fixed order: level, skills, theme, distance.

    ``scorer`` is the offer's under ``weights``, if the caller has one (a search does).
    """
    km = travel_km(offer, student)
    skills = sorted(offer.skills & student.skills)
    themes = sorted(offer.themes & student.themes)
    reasons = [f"level {student.level.value} is accepted"]
    if skills:
        reasons.append(f"shared skills: {', '.join(skills)}")
    if themes:
        reasons.append(f"theme: {', '.join(themes)}")
    # Nearby is the norm and goes unsaid; a distance is named once it costs points.
    if offer.remote:
        reasons.append("remote")
    elif km > weights.nearby_km:
        reasons.append(f"about {km} km away")
    scorer = scorer or OfferScorer(offer, weights)
    return Score(value=scorer.value(student, len(skills), km), reasons=tuple(reasons))


def score_changed_materially(previous: float, current: float, threshold: float = 0.05) -> bool:
    """Whether a re-scored pair differs enough from its last notification to notify again."""
    return abs(current - previous) >= threshold
