"""Candidate generation by index: the top-K without scoring every student.

The store in dev and CI (FerretDB 1.24) uses an index only for ``_id`` equality, so
candidates come from this in-memory inverted index, rebuilt from the projection at
start-up and kept current with each event. Student postings are grouped by (postcode
region, level, travel band) and then by skill, where the travel band is how far the
students will travel, rounded up to ``BAND_KM``. A query for an offer reads only the
accepted levels, and in each region only the bands of students willing to travel
that far. It counts shared skills per candidate in C (``Counter.update``), groups the
candidates into cells (region, shared-skill count) and scores the cells best bound
first (``scoring.OfferScorer.bound``), stopping once no remaining cell can beat the
K-th best. Offer postings are grouped by (region, level) and skill; remote offers sit
in a region of their own that every student's query reads.

The result equals the full scan of ``matching.students_for_offer`` /
``matching.offers_for_student`` over the indexed records, ties included.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from itertools import groupby
from operator import itemgetter

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
from bureau.domain.scoring import DEFAULT_WEIGHTS, OfferScorer, Weights, score_value
from bureau.schemas.common import Level

_Key = tuple[int, Level] | tuple[int, Level, int]
_Postings = dict[_Key, dict[str, set[str]]]

BAND_KM = 10
"""Width of a travel band: students are indexed by their travel limit rounded up to it."""
_FURTHEST_KM = 1000
"""Beyond any distance in the Netherlands: a larger limit is the same as this."""

_ANYWHERE = 0
"""Region key of remote offers, which every student's query reads."""
_ALL_REGIONS = [(region, 0) for region in sorted(REGION_CENTROIDS)]


def _offer_region(offer: Offer) -> int:
    return _ANYWHERE if offer.remote else region_of(offer.region)


def _band(limit_km: float) -> int:
    return math.ceil(min(limit_km, _FURTHEST_KM) / BAND_KM)


def _add(postings: _Postings, key: _Key, skills: frozenset[str], id_: str) -> None:
    bucket = postings.setdefault(key, {})
    for skill in skills:
        bucket.setdefault(skill, set()).add(id_)


def _discard(postings: _Postings, key: _Key, skills: frozenset[str], id_: str) -> None:
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
        self._student_postings: _Postings = {}
        self._offer_postings: _Postings = {}
        # Students per travel band, to know which bands exist and how far out to look.
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
        key = (region_of(student.region), student.level, band)
        _add(self._student_postings, key, student.skills, student.student_id)
        self._bands[band] += 1

    def remove_student(self, student_id: str) -> None:
        """Forget a student (unknown ids are ignored)."""
        old = self._students.pop(student_id, None)
        if old is None:
            return
        band = _band(travel_limit_km(old, self.rules))
        _discard(
            self._student_postings, (region_of(old.region), old.level, band), old.skills, student_id
        )
        self._bands[band] -= 1
        if not self._bands[band]:
            del self._bands[band]

    def upsert_offer(self, offer: Offer) -> None:
        """Add or replace an offer; a full or withdrawn offer is not indexed."""
        self.remove_offer(offer.offer_id)
        if not offer_is_open(offer):
            return
        self._offers[offer.offer_id] = offer
        region = _offer_region(offer)
        for level in offer.levels:
            _add(self._offer_postings, (region, level), offer.skills, offer.offer_id)

    def remove_offer(self, offer_id: str) -> None:
        """Forget an offer (unknown ids are ignored)."""
        old = self._offers.pop(offer_id, None)
        if old is None:
            return
        region = _offer_region(old)
        for level in old.levels:
            _discard(self._offer_postings, (region, level), old.skills, offer_id)

    def students_for_offer(self, offer: Offer, limit: int) -> list[Suggestion]:
        """The offer's top ``limit`` eligible students, best first."""
        if limit < 1 or not offer_is_open(offer) or not self._bands:
            return []
        bands = sorted(self._bands, reverse=True)
        if offer.remote:
            regions = _ALL_REGIONS
        else:
            regions = regions_within(region_of(offer.region), bands[0] * BAND_KM)
        scorer = OfferScorer(offer, self.weights)
        # Cells of candidates sharing as many skills within one region, each with the
        # best score any of them could reach there.
        cells: list[tuple[float, int, list[tuple[str, int]]]] = []
        for region, km in regions:
            counts: Counter[str] = Counter()
            for level in offer.levels:
                for band in bands:
                    if band * BAND_KM < km:
                        break
                    bucket = self._student_postings.get((region, level, band))
                    if bucket is None:
                        continue
                    for skill in offer.skills:
                        ids = bucket.get(skill)
                        if ids:
                            counts.update(ids)
            for shared, group in groupby(counts.most_common(), key=itemgetter(1)):
                cells.append((scorer.bound(shared, km), shared, list(group)))
        cells.sort(key=itemgetter(0), reverse=True)
        best: list[tuple[float, str]] = []
        for bound, shared, members in cells:
            if len(best) >= limit and -best[limit - 1][0] > bound:
                break
            for student_id, _ in members:
                student = self._students[student_id]
                km = travel_km(offer, student)
                if km > travel_limit_km(student, self.rules) or not in_period(offer, student):
                    continue
                best.append((-scorer.value(student, shared, km), student_id))
            best = heapq.nsmallest(limit, best)
        return [suggestion_for(offer, self._students[sid], self.weights) for _, sid in best]

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
            value = score_value(offer, student, shared=shared, km=km, weights=self.weights)
            scored.append((-value, offer_id))
        best = heapq.nsmallest(limit, scored)
        return [suggestion_for(self._offers[oid], student, self.weights) for _, oid in best]
