"""The top-K students for one offer, read from the index's postings best bound first.

Candidates are taken in cells: the students of one region who share as many of the
offer's skills, each cell with the best score any of its members could reach there
(``OfferScorer.bound``). Cells are scored best bound first and the search stops once
the K-th best found beats every bound left, so ties with the K-th are still scored
and the result equals the full scan, ties included.

Two things keep a dense exchange from reading everything near the offer:

- regions come nearest first, so a region's best bound only falls: once the K-th best
  beats it, no later region is read at all;
- in each region, the students who share *every* skill are found by set intersection
  (in C, as cheap as the smallest posting); the rest of the region is one deferred
  cell, bounded by one skill fewer, counted (``Counter.update``) only if it can still
  beat the K-th best.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter

from bureau.domain.eligibility import Rules, in_period, travel_km, travel_limit_km
from bureau.domain.model import Offer, Student
from bureau.domain.scoring import OfferScorer
from bureau.schemas.common import Level

Postings = Mapping[tuple[int, Level, int], Mapping[str, set[str]]]
"""Student ids by (region, level, travel band) and skill."""

_Members = list[tuple[str, int]]
"""Students of a cell, each with the number of skills they share with the offer."""
_Deferred = tuple[int, int]
"""(region, km): the students of a region who share fewer than all skills, not counted yet."""


@dataclass
class StudentSearch:
    """One offer's search over the index (a value per query; not kept)."""

    offer: Offer
    scorer: OfferScorer
    limit: int
    postings: Postings
    students: Mapping[str, Student]
    bands: list[int]
    """Travel bands present, widest first."""
    band_km: int
    rules: Rules
    best: list[tuple[float, str]] = field(default_factory=list)
    _cells: list[tuple[float, int, _Members | _Deferred]] = field(default_factory=list)
    _seq: itertools.count[int] = field(default_factory=itertools.count)

    def run(self, regions: list[tuple[int, int]]) -> list[str]:
        """The ids of the best ``limit`` students over ``regions`` (nearest first)."""
        most = len(self.offer.skills)
        for region, km in regions:
            reach = self.scorer.bound(most, km)
            while self._cells and -self._cells[0][0] >= reach and self._settle_next():
                pass
            if self._beaten(reach):
                break
            everything = self._sharing_all(region, km)
            if everything:
                self._push(reach, [(sid, most) for sid in everything])
            if most > 1:
                self._push(self.scorer.bound(most - 1, km), (region, km))
        while self._cells and self._settle_next():
            pass
        return [sid for _, sid in self.best]

    def _beaten(self, bound: float) -> bool:
        """Whether nobody scoring at most ``bound`` can enter the top ``limit``."""
        return len(self.best) >= self.limit and -self.best[self.limit - 1][0] > bound

    def _push(self, bound: float, cell: _Members | _Deferred) -> None:
        # The sequence number keeps equal bounds from comparing the cells themselves.
        heapq.heappush(self._cells, (-bound, next(self._seq), cell))

    def _settle_next(self) -> bool:
        """Take the best-bound cell apart; False (and nothing taken) once it is beaten."""
        bound, _, cell = self._cells[0]
        if self._beaten(-bound):
            return False
        heapq.heappop(self._cells)
        if isinstance(cell, tuple):
            region, km = cell
            counts = self._count(region, km)
            most = len(self.offer.skills)
            for shared, group in groupby(counts.most_common(), key=itemgetter(1)):
                if shared < most:  # those sharing all were a cell of their own
                    self._push(self.scorer.bound(shared, km), list(group))
            return True
        for student_id, shared in cell:
            student = self.students[student_id]
            km_ = travel_km(self.offer, student)
            if km_ > travel_limit_km(student, self.rules) or not in_period(self.offer, student):
                continue
            self.best.append((-self.scorer.value(student, shared, km_), student_id))
        self.best = heapq.nsmallest(self.limit, self.best)
        return True

    def _buckets(self, region: int, km: int) -> list[Mapping[str, set[str]]]:
        """The postings of ``region``'s students at the offer's levels who travel ``km``."""
        found = []
        for level in self.offer.levels:
            for band in self.bands:
                if band * self.band_km < km:
                    break
                bucket = self.postings.get((region, level, band))
                if bucket is not None:
                    found.append(bucket)
        return found

    def _sharing_all(self, region: int, km: int) -> set[str]:
        """Students of ``region`` who have every one of the offer's skills."""
        found: set[str] = set()
        for bucket in self._buckets(region, km):
            lists = [bucket.get(skill) for skill in self.offer.skills]
            if all(lists):
                found |= set.intersection(*sorted(lists, key=len))  # type: ignore[arg-type]
        return found

    def _count(self, region: int, km: int) -> Counter[str]:
        """Shared skills per student of ``region`` who travel ``km`` (counted in C)."""
        counts: Counter[str] = Counter()
        for bucket in self._buckets(region, km):
            for skill in self.offer.skills:
                ids = bucket.get(skill)
                if ids:
                    counts.update(ids)
        return counts
