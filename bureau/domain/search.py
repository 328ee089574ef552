"""The top-K students for one offer, read from the index's postings best bound first.

Candidates are taken in cells: the students of one region who share as many of the
offer's skills, each cell with the best score any of its members could reach there
(``OfferScorer.bound``). Cells are scored best bound first and the search stops once
the K-th best found beats every bound left, so ties with the K-th are still scored
and the result equals the full scan, ties included.

What keeps a dense exchange from reading everything near the offer:

- the students who share *every* skill are found once for the whole country, by
  intersecting the country-wide postings of the offer's levels (in C, as cheap as the
  rarest skill's posting), and sorted into their regions' cells. A region without
  such a student is then bounded by one skill fewer from the start, so the regions
  are read nearest first only while *that* bound can beat the K-th best. When the
  rarest skill is too common for this to pay, each region finds its own;
- a region's further cells are made one at a time, most shared skills first, each
  only when its bound can still beat the K-th best. The students who share exactly
  ``j`` skills are a union of intersections of the region's postings, less those who
  share more: set algebra reads the hashes the sets store and never the ids
  themselves, where counting (kept for an offer that names so many skills that the
  subsets are too many) hashes every id;
- within a cell every member scores at most the cell's bound, and members of equal
  score rank by id: walking a large cell in id order stops once ``limit`` members
  reached the bound, as nobody later in the cell can pass them.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from bureau.domain.eligibility import Rules, in_period, travel_km, travel_limit_km
from bureau.domain.geo import region_of
from bureau.domain.model import Offer, Student
from bureau.domain.scoring import OfferScorer
from bureau.schemas.common import Level

Postings = Mapping[tuple[int, Level], Mapping[str, set[str]]]
"""Student ids by (region, level) and skill."""
Everywhere = Mapping[Level, Mapping[str, set[str]]]
"""Student ids by level and skill, the whole country."""

MAX_SUBSETS = 16
"""Most intersections one cell may take; beyond it, a region's rest is counted instead."""
RAREST = 4000
"""Most probes the country-wide intersections of one level may take (an id each)."""
NATIONAL = 512
"""Most students sharing every skill that are sorted into regions from the country-wide
intersection; more, and each region finds its own."""
_NONE: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Members:
    """Students of one region who share ``shared`` of the offer's skills."""

    ids: set[str] | list[str]
    shared: int
    km: int
    """The region's distance from the offer (its own region: 0)."""


@dataclass
class _Rest:
    """The students of a region who share ``shared`` skills or fewer, not read yet."""

    region: int
    km: int
    shared: int
    above: set[str]
    """Those of the region who share more (already in cells)."""
    lists: list[list[set[str] | frozenset[str]]] | None = None
    """Per level, the region's postings of the offer's skills, once read."""


