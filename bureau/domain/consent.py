"""Consent as a record: who agreed to what and when, withdrawable per purpose (pure).

The history is kept whole (it is the proof of consent); it is pseudonymous and lives
in the student's own document, so erasure removes it with the rest. Under 16 both
the student and a guardian must agree to a purpose; from 16 the student alone does
(AVG art. 8 as the Netherlands applies it).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from bureau.schemas.students import (
    AgeBand,
    ConsentGiven,
    ConsentGiver,
    ConsentWithdrawn,
    Purpose,
    StudentProfile,
)


class ConsentEntry(BaseModel):
    """One line of the record: given or withdrawn, by whom, for what, when, by which event."""

    model_config = ConfigDict(frozen=True)

    given: bool
    by: ConsentGiver
    purposes: frozenset[Purpose]
    at: datetime
    event_id: str


class ConsentRecord(BaseModel):
    """Every consent given or withdrawn for one student, in the order it arrived."""

    model_config = ConfigDict(frozen=True)

    student_id: str
    history: tuple[ConsentEntry, ...] = ()

    def holds(self, by: ConsentGiver, purpose: Purpose) -> bool:
        """Tell whether ``by``'s latest word on ``purpose`` is a yes."""
        for entry in reversed(self.history):
            if entry.by is by and purpose in entry.purposes:
                return entry.given
        return False


def record_consent(
    record: ConsentRecord | None, event: ConsentGiven | ConsentWithdrawn
) -> ConsentRecord:
    """Add the event to the record (a redelivered event changes nothing)."""
    record = record or ConsentRecord(student_id=event.data.student_id)
    if any(e.event_id == str(event.event_id) for e in record.history):
        return record
    entry = ConsentEntry(
        given=isinstance(event, ConsentGiven),
        by=event.data.by,
        purposes=event.data.purposes,
        at=event.occurred_at,
        event_id=str(event.event_id),
    )
    return record.model_copy(update={"history": (*record.history, entry)})


def permits(record: ConsentRecord | None, age_band: AgeBand, purpose: Purpose) -> bool:
    """Tell whether the student may be used for ``purpose`` now."""
    if record is None or not record.holds(ConsentGiver.STUDENT, purpose):
        return False
    return age_band is not AgeBand.UNDER_16 or record.holds(ConsentGiver.GUARDIAN, purpose)


def may_be_matched(record: ConsentRecord | None, age_band: AgeBand) -> bool:
    """Tell whether bureau may suggest the student, or place them in a round, now."""
    return permits(record, age_band, Purpose.MATCHING)


def may_be_counted(record: ConsentRecord | None, age_band: AgeBand) -> bool:
    """Tell whether the student's gender and placements may count in statistics now."""
    return permits(record, age_band, Purpose.STATISTICS)


def may_join_team(record: ConsentRecord | None, age_band: AgeBand) -> bool:
    """Tell whether the student may be put on a research team now."""
    return permits(record, age_band, Purpose.TEAMS)


def permitted(record: ConsentRecord | None, age_band: AgeBand) -> frozenset[Purpose]:
    """Every purpose the student may be used for now."""
    return frozenset(p for p in Purpose if permits(record, age_band, p))


def lost(
    before: ConsentRecord | None, after: ConsentRecord | None, age_band: AgeBand
) -> frozenset[Purpose]:
    """Purposes permitted before an event and not after it: what the service must undo.

    Lost matching: no new suggestions, out of open rounds before allocation; lost teams:
    out of proposed teams; either way the school is told.
    """
    return permitted(before, age_band) - permitted(after, age_band)


def withdrawn_by(record: ConsentRecord, event_id: str, age_band: AgeBand) -> frozenset[Purpose]:
    """Purposes the record's event ``event_id`` took away (the same on a redelivery)."""
    before = record.model_copy(
        update={"history": tuple(e for e in record.history if e.event_id != event_id)}
    )
    return lost(before, record, age_band)


def applied_to(profile: StudentProfile, record: ConsentRecord | None) -> StudentProfile:
    """The profile as matching and statistics see it: its consents read from the record.

    Without a record the school's booleans stand; with one, the record decides (a later
    profile's booleans no longer give back what was withdrawn).
    """
    if record is None:
        return profile
    statistics = permits(record, profile.age_band, Purpose.STATISTICS)
    return profile.model_copy(
        update={
            "consent": record.holds(ConsentGiver.STUDENT, Purpose.MATCHING),
            "guardian_consent": record.holds(ConsentGiver.GUARDIAN, Purpose.MATCHING),
            "statistics_consent": statistics,
            # gender only with a statistics consent (the profile's own rule)
            "gender": profile.gender if statistics else None,
        }
    )


def from_profile(profile: StudentProfile, at: datetime) -> ConsentRecord:
    """The record the profile's legacy booleans stand for (no history behind them)."""
    student = set()
    if profile.consent:
        student |= {Purpose.MATCHING, Purpose.TEAMS}
    if profile.statistics_consent:
        student.add(Purpose.STATISTICS)
    entries = []
    if student:
        entries.append(_legacy(ConsentGiver.STUDENT, frozenset(student), at))
        if profile.guardian_consent:
            entries.append(_legacy(ConsentGiver.GUARDIAN, frozenset(student), at))
    return ConsentRecord(student_id=profile.student_id, history=tuple(entries))


def _legacy(by: ConsentGiver, purposes: frozenset[Purpose], at: datetime) -> ConsentEntry:
    return ConsentEntry(given=True, by=by, purposes=purposes, at=at, event_id=f"profile:{by}")


__all__ = [
    "ConsentEntry",
    "ConsentRecord",
    "applied_to",
    "from_profile",
    "lost",
    "may_be_counted",
    "may_be_matched",
    "may_join_team",
    "permits",
    "permitted",
    "record_consent",
    "withdrawn_by",
]
