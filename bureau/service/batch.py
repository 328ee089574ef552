"""A poll batch: deliveries held until the batch's end, so they go out together.

Applying a batch of events one by one, each commit still writes the aggregate with
its outbox; only the delivery waits. An aggregate keeps the outbox of its last event
only, and a redelivery of that event delivers it again; so before an aggregate is
changed a second time in one batch, what the batch holds is delivered first (else a
crash before the batch's end would lose the first change's outbox).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field

from opentelemetry import context as otel

from bureau.adapters.store import Document, Stored

Rematch = Callable[[], Awaitable[None]]


@dataclass
class Batch:
    """What a batch applied and has not delivered yet."""

    held: list[tuple[Document, otel.Context]] = field(default_factory=list)
    """Outbox entries in commit order, each with the trace of the event that made it."""
    pending: set[tuple[str, str]] = field(default_factory=set)
    """The aggregates whose last outbox is held."""
    inserts: list[tuple[str, str, Document]] = field(default_factory=list)
    """Documents for append-only views (view, key, doc), written in one go per view."""
    reads: dict[tuple[str, str], Stored | None] = field(default_factory=dict)
    """Aggregates read but not changed in this batch (a round, for its inputs)."""
    rematches: list[Rematch] = field(default_factory=list)
    """Second matching passes, run after the batch's records are out and read back."""
    own: int = 0
    """Table rows this batch's own changelog records changed (write-through)."""

    def hold(self, aggregate: tuple[str, str], outbox: Sequence[Document]) -> None:
        """Keep ``outbox`` (just committed on ``aggregate``) for the batch's delivery."""
        now = otel.get_current()
        self.held.extend((entry, now) for entry in outbox)
        self.pending.add(aggregate)

    def holds(self, aggregate: tuple[str, str]) -> bool:
        """Whether an outbox of ``aggregate`` waits for the batch's delivery."""
        return aggregate in self.pending

    def take(self) -> list[tuple[Document, otel.Context]]:
        """Everything held, to deliver now; the batch holds nothing after."""
        held, self.held, self.pending = self.held, [], set()
        return held


_current: ContextVar[Batch | None] = ContextVar("bureau_batch", default=None)


def current() -> Batch | None:
    """The batch this task is applying, if any (each subscriber is a task of its own)."""
    return _current.get()


def begin() -> object:
    """Start a batch in this task; pass the token to ``end``."""
    return _current.set(Batch())


def end(token: object) -> None:
    """Leave the batch (delivered or abandoned)."""
    _current.reset(token)  # type: ignore[arg-type]
