"""Who may do what: the role rules, as plain values in and a reason (or None) out."""

from __future__ import annotations

from typing import Any

import pytest

from bureau.domain.book import Book, apply_application_event, apply_offer_event
from bureau.domain.decisions import Applied, Parked, Rejected, guarded
from bureau.domain.roles import (
    check_allocation_consent,
    check_registration,
    check_round_closer,
    check_round_opener,
    check_sender,
    check_student_owner,
    check_team,
)
from bureau.schemas import StudentProfile, application_event, offer_event
from bureau.schemas.envelope import BUREAU, Envelope
from bureau.schemas.examples import EXAMPLES
from bureau.schemas.organisations import OrganisationRegistered, OrganisationRegisteredData
from bureau.schemas.research import ResearchTeamProposed
from bureau.schemas.rounds import MatchingRoundClosed, MatchingRoundOpened, RoundDetails
from tests.support import events

SCHOOL, OTHER_SCHOOL, COMPANY, COORDINATOR = "roc-amsterdam", "nova-college", "acme", "cscmra"


def _envelope(event_type: str, source: str) -> Envelope:
    raw = events.envelope(event_type, source, {})
    del raw["data"]
    return Envelope.model_validate(raw)


def org(organisation_id: str, kind: str = "school") -> OrganisationRegisteredData:
    raw = events.organisation(organisation_id, kind) if kind == "school" else None
    raw = raw or events.regional_organisation(organisation_id, kind, region="1012")
    return OrganisationRegistered.model_validate(raw).data


def registration(organisation_id: str, kind: str = "school") -> OrganisationRegistered:
    raw = events.organisation(organisation_id, kind) if kind == "school" else None
    raw = raw or events.regional_organisation(organisation_id, kind, region="1012")
    return OrganisationRegistered.model_validate(raw)


def profile(student_id: str, school_id: str = SCHOOL, **kw: Any) -> StudentProfile:
    return StudentProfile.model_validate(
        events.student(student_id, school_id=school_id, **kw)["data"]
    )


def reason(rejected: Rejected | None) -> str | None:
    return None if rejected is None else rejected.reason


def says(decision: Rejected | Parked | None, refused: str | None) -> bool:
    """The rule allowed the event (``refused`` None), or refused it with that reason."""
    if refused is None:
        return decision is None
    return isinstance(decision, Rejected) and refused in decision.reason


@pytest.mark.parametrize(
    ("event_type", "source", "refused"),
    [
        ("PlacementAllocated", BUREAU, None),
        ("MatchingRoundRun", BUREAU, None),
        ("ApplicationRejected", BUREAU, None),
        ("ResearchTeamProposed", BUREAU, None),
        ("ApplicationRejected", COMPANY, None),
        ("InternshipOffered", COMPANY, None),
        ("PlacementAllocated", COMPANY, "PlacementAllocated may only come from bureau"),
        ("MatchingRoundRun", COORDINATOR, "MatchingRoundRun may only come from bureau"),
        ("InternshipOfferWithdrawn", BUREAU, "bureau never sends InternshipOfferWithdrawn"),
        ("OrganisationRegistered", BUREAU, "the source 'bureau' is reserved"),
        ("StudentErased", BUREAU, "bureau never sends StudentErased"),
    ],
)
def test_bureau_alone_speaks_as_bureau(event_type: str, source: str, refused: str | None) -> None:
    assert says(check_sender(_envelope(event_type, source)), refused)


@pytest.mark.parametrize(
    ("registered", "event", "refused"),
    [
        (None, registration(SCHOOL), None),
        (None, registration(COORDINATOR, "coordinator"), None),
        (org(SCHOOL), registration(SCHOOL), None),
        (None, registration(BUREAU, "company"), "the organisation id 'bureau' is reserved"),
        (
            org(COMPANY, "company"),
            registration(COMPANY),
            "organisation acme is registered as a company; its kind cannot change to school",
        ),
        (
            org(SCHOOL),
            registration(SCHOOL, "coordinator"),
            "is registered as a school; its kind cannot change to coordinator",
        ),
        (org(SCHOOL), registration(OTHER_SCHOOL), "nova-college may not change it"),
    ],
)
def test_the_first_registration_binds_an_id(
    registered: OrganisationRegisteredData | None,
    event: OrganisationRegistered,
    refused: str | None,
) -> None:
    assert says(check_registration(registered, event), refused)


def opened(source: str = COORDINATOR) -> MatchingRoundOpened:
    raw = EXAMPLES["MatchingRoundOpened"]
    raw = raw | {"source": source, "data": raw["data"] | {"coordinator_id": source}}
    return MatchingRoundOpened.model_validate(raw)


@pytest.mark.parametrize(
    ("opener", "event", "refused"),
    [
        (org(COORDINATOR, "coordinator"), opened(), None),
        (org(COMPANY, "company"), opened(COMPANY), "acme is a company"),
        (org(SCHOOL), opened(SCHOOL), "roc-amsterdam is a school"),
        (org(COORDINATOR, "coordinator"), opened(COMPANY), "acme is not one"),
    ],
)
def test_only_a_coordinator_opens_rounds(
    opener: OrganisationRegisteredData | None, event: MatchingRoundOpened, refused: str | None
) -> None:
    assert says(check_round_opener(opener, event), refused)


@pytest.mark.parametrize(
    ("closer", "refused"),
    [(COORDINATOR, None), ("other-coordinator", "only the round's coordinator may close it")],
)
def test_only_the_coordinator_that_opened_a_round_closes_it(
    closer: str, refused: str | None
) -> None:
    details = RoundDetails.model_validate(EXAMPLES["MatchingRoundOpened"]["data"])
    closing = MatchingRoundClosed.model_validate(
        EXAMPLES["MatchingRoundClosed"] | {"source": closer}
    )
    assert reason(check_round_closer(details, closing)) == refused


