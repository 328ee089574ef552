"""The offer's placement book: the application lifecycle and capacity, as pure rules."""

from __future__ import annotations

from typing import Any

import pytest

from bureau.domain.book import (
    CLOSED,
    TRANSITIONS,
    Book,
    apply_application_event,
    apply_offer_event,
)
from bureau.domain.decisions import Applied, Parked, Rejected
from bureau.schemas import (
    ApplicationEvent,
    OfferEvent,
    PlacementStatus,
    StudentProfile,
    application_event,
    offer_event,
)
from tests.support import events

COMPANY, SCHOOL = "acme-security", "roc-amsterdam"
COMPANY_EVENTS = {
    "CandidateShortlisted",
    "ApplicationRejected",
    "PlacementOffered",
    "PlacementConfirmed",
    "PlacementCompleted",
}
EXTRA: dict[str, dict[str, Any]] = {
    "PlacementConfirmed": {"start": "2027-02-01", "end": "2027-06-30"},
    "PlacementCompleted": {"rating": 4},
    "ApplicationRejected": {"reason": "not a fit"},
}
PATH = [
    "CandidateShortlisted",
    "PlacementOffered",
    "PlacementAccepted",
    "PlacementConfirmed",
    "PlacementCompleted",
]


def student(student_id: str = "s-1", **kw: Any) -> StudentProfile:
    return StudentProfile.model_validate(events.student(student_id, **kw)["data"])


def app_event(
    event_type: str, app_id: str = "a-1", student_id: str = "s-1", **kw: Any
) -> ApplicationEvent:
    source = COMPANY if event_type in COMPANY_EVENTS else SCHOOL
    raw = events.application(
        event_type,
        app_id,
        student_id=student_id,
        source=source,
        offer_id="o-1",
        **(EXTRA.get(event_type, {}) | kw),
    )
    return application_event.validate_python(raw)


def offer_evt(raw: dict[str, Any]) -> OfferEvent:
    return offer_event.validate_python(raw)


def open_book(capacity: int = 2) -> Book:
    result = apply_offer_event(None, offer_evt(events.offer("o-1", capacity=capacity)))
    assert isinstance(result, Applied)
    return result.state


def step(book: Book, event: ApplicationEvent, who: StudentProfile | None = None) -> Book:
    result = apply_application_event(book, event, who or student())
    assert isinstance(result, Applied), result
    return result.state


def test_the_happy_path_tells_the_school_at_every_step() -> None:
    book = step(open_book(), app_event("ApplicationSubmitted"))
    statuses = [book.applications["a-1"].status]
    for event_type in PATH:
        result = apply_application_event(book, app_event(event_type), student())
        assert isinstance(result, Applied)
        book = result.state
        [outcome] = result.outcomes
        assert outcome.school_id == SCHOOL
        statuses.append(outcome.status)
    assert statuses == ["submitted", "shortlisted", "offered", "accepted", "confirmed", "completed"]
    app = book.applications["a-1"]
    assert app.rating == 4
    assert [h.event_type for h in app.history] == ["ApplicationSubmitted", *PATH]


def _book_in(status: PlacementStatus) -> Book:
    # Drive a fresh application along the lifecycle until it reaches ``status``.
    routes = {
        "submitted": [],
        "shortlisted": ["CandidateShortlisted"],
        "offered": ["PlacementOffered"],
        "accepted": ["PlacementOffered", "PlacementAccepted"],
        "declined": ["PlacementOffered", "PlacementDeclined"],
        "confirmed": ["PlacementOffered", "PlacementAccepted", "PlacementConfirmed"],
        "completed": [
            "PlacementOffered",
            "PlacementAccepted",
            "PlacementConfirmed",
            "PlacementCompleted",
        ],
        "rejected": ["ApplicationRejected"],
        "withdrawn": ["ApplicationWithdrawn"],
    }
    book = step(open_book(), app_event("ApplicationSubmitted"))
    for event_type in routes[status.value]:
        book = step(book, app_event(event_type))
    assert book.applications["a-1"].status is status
    return book


@pytest.mark.parametrize(
    ("status", "event_type"),
    [(s, e) for e, moves in TRANSITIONS.items() for s in PlacementStatus if s not in moves],
)
def test_every_illegal_transition_is_rejected_with_a_reason(
    status: PlacementStatus, event_type: str
) -> None:
    book = _book_in(status)
    # A closed application leaves the book at its next change; the caller then hands
    # it in from the applications view, and the same rule refuses the event.
    closed = book.applications["a-1"] if status in CLOSED else None
    result = apply_application_event(book, app_event(event_type), student(), closed)
    assert result == Rejected(f"illegal transition: {event_type} on a {status.value} application")


def test_confirming_a_placement_never_offered_is_illegal() -> None:
    book = step(open_book(), app_event("ApplicationSubmitted"))
    result = apply_application_event(book, app_event("PlacementConfirmed"), student())
    assert isinstance(result, Rejected)
    assert "illegal transition: PlacementConfirmed on a submitted" in result.reason


def test_capacity_never_goes_below_zero_and_oversubscription_is_an_explicit_rejection() -> None:
    book = open_book(capacity=1)
    for app_id, sid in (("a-1", "s-1"), ("a-2", "s-2")):
        book = step(book, app_event("ApplicationSubmitted", app_id, sid), student(sid))
    book = step(book, app_event("PlacementOffered", "a-1", "s-1"))
    result = apply_application_event(
        book, app_event("PlacementOffered", "a-2", "s-2"), student("s-2")
    )
    assert isinstance(result, Applied)
    assert result.state.remaining == 0
    [outcome] = result.outcomes
    assert (outcome.status, outcome.reason) == ("rejected", "no places left")
    [rejection] = result.emitted
    assert rejection.event_type == "ApplicationRejected"
    assert rejection.source == "bureau"


