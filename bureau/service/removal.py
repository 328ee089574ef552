"""Taking one student out of the collections that name them: one function per collection.

An erasure calls every one of them, then shreds the key; a withdrawn consent calls
those its purposes need. Each finds the student's documents through an indexed view
(never a scan of the aggregates) and is safe to run again on a redelivery: an
aggregate rewritten under the cause's event id recognises it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bureau.adapters.store import Document, Stored
from bureau.domain.book import Book
from bureau.domain.collaboration import Question
from bureau.domain.decisions import Applied, Rejected
from bureau.domain.erasure import scrub_book, scrub_question
from bureau.schemas.envelope import Envelope
from bureau.service.context import Context
from bureau.service.documents import (
    Kind,
    View,
    application_from_view,
    application_views,
    offer_fields,
    question_fields,
    state_of,
    team_member_view,
)
from bureau.service.pipeline import view_entry
from bureau.service.rounds import PREFERENCES


@dataclass(kw_only=True)
class Removal:
    """Scrubs a student out of books, round inputs and research teams."""

    ctx: Context

    async def books(self, cause: Envelope, student_id: str) -> list[str]:
        """``offers``: the student's dates, rating and history out of every book; its ids."""
        views = await self.ctx.pipeline.store.find(View.APPLICATIONS, {"student_id": student_id})
        offer_ids = sorted({v["offer_id"] for v in views})
        for offer_id in offer_ids:

            def decide(stored: Stored | None) -> Applied[Book] | Rejected:
                book = state_of(Book, stored)
                return Applied(scrub_book(book, student_id)) if book else Rejected("no book")

            def follow(stored: Stored | None, decision: Applied[Book]) -> list[Document]:
                book = decision.state
                mine = [a for a in book.applications.values() if a.student_id == student_id]
                # Closed ones left the book: their views, rebuilt from what the book's
                # rules keep (no dates, rating or history), are scrubbed the same way.
                closed = [
                    app
                    for doc in views
                    if doc["offer_id"] == book.offer.offer_id
                    and doc["application_id"] not in book.applications
                    and (app := application_from_view(doc)) is not None
                ]
                return [
                    view_entry(*view)
                    for app in (*mine, *closed)
                    for view in application_views(book, app)
                ]

            await self.ctx.pipeline.run(
                Kind.OFFERS,
                offer_id,
                cause,  # applied once to each book (redeliveries recognised)
                decide,
                topic=self.ctx.topics.applications,
                at=None,
                fields=offer_fields,
                follow=follow,
            )
        return offer_ids

    async def round_inputs(self, student_id: str) -> list[str]:
        """``round_inputs``: delete the student's preferences; the rounds still open."""
        store = self.ctx.pipeline.store
        await self.ctx.pipeline.write_pending()  # the inputs and rounds of this batch too
        docs = await store.find(View.ROUND_INPUTS, {"kind": PREFERENCES, "subject": student_id})
        for doc in docs:
            await store.put_view(View.ROUND_INPUTS, doc["_id"], None)
        round_ids = sorted({str(d["round_id"]) for d in docs})
        # round_fields: a round's document says at its top whether it is closed
        rounds = await store.get_many(Kind.ROUNDS, round_ids)
        return [r["_id"] for r in rounds if r.get("closed") is False]

    async def teams(self, cause: Envelope, student_id: str) -> list[str]:
        """``research``: the student out of every proposed team; the teams they left."""
        views = await self.ctx.pipeline.store.find(View.TEAM_MEMBERS, {"student_id": student_id})
        left = sorted({(v["question_id"], v["team_id"]) for v in views})
        for question_id in sorted({q for q, _ in left}):

            def decide(stored: Stored | None) -> Applied[Question] | Rejected:
                question = state_of(Question, stored)
                if question is None:
                    return Rejected("no question")
                return Applied(scrub_question(question, student_id))

            def follow(stored: Stored | None, decision: Applied[Question]) -> list[Document]:
                return [
                    view_entry(*team_member_view(q, t, student_id, present=False))
                    for q, t in left
                    if q == decision.state.details.question_id
                ]

            await self.ctx.pipeline.run(
                Kind.RESEARCH,
                question_id,
                cause,
                decide,
                topic=self.ctx.topics.research,
                at=None,
                fields=question_fields,
                follow=follow,
            )
        return [f"{q}/{t}" for q, t in left]


__all__ = ["Removal"]
