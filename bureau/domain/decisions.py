"""What applying an event to an aggregate can come to: applied, rejected, or parked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BeforeValidator, SerializerFunctionWrapHandler, WrapSerializer

from bureau.schemas.envelope import Envelope
from bureau.schemas.identity import event_digest
from bureau.schemas.outcomes import Outcome

S = TypeVar("S")
V = TypeVar("V")


def _from_entries(value: Any) -> Any:
    if isinstance(value, list):
        return {entry["key"]: entry["value"] for entry in value}
    return value


def _to_entries(value: dict[str, Any], handler: SerializerFunctionWrapHandler) -> Any:
    return [{"key": k, "value": v} for k, v in sorted(handler(value).items())]


IdMap = Annotated[dict[str, V], BeforeValidator(_from_entries), WrapSerializer(_to_entries)]
"""A mapping keyed by ids, stored as ``[{"key": id, "value": ...}]``: ids may contain
dots, which MongoDB refuses in field names (and FerretDB refuses nested arrays)."""


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


def guarded(
    decision: Applied[S] | Rejected | Parked, rule: Rejected | Parked | None
) -> Applied[S] | Rejected | Parked:
    """The aggregate's own refusal or wait first, then the rule's, else the decision.

    A team for a closed question is refused as such, not parked for its school.
    """
    return decision if rule is None or not isinstance(decision, Applied) else rule


def check_same_body(event: Envelope, applied_digest: str | None) -> Rejected | None:
    """Refuse an event whose id was applied before with another body (digest known)."""
    if applied_digest is not None and applied_digest != event_digest(event):
        return Rejected(f"event id {event.event_id} was applied before with a different body")
    return None


def offer_ref(offer_id: str) -> str:
    """Name of the reference an event waits for when its offer is unknown."""
    return f"offer:{offer_id}"


def student_ref(student_id: str) -> str:
    """Name of the reference an event waits for when its student is unknown."""
    return f"student:{student_id}"


def organisation_ref(organisation_id: str) -> str:
    """Name of the reference an event waits for when its organisation is unknown."""
    return f"organisation:{organisation_id}"
