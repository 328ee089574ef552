"""Guest lectures match both ways; research questions find schools and mixed teams."""

from __future__ import annotations

from typing import Any

import pytest

from bureau.domain.collaboration import team_problem
from bureau.domain.collaboration_matching import (
    lecture_fit,
    propose_team,
    requests_for_specialist,
    schools_for_question,
    specialists_for_request,
)
from bureau.schemas.examples import EXAMPLES
from bureau.schemas.lectures import LectureRequest, SpecialistDetails
from bureau.schemas.organisations import OrganisationRegisteredData
from bureau.schemas.research import QuestionDetails
from bureau.schemas.students import StudentProfile


def request(**kw: Any) -> LectureRequest:
    return LectureRequest.model_validate(EXAMPLES["GuestLectureRequested"]["data"] | kw)


def specialist(sid: str = "sp-1", **kw: Any) -> SpecialistDetails:
    data = EXAMPLES["SpecialistAvailable"]["data"] | {"specialist_id": sid}
    return SpecialistDetails.model_validate(data | kw)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"levels": ["wo"]}, "level"),
        ({"languages": ["en"]}, "language"),
        ({"available": {"start": "2028-01-01", "end": "2028-02-01"}}, "dates"),
        ({"themes": ["cloud"]}, "theme"),
        ({"region": "9999"}, "distance"),
    ],
)
def test_a_specialist_who_cannot_give_the_lecture_is_not_suggested(
    change: dict[str, Any], why: str
) -> None:
    assert lecture_fit(request(), specialist(**change)) is None, why


def test_lectures_match_both_ways_with_reasons_and_the_same_id() -> None:
    [one] = specialists_for_request(request(), [specialist()], limit=5)
    [other] = requests_for_specialist(specialist(), [request()], limit=5)
    assert one == other
    assert one.reasons[0] == "teaches mbo-4 in nl"
    assert "themes: vr-ar" in one.reasons


def test_nearer_specialists_rank_first_and_ties_break_on_id() -> None:
    far, near, twin = specialist("sp-far", region="4530"), specialist("sp-near"), specialist("sp-a")
    ranked = specialists_for_request(request(), [far, near, twin], limit=5)
    assert [p.right for p in ranked] == ["sp-a", "sp-near", "sp-far"]


def question(**kw: Any) -> QuestionDetails:
    return QuestionDetails.model_validate(EXAMPLES["ResearchQuestionPosted"]["data"] | kw)


def school(oid: str, levels: list[str], region: str = "2011") -> OrganisationRegisteredData:
    return OrganisationRegisteredData(
        organisation_id=oid,
        kind="school",
        name=oid,
        region=region,
        levels=levels,
        themes=["data"],
    )


def test_research_questions_go_to_schools_that_teach_a_wanted_level() -> None:
    orgs = [
        school("nova", ["mbo-4"]),
        school("vmbo-x", ["vmbo"]),
        school("far-uni", ["wo"], "9711"),
    ]
    ranked = schools_for_question(question(), orgs, limit=5)
    assert [p.right for p in ranked] == ["nova", "far-uni"]


def student(sid: str, level: str, **kw: Any) -> StudentProfile:
    base = {
        "student_id": sid,
        "school_id": "nova",
        "level": level,
        "programme": "ICT",
        "region": "2011",
        "age_band": "18+",
        "consent": True,
    }
    return StudentProfile.model_validate(base | kw)


def test_a_proposed_team_meets_every_composition_wish() -> None:
    pool = [
        student("s-1", "mbo-4"),
        student("s-2", "hbo"),
        student("s-3", "wo"),
        student("s-4", "hbo", themes=["data"]),
        student("s-5", "mbo-4", consent=False),
    ]
    team = propose_team(question(), pool, "team-1")
    assert team is not None
    assert [m.student_id for m in team.members] == ["s-1", "s-4", "s-3"]
    assert team_problem(question(), team) == ""


def test_no_team_when_a_wish_cannot_be_met() -> None:
    assert propose_team(question(), [student("s-1", "mbo-4"), student("s-2", "hbo")], "t") is None
