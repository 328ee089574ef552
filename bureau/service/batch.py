"""A poll batch: writes and deliveries held until the batch's end, so they go together.

A batch's events are decided one by one, but what they change is staged: each
aggregate is written once, with one bulk write per kind (``Store.commit_many``), with
the state after its last event, the seen-record of all of them, and the outbox of all
of them. A redelivery recognises every one of those events, and the last one delivers
that whole outbox again; a crash before the write loses nothing, since nothing of the
batch was committed and Kafka delivers it all again.

Some steps write before the batch's end (a park, a round's close): staged writes go
first (``Pipeline.write_pending``). An aggregate so written keeps only its last
outbox; before it is changed again in the batch, what the batch holds is delivered
(else a crash before the batch's end would lose the first change's outbox).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any

from opentelemetry import context as otel

from bureau.adapters.store import Commit, Document, Stored
from bureau.service.tables import Saved

Rematch = Callable[[], Awaitable[None]]


@dataclass
class Batch:
    """What a batch applied and has not delivered yet."""

    grouped: bool = True
    """Stage the writes for one bulk write at the end (else commit each event at once)."""
    held: list[tuple[Document, otel.Context]] = field(default_factory=list)
    """Outbox entries in commit order, each with the trace of the event that made it."""
    pending: set[tuple[str, str]] = field(default_factory=set)
    """The aggregates whose last outbox is held."""
    inserts: list[tuple[str, str, Document]] = field(default_factory=list)
    """Documents for append-only views (view, key, doc), written in one go per view."""
    reads: dict[tuple[str, str], Stored | None] = field(default_factory=dict)
    """Aggregates as the batch's next event on them sees them (read ahead, or staged)."""
    staged: dict[tuple[str, str], Commit] = field(default_factory=dict)
    """Each changed aggregate's one write, not yet sent to the store."""
    applied: list[dict[str, Any]] = field(default_factory=list)
    """The log context of each staged event, logged as applied once written."""
    views: dict[tuple[str, str], Document | None] = field(default_factory=dict)
    """View documents read ahead (``lookup.ViewLookup``), kept current as views are written."""
    rematches: list[Rematch] = field(default_factory=list)
    """Second matching passes, run after the batch's records are out and read back."""
    own: int = 0
    """Table rows this batch's own changelog records changed (write-through)."""
    presume: bool = False
    """Take creations of keys the tables do not know as new, unread (``presumed``)."""
    presumed: set[tuple[str, str]] = field(default_factory=set)
    """Aggregates taken as stored nowhere: if one was, its insert fails the batch."""
    absorbed: list[tuple[Saved, int | None]] = field(default_factory=list)
    """Rows our records changed, as they were, and the version each now has."""

    def hold(self, aggregate: tuple[str, str], outbox: Sequence[Document]) -> None:
        """Keep ``outbox`` (just committed on ``aggregate``) for the batch's delivery."""
        now = otel.get_current()
        self.held.extend((entry, now) for entry in outbox)
        self.pending.add(aggregate)

    def stage(self, kind: str, commit: Commit) -> None:
        """Write ``commit`` at the batch's end, merged with this aggregate's earlier one."""
        aggregate = (kind, commit.key)
        if (earlier := self.staged.get(aggregate)) is not None:
            # One write for both: checked against what was stored, sending both outboxes.
            outbox = (*earlier.outbox, *commit.outbox)
            commit = replace(commit, previous=earlier.previous, outbox=outbox)
        self.staged[aggregate] = commit
        after = Stored(commit.state, commit.version, commit.seen, tuple(commit.outbox))
        self.reads[aggregate] = replace(after, fields=commit.fields)

    def wrote(self, view: str, docs: dict[str, Document | None]) -> None:
        """Views were written: what was read ahead of them is what is stored now."""
        for key, doc in docs.items():
            if (view, key) in self.views:
                self.views[(view, key)] = doc

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


def begin(*, grouped: bool = True, presume: bool = False) -> object:
    """Start a batch in this task; pass the token to ``end``.

    ``grouped`` False commits each event at once (and holds only the delivery): the
    retry of a batch whose one write failed, so the event at fault fails on its own.
    """
    return _current.set(Batch(grouped=grouped, presume=presume))


def end(token: object) -> None:
    """Leave the batch (delivered or abandoned)."""
    _current.reset(token)  # type: ignore[arg-type]
