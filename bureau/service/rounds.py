"""Matching rounds: opened by a coordinator, fed with rankings, closed in one allocation."""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import structlog

from bureau.adapters.store import Document, Stored
from bureau.domain.decisions import guarded
from bureau.domain.roles import check_round_opener
from bureau.domain.round import Round, close_round, may_rank, open_round
from bureau.schemas.envelope import BUREAU
from bureau.schemas.rounds import (
    ApplicantsRanked,
    MatchingRoundClosed,
    MatchingRoundOpened,
    PreferencesSubmitted,
    RoundEvent,
)
from bureau.service.context import Context
from bureau.service.documents import Kind, View, round_fields, round_input, state_of
from bureau.service.pipeline import Position, RejectedEventError, remember

log = structlog.get_logger(__name__)

PREFERENCES, RANKING = "preferences", "ranking"


@dataclass(kw_only=True)
class Rounds:
    """Opens rounds, takes preferences and rankings, closes with a stable allocation."""

    ctx: Context
    _last: tuple[Stored, Round] | None = None
    """The round last read, parsed: a batch feeds one round hundreds of inputs."""

    async def on_event(self, event: RoundEvent, at: Position | None = None) -> None:
        """Open a round, take rankings, or close it with one stable allocation."""
        if isinstance(event, MatchingRoundOpened):
            await self._open(event, at)
        elif isinstance(event, PreferencesSubmitted):
            await self._take_preferences(event)
        elif isinstance(event, ApplicantsRanked):
            await self._take_ranking(event)
        elif isinstance(event, MatchingRoundClosed):
            await self._close(event, at)
        elif event.source != BUREAU:
            raise RejectedEventError("MatchingRoundRun may only come from bureau")
        # A MatchingRoundRun read back is bureau's own record: nothing to apply.

    async def _round(self, round_id: str) -> Round | None:
        stored = await self.ctx.pipeline.read(Kind.ROUNDS, round_id)
        # In a batch every read of the round is one Stored object: parsed (a round of
        # thousands of offers) once, not once per input.
        if self._last is not None and self._last[0] is stored:
            return self._last[1]
        round_ = state_of(Round, stored)
        if stored is not None and round_ is not None:
            self._last = (stored, round_)
        return round_

    async def _open(self, event: MatchingRoundOpened, at: Position | None) -> None:
        follows = event.data.follows
        previous = await self._round(follows) if follows else None
        opener = await self.ctx.organisation(event.source)
        await self.ctx.pipeline.run(
            Kind.ROUNDS,
            event.data.round_id,
            event,
            lambda stored: guarded(
                open_round(state_of(Round, stored), event.data, previous),
                check_round_opener(opener, event),
            ),
            topic=self.ctx.topics.rounds,
            at=at,
            fields=round_fields,
        )

    async def _take_preferences(self, event: PreferencesSubmitted) -> None:
        d = event.data
        round_ = await self._round(d.round_id)
        student = await self.ctx.student(d.student_id)
        problem = may_rank(round_, d.offer_ids)
        if not problem and student is None:
            problem = f"student {d.student_id} is unknown"
        elif not problem and student is not None and student.school_id != event.source:
            problem = "PreferencesSubmitted may only come from the student's school"
        elif not problem and student is not None and not student.may_be_matched:
            problem = "the student has not consented (or, under 16, their guardian has not)"
        if not problem and round_ is not None and round_.details.follows:
            previous = await self._round(round_.details.follows)
            if previous is None or d.student_id not in previous.unplaced:
                problem = f"only students unplaced in {round_.details.follows} take part"
        if problem:
            raise RejectedEventError(problem)
        await self._append(event, PREFERENCES, d.student_id, list(d.offer_ids))

    async def _take_ranking(self, event: ApplicantsRanked) -> None:
        d = event.data
        problem = may_rank(await self._round(d.round_id), [d.offer_id])
        offer = self.ctx.tables.offers.get(d.offer_id)
        if not problem and (offer is None or offer.company_id != event.source):
            problem = "ApplicantsRanked may only come from the offering company"
        if problem:
            raise RejectedEventError(problem)
        await self._append(event, RANKING, d.offer_id, list(d.student_ids))

    async def _append(
        self,
        event: PreferencesSubmitted | ApplicantsRanked,
        kind: str,
        subject: str,
        ranked: list[str],
    ) -> None:
        # Appended under the event's id (an insert, which FerretDB does without a scan);
        # a redelivery finds its own entry there. The close takes each subject's latest.
        seq = f"{event.occurred_at.isoformat()}|{event.event_id}"
        doc = round_input(event.data.round_id, kind, subject, ranked, seq)
        await self.ctx.pipeline.insert(View.ROUND_INPUTS, str(event.event_id), doc)

    async def _close(self, event: MatchingRoundClosed, at: Position | None) -> None:
        rid = event.data.round_id
        store = self.ctx.pipeline.store
        await self.ctx.pipeline.write_pending()  # inputs and changes of earlier in this batch
        self.ctx.pipeline.changed(Kind.ROUNDS, rid)
        stored = await store.load(Kind.ROUNDS, rid)
        round_ = state_of(Round, stored)
        if stored is None or round_ is None:
            raise RejectedEventError(f"round {rid} is unknown")
        if str(event.event_id) in {e["id"] for e in stored.seen.get("recent", ())}:
            return  # every allocation was published before the round was marked closed
        clock = [time.perf_counter()]
        preferences, rankings = latest_inputs(
            await store.find(View.ROUND_INPUTS, {"round_id": rid})
        )
        # A withdrawal's removal of inputs may race this close: the tables decide too.
        students = self.ctx.tables.students
        preferences = {
            s: p for s, p in preferences.items() if s not in students or students[s].may_be_matched
        }
        offer_ids = list(round_.details.offer_ids)
        if round_.details.follows:
            previous = await self._round(round_.details.follows)
            left = previous.remaining if previous else {}
            capacities = {o: left.get(o, 0) for o in offer_ids}
        else:
            books = await store.get_many(Kind.OFFERS, offer_ids)
            capacities = {b["_id"]: b["capacity"] for b in books if not b.get("withdrawn", True)}
        clock.append(time.perf_counter())
        result = close_round(
            round_, event, preferences, rankings, {o: c for o, c in capacities.items() if c > 0}
        )
        if not isinstance(result, tuple):
            raise RejectedEventError(result.reason)
        closed, placements, run = result
        clock.append(time.perf_counter())
        # Published before the round is marked closed: a crash in between recomputes the
        # same allocation with the same event ids, which the offers' books deduplicate.
        applications, rounds = self.ctx.topics.applications, self.ctx.topics.rounds
        await self.ctx.pipeline.publish_all(
            [
                (applications, p.data.offer_id, p.model_dump_json().encode(), None)
                for p in placements
            ]
            + [(rounds, rid, run.model_dump_json().encode(), None)]
        )
        await store.commit(
            Kind.ROUNDS,
            rid,
            previous=stored,
            state=closed.model_dump(mode="json"),
            fields=round_fields(closed),
            seen=remember(stored.seen, event, (), at),
            outbox=[],
        )
        clock.append(time.perf_counter())
        load_s, allocate_s, publish_s = (round(b - a, 2) for a, b in itertools.pairwise(clock))
        log.info(
            "round_closed",
            placed=run.data.placed,
            unplaced=run.data.unplaced,
            load_s=load_s,
            allocate_s=allocate_s,
            publish_and_record_s=publish_s,
        )


def latest_inputs(
    docs: Sequence[Mapping[str, object]],
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Each student's latest preferences and each offer's latest ranking."""
    latest: dict[tuple[str, str], Document] = {}
    for doc in sorted(docs, key=lambda d: str(d["seq"])):
        latest[(str(doc["kind"]), str(doc["subject"]))] = dict(doc)
    preferences = {s: list(d["ranked"]) for (k, s), d in latest.items() if k == PREFERENCES}
    rankings = {s: list(d["ranked"]) for (k, s), d in latest.items() if k == RANKING}
    return preferences, rankings
