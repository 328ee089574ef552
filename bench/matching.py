"""Benchmark of the matching engine (not a test): ``python -m bench.matching``.

Prints three tables, from one seeded run:

(a) time per new offer to produce its top-K students, through the in-memory index and
    through a full scan, at 1k, 10k and 100k students;
(b) a matching round by bureau and by the ``matching`` package on the same instances,
    at growing sizes until ``matching`` would exceed its time budget;
(c) bureau alone at 50k students x 5k places x 10 preferences.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import platform
import random
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import date
from functools import partial
from typing import TypeVar

from bench.oracle import oracle_game, oracle_solve
from bureau.domain.index import CandidateIndex
from bureau.domain.matching import Offer, Student, offers_for_student, students_for_offer
from bureau.domain.rounds import allocate, blocking_pairs, inputs_hash
from bureau.schemas.common import Level, Period, Theme

SEED = 20260601
TOP_K = 20
LEVELS = list(Level)
LEVEL_WEIGHTS = [5, 2, 8, 10, 25, 30, 20]
SKILLS = [f"skill-{i:03d}" for i in range(200)]
# Skill popularity is skewed (python and linux are everywhere, cobol is not).
SKILL_WEIGHTS = list(itertools.accumulate(1 / (i + 1) ** 0.9 for i in range(len(SKILLS))))
THEMES = [t.value for t in Theme]
PERIODS = [
    None,
    Period(start=date(2027, 2, 1), end=date(2027, 6, 30)),
    Period(start=date(2027, 9, 1), end=date(2028, 1, 31)),
]

T = TypeVar("T")

_clock = time.process_time
"""CPU time of this process: other load on a shared machine does not inflate it."""


def _area(rng: random.Random) -> str:
    return f"{rng.randint(10, 99)}{rng.randint(0, 99):02d}"


def _skills(rng: random.Random, lo: int, hi: int) -> frozenset[str]:
    n = rng.randint(lo, hi)
    picked: set[str] = set()
    while len(picked) < n:
        picked.update(rng.choices(SKILLS, cum_weights=SKILL_WEIGHTS, k=n - len(picked)))
    return frozenset(picked)


def make_students(n: int, rng: random.Random) -> list[Student]:
    """``n`` synthetic students spread over the country."""
    return [
        Student(
            student_id=f"s-{i:06d}",
            school_id=f"school-{rng.randint(1, 300)}",
            level=rng.choices(LEVELS, weights=LEVEL_WEIGHTS)[0],
            skills=_skills(rng, 3, 8),
            region=_area(rng),
            consent=rng.random() < 0.95,
            available=rng.choice(PERIODS),
            themes=frozenset(rng.sample(THEMES, rng.randint(0, 2))),
            max_travel_km=rng.choice([None, None, 20, 30, 80]),
        )
        for i in range(n)
    ]


def make_offers(n: int, rng: random.Random) -> list[Offer]:
    """``n`` synthetic open offers, each for one to three adjacent levels."""
    offers = []
    for i in range(n):
        first = rng.choices(range(len(LEVELS)), weights=LEVEL_WEIGHTS)[0]
        levels = frozenset(LEVELS[first : first + rng.randint(1, 3)])
        offers.append(
            Offer(
                offer_id=f"o-{i:06d}",
                company_id=f"company-{rng.randint(1, 2000)}",
                title="Internship",
                levels=levels,
                skills=_skills(rng, 2, 5),
                region=_area(rng),
                capacity=rng.randint(1, 4),
                period=rng.choice(PERIODS),
                themes=frozenset(rng.sample(THEMES, rng.randint(0, 1))),
                remote=rng.random() < 0.05,
            )
        )
    return offers


def _per_call(fn: Callable[[T], object], items: Sequence[T]) -> float:
    start = _clock()
    for item in items:
        fn(item)
    return (_clock() - start) / len(items)


def _top_k_by_index(index: CandidateIndex, offer: Offer) -> object:
    return index.students_for_offer(offer, TOP_K)


def _top_k_by_scan(students: list[Student], offer: Offer) -> object:
    return students_for_offer(offer, students, TOP_K)


def bench_index(sizes: Sequence[int], queries: int) -> None:
    """(a) Top-K per new offer: the index against a full scan."""
    rng = random.Random(SEED)
    all_students = make_students(max(sizes), rng)
    new_offers = make_offers(queries, rng)
    print(f"\n(a) Top-{TOP_K} students for a new offer ({queries} offers, mean per offer)")
    print(
        f"{'students':>9} {'index build':>12} {'index':>10} {'full scan':>11} "
        f"{'speed-up':>9} {'index growth':>13}"
    )
    first: float | None = None
    for n in sizes:
        students = all_students[:n]
        start = _clock()
        index = CandidateIndex()
        for s in students:
            index.upsert_student(s)
        build = _clock() - start
        per_index = _per_call(partial(_top_k_by_index, index), new_offers)
        # The full scan is slow at 100k: fewer offers suffice for its mean.
        sample = new_offers[: max(10, queries * 1000 // n)]
        per_scan = _per_call(partial(_top_k_by_scan, students), sample)
        for o in sample:
            assert index.students_for_offer(o, TOP_K) == students_for_offer(o, students, TOP_K)
        first = first or per_index
        print(
            f"{n:>9,} {build:>11.2f}s {per_index * 1e3:>8.3f}ms {per_scan * 1e3:>9.2f}ms "
            f"{per_scan / per_index:>8.0f}x {per_index / first:>12.1f}x"
        )

    offers = make_offers(5000, rng)
    index = CandidateIndex()
    for o in offers:
        index.upsert_offer(o)
    new_students = all_students[:queries]
    per_index = _per_call(lambda s: index.offers_for_student(s, TOP_K), new_students)
    per_scan = _per_call(lambda s: offers_for_student(s, offers, TOP_K), new_students[:50])
    print(
        f"Top-{TOP_K} offers for a new student among 5,000 offers: index "
        f"{per_index * 1e3:.3f} ms, full scan {per_scan * 1e3:.2f} ms"
    )


Round = tuple[dict[str, list[str]], dict[str, list[str]], dict[str, int]]


def make_round(students: int, places: int, prefs: int, rng: random.Random) -> Round:
    """A round: popular places listed more often, applicants ranked by merit plus noise."""
    place_ids = [f"p-{j:05d}" for j in range(places)]
    popularity = list(itertools.accumulate(1 / (j + 1) ** 0.8 for j in range(places)))
    preferences: dict[str, list[str]] = {}
    applicants: dict[str, list[str]] = {p: [] for p in place_ids}
    merit: dict[str, float] = {}
    for i in range(students):
        s = f"s-{i:06d}"
        merit[s] = rng.random()
        chosen: dict[int, None] = {}
        while len(chosen) < prefs:
            for j in rng.choices(range(places), cum_weights=popularity, k=prefs):
                chosen.setdefault(j)
                if len(chosen) == prefs:
                    break
        preferences[s] = [place_ids[j] for j in chosen]
        for j in chosen:
            applicants[place_ids[j]].append(s)
    rankings = {
        p: sorted(a, key=lambda s: merit[s] + 0.3 * rng.random()) for p, a in applicants.items()
    }
    capacities = {p: rng.randint(1, 18) for p in place_ids}
    return preferences, rankings, capacities


def _timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = _clock()
    result = fn()
    return result, _clock() - start


def bench_rounds(sizes: Sequence[int], budget: float) -> None:
    """(b) A round by bureau and by ``matching``, same instances, growing sizes."""
    print(f"\n(b) One round, bureau vs matching 1.4.3 (10 preferences each; budget {budget:.0f} s)")
    print(
        f"{'students':>9} {'places':>7} {'bureau':>9} {'matching build':>15} "
        f"{'matching solve':>15} {'matching total':>15} {'ratio':>7} {'solve ratio':>12}"
    )
    history: list[tuple[int, float]] = []
    for n in sizes:
        if len(history) >= 2:
            (n0, t0), (n1, t1) = history[-2:]
            growth = math.log(t1 / t0) / math.log(n1 / n0)
            predicted = t1 * (n / n1) ** growth
            if predicted > budget:
                print(
                    f"{n:>9,} {n // 10:>7,}  stopped: matching predicted ~{predicted:.0f} s "
                    f"(time grows ~n^{growth:.1f})"
                )
                return
        prefs, ranks, caps = make_round(n, n // 10, 10, random.Random(SEED + n))
        ours, t_bureau = _timed(partial(allocate, prefs, ranks, caps))
        game, t_build = _timed(partial(oracle_game, prefs, ranks, caps))
        theirs, t_solve = _timed(partial(oracle_solve, game))
        assert ours.placements == theirs, "bureau and matching disagree"
        total = t_build + t_solve
        history.append((n, total))
        print(
            f"{n:>9,} {n // 10:>7,} {t_bureau:>8.3f}s {t_build:>14.2f}s {t_solve:>14.2f}s "
            f"{total:>14.2f}s {total / t_bureau:>6.0f}x {t_solve / t_bureau:>11.0f}x"
        )


def bench_large_round(students: int, places: int, prefs: int, repeat: int) -> None:
    """(c) bureau alone on a large round."""
    data, t_make = _timed(lambda: make_round(students, places, prefs, random.Random(SEED)))
    preferences, rankings, capacities = data
    times, walls = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        allocation, t = _timed(lambda: allocate(preferences, rankings, capacities))
        walls.append(time.perf_counter() - started)
        times.append(t)
    _, t_hash = _timed(lambda: inputs_hash(preferences, rankings, capacities))
    blocking, t_check = _timed(
        lambda: blocking_pairs(allocation, preferences, rankings, capacities)
    )
    print(f"\n(c) bureau alone: {students:,} students x {places:,} places x {prefs} preferences")
    median = statistics.median(times)
    print(f"{'allocation, CPU (median of ' + str(repeat) + ')':<34} {median:>7.3f} s")
    print(f"{'allocation, CPU (best)':<34} {min(times):>7.3f} s")
    print(f"{'allocation, wall (median)':<34} {statistics.median(walls):>7.3f} s")
    print(f"{'inputs hash':<34} {t_hash:>7.3f} s")
    print(f"{'blocking-pair check':<34} {t_check:>7.3f} s  ({len(blocking)} blocking pairs)")
    print(
        f"placed {len(allocation.placements):,}, unplaced {len(allocation.unplaced):,}, "
        f"seats {sum(capacities.values()):,} (instance built in {t_make:.1f} s)"
    )


def main() -> None:
    """Run the three benchmarks and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--budget", type=float, default=120.0, help="matching's time budget (s)")
    args = parser.parse_args()
    print(
        f"bureau matching benchmark - Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, seed {SEED}"
    )
    if args.quick:
        bench_index([1_000, 10_000], queries=50)
        bench_rounds([1_000, 2_000], budget=args.budget)
        bench_large_round(5_000, 500, 10, repeat=1)
        return
    bench_index([1_000, 10_000, 100_000], queries=200)
    bench_rounds(
        [1_000, 2_000, 5_000, 10_000, 20_000, 25_000, 30_000, 40_000, 50_000], budget=args.budget
    )
    bench_large_round(50_000, 5_000, 10, repeat=5)


if __name__ == "__main__":
    main()
