"""Offer books: an offer, its places and its applications, one aggregate per offer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bureau.adapters.store import Document, Stored
from bureau.domain.book import (
    CLOSED,
    Application,
    Book,
    apply_application_event,
    apply_offer_event,
)
from bureau.domain.decisions import Applied, Parked, Rejected
from bureau.schemas.applications import ApplicationEvent, ApplicationSubmitted, PlacementAllocated
from bureau.schemas.envelope import Envelope
from bureau.schemas.offers import OfferEvent
from bureau.service.context import Context
from bureau.service.documents import (
    Kind,
    Told,
    View,
    application_from_view,
    application_views,
    offer_fields,
    offer_for_matching,
    placement_outcome,
    state_of,
)
from bureau.service.pipeline import (
    Done,
    Duplicate,
    Position,
    RejectedEventError,
    publish_entry,
    view_entry,
)
from bureau.service.tables import offer_body
from bureau.topics import Table


@dataclass(kw_only=True)
class OfferBooks:
    """Opens, changes and withdraws offers; moves applications through their lifecycle."""

    ctx: Context

    async def on_offer_event(self, event: OfferEvent, at: Position | None = None) -> None:
        """Open, change or withdraw an offer; suggest students for an open one."""
        offer_id = event.data.offer_id
        mark = self.ctx.foreign()
        result = await self.ctx.pipeline.run(
            Kind.OFFERS,
            offer_id,
            event,
            lambda stored: apply_offer_event(state_of(Book, stored), event),
            topic=self.ctx.topics.offers,
            at=at,
            fields=offer_fields,
            follow=lambda stored, decision: self._follow(stored, decision, event, match=True),
        )
        if isinstance(result, Done):
            book = result.decision.state
            before = result.before
            await self.ctx.matched(
                result, mark, lambda: self._suggestions(before, book, event.occurred_at)
            )
        elif (unseen := self.ctx.unseen(result, Table.OFFERS, offer_id)) is not None:
            # Sent again after a crash: matched as then, against what the tables had.
            assert isinstance(result, Duplicate)
            stored, had = state_of(Book, result.stored), self.ctx.tables.offers.get(offer_id)
            if stored is not None:
                now, (version, when) = offer_for_matching(stored), unseen
                await self.ctx.rematch_unseen(
                    result, lambda: self.ctx.matcher.for_offer(now, had, version, when)
                )

    async def on_application_event(
        self, event: ApplicationEvent, at: Position | None = None
    ) -> None:
        """Move an application through its lifecycle; tell the student's school."""
        student_id = event.data.student_id
        if student_id in self.ctx.tables.erased:  # their book entries were scrubbed: keep so
            raise RejectedEventError(f"student {student_id} was erased")
        student = self.ctx.tables.students.get(student_id)
        if student is None and isinstance(event, ApplicationSubmitted | PlacementAllocated):
            student = await self.ctx.student(student_id)
            if student_id in self.ctx.tables.erased:  # waiting would wait forever
                raise RejectedEventError(f"student {student_id} was erased")

        named = await self._named(event)

        def decide(stored: Stored | None) -> Applied[Book] | Rejected | Parked:
            return apply_application_event(state_of(Book, stored), event, student, named)

        result = await self.ctx.pipeline.run(
            Kind.OFFERS,
            event.data.offer_id,
            event,
            decide,
            topic=self.ctx.topics.applications,
            at=at,
            fields=offer_fields,
            follow=lambda stored, decision: self._follow(stored, decision, event),
        )
        self.ctx.absorb(result)

    async def _named(self, event: ApplicationEvent) -> Application | None:
        """The application ``event`` names, if it has left its book, from its view.

        A new one's id must not be taken on any offer; any other event's rules read it
        only if it is a closed application of this offer (a live one is in the book).
        """
        ref = event.data
        doc = await self.ctx.views.get(View.APPLICATIONS, ref.application_id)
        found = application_from_view(doc)
        if found is None or isinstance(event, ApplicationSubmitted | PlacementAllocated):
            return found
        mine = doc is not None and doc.get("offer_id") == ref.offer_id
        return found if mine and found.status in CLOSED else None

    def _suggestions(self, stored: Stored | None, book: Book, at: datetime) -> list[Told]:
        old = state_of(Book, stored)
        before = offer_for_matching(old) if old else None
        version = (stored.version if stored else 0) + 1
        return self.ctx.matcher.for_offer(offer_for_matching(book), before, version, at)

    def _follow(
        self, stored: Stored | None, decision: Applied[Any], cause: Envelope, match: bool = False
    ) -> Sequence[Document]:
        book = decision.state
        assert isinstance(book, Book)
        entries: list[Document] = []
        for outcome in decision.outcomes:
            record = placement_outcome(cause, outcome)
            entries.append(
                publish_entry(
                    self.ctx.topics.outcomes(outcome.school_id), outcome.student_id, record
                )
            )
            app = book.applications[outcome.application_id]
            entries.extend(view_entry(*view) for view in application_views(book, app))
        # bureau's own decisions (e.g. a rejection for lack of places) join the log they
        # belong to; their ids are already applied, so reading them back changes nothing.
        own = self.ctx.topics.applications
        entries.extend(publish_entry(own, book.offer.offer_id, e) for e in decision.emitted)
        # Others match from the offer's changelog: written only when what they see changes.
        old = state_of(Book, stored)
        before = offer_body(offer_for_matching(old)) if old else None
        now = offer_body(offer_for_matching(book))
        if now != before:
            version = (stored.version if stored else 0) + 1
            offer_id = book.offer.offer_id
            entries.append(self.ctx.record(Table.OFFERS, offer_id, version, cause, {"offer": now}))
            if match:
                entries.extend(self.ctx.entries(self._suggestions(stored, book, cause.occurred_at)))
        return entries
