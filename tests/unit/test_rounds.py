import itertools
import random
from collections import Counter
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.oracle import oracle_allocation
from bureau.domain.rounds import (
    ALGORITHM_VERSION,
    Allocation,
    Capacities,
    Preferences,
    Rankings,
    allocate,
    blocking_pairs,
    combined,
    inputs_hash,
    second_round,
)

Instance = tuple[dict[str, list[str]], dict[str, list[str]], dict[str, int]]


@st.composite
def instances(draw: st.DrawFn, max_students: int = 9, max_places: int = 4) -> Instance:
    """Random rounds, including lists the other side does not reciprocate."""
    students = [f"s{i}" for i in range(draw(st.integers(0, max_students)))]
    places = [f"p{j}" for j in range(draw(st.integers(1, max_places)))]
    preferences = {
        s: draw(st.permutations(places))[: draw(st.integers(0, len(places)))] for s in students
    }
    rankings = {
        p: draw(st.permutations(students))[: draw(st.integers(0, len(students)))] for p in places
    }
    capacities = {p: draw(st.integers(0, 3)) for p in places}
    return preferences, rankings, capacities


def _acceptable(s: str, p: str, preferences: Preferences, rankings: Rankings) -> bool:
    return p in preferences.get(s, ()) and s in rankings.get(p, ())


def _stable(
    placements: Mapping[str, str],
    preferences: Preferences,
    rankings: Rankings,
    capacities: Capacities,
) -> bool:
    # Written from the definition, independently of rounds.blocking_pairs.
    taken = Counter(placements.values())
    for s, prefs in preferences.items():
        mine = placements.get(s)
        better = prefs[: prefs.index(mine)] if mine is not None else prefs
        for p in better:
            if not _acceptable(s, p, preferences, rankings) or capacities[p] < 1:
                continue
            if taken[p] < capacities[p]:
                return False
            holders = [t for t, q in placements.items() if q == p]
            if any(rankings[p].index(s) < rankings[p].index(t) for t in holders):
                return False
    return True


@pytest.mark.parametrize(
    ("preferences", "rankings", "capacities", "expected"),
    [
        (
            {"a": ["x", "y"], "b": ["x", "y"]},
            {"x": ["b", "a"], "y": ["a", "b"]},
            {"x": 1, "y": 1},
            {"b": "x", "a": "y"},
        ),
        (
            {"a": ["x"], "b": ["x"], "c": ["x"]},
            {"x": ["c", "a", "b"]},
            {"x": 2},
            {"c": "x", "a": "x"},
        ),
        (
            {"a": ["x", "y"], "b": ["y", "x"]},
            {"x": ["b", "a"], "y": ["a", "b"]},
            {"x": 1, "y": 1},
            {"a": "x", "b": "y"},
        ),
        ({"a": ["x"]}, {"x": ["b"]}, {"x": 1}, {}),
        ({"a": ["x", "y"]}, {"x": ["a"], "y": ["a"]}, {"x": 0, "y": 1}, {"a": "y"}),
        ({"a": ["nowhere", "x"]}, {"x": ["a"]}, {"x": 1}, {"a": "x"}),
    ],
    ids=[
        "place-choice-wins",
        "capacity-two",
        "students-get-first-choices",
        "unranked-is-unacceptable",
        "zero-capacity-is-skipped",
        "unknown-place-is-skipped",
    ],
)
def test_small_rounds(
    preferences: dict[str, list[str]],
    rankings: dict[str, list[str]],
    capacities: dict[str, int],
    expected: dict[str, str],
) -> None:
    allocation = allocate(preferences, rankings, capacities)
    assert allocation.placements == expected
    assert allocation.unplaced == tuple(sorted(set(preferences) - set(expected)))


def test_remaining_capacity_is_reported() -> None:
    allocation = allocate({"a": ["x"], "b": ["y"]}, {"x": ["a"], "y": []}, {"x": 3, "y": 1})
    assert allocation.remaining == {"x": 2, "y": 1}
    assert allocation.students_at("x") == ["a"]


