from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bureau.domain import search
from bureau.domain.index import CandidateIndex
from bureau.domain.matching import (
    Offer,
    Student,
    Suggestion,
    offers_for_student,
    students_for_offer,
)
from bureau.domain.scoring import Weights
from bureau.schemas.common import Level, Period
from tests.support.domain import make_offer, make_student

AREAS = ["1012", "1013", "1091", "1181", "2011", "2511", "3011", "3511", "6211", "9711"]
SKILLS = ["python", "linux", "go", "sql", "excel", "cad"]
THEMES = ["cloud", "data", "cybersecurity"]
# Few levels, so that an offer has enough candidates for the index's bounds to matter.
LEVELS = [Level.MBO_4, Level.HBO, Level.WO]
PERIODS = [
    None,
    Period(start=date(2027, 2, 1), end=date(2027, 6, 30)),
    Period(start=date(2027, 6, 1), end=date(2027, 12, 31)),
]


def _subset(
    items: list[str], min_size: int = 0, max_size: int = 3
) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(items), min_size=min_size, max_size=max_size)


STUDENT_IDS = [f"s-{i}" for i in range(25)]
# Distance-heavy weights make far students with more shared skills lose to near ones
# with fewer, which is where a wrong bound in the index would show.
WEIGHTS = [
    Weights(),
    Weights(skills=0.2, theme=0.3, level=0.1, distance=0.4, nearby_km=0, far_km=60),
]

students = st.builds(
    Student,
    student_id=st.sampled_from(STUDENT_IDS),
    school_id=st.just("roc"),
    level=st.sampled_from(LEVELS),
    skills=_subset(SKILLS, max_size=4),
    region=st.sampled_from(AREAS),
    consent=st.sampled_from([True, True, True, False]),
    available=st.sampled_from(PERIODS),
    themes=_subset(THEMES, max_size=2),
    max_travel_km=st.sampled_from([None, 10, 40, 200]),
)

offers = st.builds(
    Offer,
    offer_id=st.sampled_from([f"o-{i}" for i in range(8)]),
    company_id=st.just("acme"),
    title=st.just("Intern"),
    levels=st.frozensets(st.sampled_from(LEVELS), min_size=1, max_size=2),
    skills=_subset(SKILLS, min_size=1),
    region=st.sampled_from(AREAS),
    capacity=st.integers(0, 3),
    filled=st.integers(0, 1),
    withdrawn=st.sampled_from([False, False, False, True]),
    period=st.sampled_from(PERIODS),
    themes=_subset(THEMES, max_size=2),
    remote=st.booleans(),
)

OFFER_IDS = [f"o-{i}" for i in range(8)]

# Each way the search can take: as it chooses, and with each shortcut refused, so that
# the path a small test never needs (regions alone, counting, a country-wide set that
# grows too large half-way) is held to the full scan as well.
PATHS = [
    {},
    {"RAREST": 0},
    {"MAX_SUBSETS": 0},
    {"NATIONAL": 1},
]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(students, min_size=5, max_size=40),
    st.lists(offers, min_size=1, max_size=12),
    st.lists(st.sampled_from(STUDENT_IDS), max_size=4),
    st.lists(st.sampled_from(OFFER_IDS), max_size=3),
    st.lists(offers, min_size=1, max_size=3),
    st.sampled_from(WEIGHTS),
    st.sampled_from(PATHS),
)
def test_the_index_finds_what_a_full_scan_finds(
    upserted_students: list[Student],
    upserted_offers: list[Offer],
    removed_students: list[str],
    removed_offers: list[str],
    new_offers: list[Offer],
    weights: Weights,
    path: dict[str, int],
) -> None:
    index = CandidateIndex(weights=weights)
    # Repeated ids replace earlier versions, as a profile update does.
    live_students = {s.student_id: s for s in upserted_students}
    live_offers = {o.offer_id: o for o in upserted_offers}
    for student in upserted_students:
        index.upsert_student(student)
    for offer in upserted_offers:
        index.upsert_offer(offer)
    for student_id in removed_students:
        index.remove_student(student_id)
        live_students.pop(student_id, None)
    for offer_id in removed_offers:
        index.remove_offer(offer_id)
        live_offers.pop(offer_id, None)

    with pytest.MonkeyPatch.context() as patch:
        for name, value in path.items():
            patch.setattr(search, name, value)
        for offer in [*live_offers.values(), *new_offers]:
            for k in (1, 3, 20):
                expected = students_for_offer(offer, live_students.values(), k, weights=weights)
                assert index.students_for_offer(offer, k) == expected
    for student in upserted_students:
        for k in (1, 3, 20):
            expected = offers_for_student(student, live_offers.values(), k, weights=weights)
            assert index.offers_for_student(student, k) == expected


def test_a_query_reads_only_nearby_regions_and_accepted_levels() -> None:
    index = CandidateIndex()
    index.upsert_student(make_student("s-near"))
    index.upsert_student(make_student("s-far", region="9711"))
    index.upsert_student(make_student("s-wo", level=Level.WO))
    index.upsert_student(make_student("s-silent", consent=False))
    assert index.student_count == 3
    found = index.students_for_offer(make_offer(), 10)
    assert [s.student_id for s in found] == ["s-near"]


