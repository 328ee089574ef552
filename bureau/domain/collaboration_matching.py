"""Matching for guest lectures (both ways) and research questions (schools and teams).

Pure and deterministic: equal input, equal output; ties break on ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bureau.domain.geo import distance_km
from bureau.domain.scoring import DEFAULT_WEIGHTS, Weights, distance_fit
from bureau.schemas.lectures import LectureRequest, SpecialistDetails
from bureau.schemas.organisations import OrganisationKind, OrganisationRegisteredData
from bureau.schemas.research import QuestionDetails, TeamMember, TeamProposal
from bureau.schemas.students import StudentProfile

NAMESPACE = uuid.UUID("9e4b1f2a-6c3d-4e8f-a1b2-c3d4e5f60718")
LECTURE_TRAVEL_KM = 100.0
"""A guest lecture is one visit: specialists travel further than interns commute."""


@dataclass(frozen=True, kw_only=True)
class Pairing:
    """Two parties that fit, with a score and the reasons a person can read."""

    pairing_id: uuid.UUID
    left: str
    right: str
    score: float
    reasons: tuple[str, ...]


def _themes(a: Iterable[object], b: Iterable[object]) -> tuple[float, list[str]]:
    shared = sorted(str(getattr(t, "value", t)) for t in set(a) & set(b))
    union = set(a) | set(b)
    return (len(shared) / len(union) if union else 0.0), shared


def lecture_fit(
    request: LectureRequest, specialist: SpecialistDetails, weights: Weights = DEFAULT_WEIGHTS
) -> Pairing | None:
    """Score a specialist for a lecture request, or None if they cannot give it."""
    if request.level not in specialist.levels or request.language not in specialist.languages:
        return None
    if not request.window.overlaps(specialist.available):
        return None
    km = distance_km(request.region, specialist.region)
    if km > LECTURE_TRAVEL_KM:
        return None
    theme, shared = _themes(request.themes, specialist.themes)
    if request.themes and not shared:
        return None
    score = round(0.7 * theme + 0.3 * distance_fit(km, weights), 4)
    reasons = [f"teaches {request.level.value} in {request.language.value}"]
    if shared:
        reasons.append(f"themes: {', '.join(shared)}")
    reasons.append(f"about {km} km away")
    return Pairing(
        pairing_id=uuid.uuid5(
            NAMESPACE, f"lecture/{request.request_id}/{specialist.specialist_id}"
        ),
        left=request.request_id,
        right=specialist.specialist_id,
        score=score,
        reasons=tuple(reasons),
    )


def _best(found: Iterable[Pairing | None], limit: int) -> list[Pairing]:
    ranked = sorted((p for p in found if p is not None), key=lambda p: (-p.score, p.left, p.right))
    return ranked[:limit]


def specialists_for_request(
    request: LectureRequest, specialists: Iterable[SpecialistDetails], limit: int
) -> list[Pairing]:
    """The best specialists for a new request."""
    return _best((lecture_fit(request, s) for s in specialists), limit)


def requests_for_specialist(
    specialist: SpecialistDetails, requests: Iterable[LectureRequest], limit: int
) -> list[Pairing]:
    """The open requests a newly available specialist fits best."""
    return _best((lecture_fit(r, specialist) for r in requests), limit)


def schools_for_question(
    question: QuestionDetails, organisations: Iterable[OrganisationRegisteredData], limit: int
) -> list[Pairing]:
    """Schools that teach a level the question takes, nearest and closest in theme first."""
    found = []
    for org in organisations:
        if org.kind is not OrganisationKind.SCHOOL or not org.levels & question.levels:
            continue
        theme, shared = _themes(question.themes, org.themes)
        km = distance_km(question.region, org.region)
        levels = sorted(level.value for level in org.levels & question.levels)
        reasons = [f"teaches {', '.join(levels)}", f"about {km} km away"]
        if shared:
            reasons.insert(1, f"themes: {', '.join(shared)}")
        found.append(
            Pairing(
                pairing_id=uuid.uuid5(
                    NAMESPACE, f"research/{question.question_id}/{org.organisation_id}"
                ),
                left=question.question_id,
                right=org.organisation_id,
                score=round(0.6 * theme + 0.4 * distance_fit(km), 4),
                reasons=tuple(reasons),
            )
        )
    return _best(found, limit)


def propose_team(
    question: QuestionDetails, students: Sequence[StudentProfile], team_id: str
) -> TeamProposal | None:
    """A team that meets the question's wishes, from consenting students; None if none can.

    Each wish is filled first with the students who share most themes with the
    question (then by id), then the team grows to ``team_min`` from the rest.
    """
    pool = sorted(
        (s for s in students if s.may_be_matched and s.level in question.levels),
        key=lambda s: (-len(s.themes & question.themes), s.student_id),
    )
    chosen: list[StudentProfile] = []
    taken: set[str] = set()
    for quota in question.composition:
        fit = [s for s in pool if s.level == quota.level and s.student_id not in taken]
        if len(fit) < quota.at_least:
            return None
        chosen += fit[: quota.at_least]
        taken.update(s.student_id for s in fit[: quota.at_least])
    rest = [s for s in pool if s.student_id not in taken]
    chosen += rest[: max(0, question.team_min - len(chosen))]
    if len(chosen) < question.team_min:
        return None
    members = tuple(TeamMember(student_id=s.student_id, level=s.level) for s in chosen)
    return TeamProposal(question_id=question.question_id, team_id=team_id, members=members)