def team(source: str, *members: tuple[str, str]) -> ResearchTeamProposed:
    return ResearchTeamProposed.model_validate(events.team("q-1", "t-1", members, source=source))


PROFILES: dict[str, StudentProfile | None] = {
    "s-1": profile("s-1", level="hbo"),
    "s-2": profile("s-2", level="mbo-4"),
    "s-other": profile("s-other", OTHER_SCHOOL, level="hbo"),
    "s-no": profile("s-no", level="hbo", consent=False),
    "s-young": profile("s-young", level="hbo", age_band="under-16", consent=True),
    "s-erased": None,
}


@pytest.mark.parametrize(
    ("event", "proposer", "refused"),
    [
        (team(SCHOOL, ("s-1", "hbo"), ("s-2", "mbo-4")), org(SCHOOL), None),
        (team(BUREAU, ("s-1", "hbo"), ("s-other", "hbo")), None, None),
        (
            team(SCHOOL, ("s-1", "hbo"), ("s-other", "hbo")),
            org(SCHOOL),
            "student s-other is not a student of roc-amsterdam",
        ),
        (team(SCHOOL, ("s-no", "hbo")), org(SCHOOL), "student s-no: the student has not consented"),
        (team(SCHOOL, ("s-young", "hbo")), org(SCHOOL), "under 16, their guardian has not"),
        (team(BUREAU, ("s-no", "hbo")), None, "student s-no: the student has not consented"),
        (team(SCHOOL, ("s-1", "hbo"), ("s-erased", "hbo")), org(SCHOOL), "s-erased was erased"),
        (team(SCHOOL, ("s-1", "wo")), org(SCHOOL), "student s-1 is at level hbo, not wo"),
        (
            team(COMPANY, ("s-1", "hbo")),
            org(COMPANY, "company"),
            "only a registered school or bureau proposes teams, not acme",
        ),
    ],
)
def test_a_team_lists_only_consenting_students_of_its_school(
    event: ResearchTeamProposed, proposer: OrganisationRegisteredData | None, refused: str | None
) -> None:
    assert says(check_team(event, proposer, PROFILES), refused)


@pytest.mark.parametrize(
    ("student", "refused"),
    [
        (profile("s-1"), False),
        (profile("s-1", age_band="under-16", guardian_consent=True), False),
        (profile("s-1", age_band="under-16"), True),
        (profile("s-1", consent=False), True),
    ],
)
def test_consent_is_checked_again_at_allocation(student: StudentProfile, refused: bool) -> None:
    assert (check_allocation_consent(student) is not None) is refused


@pytest.mark.parametrize(
    ("owner", "source", "refused"),
    [
        (None, SCHOOL, None),
        (SCHOOL, SCHOOL, None),
        (SCHOOL, OTHER_SCHOOL, "nova-college may not change or erase a student of roc-amsterdam"),
    ],
)
def test_only_a_students_own_school_changes_or_erases_them(
    owner: str | None, source: str, refused: str | None
) -> None:
    assert reason(check_student_owner(owner, source)) == refused


def test_a_forged_allocation_does_not_place_a_student_without_consent() -> None:
    """The book re-checks consent: an allocation is no way around the guardian."""
    opened_book = apply_offer_event(None, offer_event.validate_python(events.offer("o-1")))
    assert isinstance(opened_book, Applied)
    book: Book = opened_book.state
    allocation = application_event.validate_python(
        events.application(
            "PlacementAllocated", "r-1-s-1", offer_id="o-1", source=BUREAU, round_id="r-1"
        )
    )
    young = profile("s-0001", age_band="under-16")
    result = apply_application_event(book, allocation, young)
    assert isinstance(result, Rejected)
    assert "guardian" in result.reason
    assert isinstance(apply_application_event(book, allocation, profile("s-0001")), Applied)


@pytest.mark.parametrize(
    ("decision", "waiting_for"),
    [
        (check_round_opener(None, opened()), "organisation:cscmra"),
        (check_team(team(SCHOOL, ("s-1", "hbo")), None, PROFILES), "organisation:roc-amsterdam"),
        (
            check_team(team(SCHOOL, ("s-1", "hbo"), ("s-9", "hbo")), org(SCHOOL), PROFILES),
            "student:s-9",
        ),
        (check_team(team(BUREAU, ("s-9", "hbo")), None, PROFILES), "student:s-9"),
    ],
)
def test_a_rule_waits_for_an_organisation_or_student_not_arrived_yet(
    decision: Rejected | Parked | None, waiting_for: str
) -> None:
    """Registrations travel on other topics: a round or team may come first, so it waits."""
    assert decision == Parked(waiting_for)


@pytest.mark.parametrize(
    ("decision", "rule", "expected"),
    [
        (Applied("state"), None, Applied("state")),
        (Applied("state"), Rejected("role"), Rejected("role")),
        (Applied("state"), Parked("organisation:x"), Parked("organisation:x")),
        (
            Rejected("the question is closed"),
            Parked("organisation:x"),
            Rejected("the question is closed"),
        ),
        (Parked("offer:o-1"), Rejected("role"), Parked("offer:o-1")),
    ],
)
def test_the_aggregates_own_answer_comes_before_the_role_rule(
    decision: Applied[str] | Rejected | Parked,
    rule: Rejected | Parked | None,
    expected: Applied[str] | Rejected | Parked,
) -> None:
    assert guarded(decision, rule) == expected
