"""The ``matching`` package (PyPI) as the reference for a round; tests and benchmarks only."""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from matching.games import HospitalResident

from bureau.domain.rounds import Capacities, Preferences, Rankings

T = TypeVar("T")

_DEEP_STACK_BYTES = 1 << 30
_DEEP_RECURSION = 10_000_000


def _deep(fn: Callable[[], T]) -> T:
    # `matching` deep-copies its web of players recursively, one frame per link, which
    # overflows the default stack from about a thousand students on.
    result: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(fn())
        except BaseException as e:  # re-raised in the caller's thread
            errors.append(e)

    limit = sys.getrecursionlimit()
    size = threading.stack_size(_DEEP_STACK_BYTES)
    sys.setrecursionlimit(_DEEP_RECURSION)
    try:
        worker = threading.Thread(target=run)
        worker.start()
        worker.join()
    finally:
        sys.setrecursionlimit(limit)
        threading.stack_size(size)
    if errors:
        raise errors[0]
    return result[0]


def oracle_game(preferences: Preferences, rankings: Rankings, capacities: Capacities) -> Any:
    """Build ``matching``'s hospital-resident game from a round's inputs.

    ``matching`` wants mutually consistent lists (a hospital ranks exactly the residents
    who rank it) and no empty lists, so both sides are cut to the acceptable pairs first;
    that cut changes no stable allocation.
    """
    ranked = {p: set(r) for p, r in rankings.items() if capacities.get(p, 0) > 0}
    residents = {
        s: [p for p in prefs if s in ranked.get(p, ())] for s, prefs in preferences.items()
    }
    residents = {s: ps for s, ps in residents.items() if ps}
    listed = {s: set(ps) for s, ps in residents.items()}
    hospitals = {p: [s for s in rankings[p] if p in listed.get(s, ())] for p in ranked}
    hospitals = {p: rs for p, rs in hospitals.items() if rs}
    capacity = {p: capacities[p] for p in hospitals}

    def build() -> Any:
        with warnings.catch_warnings():
            # A warning means the lists above were inconsistent: fail loudly instead.
            warnings.simplefilter("error")
            return HospitalResident.create_from_dictionaries(residents, hospitals, capacity)

    return _deep(build)


def oracle_solve(game: Any) -> dict[str, str]:
    """Solve the game student-optimally ("resident" side); student id -> place id."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        solution = game.solve(optimal="resident")
    return {str(r.name): str(h.name) for h, rs in solution.items() for r in rs}


def oracle_allocation(
    preferences: Preferences, rankings: Rankings, capacities: Capacities
) -> dict[str, str]:
    """The student-optimal stable allocation according to ``matching``."""
    return oracle_solve(oracle_game(preferences, rankings, capacities))