def test_a_nearer_student_with_fewer_skills_can_come_first() -> None:
    offer = make_offer(levels=frozenset({Level.MBO_4}), themes=frozenset({"cloud"}))
    # Both skills but 147 km away (0.5 + 0.1) vs one skill, the theme and near (0.75).
    far = make_student("a-far", region="9711", max_travel_km=300, skills=offer.skills)
    near = make_student("z-near", themes=frozenset({"cloud"}))
    index = CandidateIndex()
    index.upsert_student(far)
    index.upsert_student(near)
    assert [s.student_id for s in index.students_for_offer(offer, 1)] == ["z-near"]


def test_a_tie_across_skill_groups_breaks_on_id() -> None:
    offer = make_offer(levels=frozenset({Level.MBO_4}))
    far = make_student("z-far", region="9711", max_travel_km=300, skills=offer.skills)
    near = make_student("a-near")
    index = CandidateIndex()
    index.upsert_student(far)
    index.upsert_student(near)
    [a, z] = students_for_offer(offer, [far, near], 2)
    assert a.score == z.score
    assert index.students_for_offer(offer, 1) == [a]


def test_updates_and_removals_take_effect() -> None:
    index = CandidateIndex()
    index.upsert_student(make_student("s-1"))
    index.upsert_offer(make_offer("o-1"))
    assert [s.offer_id for s in index.offers_for_student(make_student("s-1"), 5)] == ["o-1"]

    index.upsert_student(make_student("s-1", skills=frozenset({"excel"})))
    assert index.students_for_offer(make_offer("o-1"), 5) == []
    index.upsert_offer(make_offer("o-1", filled=1))
    assert index.offer_count == 0
    assert index.offers_for_student(make_student("s-1"), 5) == []

    index.upsert_student(make_student("s-1"))
    index.remove_student("s-1")
    index.remove_student("never-seen")
    assert len(index) == 0
    assert index.students_for_offer(make_offer("o-1"), 5) == []


def test_remote_offers_reach_students_anywhere() -> None:
    index = CandidateIndex()
    index.upsert_offer(make_offer("o-remote", region="9711", remote=True))
    index.upsert_offer(make_offer("o-groningen", region="9711"))
    index.upsert_student(make_student("s-maastricht", region="6211"))
    found = index.offers_for_student(make_student("s-maastricht", region="6211"), 5)
    assert [s.offer_id for s in found] == ["o-remote"]
    remote = make_offer("o-remote", region="9711", remote=True)
    assert [s.student_id for s in index.students_for_offer(remote, 5)] == ["s-maastricht"]


@pytest.mark.parametrize("limit", [0, -1])
def test_no_limit_no_candidates(limit: int) -> None:
    index = CandidateIndex(weights=Weights(skills=1))
    index.upsert_student(make_student())
    index.upsert_offer(make_offer())
    assert index.students_for_offer(make_offer(), limit) == []
    assert index.offers_for_student(make_student(), limit) == []


class _Recorded(dict[tuple[int, Level], dict[str, set[str]]]):
    """Postings that note which regions a query read."""

    def __init__(self, postings: dict[tuple[int, Level], dict[str, set[str]]]) -> None:
        super().__init__(postings)
        self.regions: set[int] = set()

    def get(self, key: tuple[int, Level], default: object = None) -> object:  # type: ignore[override]
        self.regions.add(key[0])
        return super().get(key, default)


def _near_and_groningen(limit: int) -> tuple[list[Suggestion], list[Suggestion], _Recorded]:
    """Three students near the offer share all its skills; one in Groningen shares one
    skill fewer, 150 km away. The index's top ``limit``, the full scan's, and the
    regions whose postings the index read."""
    offer = make_offer(levels=frozenset({Level.MBO_4}))
    near = [make_student(f"s-{i}", skills=offer.skills) for i in range(3)]
    far = make_student("s-far", region="9711", max_travel_km=300, skills=frozenset({"linux"}))
    index = CandidateIndex()
    for student in [*near, far]:
        index.upsert_student(student)
    recorded = _Recorded(index._student_postings)
    index._student_postings = recorded
    found = index.students_for_offer(offer, limit)
    return found, students_for_offer(offer, [*near, far], limit), recorded


@pytest.mark.parametrize(("limit", "reads_groningen"), [(3, False), (4, True)])
def test_a_full_top_k_leaves_the_farther_regions_unread(
    limit: int, reads_groningen: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A top 3 is full before Groningen comes; the control asks for 4, so Groningen's
    # postings must be read, and are. Region by region (the country-wide sets
    # refused), as a dense exchange reads the skills few share.
    monkeypatch.setattr(search, "RAREST", 0)
    found, expected, recorded = _near_and_groningen(limit)
    assert found == expected
    assert (97 in recorded.regions) is reads_groningen
    assert 10 in recorded.regions


@pytest.mark.parametrize(("rarest", "reads_regions"), [(search.RAREST, False), (0, True)])
def test_who_shares_every_skill_is_found_country_wide(
    rarest: int, reads_regions: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The top 3 share every skill: the country-wide postings find them and no region's
    # postings are read. Control: with the country-wide sets refused, they are.
    monkeypatch.setattr(search, "RAREST", rarest)
    found, expected, recorded = _near_and_groningen(3)
    assert found == expected
    assert bool(recorded.regions) is reads_regions