def test_withdrawn_offers_take_no_applications_and_end_open_ones() -> None:
    book = step(open_book(), app_event("ApplicationSubmitted"))
    result = apply_offer_event(book, offer_evt(events.withdrawal("o-1")))
    assert isinstance(result, Applied)
    [outcome] = result.outcomes
    assert (outcome.status, outcome.reason) == ("rejected", "offer withdrawn")
    again = apply_application_event(
        result.state, app_event("ApplicationSubmitted", "a-9", "s-9"), student("s-9")
    )
    assert again == Rejected("the offer is withdrawn and takes no applications")


@pytest.mark.parametrize(
    ("event_type", "source", "reason"),
    [
        ("PlacementOffered", SCHOOL, "may only come from the offering company"),
        ("PlacementAccepted", COMPANY, "may only come from the student's school"),
    ],
)
def test_partners_only_speak_for_themselves(event_type: str, source: str, reason: str) -> None:
    book = step(open_book(), app_event("ApplicationSubmitted"))
    if event_type == "PlacementAccepted":
        book = step(book, app_event("PlacementOffered"))
    event = app_event(event_type).model_copy(update={"source": source})
    result = apply_application_event(book, event, student())
    assert isinstance(result, Rejected)
    assert reason in result.reason


@pytest.mark.parametrize(
    ("profile", "reason"),
    [
        ({"consent": False}, "has not consented"),
        ({"age_band": "under-16"}, "has not consented"),
        ({"level": "wo"}, "does not take level wo"),
    ],
)
def test_applications_need_consent_and_an_accepted_level(
    profile: dict[str, Any], reason: str
) -> None:
    result = apply_application_event(
        open_book(), app_event("ApplicationSubmitted"), student(**profile)
    )
    assert isinstance(result, Rejected)
    assert reason in result.reason


def test_under_16_with_guardian_consent_may_apply() -> None:
    who = student(age_band="under-16", guardian_consent=True)
    assert isinstance(
        apply_application_event(open_book(), app_event("ApplicationSubmitted"), who), Applied
    )


def test_an_application_before_its_offer_or_student_is_parked() -> None:
    assert apply_application_event(None, app_event("ApplicationSubmitted"), student()) == Parked(
        "offer:o-1"
    )
    assert apply_application_event(open_book(), app_event("ApplicationSubmitted"), None) == Parked(
        "student:s-1"
    )


def test_capacity_cannot_be_lowered_below_places_held() -> None:
    book = step(open_book(capacity=2), app_event("ApplicationSubmitted"))
    book = step(book, app_event("PlacementOffered"))
    result = apply_offer_event(
        book, offer_evt(events.offer("o-1", capacity=1, event_type="InternshipOfferUpdated"))
    )
    assert isinstance(result, Applied)
    result = apply_offer_event(
        book.model_copy(update={"offer": book.offer.model_copy(update={"capacity": 2})}),
        offer_evt(events.offer("o-1", capacity=1, event_type="InternshipOfferUpdated")),
    )
    assert isinstance(result, Applied)
    book = step(book, app_event("PlacementAccepted"))
    book = step(book, app_event("ApplicationSubmitted", "a-2", "s-2"), student("s-2"))
    book = step(book, app_event("PlacementOffered", "a-2", "s-2"), student("s-2"))
    too_low = apply_offer_event(
        book, offer_evt(events.offer("o-1", capacity=1, event_type="InternshipOfferUpdated"))
    )
    assert too_low == Rejected("capacity 1 is below the 2 places held")


def test_a_closed_application_leaves_the_book_at_its_next_change_and_keeps_its_place() -> None:
    book = open_book(capacity=2)
    for app_id, sid in (("a-1", "s-1"), ("a-2", "s-2"), ("a-3", "s-3")):
        book = step(book, app_event("ApplicationSubmitted", app_id, sid), student(sid))
    for event_type in PATH:
        book = step(book, app_event(event_type, "a-1", "s-1"))
    assert book.applications["a-1"].status is PlacementStatus.COMPLETED  # closed just now
    book = step(book, app_event("ApplicationRejected", "a-2", "s-2"))
    assert list(book.applications) == ["a-2", "a-3"]  # a-1 left at this next change
    book = step(book, app_event("CandidateShortlisted", "a-3", "s-3"))

    assert list(book.applications) == ["a-3"]  # only what is live
    assert (book.completed, book.filled, book.remaining) == (1, 1, 1)
    book = step(book, app_event("PlacementOffered", "a-3", "s-3"))
    assert (book.held, book.remaining) == (2, 0)  # the completed place counts
    update = events.offer("o-1", capacity=1, event_type="InternshipOfferUpdated")
    refused = apply_offer_event(book, offer_evt(update))
    assert refused == Rejected("capacity 1 is below the 2 places held")


@pytest.mark.parametrize("event_type", ["ApplicationSubmitted", "PlacementAllocated"])
def test_an_application_id_taken_before_stays_taken_after_it_left_the_book(
    event_type: str,
) -> None:
    book = step(open_book(), app_event("ApplicationSubmitted"))
    book = step(book, app_event("ApplicationWithdrawn"))
    gone = book.applications["a-1"]
    book = step(book, app_event("ApplicationSubmitted", "a-2", "s-2"), student("s-2"))
    assert "a-1" not in book.applications
    if event_type == "PlacementAllocated":
        again = app_event(event_type, round_id="r-1").model_copy(update={"source": "bureau"})
    else:
        again = app_event(event_type)
    assert apply_application_event(book, again, student(), gone) == Rejected(
        "application a-1 exists"
    )
    # The control: without what the view keeps, the id would be taken twice.
    assert isinstance(apply_application_event(book, again, student()), Applied)
