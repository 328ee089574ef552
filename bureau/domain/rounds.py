"""Matching rounds: the student-optimal stable allocation with capacities.

Students propose (deferred acceptance, Gale-Shapley / Roth's hospital-resident form);
each place holds its best ``capacity`` proposals by its own ranking of applicants and
rejects the rest. A pair is acceptable only if the student lists the place and the
place ranks the student. The result is stable and, among stable allocations, the best
for every student at once, so it does not depend on the order of proposals.

Internally students and places are integers and each proposal is one integer key,
``rank * n_students + student``: a place's held proposals form a heap of negated
keys, so its worst holder is ``heap[0]`` and the displaced student is ``key % n``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from heapq import heappush, heapreplace

ALGORITHM_VERSION = "deferred-acceptance/student-proposing/1"
"""Recorded with each run; bump it whenever the same inputs could give another result."""

Preferences = Mapping[str, Sequence[str]]
"""Student id -> place ids, best first."""

Rankings = Mapping[str, Sequence[str]]
"""Place id -> student ids, best first."""

Capacities = Mapping[str, int]
"""Place id -> number of students it takes."""


@dataclass(frozen=True, kw_only=True)
class Allocation:
    """The outcome of one round."""

    placements: Mapping[str, str]
    """Student id -> place id."""
    unplaced: tuple[str, ...]
    """Students of the round without a place, sorted."""
    remaining: Mapping[str, int]
    """Place id -> capacity left after the round."""

    def students_at(self, place_id: str) -> list[str]:
        """The students placed at ``place_id``, sorted."""
        return sorted(s for s, p in self.placements.items() if p == place_id)


def allocate(preferences: Preferences, rankings: Rankings, capacities: Capacities) -> Allocation:
    """Compute the student-optimal stable allocation of one round."""
    for p in rankings:
        if p not in capacities:
            raise ValueError(f"place {p!r} is ranked but has no capacity")
    student_ids = list(preferences)
    place_ids = list(capacities)
    n = len(student_ids)
    cap = [capacities[p] for p in place_ids]

    # Rank of each applicant at each place that can take anyone.
    place_index: dict[str, int] = {}
    rank_at: list[dict[str, int]] = []
    for j, p in enumerate(place_ids):
        ranking = rankings.get(p, ())
        ranks = dict(zip(ranking, range(len(ranking)), strict=True))
        if len(ranks) != len(ranking):
            raise ValueError(f"place {p!r} ranks a student twice")
        rank_at.append(ranks)
        if cap[j] > 0:
            place_index[p] = j

    # Proposals flattened: student i's acceptable places are place[start[i]:start[i + 1]],
    # each with its negated key, so that a place's heap keeps its worst holder on top.
    place: list[int] = []
    neg_key: list[int] = []
    add_place, add_key = place.append, neg_key.append
    start = [0] * (n + 1)
    for i, s in enumerate(student_ids):
        prefs = preferences[s]
        if len(set(prefs)) != len(prefs):
            raise ValueError(f"student {s!r} lists a place twice")
        for p in prefs:
            at = place_index.get(p)
            if at is not None:
                r = rank_at[at].get(s)
                if r is not None:
                    add_place(at)
                    add_key(-(r * n + i))
        start[i + 1] = len(place)

    held: list[list[int]] = [[] for _ in place_ids]
    nxt = start[:-1]
    end = start[1:]
    for first in range(n):
        i = first
        k = nxt[i]
        while k < end[i]:
            nxt[i] = k + 1
            j = place[k]
            heap = held[j]
            if len(heap) < cap[j]:
                heappush(heap, neg_key[k])
                break
            if neg_key[k] > heap[0]:
                # The place prefers i to its worst holder, who proposes on in i's stead.
                i = -heapreplace(heap, neg_key[k]) % n
            k = nxt[i]

    placements: dict[str, str] = {}
    remaining: dict[str, int] = {}
    for j, p in enumerate(place_ids):
        for negative in held[j]:
            placements[student_ids[-negative % n]] = p
        remaining[p] = max(cap[j], 0) - len(held[j])
    unplaced = tuple(sorted(s for s in student_ids if s not in placements))
    return Allocation(placements=placements, unplaced=unplaced, remaining=remaining)


def second_round(first: Allocation, preferences: Preferences, rankings: Rankings) -> Allocation:
    """Allocate the first round's unplaced students to the places it left open.

    ``preferences`` and ``rankings`` are the second round's own lists (students left
    unplaced usually list more places); students placed in the first round and places
    without remaining capacity take no part.
    """
    open_places = {p: c for p, c in first.remaining.items() if c > 0}
    return allocate(
        {s: preferences.get(s, ()) for s in first.unplaced},
        {p: rankings[p] for p in open_places if p in rankings},
        open_places,
    )


def combined(first: Allocation, second: Allocation) -> Allocation:
    """Both rounds as one allocation: the second's remaining and unplaced win."""
    remaining = dict(first.remaining)
    remaining.update(second.remaining)
    return Allocation(
        placements={**first.placements, **second.placements},
        unplaced=second.unplaced,
        remaining=remaining,
    )


def blocking_pairs(
    allocation: Allocation, preferences: Preferences, rankings: Rankings, capacities: Capacities
) -> list[tuple[str, str]]:
    """The (student, place) pairs that would both rather be matched to each other."""
    rank = {p: {s: r for r, s in enumerate(rankings.get(p, ()))} for p in capacities}
    worst: dict[str, int] = {}
    taken: dict[str, int] = dict.fromkeys(capacities, 0)
    for s, p in allocation.placements.items():
        taken[p] += 1
        worst[p] = max(worst.get(p, -1), rank[p][s])
    found = []
    for s, prefs in preferences.items():
        current = allocation.placements.get(s)
        for p in prefs:
            if p == current:
                break
            r = rank.get(p, {}).get(s)
            if r is None or capacities[p] < 1:
                continue
            if taken[p] < capacities[p] or r < worst[p]:
                found.append((s, p))
    return found


def inputs_hash(preferences: Preferences, rankings: Rankings, capacities: Capacities) -> str:
    """A canonical hash of a round's inputs: list order counts, mapping order does not."""
    canonical = json.dumps(
        {
            "capacities": dict(capacities),
            "preferences": {s: list(p) for s, p in preferences.items()},
            "rankings": {p: list(r) for p, r in rankings.items()},
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
