from dataclasses import fields
from datetime import date
from typing import Any

import pytest

from bureau.domain.eligibility import Ineligible, Rules, why_ineligible
from bureau.domain.geo import SAME_REGION_KM, distance_km, region_of, regions_within
from bureau.domain.matching import Offer, Student, suggest
from bureau.domain.scoring import (
    Weights,
    distance_fit,
    explain,
    level_fit,
    score_changed_materially,
)
from bureau.schemas.common import Level, Period
from tests.support.domain import make_offer, make_student

SPRING = Period(start=date(2027, 2, 1), end=date(2027, 6, 30))
AUTUMN = Period(start=date(2027, 9, 1), end=date(2028, 1, 31))


@pytest.mark.parametrize(
    ("offer_kw", "student_kw", "expected"),
    [
        ({}, {}, None),
        ({}, {"consent": False}, Ineligible.NO_CONSENT),
        ({"capacity": 0}, {}, Ineligible.OFFER_CLOSED),
        ({"capacity": 2, "filled": 2}, {}, Ineligible.OFFER_CLOSED),
        ({"withdrawn": True}, {}, Ineligible.OFFER_CLOSED),
        ({}, {"level": Level.WO}, Ineligible.LEVEL),
        ({}, {"skills": frozenset({"excel"})}, Ineligible.NO_SHARED_SKILL),
        ({"period": SPRING}, {"available": AUTUMN}, Ineligible.PERIOD),
        (
            {"period": SPRING},
            {"available": Period(start=date(2027, 6, 30), end=date(2027, 7, 31))},
            None,
        ),
        ({"period": SPRING}, {}, None),
        ({}, {"region": "9711"}, Ineligible.DISTANCE),
        ({}, {"region": "9711", "max_travel_km": 200}, None),
        ({"remote": True}, {"region": "9711"}, None),
        ({}, {"region": "1012", "max_travel_km": 0}, None),
        ({}, {"max_travel_km": 0}, Ineligible.DISTANCE),
        ({"capacity": 0}, {"consent": False, "level": Level.WO}, Ineligible.NO_CONSENT),
    ],
    ids=[
        "eligible",
        "no-consent",
        "no-capacity",
        "all-places-filled",
        "withdrawn",
        "level-not-accepted",
        "no-shared-skill",
        "periods-apart",
        "periods-share-one-day",
        "student-available-any-time",
        "too-far",
        "far-but-willing",
        "remote-offer",
        "same-area-zero-travel",
        "next-area-zero-travel",
        "first-failing-rule-wins",
    ],
)
def test_eligibility(
    offer_kw: dict[str, Any], student_kw: dict[str, Any], expected: Ineligible | None
) -> None:
    offer, student = make_offer(**offer_kw), make_student(**student_kw)
    assert why_ineligible(offer, student) is expected
    assert (suggest(offer, student) is None) is (expected is not None)


def test_the_default_travel_limit_comes_from_the_rules() -> None:
    offer, student = make_offer(region="3011"), make_student(region="1012")  # ~57 km
    assert why_ineligible(offer, student) is Ineligible.DISTANCE
    assert why_ineligible(offer, student, Rules(default_max_travel_km=60)) is None


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [
        ("1012", "1012", 0),
        ("1012", "1091", SAME_REGION_KM),
        ("1012", "3011", 57),  # Amsterdam - Rotterdam
        ("3511", "1012", 35),  # Utrecht - Amsterdam
        ("6211", "9711", 270),  # Maastricht - Groningen
    ],
)
def test_distances_between_postcode_areas(a: str, b: str, km: int) -> None:
    assert distance_km(a, b) == km == distance_km(b, a)


@pytest.mark.parametrize("area", ["0123", "123", "12345", "abcd"])
def test_a_postcode_area_has_four_digits(area: str) -> None:
    with pytest.raises(ValueError, match="postcode area"):
        region_of(area)


def test_regions_within_a_radius_are_nearest_first() -> None:
    assert regions_within(10, 0) == [(10, 0)]
    near = regions_within(10, 40)
    assert near[0] == (10, 0)
    assert [km for _, km in near] == sorted(km for _, km in near)
    assert {11, 15, 20, 35} <= {r for r, _ in near}
    assert 30 not in {r for r, _ in near}  # Rotterdam, ~57 km