@pytest.mark.parametrize(
    ("preferences", "rankings", "capacities", "message"),
    [
        ({"a": ["x", "x"]}, {"x": ["a"]}, {"x": 1}, "lists a place twice"),
        ({"a": ["x"]}, {"x": ["a", "a"]}, {"x": 1}, "ranks a student twice"),
        ({"a": ["x"]}, {"x": ["a"]}, {}, "has no capacity"),
    ],
)
def test_malformed_inputs_are_refused(
    preferences: Preferences, rankings: Rankings, capacities: Capacities, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        allocate(preferences, rankings, capacities)


@settings(max_examples=300, deadline=None)
@given(instances())
def test_a_round_is_stable_within_capacity_and_equals_the_oracle(instance: Instance) -> None:
    preferences, rankings, capacities = instance
    allocation = allocate(preferences, rankings, capacities)
    placed = allocation.placements

    assert all(_acceptable(s, p, preferences, rankings) for s, p in placed.items())
    taken = Counter(placed.values())
    assert all(taken[p] <= capacities[p] for p in capacities)
    assert all(allocation.remaining[p] == max(capacities[p], 0) - taken[p] for p in capacities)
    assert set(placed).isdisjoint(allocation.unplaced)
    assert set(placed) | set(allocation.unplaced) == set(preferences)

    assert _stable(placed, preferences, rankings, capacities)
    assert blocking_pairs(allocation, preferences, rankings, capacities) == []
    assert placed == oracle_allocation(preferences, rankings, capacities)


def _stable_allocations(
    preferences: Preferences, rankings: Rankings, capacities: Capacities
) -> list[dict[str, str]]:
    students = list(preferences)
    options = [
        [None, *(p for p in preferences[s] if _acceptable(s, p, preferences, rankings))]
        for s in students
    ]
    found = []
    for choice in itertools.product(*options):
        placed = {s: p for s, p in zip(students, choice, strict=True) if p is not None}
        if any(n > capacities[p] for p, n in Counter(placed.values()).items()):
            continue
        if _stable(placed, preferences, rankings, capacities):
            found.append(placed)
    return found


@settings(max_examples=150, deadline=None)
@given(instances(max_students=5, max_places=3))
def test_every_student_does_at_least_as_well_as_in_any_stable_allocation(
    instance: Instance,
) -> None:
    preferences, rankings, capacities = instance
    ours = allocate(preferences, rankings, capacities).placements

    def rank(s: str, p: str | None) -> int:
        return len(preferences[s]) if p is None else preferences[s].index(p)

    stable = _stable_allocations(preferences, rankings, capacities)
    assert ours in stable
    for other in stable:
        assert all(rank(s, ours.get(s)) <= rank(s, other.get(s)) for s in preferences)


@settings(max_examples=100, deadline=None)
@given(instances(), st.randoms(use_true_random=False))
def test_input_order_changes_neither_the_allocation_nor_the_hash(
    instance: Instance, rng: random.Random
) -> None:
    preferences, rankings, capacities = instance

    def shuffled(d: dict[str, list[str]] | dict[str, int]) -> dict[str, object]:
        items = list(d.items())
        rng.shuffle(items)
        return dict(items)

    other = (shuffled(preferences), shuffled(rankings), shuffled(capacities))
    assert allocate(*other) == allocate(preferences, rankings, capacities)  # type: ignore[arg-type]
    assert inputs_hash(*other) == inputs_hash(preferences, rankings, capacities)  # type: ignore[arg-type]


def test_the_hash_sees_list_order_and_every_input() -> None:
    base = ({"a": ["x", "y"]}, {"x": ["a"], "y": ["a"]}, {"x": 1, "y": 1})
    h = inputs_hash(*base)
    assert h.startswith("sha256:")
    assert inputs_hash({"a": ["y", "x"]}, base[1], base[2]) != h
    assert inputs_hash(base[0], {"x": ["a"], "y": []}, base[2]) != h
    assert inputs_hash(base[0], base[1], {"x": 2, "y": 1}) != h
    assert ALGORITHM_VERSION


def test_a_second_round_places_the_unplaced_in_what_is_left() -> None:
    preferences = {"a": ["x"], "b": ["x"], "c": ["x"]}
    rankings = {"x": ["a", "b", "c"], "y": ["b", "c"], "z": ["c"]}
    capacities = {"x": 1, "y": 1, "z": 0}
    first = allocate(preferences, rankings, capacities)
    assert first.placements == {"a": "x"}

    # Unplaced students list more places; "a" is placed and "x" and "z" are full.
    again = {"a": ["y"], "b": ["x", "y"], "c": ["y", "z"]}
    second = second_round(first, again, rankings)
    assert second.placements == {"b": "y"}
    assert second.unplaced == ("c",)

    both = combined(first, second)
    assert both.placements == {"a": "x", "b": "y"}
    assert both.unplaced == ("c",)
    assert both.remaining == {"x": 0, "y": 0, "z": 0}


@settings(max_examples=150, deadline=None)
@given(instances(), instances())
def test_two_rounds_never_place_anyone_twice_or_overfill(
    first_in: Instance, again: Instance
) -> None:
    preferences, rankings, capacities = first_in
    first = allocate(preferences, rankings, capacities)
    # Second-round lists drawn independently, over the same ids.
    second = second_round(first, again[0], rankings)
    both = combined(first, second)

    assert set(second.placements) <= set(first.unplaced)
    taken = Counter(both.placements.values())
    assert all(taken[p] <= capacities[p] for p in capacities)
    assert set(both.unplaced) == set(preferences) - set(both.placements)


def test_an_allocation_is_a_plain_value() -> None:
    a = allocate({"a": ["x"]}, {"x": ["a"]}, {"x": 1})
    assert a == Allocation(placements={"a": "x"}, unplaced=(), remaining={"x": 0})
