"""What applying an event to an aggregate can come to: applied, rejected, or parked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bureau.schemas.envelope import Envelope
from bureau.schemas.outcomes import Outcome

S = TypeVar("S")


@dataclass(frozen=True)
class Applied(Generic[S]):
    """The event changes the aggregate to ``state`` and causes these events."""

    state: S
    outcomes: tuple[Outcome, ...] = ()
    emitted: tuple[Envelope, ...] = field(default=())


@dataclass(frozen=True)
class Rejected:
    """The event is illegal here (an illegal transition, a stranger speaking, ...)."""

    reason: str


@dataclass(frozen=True)
class Parked:
    """The event refers to something not known yet: apply it when ``waiting_for`` arrives."""

    waiting_for: str


def offer_ref(offer_id: str) -> str:
    """Name of the reference an event waits for when its offer is unknown."""
    return f"offer:{offer_id}"


def student_ref(student_id: str) -> str:
    """Name of the reference an event waits for when its student is unknown."""
    return f"student:{student_id}"
