"""Closing a round as an aggregate: who may close it, and inputs stored before the checks."""

from __future__ import annotations

from bureau.domain.decisions import Rejected
from bureau.domain.round import Round, close_round
from bureau.domain.rounds import allocate
from bureau.schemas.examples import EXAMPLES
from bureau.schemas.rounds import MatchingRoundClosed, RoundDetails

DETAILS = RoundDetails.model_validate(EXAMPLES["MatchingRoundOpened"]["data"])
CLOSE = MatchingRoundClosed.model_validate(EXAMPLES["MatchingRoundClosed"])


def test_a_ranking_that_repeats_a_student_closes_the_round_at_the_best_rank() -> None:
    """Rankings stored before repeats were refused on the wire must not make closing crash."""
    preferences = {"s-1": ["soc-analyst", "soc-analyst"], "s-2": ["soc-analyst"]}
    rankings = {"soc-analyst": ["s-2", "s-1", "s-2"]}
    result = close_round(Round(details=DETAILS), CLOSE, preferences, rankings, {"soc-analyst": 1})
    assert not isinstance(result, Rejected)
    _, placements, run = result
    assert [(p.data.student_id, p.data.offer_id) for p in placements] == [("s-2", "soc-analyst")]
    assert run.data.placed == 1
    assert run.data.unplaced == 1
    expected = allocate(
        {"s-1": ["soc-analyst"], "s-2": ["soc-analyst"]},
        {"soc-analyst": ["s-2", "s-1"]},
        {"soc-analyst": 1},
    )
    assert dict(expected.placements) == {"s-2": "soc-analyst"}


def test_only_the_rounds_coordinator_closes_it() -> None:
    stranger = MatchingRoundClosed.model_validate(
        EXAMPLES["MatchingRoundClosed"] | {"source": "acme"}
    )
    result = close_round(Round(details=DETAILS), stranger, {}, {}, {"soc-analyst": 1})
    assert result == Rejected("only the round's coordinator may close it")
