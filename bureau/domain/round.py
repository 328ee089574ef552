"""A matching round as an aggregate: open, collect rankings, close with one allocation."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from functools import cached_property

from pydantic import BaseModel, ConfigDict

from bureau.domain.decisions import Applied, IdMap, Rejected
from bureau.domain.roles import check_round_closer
from bureau.domain.rounds import ALGORITHM_VERSION, allocate, inputs_hash
from bureau.schemas.applications import Allocation, PlacementAllocated
from bureau.schemas.envelope import BUREAU, Envelope
from bureau.schemas.rounds import (
    MatchingRoundClosed,
    MatchingRoundRun,
    RoundDetails,
    RunRecord,
)

ROUND_NAMESPACE = uuid.UUID("5d2c9a61-0f0e-4f3b-8d0e-6a1b2c3d4e5f")


class Round(BaseModel):
    """The round's details, whether it is closed, its run and who it left unplaced."""

    model_config = ConfigDict(frozen=True)

    details: RoundDetails
    closed: bool = False
    run: RunRecord | None = None
    unplaced: tuple[str, ...] = ()
    remaining: IdMap[int] = {}

    @cached_property
    def offers(self) -> frozenset[str]:
        """The round's offers, as a set (each of thousands of inputs is checked against it)."""
        return frozenset(self.details.offer_ids)


def open_round(
    existing: Round | None, details: RoundDetails, previous: Round | None
) -> Applied[Round] | Rejected:
    """Open a round; a follow-up needs its closed predecessor and only its open places."""
    if existing is not None:
        return (
            Applied(existing)
            if existing.details == details
            else Rejected(f"round {details.round_id} exists")
        )
    if details.follows is not None:
        if previous is None or not previous.closed:
            return Rejected(f"round {details.follows} is not closed")
        full = sorted(o for o in details.offer_ids if previous.remaining.get(o, 0) < 1)
        if full:
            return Rejected(
                f"offers without places left after {details.follows}: {', '.join(full)}"
            )
    return Applied(Round(details=details))


def may_rank(round_: Round | None, offer_ids: Sequence[str]) -> str:
    """Say why rankings for ``offer_ids`` cannot be taken now, or return ''."""
    if round_ is None:
        return "the round is unknown"
    if round_.closed:
        return "the round is closed"
    unknown = sorted(set(offer_ids) - round_.offers)
    return f"not in the round: {', '.join(unknown)}" if unknown else ""


def close_round(
    round_: Round,
    cause: MatchingRoundClosed,
    preferences: Mapping[str, Sequence[str]],
    rankings: Mapping[str, Sequence[str]],
    capacities: Mapping[str, int],
) -> tuple[Round, list[PlacementAllocated], MatchingRoundRun] | Rejected:
    """Allocate (deferred acceptance) and describe every placement and the run."""
    if round_.closed:
        return Rejected("the round is closed")
    refused = check_round_closer(round_.details, cause)
    if refused is not None:
        return refused
    # Rankings stored before ids were checked for repeats may still hold some: a repeat
    # counts at its best rank instead of making the allocation fail.
    preferences = {s: first_occurrences(p) for s, p in preferences.items()}
    rankings = {o: first_occurrences(r) for o, r in rankings.items() if o in capacities}
    result = allocate(preferences, rankings, capacities)
    rid = round_.details.round_id
    record = RunRecord(
        round_id=rid,
        algorithm_version=ALGORITHM_VERSION,
        inputs_hash=inputs_hash(preferences, rankings, capacities),
        students=len(preferences),
        places=sum(capacities.values()),
        placed=len(result.placements),
        unplaced=len(result.unplaced),
    )
    placements = [
        PlacementAllocated(
            event_id=_id(cause, f"PlacementAllocated/{student}"),
            event_type="PlacementAllocated",
            occurred_at=cause.occurred_at,
            source=BUREAU,
            correlation_id=str(cause.event_id),
            data=Allocation(
                application_id=f"{rid}-{student}"[:64],
                offer_id=offer,
                student_id=student,
                round_id=rid,
            ),
        )
        for student, offer in sorted(result.placements.items())
    ]
    run = MatchingRoundRun(
        event_id=_id(cause, "MatchingRoundRun"),
        event_type="MatchingRoundRun",
        occurred_at=cause.occurred_at,
        source=BUREAU,
        correlation_id=str(cause.event_id),
        data=record,
    )
    closed = round_.model_copy(
        update={
            "closed": True,
            "run": record,
            "unplaced": result.unplaced,
            "remaining": dict(result.remaining),
        }
    )
    return closed, placements, run


def first_occurrences(ids: Sequence[str]) -> list[str]:
    """``ids`` without repeats, each at its first (best) place."""
    return list(dict.fromkeys(ids))


def _id(cause: Envelope, what: str) -> uuid.UUID:
    return uuid.uuid5(ROUND_NAMESPACE, f"{cause.event_id}/{what}")
