"""Candidate generation by index: the top-K without scoring every student.

The store in dev and CI (FerretDB 1.24) uses an index only for ``_id`` equality, so
candidates come from this in-memory inverted index, rebuilt from the projection at
start-up and kept current with each event. Student postings are grouped by (postcode
region, level) and then by skill, and again by level and skill for the whole country.
A query for an offer reads only the accepted levels: who shares every skill (and, while
the sets stay small, every skill but one, ...) comes from the country-wide postings,
the rest from the regions nearest first, within the farthest any student travels, in
cells (region, shared-skill count) scored best bound first
(``scoring.OfferScorer.bound``), made only while they can still beat the K-th best
(``search.StudentSearch``). Offer postings are grouped by (region, level) and skill;
remote offers sit in a region of their own that every student's query reads.

The result equals the full scan of ``matching.students_for_offer`` /
``matching.offers_for_student`` over the indexed records, ties included.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from typing import TypeVar

from bureau.domain.eligibility import (
    DEFAULT_RULES,
    Rules,
    in_period,
    offer_is_open,
    travel_km,
    travel_limit_km,
)
from bureau.domain.geo import REGION_CENTROIDS, region_of, regions_within
from bureau.domain.matching import Suggestion, suggestion_for
from bureau.domain.model import Offer, Student
from bureau.domain.scoring import DEFAULT_WEIGHTS, OfferScorer, Weights
from bureau.domain.search import StudentSearch
from bureau.schemas.common import Level

_Key = TypeVar("_Key", tuple[int, Level], Level)
_Skills = dict[str, set[str]]
"""Ids by skill, in one bucket of postings."""

BAND_KM = 10
"""Width of a travel band: students are counted by their travel limit rounded up to it."""
_FURTHEST_KM = 1000
"""Beyond any distance in the Netherlands: a larger limit is the same as this."""

_ANYWHERE = 0
"""Region key of remote offers, which every student's query reads."""
_ALL_REGIONS = [(region, 0) for region in sorted(REGION_CENTROIDS)]


def _offer_region(offer: Offer) -> int:
    return _ANYWHERE if offer.remote else region_of(offer.region)


def _band(limit_km: float) -> int:
    return math.ceil(min(limit_km, _FURTHEST_KM) / BAND_KM)


def _add(postings: dict[_Key, _Skills], key: _Key, skills: frozenset[str], id_: str) -> None:
    # get before making: setdefault would build an empty set (and dict) on every call,
    # and a restore calls this for every student and each of their skills.
    bucket = postings.get(key)
    if bucket is None:
        bucket = postings[key] = {}
    for skill in skills:
        ids = bucket.get(skill)
        if ids is None:
            bucket[skill] = {id_}
        else:
            ids.add(id_)


def _discard(postings: dict[_Key, _Skills], key: _Key, skills: frozenset[str], id_: str) -> None:
    bucket = postings.get(key)
    if bucket is None:
        return
    for skill in skills:
        ids = bucket.get(skill)
        if ids is not None:
            ids.discard(id_)
            if not ids:
                del bucket[skill]
    if not bucket:
        del postings[key]


