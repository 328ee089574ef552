"""What identifies an event beyond its id: its record key and the digest of its body."""

from __future__ import annotations

import hashlib

from bureau.schemas import applications as app
from bureau.schemas import lectures, matches, offers, organisations, outcomes, research, rounds
from bureau.schemas import students as st
from bureau.schemas.envelope import Envelope

KEY_FIELD: dict[type[Envelope], str] = {
    **dict.fromkeys(
        (offers.InternshipOffered, offers.InternshipOfferUpdated, offers.InternshipOfferWithdrawn),
        "offer_id",
    ),
    # Applications are keyed by offer, so one offer's book is read in order.
    **dict.fromkeys(
        (
            app.ApplicationSubmitted,
            app.ApplicationWithdrawn,
            app.CandidateShortlisted,
            app.ApplicationRejected,
            app.PlacementOffered,
            app.PlacementAccepted,
            app.PlacementDeclined,
            app.PlacementConfirmed,
            app.PlacementCompleted,
            app.PlacementAllocated,
        ),
        "offer_id",
    ),
    **dict.fromkeys(
        (
            st.StudentRegistered,
            st.StudentProfileUpdated,
            st.StudentErased,
            st.ConsentGiven,
            st.ConsentWithdrawn,
        ),
        "student_id",
    ),
    organisations.OrganisationRegistered: "organisation_id",
    **dict.fromkeys(
        (
            research.ResearchQuestionPosted,
            research.ResearchQuestionClosed,
            research.ResearchTeamProposed,
        ),
        "question_id",
    ),
    **dict.fromkeys(
        (
            lectures.GuestLectureRequested,
            lectures.GuestLectureBooked,
            lectures.GuestLectureCancelled,
        ),
        "request_id",
    ),
    lectures.SpecialistAvailable: "specialist_id",
    **dict.fromkeys(
        (
            rounds.MatchingRoundOpened,
            rounds.PreferencesSubmitted,
            rounds.ApplicantsRanked,
            rounds.MatchingRoundClosed,
            rounds.MatchingRoundRun,
        ),
        "round_id",
    ),
    matches.MatchSuggested: "offer_id",
    matches.LectureMatchSuggested: "request_id",
    matches.ResearchMatchSuggested: "question_id",
    outcomes.PlacementOutcome: "student_id",
    outcomes.ConsentWithdrawalApplied: "student_id",
}
"""Event class -> the field of its ``data`` that is its record key."""
KEY_FIELD_BY_TYPE: dict[str, str] = {cls.__name__: field for cls, field in KEY_FIELD.items()}
"""The same by ``event_type`` (each class is named after its event type), for raw JSON."""


def aggregate_id(event: Envelope) -> str:
    """Return the id of the aggregate ``event`` belongs to: its record key."""
    field = KEY_FIELD[type(event)]
    data: object = getattr(event, "data", None)  # every event type has data; the base has not
    return str(getattr(data, field))


def body_digest(body: bytes) -> str:
    """The SHA-256 of ``body``, hex."""
    return hashlib.sha256(body).hexdigest()


def event_digest(event: Envelope) -> str:
    """The digest of ``event``'s canonical JSON: what bureau keeps of each applied body.

    Equal for equal events whatever their bytes: bureau re-publishes parked events from
    their model, so one event can arrive as other bytes (key order, spacing, ``Z``).
    """
    return body_digest(event.model_dump_json().encode())
