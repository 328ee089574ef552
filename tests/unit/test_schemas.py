from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from bureau.schemas import InternshipOffered, StudentRegistered
from tests.support import events


def test_occurred_at_is_normalised_to_utc() -> None:
    raw = events.offer()
    raw["occurred_at"] = "2026-09-01T11:00:00+02:00"
    assert InternshipOffered.model_validate(raw).occurred_at == datetime(2026, 9, 1, 9, tzinfo=UTC)


def test_naive_datetimes_are_rejected() -> None:
    raw = events.offer()
    raw["occurred_at"] = "2026-09-01T11:00:00"
    with pytest.raises(ValidationError, match="timezone"):
        InternshipOffered.model_validate(raw)


def test_a_company_can_only_publish_its_own_offers() -> None:
    raw = events.offer(company_id="acme")
    raw["source"] = "evil-corp"
    with pytest.raises(ValidationError, match="source must be the offering company"):
        InternshipOffered.model_validate(raw)


@pytest.mark.parametrize(
    ("field", "value"),
    [("capacity", 0), ("levels", []), ("region", "12345"), ("offer_id", "Has Spaces")],
)
def test_offer_constraints(field: str, value: object) -> None:
    raw = events.offer()
    raw["data"][field] = value
    with pytest.raises(ValidationError):
        InternshipOffered.model_validate(raw)


def test_unknown_fields_are_rejected_so_personal_data_cannot_slip_in() -> None:
    raw = events.student()
    raw["data"]["name"] = "Jan Jansen"
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        StudentRegistered.model_validate(raw)


def test_events_are_frozen_and_skills_case_folded() -> None:
    event = StudentRegistered.model_validate(events.student(skills=("Linux", "linux ")))
    assert event.data.skills == frozenset({"linux"})
    with pytest.raises(ValidationError):
        event.source = "x"  # type: ignore[misc]