class CandidateIndex:
    """Inverted index of consenting students and open offers, updated incrementally."""

    def __init__(self, *, weights: Weights = DEFAULT_WEIGHTS, rules: Rules = DEFAULT_RULES) -> None:
        """Start empty; fill with ``upsert_student`` / ``upsert_offer``."""
        self.weights = weights
        self.rules = rules
        self._students: dict[str, Student] = {}
        self._offers: dict[str, Offer] = {}
        self._scorers: dict[str, OfferScorer] = {}
        self._student_postings: dict[tuple[int, Level], _Skills] = {}
        # The same postings for the whole country, to find who shares every skill at once.
        self._everywhere: dict[Level, _Skills] = {}
        self._offer_postings: dict[tuple[int, Level], _Skills] = {}
        # Students per travel band, to know how far out to look.
        self._bands: Counter[int] = Counter()

    def __len__(self) -> int:
        """Number of indexed students and offers."""
        return len(self._students) + len(self._offers)

    @property
    def student_count(self) -> int:
        """Number of indexed (consenting) students."""
        return len(self._students)

    @property
    def offer_count(self) -> int:
        """Number of indexed (open) offers."""
        return len(self._offers)

    def upsert_student(self, student: Student) -> None:
        """Add or replace a student; a student without consent is not indexed."""
        self.remove_student(student.student_id)
        if not student.consent:
            return
        self._students[student.student_id] = student
        band = _band(travel_limit_km(student, self.rules))
        key = (region_of(student.region), student.level)
        _add(self._student_postings, key, student.skills, student.student_id)
        _add(self._everywhere, student.level, student.skills, student.student_id)
        self._bands[band] += 1

    def remove_student(self, student_id: str) -> None:
        """Forget a student (unknown ids are ignored)."""
        old = self._students.pop(student_id, None)
        if old is None:
            return
        band = _band(travel_limit_km(old, self.rules))
        _discard(self._student_postings, (region_of(old.region), old.level), old.skills, student_id)
        _discard(self._everywhere, old.level, old.skills, student_id)
        self._bands[band] -= 1
        if not self._bands[band]:
            del self._bands[band]

    def upsert_offer(self, offer: Offer) -> None:
        """Add or replace an offer; a full or withdrawn offer is not indexed."""
        self.remove_offer(offer.offer_id)
        if not offer_is_open(offer):
            return
        self._offers[offer.offer_id] = offer
        self._scorers[offer.offer_id] = OfferScorer(offer, self.weights)
        region = _offer_region(offer)
        for level in offer.levels:
            _add(self._offer_postings, (region, level), offer.skills, offer.offer_id)

    def remove_offer(self, offer_id: str) -> None:
        """Forget an offer (unknown ids are ignored)."""
        old = self._offers.pop(offer_id, None)
        if old is None:
            return
        del self._scorers[offer_id]
        region = _offer_region(old)
        for level in old.levels:
            _discard(self._offer_postings, (region, level), old.skills, offer_id)

    def students_for_offer(self, offer: Offer, limit: int) -> list[Suggestion]:
        """The offer's top ``limit`` eligible students, best first."""
        if limit < 1 or not offer_is_open(offer) or not self._bands:
            return []
        if offer.remote:
            regions = _ALL_REGIONS
        else:
            regions = regions_within(region_of(offer.region), max(self._bands) * BAND_KM)
        scorer = OfferScorer(offer, self.weights)
        search = StudentSearch(
            offer=offer,
            scorer=scorer,
            limit=limit,
            postings=self._student_postings,
            everywhere=self._everywhere,
            students=self._students,
            rules=self.rules,
        )
        found = search.run(regions)
        return [suggestion_for(offer, self._students[sid], self.weights, scorer) for sid in found]

    def offers_for_student(self, student: Student, limit: int) -> list[Suggestion]:
        """The student's top ``limit`` eligible open offers, best first."""
        if limit < 1 or not student.consent:
            return []
        counts: Counter[str] = Counter()
        reach = travel_limit_km(student, self.rules)
        for region, _ in [*regions_within(region_of(student.region), reach), (_ANYWHERE, 0)]:
            bucket = self._offer_postings.get((region, student.level))
            if bucket is None:
                continue
            for skill in student.skills:
                ids = bucket.get(skill)
                if ids:
                    counts.update(ids)
        # The skill share is relative to each offer's own skill count, so no group bound
        # prunes here; offers are far fewer than students.
        scored: list[tuple[float, str]] = []
        for offer_id, shared in counts.items():
            offer = self._offers[offer_id]
            km = travel_km(offer, student)
            if km > reach or not in_period(offer, student):
                continue
            value = self._scorers[offer_id].value(student, shared, km)
            scored.append((-value, offer_id))
        best = heapq.nsmallest(limit, scored)
        return [
            suggestion_for(self._offers[oid], student, self.weights, self._scorers[oid])
            for _, oid in best
        ]
