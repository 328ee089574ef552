"""Who may do what: roles from the organisation registry, as pure rules.

Each rule returns ``Rejected(reason)`` when the event must be refused, else None; a rule
that needs an organisation or a student from another topic returns ``Parked`` while that
has not arrived. The caller loads what a rule needs (registrations, round, profiles).
"""

from __future__ import annotations

from collections.abc import Mapping

from bureau.domain.decisions import Parked, Rejected, organisation_ref, student_ref
from bureau.schemas.envelope import BUREAU, Envelope
from bureau.schemas.organisations import (
    OrganisationKind,
    OrganisationRegistered,
    OrganisationRegisteredData,
)
from bureau.schemas.research import ResearchTeamProposed
from bureau.schemas.rounds import MatchingRoundClosed, MatchingRoundOpened, RoundDetails
from bureau.schemas.students import StudentProfile

RESERVED_IDS = frozenset({BUREAU})
"""Organisation ids nobody may register."""
BUREAU_ONLY = frozenset({"PlacementAllocated", "MatchingRoundRun"})
"""Events only bureau sends (bureau-proposed teams: see ``check_team``)."""
BUREAU_SENDS = BUREAU_ONLY | {"ApplicationRejected", "ResearchTeamProposed"}
"""Every inbound event type bureau itself publishes (and so reads back)."""
NO_CONSENT = "the student has not consented (or, under 16, their guardian has not)"


def check_sender(event: Envelope) -> Rejected | None:
    """Only bureau sends bureau's events, and the source ``bureau`` sends no others."""
    if event.event_type in BUREAU_ONLY and event.source != BUREAU:
        return Rejected(f"{event.event_type} may only come from bureau")
    if event.source == BUREAU and event.event_type not in BUREAU_SENDS:
        return Rejected(f"the source 'bureau' is reserved: bureau never sends {event.event_type}")
    return None


def check_registration(
    registered: OrganisationRegisteredData | None, event: OrganisationRegistered
) -> Rejected | None:
    """``bureau`` is reserved; the first registration binds the id's owner and kind."""
    data = event.data
    if data.organisation_id in RESERVED_IDS:
        return Rejected(f"the organisation id '{data.organisation_id}' is reserved")
    if registered is None:
        return None
    if event.source != registered.organisation_id:
        return Rejected(
            f"organisation {registered.organisation_id} belongs to itself; "
            f"{event.source} may not change it"
        )
    if data.kind is not registered.kind:
        return Rejected(
            f"organisation {data.organisation_id} is registered as a "
            f"{registered.kind.value}; its kind cannot change to {data.kind.value}"
        )
    return None


def check_round_opener(
    opener: OrganisationRegisteredData | None, event: MatchingRoundOpened
) -> Rejected | Parked | None:
    """Only a registered coordinator opens rounds (``opener``: the source's registration)."""
    if opener is None:
        return Parked(organisation_ref(event.source))
    if opener.organisation_id != event.source:
        return Rejected(f"only a registered coordinator opens rounds; {event.source} is not one")
    if opener.kind is not OrganisationKind.COORDINATOR:
        return Rejected(
            f"only a registered coordinator opens rounds; {event.source} is a {opener.kind.value}"
        )
    return None


def check_round_closer(round_: RoundDetails, event: MatchingRoundClosed) -> Rejected | None:
    """Only the coordinator that opened a round closes it."""
    if event.source != round_.coordinator_id:
        return Rejected("only the round's coordinator may close it")
    return None


def check_team(
    event: ResearchTeamProposed,
    proposer: OrganisationRegisteredData | None,
    profiles: Mapping[str, StudentProfile | None],
) -> Rejected | Parked | None:
    """A school proposes only its own consenting students; a team across schools is bureau's.

    ``proposer`` is the source's registration (None for bureau or if unknown);
    ``profiles`` maps each member known to bureau to their profile, or to None if erased.
    """
    by_bureau = event.source == BUREAU
    if not by_bureau and proposer is None:
        return Parked(organisation_ref(event.source))
    if not by_bureau and (proposer is None or proposer.kind is not OrganisationKind.SCHOOL):
        return Rejected(f"only a registered school or bureau proposes teams, not {event.source}")
    for member in event.data.members:
        if member.student_id not in profiles:
            return Parked(student_ref(member.student_id))
        profile = profiles[member.student_id]
        if profile is None:
            return Rejected(f"student {member.student_id} was erased")
        if not by_bureau and profile.school_id != event.source:
            return Rejected(f"student {member.student_id} is not a student of {event.source}")
        if not profile.may_be_matched:
            return Rejected(f"student {member.student_id}: {NO_CONSENT}")
        if profile.level is not member.level:
            return Rejected(
                f"student {member.student_id} is at level {profile.level.value}, "
                f"not {member.level.value}"
            )
    return None


def check_allocation_consent(student: StudentProfile) -> Rejected | None:
    """Consent again at allocation: it may have been withdrawn since the ranking."""
    return None if student.may_be_matched else Rejected(NO_CONSENT)


def check_student_owner(owner: str | None, source: str) -> Rejected | None:
    """Only the school that registered a student changes or erases them, even once erased.

    ``owner`` is the school of the stored profile or of the erasure's tombstone.
    """
    if owner is not None and owner != source:
        return Rejected(f"{source} may not change or erase a student of {owner}")
    return None


__all__ = [
    "BUREAU_ONLY",
    "BUREAU_SENDS",
    "RESERVED_IDS",
    "check_allocation_consent",
    "check_registration",
    "check_round_closer",
    "check_round_opener",
    "check_sender",
    "check_student_owner",
    "check_team",
]
