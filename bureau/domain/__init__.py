"""Pure, synchronous domain rules: no I/O, no framework imports."""

from bureau.domain.eligibility import (
    DEFAULT_RULES,
    Ineligible,
    Rules,
    is_eligible,
    offer_is_open,
    why_ineligible,
)
from bureau.domain.geo import distance_km, region_of
from bureau.domain.index import CandidateIndex
from bureau.domain.matching import (
    Offer,
    Student,
    Suggestion,
    offers_for_student,
    students_for_offer,
    suggest,
    suggestion_for,
    suggestion_id,
)
from bureau.domain.rounds import (
    ALGORITHM_VERSION,
    Allocation,
    allocate,
    blocking_pairs,
    combined,
    inputs_hash,
    second_round,
)
from bureau.domain.scoring import (
    DEFAULT_WEIGHTS,
    Score,
    Weights,
    explain,
    score_changed_materially,
)

__all__ = [
    "ALGORITHM_VERSION",
    "DEFAULT_RULES",
    "DEFAULT_WEIGHTS",
    "Allocation",
    "CandidateIndex",
    "Ineligible",
    "Offer",
    "Rules",
    "Score",
    "Student",
    "Suggestion",
    "Weights",
    "allocate",
    "blocking_pairs",
    "combined",
    "distance_km",
    "explain",
    "inputs_hash",
    "is_eligible",
    "offer_is_open",
    "offers_for_student",
    "region_of",
    "score_changed_materially",
    "second_round",
    "students_for_offer",
    "suggest",
    "suggestion_for",
    "suggestion_id",
    "why_ineligible",
]
