"""Consent as a record: who agreed to what, when; withdrawable per purpose."""

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter

from bureau.domain.consent import (
    from_profile,
    lost,
    may_be_counted,
    may_be_matched,
    may_join_team,
    record_consent,
)
from bureau.schemas.examples import EXAMPLES
from bureau.schemas.students import (
    AgeBand,
    ConsentEvent,
    ConsentGiven,
    ConsentWithdrawn,
    Purpose,
    StudentProfile,
    consent_event,
)

AT = datetime(2026, 9, 1, tzinfo=UTC)


def _event(kind: str, by: str, *purposes: str) -> ConsentGiven | ConsentWithdrawn:
    return consent_event.validate_python(
        {
            "event_id": str(uuid.uuid4()),
            "event_type": kind,
            "occurred_at": AT.isoformat(),
            "source": "roc",
            "data": {"student_id": "st-1", "school_id": "roc", "by": by, "purposes": purposes},
        }
    )


def test_a_student_from_16_consents_alone_per_purpose() -> None:
    record = record_consent(None, _event("ConsentGiven", "student", "matching"))
    assert may_be_matched(record, AgeBand.FROM_16_TO_17)
    assert not may_join_team(record, AgeBand.FROM_16_TO_17)
    assert not may_be_counted(record, AgeBand.ADULT)


def test_under_16_nothing_happens_without_a_guardian() -> None:
    record = record_consent(None, _event("ConsentGiven", "student", "matching", "teams"))
    assert not may_be_matched(record, AgeBand.UNDER_16)
    record = record_consent(record, _event("ConsentGiven", "guardian", "matching"))
    assert may_be_matched(record, AgeBand.UNDER_16)
    assert not may_join_team(record, AgeBand.UNDER_16)


def test_a_guardian_alone_is_not_enough() -> None:
    record = record_consent(None, _event("ConsentGiven", "guardian", "matching"))
    assert not may_be_matched(record, AgeBand.UNDER_16)


def test_withdrawal_is_per_purpose_and_the_history_is_kept() -> None:
    record = record_consent(None, _event("ConsentGiven", "student", "matching", "teams"))
    after = record_consent(record, _event("ConsentWithdrawn", "student", "teams"))
    assert lost(record, after, AgeBand.ADULT) == {Purpose.TEAMS}
    assert may_be_matched(after, AgeBand.ADULT)
    assert [e.given for e in after.history] == [True, False]
    assert after.history[1].at == AT
    assert after.history[1].by.value == "student"


def test_a_guardian_withdrawing_stops_an_under_16_student() -> None:
    record = record_consent(None, _event("ConsentGiven", "student", "matching"))
    record = record_consent(record, _event("ConsentGiven", "guardian", "matching"))
    after = record_consent(record, _event("ConsentWithdrawn", "guardian", "matching"))
    assert lost(record, after, AgeBand.UNDER_16) == {Purpose.MATCHING}


def test_a_redelivered_consent_event_changes_nothing() -> None:
    event = _event("ConsentGiven", "student", "matching")
    once = record_consent(None, event)
    assert record_consent(once, event) == once


def test_the_legacy_booleans_read_as_a_record() -> None:
    data = {**EXAMPLES["StudentRegistered"]["data"], "age_band": "under-16"}
    profile = StudentProfile.model_validate({**data, "guardian_consent": True})
    assert may_be_matched(from_profile(profile, AT), AgeBand.UNDER_16) == profile.may_be_matched
    alone = StudentProfile.model_validate(data)
    assert may_be_matched(from_profile(alone, AT), AgeBand.UNDER_16) == alone.may_be_matched
    assert not may_be_counted(from_profile(profile, AT), AgeBand.UNDER_16)


def test_consent_must_come_from_the_students_school() -> None:
    bad = {**EXAMPLES["ConsentGiven"], "source": "other-school"}
    with pytest.raises(ValueError, match="student's school"):
        TypeAdapter(ConsentEvent).validate_python(bad)


def test_consent_names_at_least_one_purpose() -> None:
    bad = {**EXAMPLES["ConsentGiven"]}
    bad["data"] = {**bad["data"], "purposes": []}
    with pytest.raises(ValueError, match="at least 1"):
        consent_event.validate_python(bad)
