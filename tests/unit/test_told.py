"""A told suggestion's record is written without the model: it must be the model's bytes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from bureau.domain.matching import Suggestion, told_id
from bureau.schemas.envelope import BUREAU
from bureau.schemas.matches import MatchSuggested, MatchSuggestedData
from bureau.service.documents import Told

ids = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,20}", fullmatch=True)
reasons = st.lists(st.text(max_size=30), max_size=4).map(tuple)
scores = st.floats(min_value=0, max_value=1, allow_nan=False)
instants = st.datetimes(
    min_value=datetime(2020, 1, 1),
    max_value=datetime(2030, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=5))]),
)


def _model(s: Suggestion, at: datetime) -> MatchSuggested:
    return MatchSuggested(
        event_id=told_id(s.offer_id, s.student_id, 3, 4),
        occurred_at=at,
        source=BUREAU,
        data=MatchSuggestedData(
            offer_id=s.offer_id,
            company_id=s.company_id,
            student_id=s.student_id,
            school_id=s.school_id,
            score=s.score,
            reasons=s.reasons,
        ),
    )


@given(ids, ids, ids, ids, scores, reasons, instants)
def test_the_json_is_the_models_bytes_and_a_valid_event(
    offer: str,
    student: str,
    company: str,
    school: str,
    score: float,
    why: tuple[str, ...],
    at: datetime,
) -> None:
    s = Suggestion(
        offer_id=offer,
        company_id=company,
        student_id=student,
        school_id=school,
        score=score,
        reasons=why,
    )
    body = Told(s, (3, 4), at).json()
    assert body == _model(s, at).model_dump_json().encode()
    parsed = MatchSuggested.model_validate_json(body)
    assert parsed.event_id == told_id(offer, student, 3, 4)
    assert parsed.occurred_at == at  # the same instant, written in UTC
    assert parsed.occurred_at.utcoffset() == timedelta(0)


def test_a_time_in_another_zone_is_written_in_utc() -> None:
    # Control for the normalisation: the model writes UTC, so must the fast path.
    s = Suggestion(
        offer_id="o-1",
        company_id="c-1",
        student_id="s-1",
        school_id="sc-1",
        score=0.5,
        reasons=("level mbo-4 is accepted",),
    )
    at = datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    assert b'"occurred_at":"2026-03-01T11:00:00Z"' in Told(s, (1, 1), at).json()