@dataclass
class StudentSearch:
    """One offer's search over the index (a value per query; not kept)."""

    offer: Offer
    scorer: OfferScorer
    limit: int
    postings: Postings
    everywhere: Everywhere
    students: Mapping[str, Student]
    rules: Rules
    best: list[tuple[float, str]] = field(default_factory=list)
    _cells: list[tuple[float, int, _Members | _Rest]] = field(default_factory=list)
    _seq: itertools.count[int] = field(default_factory=itertools.count)

    def run(self, regions: list[tuple[int, int]]) -> list[str]:
        """The ids of the best ``limit`` students over ``regions`` (nearest first)."""
        reach_km = dict(regions)
        nearest = regions[0][1] if regions else 0
        above: dict[int, set[str]] = {}
        # Country-wide first, most shared skills first, while a level's set stays small
        # and its best bound (in the nearest region) can still beat the K-th best.
        shared = len(self.offer.skills)
        while shared:
            if self._settled_above(self.scorer.bound(shared, nearest)):
                return self._found()
            if not self._national(shared, reach_km, above):
                break
            shared -= 1
        # The rest region by region, nearest first, each starting at ``shared`` skills.
        for region, km in regions if shared else ():
            if self._settled_above(self.scorer.bound(shared, km)):
                break
            self._push(
                self.scorer.bound(shared, km), _Rest(region, km, shared, above.get(region, set()))
            )
        while self._cells and self._settle_next():
            pass
        return self._found()

    def _found(self) -> list[str]:
        return [sid for _, sid in self.best]

    def _settled_above(self, bound: float) -> bool:
        """Settle the cells bounded above ``bound``; whether the K-th best now beats it."""
        while self._cells and -self._cells[0][0] >= bound and self._settle_next():
            pass
        return self._beaten(bound)

    def _national(self, shared: int, reach_km: dict[int, int], above: dict[int, set[str]]) -> bool:
        """Push the cells of those sharing exactly ``shared`` skills, country-wide.

        False, and nothing pushed, when the postings or the set found are too large for
        it to pay: the regions then find their own.
        """
        if math.comb(len(self.offer.skills), shared) > MAX_SUBSETS:
            return False
        subsets = []
        for level in self.offer.levels:
            by_skill = self.everywhere.get(level)
            if by_skill is not None:
                lists = [by_skill.get(skill) or _NONE for skill in self.offer.skills]
                subsets += [sorted(s, key=len) for s in itertools.combinations(lists, shared)]
        # An intersection costs a probe per id of its shortest posting: price them first.
        if sum(len(subset[0]) for subset in subsets) > RAREST:
            return False
        found: set[str] = set()
        for smallest, *others in subsets:
            found |= smallest.intersection(*others)
            if len(found) > NATIONAL:
                return False
        cells: dict[int, set[str]] = {}
        for student_id in found:
            region = region_of(self.students[student_id].region)
            if region in reach_km and student_id not in above.get(region, _NONE):
                cells.setdefault(region, set()).add(student_id)
        for region, ids in cells.items():
            self._push(
                self.scorer.bound(shared, reach_km[region]), _Members(ids, shared, reach_km[region])
            )
            above.setdefault(region, set()).update(ids)
        return True

    def _beaten(self, bound: float) -> bool:
        """Whether nobody scoring at most ``bound`` can enter the top ``limit``."""
        return len(self.best) >= self.limit and -self.best[self.limit - 1][0] > bound

    def _push(self, bound: float, cell: _Members | _Rest) -> None:
        # The sequence number keeps equal bounds from comparing the cells themselves.
        heapq.heappush(self._cells, (-bound, next(self._seq), cell))

    def _settle_next(self) -> bool:
        """Take the best-bound cell apart; False (and nothing taken) once it is beaten."""
        bound, _, cell = self._cells[0]
        if self._beaten(-bound):
            return False
        heapq.heappop(self._cells)
        if isinstance(cell, _Rest):
            self._split(cell)
        else:
            self._score(cell, -bound)
        return True

    def _split(self, rest: _Rest) -> None:
        """Push the cell of those sharing ``rest.shared`` skills, then the rest below it."""
        if rest.lists is None:
            rest.lists = self._postings(rest.region)
        j, most = rest.shared, len(self.offer.skills)
        if j < most and math.comb(most, j) > MAX_SUBSETS:
            self._split_by_count(rest)
            return
        found: set[str] = set()
        for lists in rest.lists:
            for subset in itertools.combinations(lists, j):
                smallest, *others = sorted(subset, key=len)
                found |= smallest.intersection(*others)
        found -= rest.above
        if found:
            self._push(self.scorer.bound(j, rest.km), _Members(found, j, rest.km))
        if j > 1 and rest.lists:
            below = _Rest(rest.region, rest.km, j - 1, rest.above | found, rest.lists)
            self._push(self.scorer.bound(j - 1, rest.km), below)

    def _split_by_count(self, rest: _Rest) -> None:
        """Count the shared skills of everyone left in the region: one cell per count."""
        counts = Counter(itertools.chain.from_iterable(itertools.chain(*(rest.lists or ()))))
        groups: dict[int, list[str]] = {}
        for student_id, shared in counts.items():
            if shared <= rest.shared:  # those sharing more are in cells already
                groups.setdefault(shared, []).append(student_id)
        for shared, ids in groups.items():
            self._push(self.scorer.bound(shared, rest.km), _Members(ids, shared, rest.km))

    def _score(self, cell: _Members, bound: float) -> None:
        """Score the cell's members, in id order for a cell larger than ``limit``."""
        ids = cell.ids if len(cell.ids) <= self.limit else sorted(cell.ids)
        offer = self.offer
        # Outside the offer's own region every member is the region's distance away, and
        # a score then depends only on the themes shared: computed once per count.
        values: dict[tuple[int, int], float] = {}
        at_bound = 0
        for student_id in ids:
            student = self.students[student_id]
            km = cell.km if cell.km or offer.remote else travel_km(offer, student)
            if km > travel_limit_km(student, self.rules):
                continue
            if offer.period is not None and not in_period(offer, student):
                continue
            themes = len(offer.themes & student.themes) if offer.themes else 0
            value = values.get((km, themes))
            if value is None:
                value = values[km, themes] = self.scorer.value(student, cell.shared, km)
            self.best.append((-value, student_id))
            if value >= bound:
                at_bound += 1
                if at_bound >= self.limit:
                    # Later ids score at most the bound: none passes these on the tie.
                    break
        # Sorted in C, and mostly sorted already: cheaper than a heap kept in Python.
        self.best.sort()
        del self.best[self.limit :]

    def _postings(self, region: int) -> list[list[set[str] | frozenset[str]]]:
        """Per accepted level with students in ``region``, the postings of the offer's skills."""
        found = []
        for level in self.offer.levels:
            bucket = self.postings.get((region, level))
            if bucket is not None:
                found.append([bucket.get(skill) or _NONE for skill in self.offer.skills])
        return found
