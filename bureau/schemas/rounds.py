"""Events on ``bureau.rounds.v1`` (key: round id): matching rounds of a placement season."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, TypeAdapter, model_validator

from bureau.schemas.common import Frozen, distinct
from bureau.schemas.envelope import Envelope, Identifier


class RoundDetails(Frozen):
    """A round over a set of offers; a follow-up round serves the previous one's unplaced."""

    round_id: Identifier
    coordinator_id: Identifier
    offer_ids: tuple[Identifier, ...] = Field(min_length=1, max_length=20000)
    follows: Identifier | None = None

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        distinct(self.offer_ids, "an offer appears twice in the round")
        return self


class MatchingRoundOpened(Envelope):
    """A coordinator opened a round: students may rank its offers, companies applicants."""

    event_type: Literal["MatchingRoundOpened"]
    data: RoundDetails

    @model_validator(mode="after")
    def _coordinator_speaks(self) -> Self:
        if self.data.coordinator_id != self.source:
            raise ValueError("source must be the round's coordinator")
        return self


class StudentPreferences(Frozen):
    """A student's ranked offers, best first (at most 10, as clearinghouses allow)."""

    round_id: Identifier
    student_id: Identifier
    offer_ids: tuple[Identifier, ...] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        distinct(self.offer_ids, "an offer appears twice in the preferences")
        return self


class PreferencesSubmitted(Envelope):
    """The student's school submitted (or replaced) their ranking of the round's offers."""

    event_type: Literal["PreferencesSubmitted"]
    data: StudentPreferences


class ApplicantRanking(Frozen):
    """A company's ranked applicants for one offer, best first; unranked means unacceptable."""

    round_id: Identifier
    offer_id: Identifier
    student_ids: tuple[Identifier, ...] = Field(min_length=1, max_length=100000)

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        distinct(self.student_ids, "a student appears twice in the ranking")
        return self


class ApplicantsRanked(Envelope):
    """The offering company submitted (or replaced) its ranking of applicants."""

    event_type: Literal["ApplicantsRanked"]
    data: ApplicantRanking


class RoundRef(Frozen):
    """Which round."""

    round_id: Identifier


class MatchingRoundClosed(Envelope):
    """The coordinator closed the round: bureau allocates and publishes the outcomes."""

    event_type: Literal["MatchingRoundClosed"]
    data: RoundRef


class RunRecord(Frozen):
    """What a round's allocation was computed from, and what came of it."""

    round_id: Identifier
    algorithm_version: Annotated[
        str, StringConstraints(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9./-]*$")
    ]
    inputs_hash: Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}$")]
    students: int = Field(ge=0)
    places: int = Field(ge=0)
    placed: int = Field(ge=0)
    unplaced: int = Field(ge=0)


class MatchingRoundRun(Envelope):
    """bureau records a round's run, so anyone can recompute and audit it."""

    event_type: Literal["MatchingRoundRun"]
    data: RunRecord


RoundEvent = Annotated[
    MatchingRoundOpened
    | PreferencesSubmitted
    | ApplicantsRanked
    | MatchingRoundClosed
    | MatchingRoundRun,
    Field(discriminator="event_type"),
]
round_event: TypeAdapter[RoundEvent] = TypeAdapter(RoundEvent)
