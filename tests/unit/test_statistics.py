from datetime import UTC, datetime, timedelta

from bureau.domain.statistics import OfferFacts, PlacementFacts, StudentFacts, compute

T0 = datetime(2026, 9, 1, tzinfo=UTC)


def _student(
    i: int, *, gender: str | None, level: str = "mbo-4", seen: tuple[str, ...] = ()
) -> StudentFacts:
    return StudentFacts(
        student_id=f"s-{i}",
        school_id="roc",
        level=level,
        levels_seen=frozenset({level, *seen}),
        gender=gender,
    )


def _placed(i: int, days: int) -> PlacementFacts:
    return PlacementFacts(
        student_id=f"s-{i}", offer_id="o-1", submitted_at=T0, decided_at=T0 + timedelta(days=days)
    )


def test_places_offered_and_filled_per_region_and_theme() -> None:
    offers = [
        OfferFacts(
            offer_id="o-1",
            region="1012",
            themes=frozenset({"cloud"}),
            levels=frozenset({"hbo"}),
            capacity=3,
            filled=2,
        ),
        OfferFacts(
            offer_id="o-2",
            region="1012",
            themes=frozenset({"cybersecurity"}),
            levels=frozenset({"hbo"}),
            capacity=1,
            filled=0,
        ),
    ]
    rows = {(r.dimension, r.value): r for r in compute(offers, [], [])}
    assert (rows["region", "1012"].places_offered, rows["region", "1012"].places_filled) == (4, 2)
    assert rows["region", "1012"].placement_rate == 0.5
    assert rows["theme", "cloud"].placement_rate == round(2 / 3, 4)


def test_places_offered_and_filled_per_level_beside_the_levels_student_figures() -> None:
    offers = [
        OfferFacts(
            offer_id="o-1",
            region="1012",
            themes=frozenset({"cloud"}),
            levels=frozenset({"mbo-4", "hbo"}),
            capacity=3,
            filled=2,
        ),
        OfferFacts(
            offer_id="o-2",
            region="3011",
            themes=frozenset({"cloud"}),
            levels=frozenset({"hbo"}),
            capacity=5,
            filled=1,
        ),
    ]
    students = [_student(i, gender=None, level="hbo") for i in range(4)]
    rows = compute(offers, students, [_placed(0, 3)])
    by = {(r.dimension, r.value): r for r in rows}
    hbo, mbo4 = by["level", "hbo"], by["level", "mbo-4"]
    # An offer open to two levels counts under each, as an offer counts under each theme.
    assert (hbo.places_offered, hbo.places_filled) == (8, 3)
    assert (mbo4.places_offered, mbo4.places_filled) == (3, 2)
    # One row per level: the places join the students' figures, whose rate stays placed/students.
    assert [(r.dimension, r.value) for r in rows].count(("level", "hbo")) == 1
    assert (hbo.students, hbo.students_placed, hbo.placement_rate) == (4, 1, 0.25)
    # A level with places and no students has a row with no students; one with students
    # and no offers has zero places, not "n/a".
    assert (mbo4.students, mbo4.students_placed) == (0, 0)
    [wo] = [
        r
        for r in compute(offers[1:], [_student(9, gender=None, level="wo")], [])
        if r.value == "wo"
    ]
    assert (wo.places_offered, wo.places_filled, wo.students) == (0, 0, 1)


def test_placement_rate_time_to_placement_and_continuation_per_school() -> None:
    students = [
        _student(1, gender=None),
        _student(2, gender=None, level="hbo", seen=("mbo-4",)),
        _student(3, gender=None),
        _student(4, gender=None),
    ]
    [row] = [
        r
        for r in compute([], students, [_placed(1, 10), _placed(2, 20)])
        if r.dimension == "school"
    ]
    assert (row.students, row.students_placed, row.placement_rate) == (4, 2, 0.5)
    assert row.median_days_to_placement == 15.0
    assert row.continued_mbo_to_hbo == 1


def test_female_share_only_for_ten_or_more_consenting_placed_students() -> None:
    nine = [_student(i, gender="female" if i < 3 else "male") for i in range(9)]
    placements = [_placed(i, 5) for i in range(12)]
    [row] = [r for r in compute([], nine, placements) if r.dimension == "school"]
    assert row.female_share_of_placed is None
    ten = [*nine, _student(9, gender="female"), _student(10, gender=None)]
    [row] = [r for r in compute([], ten, placements) if r.dimension == "school"]
    assert row.female_share_of_placed == 0.4
