"""What every room of the exchange shares: the pipeline, names, tables and matcher."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bureau.adapters.store import Document
from bureau.schemas.envelope import Envelope
from bureau.schemas.organisations import OrganisationRegisteredData
from bureau.schemas.students import StudentProfile
from bureau.service import batch as batches
from bureau.service.documents import Told, changelog
from bureau.service.lookup import ViewLookup
from bureau.service.pipeline import Done, Duplicate, Pipeline, Result, topics_of
from bureau.service.suggestions import Matcher
from bureau.service.tables import Tables
from bureau.topics import Topics

Barrier = Callable[[], Awaitable[None]]


async def no_barrier() -> None:
    """One worker alone: its own changes reach its tables at once."""


@dataclass(kw_only=True)
class Context:
    """Shared by the rooms; one per exchange."""

    pipeline: Pipeline
    topics: Topics
    tables: Tables
    matcher: Matcher
    views: ViewLookup
    barrier: Barrier = no_barrier

    def foreign(self) -> int:
        """Table changes so far, less those this task's batch made itself.

        Other workers' records and the other subscribers of this process (each a task
        with its own batch) count as others': either may race with what we match.
        """
        batch = batches.current()
        return self.tables.changes - (batch.own if batch is not None else 0)

    async def organisation(self, organisation_id: str) -> OrganisationRegisteredData | None:
        """An organisation's registration from the tables (waiting once for the log)."""
        found = self.tables.organisations.get(organisation_id)
        if found is None:
            await self.barrier()  # registered on another worker just now?
            found = self.tables.organisations.get(organisation_id)
        return found

    async def student(self, student_id: str) -> StudentProfile | None:
        """A student's profile from the tables (waiting once for the log)."""
        found = self.tables.students.get(student_id)
        if found is None:
            await self.barrier()
            found = self.tables.students.get(student_id)
        return found

    def record(
        self, table: str, key: str, version: int, event: Envelope, body: Document | None
    ) -> Document:
        """An outbox entry for bureau's changelog of ``table`` (body None: row gone)."""
        value = changelog(table, version, event.occurred_at, body)
        return {"topic": self.topics.state(table), "key": key, "value": value, "table": table}

    def absorb(self, result: Result) -> int:
        """Apply our own changelog records to our tables at once (write-through).

        Returns how many rows that changed, so a matcher can tell them from others'. In a
        batch, what each row was is kept: a batch that fails before its write puts it back.
        """
        before, batch = self.tables.changes, batches.current()
        if isinstance(result, Done):
            for entry in result.outbox:
                if "table" not in entry:
                    continue
                table, key = entry["table"], entry["key"]
                if batch is None:  # committed already: nothing to put back
                    self.tables.apply(table, key, entry["value"])
                    continue
                saved = self.tables.saved(table, key)
                if self.tables.apply(table, key, entry["value"], own=True):
                    row = self.tables.rows.get((table, key))
                    batch.absorbed.append((saved, row.version if row else None))
        own = self.tables.changes - before
        if batch is not None:
            batch.own += own
        return own

    async def matched(
        self, result: Result, mark: int, again: Callable[[], Sequence[Suggested]]
    ) -> None:
        """After an applied change: match once more if others' changes came meanwhile.

        ``mark`` is ``foreign()`` from before the first matching. Another worker's
        change may be committed while ours is; its record may reach our tables after we
        matched. So after our own record is out, a barrier reads everything published
        until then, and if others' changes arrived since ``mark`` we match again: of two
        racing changes, the later one's barrier sees the earlier one's record. In a
        batch, one barrier after the batch's delivery serves every event of it.
        """
        own = self.absorb(result)
        if not isinstance(result, Done):
            return
        batch = batches.current()

        def others_came() -> bool:
            # Ours: what this batch absorbed (or, outside a batch, this event alone).
            ours = batch.own if batch is not None else own
            return self.tables.changes - ours != mark

        await self._match_again(result.outbox, again, others_came)

    def unseen(self, result: Result, table: str, key: str) -> tuple[int, datetime] | None:
        """Version and time of the changelog record a redelivery sends again, if ours lack it.

        A crash came between the commit and its delivery: the record reaches the tables
        only now, and whatever was matched meanwhile (another subscriber, a restarted
        worker restored without it) was matched without it. The time is the record's
        own: in a batch, a later event of the same aggregate (an identical resend) may be
        the one redelivered last, and matching under its time would give the record's
        suggestions, sent again from the outbox, a second body under the same id.
        """
        if not isinstance(result, Duplicate) or not result.last:
            return None
        # The last record of the key is the stored state's (a batch may hold several).
        for entry in reversed(result.stored.outbox):
            if entry.get("table") == table and entry.get("key") == key and entry.get("value"):
                record = json.loads(entry["value"])
                version, at = int(record["v"]), datetime.fromisoformat(record["at"])
                row = self.tables.rows.get((table, key))
                return (version, at) if row is None or row.version < version else None
        return None

    async def rematch_unseen(
        self, result: Duplicate, again: Callable[[], Sequence[Suggested]]
    ) -> None:
        """Match a change ``unseen`` found as its first delivery would have, once it is out."""
        await self._match_again(result.stored.outbox, again, lambda: True)

    async def _match_again(
        self,
        outbox: Sequence[Document],
        again: Callable[[], Sequence[Suggested]],
        needed: Callable[[], bool],
    ) -> None:
        """After the batch's records are out and read back: ``again``'s news, if ``needed``."""
        batch = batches.current()
        # The outbox went out sealed; sealing is deterministic, so equal means sent.
        # (A parked event re-driven from the outbox rests sealed whole: it has no value.)
        sent = {e.get("value") for e in outbox if topics_of(e)}

        async def rematch() -> None:
            if not needed():
                return
            entries = await self.pipeline.sealer.seal(self.entries(again()))
            await self.pipeline.publish_all(
                [
                    (topic, e["key"], e["value"].encode(), None)
                    for e in entries
                    if e["value"] not in sent
                    for topic in topics_of(e)
                ]
            )

        if batch is not None:
            batch.rematches.append(rematch)
        else:
            await self.barrier()
            await rematch()

    def entries(self, records: Sequence[Suggested]) -> list[Document]:
        """Outbox entries that send suggestions: to bureau's log, and to each party named.

        One entry per suggestion, naming its topics: the body is stored (and sealed) once,
        not once per topic; a student's document holds ~10 of them, an offer's ~20.
        """
        log, out = self.topics.matches, list[Document]()
        for record in records:
            key, value, parties = _routing(record)
            topics = [log, *(self.topics.suggestions(p) for p in sorted(parties))]
            out.append({"topics": topics, "key": key, "value": value})
        return out


Suggested = Envelope | Told
"""A suggestion to send: a student's (``Told``), a lecture's or a research question's."""

_PARTIES = ("company_id", "school_id", "owner_id")


def _routing(record: Suggested) -> tuple[str, str, set[str]]:
    """A suggestion's key, its record as JSON, and the parties it names."""
    if isinstance(record, Told):
        s = record.suggestion
        return s.offer_id, record.json().decode(), {s.company_id, s.school_id}
    fields = _fields(record)
    parties = {p for f in _PARTIES if isinstance(p := fields.get(f), str) and p}
    return _key(record), record.model_dump_json(), parties


def _key(record: Envelope) -> str:
    fields = _fields(record)
    for name in ("offer_id", "request_id", "question_id"):
        value = fields.get(name)
        if isinstance(value, str):
            return value
    raise ValueError(f"{record.event_type} names no key")


def _fields(record: Envelope) -> dict[str, Any]:
    """The fields of ``record.data`` by name (none if it has no data)."""
    # Read from the model's __dict__: a missing attribute costs pydantic an exception
    # (~6 µs), once per suggestion (``owner_id``).
    return vars(record.data) if hasattr(record, "data") else {}
