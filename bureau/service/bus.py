"""The exchange: a table from event type to the room that handles it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from bureau.adapters.store import ConcurrentWriteError, Store
from bureau.domain.eligibility import DEFAULT_RULES, Rules
from bureau.domain.scoring import DEFAULT_WEIGHTS, Weights
from bureau.schemas.envelope import Envelope
from bureau.schemas.identity import aggregate_id
from bureau.service import batch as batches
from bureau.service.collaboration import Lectures, Research
from bureau.service.context import Barrier, Context, no_barrier
from bureau.service.documents import Kind, View
from bureau.service.lookup import ViewLookup
from bureau.service.offers import OfferBooks
from bureau.service.organisations import Organisations
from bureau.service.pipeline import Pipeline, Position, PresumedAbsentError, Publish
from bureau.service.queries import Queries
from bureau.service.rounds import Rounds
from bureau.service.sealing import Plain, Sealer
from bureau.service.students import Students
from bureau.service.suggestions import Matcher
from bureau.service.tables import Tables
from bureau.topics import Table, Topics

Handler = Callable[[Any, Position | None], Awaitable[None]]

OFFER_EVENTS = ("InternshipOffered", "InternshipOfferUpdated", "InternshipOfferWithdrawn")
APPLICATION_EVENTS = (
    "ApplicationSubmitted",
    "ApplicationWithdrawn",
    "CandidateShortlisted",
    "ApplicationRejected",
    "PlacementOffered",
    "PlacementAccepted",
    "PlacementDeclined",
    "PlacementConfirmed",
    "PlacementCompleted",
    "PlacementAllocated",
)


_AGGREGATES = (
    dict.fromkeys(("StudentRegistered", "StudentProfileUpdated", "StudentErased"), Kind.STUDENTS)
    | dict.fromkeys((*OFFER_EVENTS, *APPLICATION_EVENTS), Kind.OFFERS)
    | {"OrganisationRegistered": Kind.ORGANISATIONS}
)
"""The aggregate each event type changes, keyed by its record key (read ahead per batch)."""

_CREATIONS = {
    "StudentRegistered": Table.STUDENTS,
    "InternshipOffered": Table.OFFERS,
    "OrganisationRegistered": Table.ORGANISATIONS,
}
"""Events that create their aggregate, and the table that knows it once it exists."""


@dataclass(kw_only=True)
class Exchange:
    """Keeps every aggregate and view, and sends outcomes and match suggestions."""

    store: Store
    publish: Publish
    topics: Topics
    tables: Tables = field(default_factory=Tables)
    barrier: Barrier = no_barrier
    top_k: int = 20
    weights: Weights = DEFAULT_WEIGHTS
    rules: Rules = DEFAULT_RULES
    rescore_threshold: float = 0.05
    """A pair is suggested again only when its score moved at least this much."""
    sealer: Sealer = field(default_factory=Plain)
    """Seals outboxes under each student's key (``bureau.privacy.outbox.OutboxSealer``)."""

    def __post_init__(self) -> None:
        """Build the rooms around one pipeline and one set of tables."""
        self.tables.index.weights, self.tables.index.rules = self.weights, self.rules
        ctx = Context(
            pipeline=Pipeline(store=self.store, publish=self.publish, sealer=self.sealer),
            topics=self.topics,
            tables=self.tables,
            matcher=Matcher(
                tables=self.tables,
                top_k=self.top_k,
                weights=self.weights,
                rules=self.rules,
                rescore_threshold=self.rescore_threshold,
            ),
            views=ViewLookup(store=self.store),
            barrier=self.barrier,
        )
        books, students, lectures = OfferBooks(ctx=ctx), Students(ctx=ctx), Lectures(ctx=ctx)
        self.queries = Queries(store=self.store, tables=self.tables, top_k=self.top_k)
        rooms: dict[str, Handler] = {
            "OrganisationRegistered": Organisations(ctx=ctx).on_event,
            "StudentRegistered": students.on_event,
            "StudentProfileUpdated": students.on_event,
            "StudentErased": students.on_event,
            "ConsentGiven": students.on_event,
            "ConsentWithdrawn": students.on_event,
            "SpecialistAvailable": lectures.on_specialist_event,
        }
        rooms |= dict.fromkeys(OFFER_EVENTS, books.on_offer_event)
        rooms |= dict.fromkeys(APPLICATION_EVENTS, books.on_application_event)
        research, rounds = Research(ctx=ctx).on_event, Rounds(ctx=ctx).on_event
        rooms |= dict.fromkeys(
            ("ResearchQuestionPosted", "ResearchQuestionClosed", "ResearchTeamProposed"), research
        )
        rooms |= dict.fromkeys(
            ("GuestLectureRequested", "GuestLectureBooked", "GuestLectureCancelled"),
            lectures.on_lecture_event,
        )
        rooms |= dict.fromkeys(
            (
                "MatchingRoundOpened",
                "PreferencesSubmitted",
                "ApplicantsRanked",
                "MatchingRoundClosed",
                "MatchingRoundRun",
            ),
            rounds,
        )
        self.rooms = rooms
        self.pipeline, self.views = ctx.pipeline, ctx.views

    async def prefetch(self, events: Sequence[Envelope]) -> None:
        """Read the students, offer books and organisations a batch changes, together."""
        keys: dict[str, list[str]] = {}
        new: dict[str, list[str]] = {}
        batch = batches.current()
        presume = batch is not None and batch.presume
        for event in events:
            if (kind := _AGGREGATES.get(event.event_type)) is not None:
                key, table = aggregate_id(event), _CREATIONS.get(event.event_type)
                # A creation of a key no changelog record names: new, but for a rare
                # redelivery or placeholder (``Pipeline.presume``). Erased keys are known.
                fresh = presume and table is not None and (table, key) not in self.tables.rows
                (new if fresh else keys).setdefault(kind, []).append(key)
        for kind, wanted in new.items():
            self.pipeline.presume(kind, wanted)
        for kind, wanted in keys.items():
            await self.pipeline.prefetch(kind, wanted)
        # An application event's rules may need its application's record, if it has
        # left the book (closed) or the id is taken (domain/book.py).
        named = [
            cast(Any, e).data.application_id for e in events if e.event_type in APPLICATION_EVENTS
        ]
        await self.views.prefetch(View.APPLICATIONS, named)
        # A student's data key is made when they register, with the batch's others at
        # once: else their first sealed suggestion waits for two key-store round trips.
        registered = {aggregate_id(e) for e in events if e.event_type == "StudentRegistered"}
        await self.pipeline.sealer.prepare(sorted(registered))

    async def apply(self, event: Envelope, at: Position | None = None) -> None:
        """Apply one event (from ``at``, when it was consumed from Kafka)."""
        await self.rooms[event.event_type](event, at)

    @contextlib.asynccontextmanager
    async def batch(self, *, grouped: bool = True, presume: bool = False) -> AsyncIterator[None]:
        """Apply a poll batch: writes and deliveries wait for its end and go out together.

        On an exception nothing held is delivered: the batch is consumed again, and
        each aggregate's last event finds its stored outbox and delivers it then.
        Until its write, the tables take back what the batch's records changed.
        ``grouped`` False: each event's write at once (``batch.begin``); ``presume``:
        creations of unknown keys unread (``Pipeline.presume``).
        """
        token = batches.begin(grouped=grouped, presume=presume)
        batch = batches.current()
        assert batch is not None
        try:
            try:
                yield
            finally:
                batches.end(token)
            await self.pipeline.write_staged(batch)
        except BaseException as exc:
            for saved, version in reversed(batch.absorbed):
                self.tables.put_back(saved, version)  # matched on, never committed
            if isinstance(exc, ConcurrentWriteError) and batch.presumed:
                raise PresumedAbsentError(str(exc)) from exc
            raise
        await self.pipeline.insert_all(batch.inserts)
        await self.pipeline.deliver_traced(batch.held)
        if batch.rematches:
            await self.barrier()  # every record published until now is in our tables
            for rematch in batch.rematches:
                await rematch()
