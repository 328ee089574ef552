"""A poll batch: deliveries held until the batch's end, so they go out together.

Applying a batch of events one by one, each commit still writes the aggregate with
its outbox; only the delivery waits. An aggregate changed twice in one batch keeps
the outboxes of both in its document until the batch is delivered: a crash before
that delivers both again on the redelivery (of the aggregate's last event), under
the same ids, so nothing held is lost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field

from opentelemetry import context as otel

from bureau.adapters.store import Document

Rematch = Callable[[], Awaitable[None]]


@dataclass
class Batch:
    """What a batch applied and has not delivered yet."""

    held: list[tuple[Document, otel.Context]] = field(default_factory=list)
    """Outbox entries in commit order, each with the trace of the event that made it."""
    pending: dict[tuple[str, str], list[Document]] = field(default_factory=dict)
    """Per aggregate, every outbox entry committed in this batch and not delivered."""
    rematches: list[Rematch] = field(default_factory=list)
    """Second matching passes, run after the batch's records are out and read back."""

    def hold(self, aggregate: tuple[str, str], outbox: Sequence[Document]) -> None:
        """Keep ``outbox`` (just committed on ``aggregate``) for the batch's delivery."""
        now = otel.get_current()
        self.held.extend((entry, now) for entry in outbox)
        self.pending.setdefault(aggregate, []).extend(outbox)

    def undelivered(self, aggregate: tuple[str, str]) -> list[Document]:
        """What ``aggregate``'s next commit must keep in its outbox besides its own."""
        return list(self.pending.get(aggregate, ()))


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
