"""Personal fields sealed under each student's key, and the scrubbing of erasure."""

import json

from pydantic import TypeAdapter

from bureau.domain.collaboration import Question
from bureau.domain.erasure import pairs_of, ranking_without, scrub_question, without_student
from bureau.privacy.fields import (
    SEALED,
    seal_by_student,
    seal_personal,
    student_named,
    unseal,
    unseal_by_student,
)
from bureau.privacy.keys import InMemoryKeyStore
from bureau.schemas.examples import EXAMPLES
from bureau.schemas.matches import MatchSuggested
from bureau.schemas.outcomes import PlacementOutcome
from bureau.schemas.research import QuestionDetails, TeamProposal


async def test_a_sealed_match_suggestion_is_still_a_valid_event_and_opens_again() -> None:
    keys = InMemoryKeyStore()
    event = EXAMPLES["MatchSuggested"]
    sealed = await seal_personal(event, keys)
    assert "reasons" not in sealed["data"]
    assert "linux" not in json.dumps(sealed)
    TypeAdapter(MatchSuggested).validate_python(sealed)
    assert await unseal(sealed, keys) == event


async def test_a_dumped_model_with_an_empty_sealed_field_is_sealed() -> None:
    keys = InMemoryKeyStore()
    event = TypeAdapter(MatchSuggested).validate_python(EXAMPLES["MatchSuggested"])
    sealed = await seal_personal(event.model_dump(mode="json"), keys)
    assert sealed["data"][SEALED] is not None
    assert "reasons" not in sealed["data"]


async def test_a_sealed_outcome_hides_reason_and_dates_and_keeps_the_status() -> None:
    keys = InMemoryKeyStore()
    event = {**EXAMPLES["PlacementOutcome"]}
    event["data"] = {**event["data"], "reason": "late twice"}
    sealed = await seal_personal(event, keys)
    assert set(sealed["data"]) >= {"status", SEALED}
    assert "start" not in sealed["data"]
    TypeAdapter(PlacementOutcome).validate_python(sealed)
    assert await unseal(sealed, keys) == event


async def test_after_erasure_a_token_stays_shut_and_new_data_is_dropped() -> None:
    keys = InMemoryKeyStore()
    view = {"student_id": "st-1", "status": "completed", "rating": 2, "history": ["remark"]}
    sealed = await seal_personal(view, keys, kind="applications")
    await keys.delete("st-1")
    assert await unseal(sealed, keys, kind="applications") == sealed
    late = await seal_personal(view, keys, kind="applications")
    assert late == {"student_id": "st-1", "status": "completed"}


async def test_sealing_twice_changes_nothing() -> None:
    keys = InMemoryKeyStore()
    view = {"student_id": "st-1", "start": "2027-01-01", "end": "2027-02-01"}
    once = await seal_personal(view, keys, kind="placements")
    assert await seal_personal(once, keys, kind="placements") == once


async def test_a_parked_record_is_sealed_whole_under_the_student_it_names() -> None:
    keys = InMemoryKeyStore()
    value = json.dumps(EXAMPLES["PlacementCompleted"])
    student = student_named(value)
    assert student == "st-7f3a"
    entry = {"topic": "bureau.applications.v1", "key": "soc-analyst", "value": value}
    sealed = await seal_personal(entry, keys, kind="parked", student_id=student)
    assert "careful" not in json.dumps(sealed)
    assert sealed["topic"] == entry["topic"]
    assert await unseal(sealed, keys, kind="parked", student_id=student) == entry


async def test_round_preferences_are_sealed_per_student() -> None:
    keys = InMemoryKeyStore()
    entries = {"st-1": ["soc-analyst"], "st-2": ["pentest"]}
    sealed = await seal_by_student(entries, keys)
    await keys.delete("st-1")
    assert await unseal_by_student(sealed, keys) == {"st-2": ["pentest"]}


def test_unknown_records_have_no_personal_fields() -> None:
    assert student_named(b"not json") is None
    assert student_named(json.dumps({"data": {"offer_id": "x"}})) is None


def test_erasure_takes_the_student_out_of_teams_rankings_preferences_and_pair_scores() -> None:
    details = QuestionDetails.model_validate(
        {**EXAMPLES["ResearchQuestionPosted"]["data"], "composition": []}
    )
    team = TeamProposal.model_validate(EXAMPLES["ResearchTeamProposed"]["data"])
    solo = TeamProposal(question_id="dune-crowds", team_id="solo", members=team.members[:1])
    question = Question(details=details, teams={team.team_id: team, "solo": solo})
    gone = scrub_question(question, "st-11aa")
    assert set(gone.teams) == {team.team_id}
    assert [m.student_id for m in gone.teams[team.team_id].members] == ["st-22bb", "st-33cc"]
    assert without_student({"st-1": [1], "st-2": [2]}, "st-1") == {"st-2": [2]}
    assert ranking_without(["st-1", "st-2"], "st-1") == ["st-2"]
    assert pairs_of(["o1/st-1", "o2/st-12", "o3/st-1"], "st-1") == ["o1/st-1", "o3/st-1"]


async def test_sealing_and_opening_leave_the_given_document_alone() -> None:
    keys = InMemoryKeyStore()
    event = json.loads(json.dumps(EXAMPLES["MatchSuggested"]))
    before = json.dumps(event)
    sealed = await seal_personal(event, keys)
    assert json.dumps(event) == before
    frozen = json.dumps(sealed)
    await unseal(sealed, keys)
    assert json.dumps(sealed) == frozen
