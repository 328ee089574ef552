import uuid
from typing import Any

import pytest

from bureau.domain.matching import (
    MATCH_NAMESPACE,
    offers_for_student,
    students_for_offer,
    suggest,
    suggestion_id,
    told_id,
)
from bureau.schemas.common import Level
from tests.support.domain import make_offer, make_student


@pytest.mark.parametrize(
    ("student_kw", "offer_kw"),
    [
        ({"level": Level.WO}, {}),
        ({"skills": frozenset({"excel"})}, {}),
        ({"consent": False}, {}),
        ({}, {"capacity": 0}),
    ],
    ids=["level-not-accepted", "no-shared-skill", "no-consent", "offer-full"],
)
def test_ineligible_pairs_get_no_suggestion(
    student_kw: dict[str, Any], offer_kw: dict[str, Any]
) -> None:
    assert suggest(make_offer(**offer_kw), make_student(**student_kw)) is None


def test_a_suggestion_says_why() -> None:
    s = suggest(make_offer(), make_student(skills=frozenset({"linux", "python", "go"})))
    assert s is not None
    assert s.score == 0.9832  # every skill and nearby; two of seven levels cost a little
    assert s.reasons == ("level mbo-4 is accepted", "shared skills: linux, python")


def test_suggestion_ids_derive_from_the_pair_only() -> None:
    assert suggestion_id("o-1", "s-1") == suggestion_id("o-1", "s-1")
    assert suggestion_id("o-1", "s-1") != suggestion_id("o-1", "s-2")


def test_a_told_id_derives_from_the_pair_and_both_versions() -> None:
    assert told_id("o-1", "s-1", 2, 3) == told_id("o-1", "s-1", 2, 3)
    assert told_id("o-1", "s-1", 2, 3) != told_id("o-1", "s-1", 3, 2)
    assert told_id("o-1", "s-1", 2, 3) != told_id("o-1", "s-2", 2, 3)
    assert told_id("o-1", "s-1", 2, 3) != suggestion_id("o-1", "s-1")


@pytest.mark.parametrize(
    ("offer_id", "student_id", "versions"),
    [("o-1", "s-1", (2, 3)), ("offer.x_9", "stu-0007", (1, 40)), ("a", "b", (1234567, 1))],
)
def test_ids_are_rfc_4122_uuid5_of_the_names_fixed_forever(
    offer_id: str, student_id: str, versions: tuple[int, int]
) -> None:
    # Ids are computed without uuid.uuid5 (for speed); they must stay its values, or a
    # replay after an upgrade would tell every pair again under new ids.
    pair = uuid.uuid5(MATCH_NAMESPACE, f"MatchSuggested/{offer_id}/{student_id}")
    assert suggestion_id(offer_id, student_id) == pair
    assert told_id(offer_id, student_id, *versions) == uuid.uuid5(
        pair, f"{versions[0]}/{versions[1]}"
    )
    assert told_id(offer_id, student_id, *versions).version == 5


def test_a_suggestion_id_is_the_one_replays_have_always_had() -> None:
    assert suggestion_id("o-1", "s-1") == uuid.UUID("c91a2941-5201-5fbe-98e7-de569322b3f9")


def test_ranking_is_best_first_and_deterministic() -> None:
    offer = make_offer(skills=frozenset({"linux", "python"}))
    students = [
        make_student("s-b"),
        make_student("s-a"),
        make_student("s-best", skills=frozenset({"linux", "python"})),
    ]
    ranked = students_for_offer(offer, students, limit=10)
    assert [s.student_id for s in ranked] == ["s-best", "s-a", "s-b"]
    assert students_for_offer(offer, reversed(students), limit=10) == ranked
    assert len(students_for_offer(offer, students, limit=2)) == 2


def test_offers_for_a_student_are_ranked_too() -> None:
    student = make_student(skills=frozenset({"linux", "python"}))
    offers = [make_offer("o-2", skills=frozenset({"linux", "c"})), make_offer("o-1")]
    assert [s.offer_id for s in offers_for_student(student, offers, limit=5)] == ["o-1", "o-2"]
