"""Application service: an event in, one aggregate write, then views and notifications out.

Every event goes the same way: load its aggregate; if the event id is already applied,
deliver what its outbox still holds (a crash came between commit and delivery);
otherwise let the domain decide, commit state + event id + outbox in one
version-checked single-document write, then deliver the outbox and clear it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any, Protocol, TypeVar

import structlog
from pydantic import BaseModel

from bureau.adapters.store import Document, Store, Stored
from bureau.domain.book import Application, Book, apply_application_event, apply_offer_event
from bureau.domain.collaboration import (
    LectureBooking,
    Question,
    apply_lecture_event,
    apply_research_event,
)
from bureau.domain.collaboration_matching import (
    Pairing,
    propose_team,
    requests_for_specialist,
    schools_for_question,
    specialists_for_request,
)
from bureau.domain.decisions import Applied, Parked, Rejected, offer_ref, student_ref
from bureau.domain.eligibility import DEFAULT_RULES, Rules
from bureau.domain.matching import (
    Offer,
    Student,
    Suggestion,
    offers_for_student,
    students_for_offer,
)
from bureau.domain.round import Round, close_round, may_rank, open_round
from bureau.domain.scoring import DEFAULT_WEIGHTS, Weights, score_changed_materially
from bureau.domain.statistics import OfferFacts, PlacementFacts, Row, StudentFacts, compute
from bureau.schemas.applications import (
    ApplicationEvent,
    ApplicationSubmitted,
    PlacementAllocated,
)
from bureau.schemas.envelope import BUREAU, Envelope
from bureau.schemas.lectures import (
    GuestLectureRequested,
    LectureEvent,
    SpecialistDetails,
    SpecialistEvent,
)
from bureau.schemas.matches import (
    LectureMatchData,
    LectureMatchSuggested,
    MatchSuggested,
    MatchSuggestedData,
    ResearchMatchData,
    ResearchMatchSuggested,
)
from bureau.schemas.offers import OfferEvent, WorkMode
from bureau.schemas.organisations import OrganisationEvent, OrganisationRegisteredData
from bureau.schemas.outcomes import Outcome, PlacementOutcome, PlacementStatus
from bureau.schemas.research import (
    ResearchEvent,
    ResearchQuestionPosted,
    ResearchTeamProposed,
)
from bureau.schemas.rounds import (
    ApplicantsRanked,
    MatchingRoundClosed,
    MatchingRoundOpened,
    PreferencesSubmitted,
    RoundEvent,
)
from bureau.schemas.students import StudentErased, StudentEvent, StudentProfile
from bureau.topics import Topics

log = structlog.get_logger(__name__)

CANDIDATE_LIMIT = 5000
"""Upper bound of candidates read per event before ranking."""
OUTCOME_NAMESPACE = uuid.UUID("a3c9e0f4-7b51-4f0e-8d7a-5e2b9c1d6f38")
PLACED = frozenset(
    {
        PlacementStatus.OFFERED,
        PlacementStatus.ACCEPTED,
        PlacementStatus.CONFIRMED,
        PlacementStatus.COMPLETED,
    }
)

S = TypeVar("S", bound=BaseModel)


class Publish(Protocol):
    """Sends one record; returns once the broker acknowledged it."""

    async def __call__(self, topic: str, key: bytes, value: bytes | None) -> None:
        """Publish ``value`` under ``key`` on ``topic``; ``None`` is a tombstone."""
        ...


class RejectedEventError(Exception):
    """The domain refused the event (illegal transition, stranger speaking, ...)."""


@dataclass(kw_only=True)
class Exchange:
    """Keeps every aggregate and view, and sends outcomes and match suggestions."""

    store: Store
    publish: Publish
    topics: Topics
    top_k: int = 20
    weights: Weights = DEFAULT_WEIGHTS
    rules: Rules = DEFAULT_RULES
    rescore_threshold: float = 0.05
    """A pair is suggested again only when its score moved at least this much."""

    # --- organisations, students, specialists: profiles replaced by their owner ---

    async def on_organisation_event(self, event: OrganisationEvent) -> None:
        """Register or update an organisation."""
        data = event.data
        await self._run(
            "organisations",
            data.organisation_id,
            event,
            lambda _: Applied(data),
            lambda d: {"kind": d.kind.value, "region": d.region},
            self.topics.organisations,
        )

    async def on_student_event(self, event: StudentEvent) -> None:
        """Register, update or erase a student, then suggest offers to them."""
        if isinstance(event, StudentErased):
            await self._erase(event)
            return
        applied = await self._run(
            "students",
            event.data.student_id,
            event,
            lambda state: (
                _owned(state, "school_id", event.source) or Applied(_record(state, event.data))
            ),
            _student_fields,
            self.topics.students,
        )
        await self._redrive(student_ref(event.data.student_id))
        profile = event.data if applied is not None else None
        if applied is None and await self._applied_before("students", event.data.student_id, event):
            # A redelivery: a crash may have come between the commit and the suggestions.
            # Suggest from the current profile (None once the student is erased).
            profile = await self._profile(event.data.student_id)
        if profile is not None and profile.may_be_matched:
            student = student_for_matching(profile)
            offers = await self.store.offers_matching(student, CANDIDATE_LIMIT)
            await self._suggest(
                event,
                offers_for_student(
                    student, offers, self.top_k, weights=self.weights, rules=self.rules
                ),
            )

    async def on_specialist_event(self, event: SpecialistEvent) -> None:
        """Make a specialist available for guest lectures (or update that)."""
        data = event.data
        await self._run(
            "specialists",
            data.specialist_id,
            event,
            lambda state: _owned(state, "company_id", event.source) or Applied(data),
            lambda d: {"company_id": d.company_id, "themes": sorted(d.themes)},
            self.topics.specialists,
        )
        open_requests = [
            LectureBooking.model_validate(d["state"]).request
            for d in await self.store.find("lectures", {"booked": False})
        ]
        await self._notify_lectures(
            event, requests_for_specialist(data, open_requests, self.top_k), [data]
        )

    # --- offers and their applications: one aggregate per offer -------------------

    async def on_offer_event(self, event: OfferEvent) -> None:
        """Open, change or withdraw an offer; suggest students for an open one."""
        offer_id = event.data.offer_id
        applied = await self._run(
            "offers",
            offer_id,
            event,
            lambda state: apply_offer_event(_load(Book, state), event),
            _offer_fields,
            self.topics.offers,
        )
        await self._redrive(offer_ref(offer_id))
        if applied is None and (again := await self._applied_before("offers", offer_id, event)):
            # A redelivery: a crash may have come between the commit and the suggestions.
            applied = Applied(Book.model_validate(again.state))
        if applied is not None:
            book = applied.state
            assert isinstance(book, Book)
            if book.remaining > 0:
                offer = offer_for_matching(book)
                students = await self.store.students_matching(offer, CANDIDATE_LIMIT)
                ranked = students_for_offer(
                    offer, students, self.top_k, weights=self.weights, rules=self.rules
                )
                await self._suggest(event, ranked)

    async def on_application_event(self, event: ApplicationEvent) -> None:
        """Move an application through its lifecycle; tell the student's school."""
        student = await self._profile(event.data.student_id)
        if student is None and isinstance(event, ApplicationSubmitted | PlacementAllocated):
            stored = await self.store.load("students", event.data.student_id)
            if stored is not None:  # a tombstone: waiting would wait forever
                raise RejectedEventError(f"student {event.data.student_id} was erased")
        await self._run(
            "offers",
            event.data.offer_id,
            event,
            lambda state: apply_application_event(_load(Book, state), event, student),
            _offer_fields,
            self.topics.applications,
        )

    # --- research questions and guest lectures ------------------------------------

    async def on_research_event(self, event: ResearchEvent) -> None:
        """Post or close a research question, or record a proposed team."""
        await self._run(
            "research",
            event.data.question_id,
            event,
            lambda state: apply_research_event(_load(Question, state), event),
            lambda q: {
                "owner_id": q.details.owner_id,
                "closed": q.closed,
                "themes": sorted(q.details.themes),
            },
            self.topics.research,
        )
        # Also on a redelivery: a crash may have come between the commit and these
        # suggestions; their ids derive from the pairs, so nothing is sent twice.
        if isinstance(event, ResearchQuestionPosted):
            await self._match_question(event)

    async def _match_question(self, event: ResearchQuestionPosted) -> None:
        question = event.data
        schools = [
            OrganisationRegisteredData.model_validate(d["state"])
            for d in await self.store.find("organisations", {"kind": "school"})
        ]
        found = schools_for_question(question, schools, self.top_k)
        await self._notify(
            {
                p.pairing_id: (
                    question.question_id,
                    ResearchMatchSuggested(
                        event_id=p.pairing_id,
                        occurred_at=event.occurred_at,
                        source=BUREAU,
                        data=ResearchMatchData(
                            question_id=question.question_id,
                            owner_id=question.owner_id,
                            school_id=p.right,
                            score=p.score,
                            reasons=p.reasons,
                        ),
                    ),
                )
                for p in found
            }
        )
        students = [
            StudentRecord.model_validate(d["state"]).profile
            for d in await self.store.find("students", {"consent": True, "erased": False})
        ]
        team = propose_team(question, students, f"{question.question_id}-bureau"[:64])
        if team is not None:
            # Proposed on the question's own topic, so it is validated and applied like
            # any school's proposal; its id derives from the question's posting.
            proposal = ResearchTeamProposed(
                event_id=uuid.uuid5(OUTCOME_NAMESPACE, f"team/{event.event_id}"),
                event_type="ResearchTeamProposed",
                occurred_at=event.occurred_at,
                source=BUREAU,
                correlation_id=str(event.event_id),
                data=team,
            )
            await self._notify(
                {proposal.event_id: (question.question_id, proposal)}, topic=self.topics.research
            )

    async def on_lecture_event(self, event: LectureEvent) -> None:
        """Request, book or cancel a guest lecture."""
        specialist_id = getattr(event.data, "specialist_id", None)
        stored = await self.store.load("specialists", specialist_id) if specialist_id else None
        specialist = SpecialistDetails.model_validate(stored.state) if stored else None
        await self._run(
            "lectures",
            event.data.request_id,
            event,
            lambda state: apply_lecture_event(_load(LectureBooking, state), event, specialist),
            _lecture_fields,
            self.topics.lectures,
        )
        if isinstance(event, GuestLectureRequested):
            specialists = [
                SpecialistDetails.model_validate(d["state"])
                for d in await self.store.find("specialists", {})
            ]
            await self._notify_lectures(
                event, specialists_for_request(event.data, specialists, self.top_k), specialists
            )

    async def _notify_lectures(
        self,
        cause: Envelope,
        pairings: Sequence[Pairing],
        specialists: Sequence[SpecialistDetails],
    ) -> None:
        company = {s.specialist_id: s.company_id for s in specialists}
        schools = {
            d["_id"]: d["school_id"]
            for d in await self.store.get_many("lectures", [p.left for p in pairings])
        }
        await self._notify(
            {
                p.pairing_id: (
                    p.left,
                    LectureMatchSuggested(
                        event_id=p.pairing_id,
                        occurred_at=cause.occurred_at,
                        source=BUREAU,
                        data=LectureMatchData(
                            request_id=p.left,
                            school_id=schools[p.left],
                            specialist_id=p.right,
                            company_id=company[p.right],
                            score=p.score,
                            reasons=p.reasons,
                        ),
                    ),
                )
                for p in pairings
                if p.left in schools
            }
        )

    async def _notify(
        self, events: Mapping[uuid.UUID, tuple[str, Envelope]], topic: str | None = None
    ) -> None:
        # The same claim-then-send ledger as match suggestions: first body wins per id.
        pending = await self.store.claim({i: e.model_dump_json() for i, (_, e) in events.items()})
        for i, body in pending.items():
            await self.publish(topic or self.topics.matches, events[i][0].encode(), body.encode())
        await self.store.mark_sent(list(pending))

    async def shortlist(self, offer_id: str) -> list[Suggestion]:
        """The company's shortlist for an offer: its best candidates now, with reasons.

        Computed when asked, from the current projections, so it never depends on the
        order in which students and offers arrived (and a replay has nothing to redo).
        """
        books = await self.store.get_many("offers", [offer_id])
        if not books:
            return []
        offer = offer_for_matching(Book.model_validate(books[0]["state"]))
        students = await self.store.students_matching(offer, CANDIDATE_LIMIT)
        return students_for_offer(
            offer, students, self.top_k, weights=self.weights, rules=self.rules
        )

    # --- matching rounds ---------------------------------------------------------------

    async def on_round_event(self, event: RoundEvent) -> None:
        """Open a round, take rankings, or close it with one stable allocation."""
        rid = event.data.round_id
        if isinstance(event, MatchingRoundOpened):
            follows = event.data.follows
            previous = await self._round(follows) if follows else None
            await self._run(
                "rounds",
                rid,
                event,
                lambda state: open_round(_load(Round, state), event.data, previous),
                _round_fields,
                self.topics.rounds,
            )
        elif isinstance(event, PreferencesSubmitted):
            await self._take_preferences(event)
        elif isinstance(event, ApplicantsRanked):
            await self._take_ranking(event)
        elif isinstance(event, MatchingRoundClosed):
            await self._close_round(event)
        elif event.source != BUREAU:
            raise RejectedEventError("MatchingRoundRun may only come from bureau")
        # A MatchingRoundRun read back is bureau's own record: nothing to apply.

    async def _round(self, round_id: str) -> Round | None:
        stored = await self.store.load("rounds", round_id)
        return Round.model_validate(stored.state) if stored else None

    async def _take_preferences(self, event: PreferencesSubmitted) -> None:
        d = event.data
        round_ = await self._round(d.round_id)
        student = await self._profile(d.student_id)
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
        # One document per (round, school), not per student: closing a national round then
        # reads hundreds of documents, not tens of thousands. Replacing the student's
        # entry makes a redelivery harmless; the round's single consumer is the only writer.
        key = f"{d.round_id}:{event.source}"
        found = await self.store.get_many("round_preferences", [key])
        entries = json.loads(found[0]["entries"]) if found else {}
        entries[d.student_id] = list(d.offer_ids)
        await self.store.put_view("round_preferences", key, packed_ranking(d.round_id, entries))

    async def _take_ranking(self, event: ApplicantsRanked) -> None:
        d = event.data
        problem = may_rank(await self._round(d.round_id), [d.offer_id])
        if not problem:
            offers = await self.store.get_many("offers", [d.offer_id])
            if not offers or offers[0]["company_id"] != event.source:
                problem = "ApplicantsRanked may only come from the offering company"
        if problem:
            raise RejectedEventError(problem)
        await self.store.put_view(
            "round_rankings",
            f"{d.round_id}:{d.offer_id}",
            packed_ranking(d.round_id, list(d.student_ids), offer_id=d.offer_id),
        )

    async def _close_round(self, event: MatchingRoundClosed) -> None:
        rid = event.data.round_id
        stored = await self.store.load("rounds", rid)
        if stored is None:
            raise RejectedEventError(f"round {rid} is unknown")
        if str(event.event_id) in stored.applied:
            return  # every allocation was published before the round was marked closed
        round_ = Round.model_validate(stored.state)
        clock = [time.perf_counter()]
        prefs, ranks = await asyncio.gather(
            self.store.find("round_preferences", {"round_id": rid}),
            self.store.find("round_rankings", {"round_id": rid}),
        )
        offer_ids = list(round_.details.offer_ids)
        if round_.details.follows:
            previous = await self._round(round_.details.follows)
            left = previous.remaining if previous else {}
            capacities = {o: left.get(o, 0) for o in offer_ids}
        else:
            books = await self.store.get_many("offers", offer_ids)
            capacities = {b["_id"]: b["capacity"] for b in books if not b["withdrawn"]}
        clock.append(time.perf_counter())
        result = close_round(
            round_,
            event,
            {
                student: offers
                for doc in prefs
                for student, offers in json.loads(doc["entries"]).items()
            },
            {r["offer_id"]: json.loads(r["entries"]) for r in ranks},
            {o: c for o, c in capacities.items() if c > 0},
        )
        if isinstance(result, Rejected):
            raise RejectedEventError(result.reason)
        closed, placements, run = result
        clock.append(time.perf_counter())
        # Published before the round is marked closed: a crash in between recomputes the
        # same allocation with the same event ids, which the offers' books deduplicate.
        await self._publish_all(
            [(self.topics.applications, p.data.offer_id, p) for p in placements]
            + [(self.topics.rounds, rid, run)]
        )
        await self.store.commit(
            "rounds",
            rid,
            previous=stored,
            event_id=event.event_id,
            state=closed.model_dump(mode="json"),
            fields=_round_fields(closed),
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

    async def _publish_all(self, records: Sequence[tuple[str, str, Envelope]]) -> None:
        # Many sends in flight at once let the producer batch them; each is still awaited.
        for start in range(0, len(records), 1000):
            await asyncio.gather(
                *(
                    self.publish(topic, key.encode(), event.model_dump_json().encode())
                    for topic, key, event in records[start : start + 1000]
                )
            )

    # --- statistics ------------------------------------------------------------------

    async def refresh_statistics(self) -> list[Row]:
        """Recompute the statistics view from the projections and return its rows."""
        offers = [
            OfferFacts(
                offer_id=d["_id"],
                region=d["region"],
                themes=frozenset(d["themes"]),
                capacity=d["state"]["offer"]["capacity"],
                filled=d["filled"],
            )
            for d in await self.store.find("offers", {"withdrawn": False})
        ]
        students = [
            StudentFacts(
                student_id=d["_id"],
                school_id=d["school_id"],
                level=d["level"],
                levels_seen=frozenset(d["levels_seen"]),
                gender=d.get("gender"),
            )
            for d in await self.store.find("students", {"erased": False})
        ]
        placements = [
            PlacementFacts(
                student_id=d["student_id"],
                offer_id=d["offer_id"],
                submitted_at=datetime.fromisoformat(d["submitted_at"]),
                decided_at=datetime.fromisoformat(d["decided_at"]),
            )
            for d in await self.store.find("placements", {})
            if d["status"] in ("confirmed", "completed")
        ]
        rows = compute(offers, students, placements)
        for row in rows:
            await self.store.put_view("statistics", f"{row.dimension}:{row.value}", asdict(row))
        return rows

    # --- the one path every event takes -------------------------------------------

    async def _applied_before(self, kind: str, key: str, event: Envelope) -> Stored | None:
        """The aggregate, if ``event`` was applied to it before (this is a redelivery)."""
        stored = await self.store.load(kind, key)
        return stored if stored is not None and str(event.event_id) in stored.applied else None

    async def _run(
        self,
        kind: str,
        key: str,
        event: Envelope,
        decide: Callable[[Document | None], Applied[Any] | Rejected | Parked],
        fields: Callable[[Any], Mapping[str, Any]],
        topic: str,
    ) -> Applied[Any] | None:
        stored = await self.store.load(kind, key)
        if stored is not None and str(event.event_id) in stored.applied:
            log.info("event_duplicate")
            await self._deliver(kind, key, stored.version, stored.outbox)
            return None
        decision = decide(stored.state if stored else None)
        if isinstance(decision, Rejected):
            raise RejectedEventError(decision.reason)
        if isinstance(decision, Parked):
            await self._park(decision.waiting_for, event, topic, key)
            return None
        outbox = self._outbox(event, decision, topic, key)
        version = stored.version if stored else 0
        await self.store.commit(
            kind,
            key,
            previous=stored,
            event_id=event.event_id,
            state=decision.state.model_dump(mode="json"),
            fields=fields(decision.state),
            outbox=outbox,
            also_applied=[e.event_id for e in decision.emitted],
        )
        await self._deliver(kind, key, version + 1, outbox)
        log.info("event_applied", outcomes=len(decision.outcomes))
        return decision

    def _outbox(
        self, cause: Envelope, decision: Applied[Any], topic: str, key: str
    ) -> list[Document]:
        entries: list[Document] = []
        book = decision.state if isinstance(decision.state, Book) else None
        for outcome in decision.outcomes:
            entries.append(
                _publish_entry(
                    self.topics.outcomes(outcome.school_id),
                    outcome.student_id,
                    _placement_outcome(cause, outcome),
                )
            )
            if book is not None:
                app = book.applications[outcome.application_id]
                entries.extend(_application_views(book, app))
        # bureau's own decisions (e.g. a rejection for lack of places) join the log they
        # belong to; their ids are already applied, so reading them back changes nothing.
        entries.extend(_publish_entry(topic, key, emitted) for emitted in decision.emitted)
        if isinstance(decision.state, LectureBooking):
            entries.append(_booking_view(decision.state))
        return entries

    async def _deliver(self, kind: str, key: str, version: int, outbox: Sequence[Document]) -> None:
        if not outbox:
            return
        for entry in outbox:
            if "view" in entry:
                await self.store.put_view(entry["view"], entry["key"], entry["doc"])
            else:
                await self.publish(entry["topic"], entry["key"].encode(), entry["value"].encode())
        await self.store.clear_outbox(kind, key, version)

    async def _park(self, ref: str, event: Envelope, topic: str, key: str) -> None:
        await self.store.park(
            ref, event.event_id, {"topic": topic, "key": key, "value": event.model_dump_json()}
        )
        log.info("event_parked", waiting_for=ref)
        # The reference may have arrived while this event was parked: look again.
        kind, _, ref_key = ref.partition(":")
        found = await self.store.load(f"{kind}s", ref_key)
        if found is not None and not found.state.get("erased"):
            await self._redrive(ref)

    async def _redrive(self, ref: str) -> None:
        waiting = await self.store.parked(ref)
        for entry in waiting:
            await self.publish(entry["topic"], entry["key"].encode(), entry["value"].encode())
        await self.store.unpark([entry["_id"] for entry in waiting])
        if waiting:
            log.info("parked_events_redriven", ref=ref, count=len(waiting))

    async def _profile(self, student_id: str) -> StudentProfile | None:
        stored = await self.store.load("students", student_id)
        if stored is None or stored.state.get("erased"):
            return None
        return StudentRecord.model_validate(stored.state).profile

    async def _erase(self, event: StudentErased) -> None:
        data = event.data
        stored = await self.store.load("students", data.student_id)
        if stored is not None and stored.state.get("school_id", data.school_id) != data.school_id:
            raise RejectedEventError("only the student's own school may erase them")
        # Keep a tombstone with the pseudonym only: no level, skills, region or gender.
        await self._run(
            "students",
            data.student_id,
            event,
            lambda _: Applied(_Tombstone(school_id=data.school_id)),
            lambda _: {"school_id": data.school_id, "erased": True, "consent": False},
            self.topics.students,
        )
        # The students topic is compacted: a tombstone under the student's key makes
        # Kafka drop every earlier record of theirs, so a replay cannot bring them back.
        await self.publish(self.topics.students, data.student_id.encode(), None)

    async def _suggest(self, cause: Envelope, suggestions: Sequence[Suggestion]) -> None:
        # Even a re-applied event re-checks the ledger: a crash between the projection
        # write and the publish must not lose the notifications.
        # The ledger records each body before it is sent, first writer wins: an offer's
        # and a student's event may suggest one pair at the same time, with different
        # occurred_at, and one id must never go out with two different bodies.
        # A pair is told once, and again only when its score changed materially: then
        # under an id derived from the pair and this cause, so a replay repeats it.
        pairs = {_pair(sg): sg for sg in suggestions}
        told = {d["_id"]: d["score"] for d in await self.store.get_many("pair_scores", list(pairs))}
        by_id: dict[uuid.UUID, Suggestion] = {}
        for pair, sg in pairs.items():
            if pair not in told:
                by_id[sg.suggestion_id] = sg
            elif score_changed_materially(told[pair], sg.score, self.rescore_threshold):
                again = replace(sg, suggestion_id=uuid.uuid5(sg.suggestion_id, str(cause.event_id)))
                by_id[again.suggestion_id] = again
        pending = await self.store.claim(
            {i: _match(cause, sg).model_dump_json() for i, sg in by_id.items()}
        )
        for i, body in pending.items():
            await self.publish(self.topics.matches, by_id[i].offer_id.encode(), body.encode())
        # Marked only after the broker acknowledged: a crash in between re-sends the
        # same bytes under the same id, which readers deduplicate, instead of losing them.
        await self.store.mark_sent(list(pending))
        for sg in by_id.values():
            await self.store.put_view("pair_scores", _pair(sg), {"score": sg.score})
        if pending:
            log.info("matches_suggested", count=len(pending))


def packed_ranking(round_id: str, entries: object, **fields: str) -> Document:
    """A round's rankings document, the rankings packed as one JSON string."""
    # Rankings are read whole, only when the round closes: kept as one JSON string,
    # because a MongoDB-wire store decodes a string far faster than a million values
    # (FerretDB: 50k students' preferences in ~0.1 s instead of ~5 s).
    return {"round_id": round_id, **fields, "entries": json.dumps(entries, sort_keys=True)}


class StudentRecord(BaseModel):
    """A student's current profile and every level they have had (for continuation)."""

    profile: StudentProfile
    levels_seen: tuple[str, ...]


def _record(state: Document | None, profile: StudentProfile) -> StudentRecord:
    seen = set() if state is None or state.get("erased") else set(state["levels_seen"])
    return StudentRecord(profile=profile, levels_seen=tuple(sorted(seen | {profile.level.value})))


class _Tombstone(BaseModel):
    """What bureau keeps of an erased student."""

    school_id: str
    erased: bool = True


def _pair(sg: Suggestion) -> str:
    return f"{sg.offer_id}/{sg.student_id}"


def _owned(state: Document | None, owner_field: str, source: str) -> Rejected | None:
    """Refuse a profile change from anyone but the profile's owner (school or company)."""
    if state is None or state.get("erased"):
        return None
    owner = state.get("profile", state).get(owner_field)
    if owner is not None and owner != source:
        return Rejected(f"{source} may not change a profile that belongs to {owner}")
    return None


def _load(model: type[S], state: Document | None) -> S | None:
    return None if state is None else model.model_validate(state)


def _publish_entry(topic: str, key: str, event: Envelope) -> Document:
    return {"topic": topic, "key": key, "value": event.model_dump_json()}


def _placement_outcome(cause: Envelope, outcome: Outcome) -> PlacementOutcome:
    # Derived from the cause, so a re-delivery re-creates the very same record.
    return PlacementOutcome(
        event_id=uuid.uuid5(OUTCOME_NAMESPACE, f"{cause.event_id}/{outcome.application_id}"),
        occurred_at=cause.occurred_at,
        source=BUREAU,
        correlation_id=str(cause.event_id),
        data=outcome,
    )


def _application_views(book: Book, app: Application) -> list[Document]:
    doc = {
        "offer_id": book.offer.offer_id,
        "company_id": book.offer.company_id,
        **app.model_dump(mode="json"),
    }
    placed = app.status in PLACED
    placement = {
        k: doc[k]
        for k in (
            "offer_id",
            "company_id",
            "student_id",
            "school_id",
            "status",
            "submitted_at",
            "decided_at",
            "start",
            "end",
        )
    }
    return [
        {"view": "applications", "key": app.application_id, "doc": doc},
        {"view": "placements", "key": app.application_id, "doc": placement if placed else None},
    ]


def _booking_view(lecture: LectureBooking) -> Document:
    request = lecture.request
    doc = None
    if lecture.booking is not None:
        doc = {
            "school_id": request.school_id,
            "specialist_id": lecture.booking.specialist_id,
            "company_id": lecture.company_id,
            "on": lecture.booking.on.isoformat(),
            "cancelled": lecture.cancelled,
        }
    return {"view": "bookings", "key": request.request_id, "doc": doc}


def _offer_fields(book: Book) -> dict[str, Any]:
    o = book.offer
    return {
        "company_id": o.company_id,
        "title": o.title,
        "levels": sorted(level.value for level in o.levels),
        "skills": sorted(o.skills),
        "themes": sorted(o.themes),
        "region": o.region,
        "withdrawn": book.withdrawn,
        "filled": book.filled,
        "capacity": book.remaining,
        "period": o.period.model_dump(mode="json") if o.period else None,
        "remote": o.mode is WorkMode.REMOTE,
    }


def _student_fields(record: StudentRecord) -> dict[str, Any]:
    p = record.profile
    return {
        "levels_seen": list(record.levels_seen),
        # Present only when the student consented to statistics (the schema sees to it).
        "gender": p.gender.value if p.gender else None,
        "school_id": p.school_id,
        "level": p.level.value,
        "skills": sorted(p.skills),
        "themes": sorted(p.themes),
        "region": p.region,
        "consent": p.may_be_matched,
        "available": p.available.model_dump(mode="json") if p.available else None,
        "erased": False,
    }


def _round_fields(r: Round) -> dict[str, Any]:
    return {"closed": r.closed, "coordinator_id": r.details.coordinator_id}


def _lecture_fields(lecture: LectureBooking) -> dict[str, Any]:
    return {
        "school_id": lecture.request.school_id,
        "booked": lecture.booking is not None and not lecture.cancelled,
    }


def offer_for_matching(book: Book) -> Offer:
    """The matching view of an offer's book: remaining places as its capacity."""
    o = book.offer
    return Offer(
        offer_id=o.offer_id,
        company_id=o.company_id,
        title=o.title,
        levels=o.levels,
        skills=o.skills,
        region=o.region,
        capacity=book.remaining,
        withdrawn=book.withdrawn,
        period=o.period,
        remote=o.mode is WorkMode.REMOTE,
        themes=frozenset(t.value for t in o.themes),
    )


def student_for_matching(p: StudentProfile) -> Student:
    """The matching view of a student profile."""
    return Student(
        student_id=p.student_id,
        school_id=p.school_id,
        level=p.level,
        skills=p.skills,
        region=p.region,
        consent=p.may_be_matched,
        available=p.available,
        themes=frozenset(t.value for t in p.themes),
    )


def _match(cause: Envelope, s: Suggestion) -> MatchSuggested:
    # Every field derives from the cause, so a replay re-creates identical bytes.
    return MatchSuggested(
        event_id=s.suggestion_id,
        occurred_at=cause.occurred_at,
        source=BUREAU,
        data=MatchSuggestedData(
            offer_id=s.offer_id,
            company_id=s.company_id,
            student_id=s.student_id,
            school_id=s.school_id,
            score=s.score,
            reasons=s.reasons,
        ),
    )


__all__ = [
    "Exchange",
    "Publish",
    "RejectedEventError",
    "StudentRecord",
    "offer_for_matching",
    "packed_ranking",
    "student_for_matching",
]