@pytest.mark.parametrize(
    ("levels", "fit"),
    [({Level.HBO}, 1.0), ({Level.MBO_4, Level.HBO}, 1 - 1 / 7), (set(Level), 1 / 7)],
)
def test_level_fit_favours_an_offer_aimed_at_one_level(levels: set[Level], fit: float) -> None:
    assert level_fit(make_offer(levels=frozenset(levels))) == pytest.approx(fit)


@pytest.mark.parametrize(("km", "fit"), [(0, 1.0), (10, 1.0), (55, 0.5), (100, 0.0), (250, 0.0)])
def test_distance_fit_falls_linearly_after_nearby(km: float, fit: float) -> None:
    assert distance_fit(km) == pytest.approx(fit)


@pytest.mark.parametrize(
    ("offer_kw", "student_kw", "value", "reasons"),
    [
        (
            {"levels": frozenset({Level.MBO_4})},
            {"skills": frozenset({"python", "linux"})},
            1.0,
            ("level mbo-4 is accepted", "shared skills: linux, python"),
        ),
        (
            {"levels": frozenset({Level.MBO_4})},
            {"skills": frozenset({"linux"})},
            round((0.25 + 0.1 + 0.25) / 0.85, 4),
            ("level mbo-4 is accepted", "shared skills: linux"),
        ),
        (
            {"levels": frozenset({Level.MBO_4}), "themes": frozenset({"cloud", "data"})},
            {"skills": frozenset({"python", "linux"}), "themes": frozenset({"data"})},
            round((0.5 + 0.075 + 0.1 + 0.25) / 1.0, 4),
            ("level mbo-4 is accepted", "shared skills: linux, python", "theme: data"),
        ),
        (
            {"levels": frozenset({Level.MBO_4}), "region": "3011"},
            {"skills": frozenset({"python", "linux"}), "max_travel_km": 80},
            round((0.5 + 0.1 + 0.25 * 43 / 90) / 0.85, 4),
            ("level mbo-4 is accepted", "shared skills: linux, python", "about 57 km away"),
        ),
        (
            {"levels": frozenset({Level.MBO_4}), "region": "9711", "remote": True},
            {"skills": frozenset({"python", "linux"})},
            1.0,
            ("level mbo-4 is accepted", "shared skills: linux, python", "remote"),
        ),
    ],
    ids=["perfect", "half-the-skills", "shared-theme", "far", "remote"],
)
def test_a_score_says_why(
    offer_kw: dict[str, Any],
    student_kw: dict[str, Any],
    value: float,
    reasons: tuple[str, ...],
) -> None:
    score = explain(make_offer(**offer_kw), make_student(**student_kw))
    assert score.value == value
    assert score.reasons == reasons


def test_equal_input_gives_an_equal_score() -> None:
    skills = ["python", "linux", "go", "sql", "rust", "c"]
    a = make_offer(skills=frozenset(skills))
    b = make_offer(skills=frozenset(reversed(skills)))
    student = make_student(skills=frozenset({"sql", "go", "c"}))
    assert explain(a, student) == explain(b, student)
    assert explain(a, student).reasons[1] == "shared skills: c, go, sql"


def test_weights_shape_the_score() -> None:
    offer = make_offer(skills=frozenset({"a", "b", "c", "d"}))
    student = make_student(skills=frozenset({"a"}))
    only_skills = Weights(skills=1, theme=0, level=0, distance=0)
    assert explain(offer, student, only_skills).value == 0.25


@pytest.mark.parametrize(
    "kw",
    [
        {"skills": -0.1},
        {"skills": 0, "level": 0, "distance": 0},
        {"nearby_km": 50, "far_km": 50},
    ],
)
def test_weights_are_validated(kw: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        Weights(**kw)


def test_gender_is_no_input_to_matching() -> None:
    for model in (Offer, Student):
        assert not {"gender", "sex"} & {f.name for f in fields(model)}


@pytest.mark.parametrize(
    ("previous", "current", "material"), [(0.8, 0.8, False), (0.8, 0.83, False), (0.8, 0.86, True)]
)
def test_a_material_score_change(previous: float, current: float, material: bool) -> None:
    assert score_changed_materially(previous, current) is material
