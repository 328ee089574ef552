"""Continuous matching from the in-memory tables: who to tell, under which id.

A pair is told when a change makes it a top-K candidate it was not before, or moves
its score materially; it is never looked up in a ledger. "Before" is the changed
side's previous state, scored against the other side as it is now. Ids and bodies
derive from the pair and the versions of both sides (the later side's time is the
record's time), so a redelivery, or two workers telling one pair, repeat the same
bytes under the same id.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bureau.domain.collaboration_matching import (
    Pairing,
    requests_for_specialist,
    schools_for_question,
    specialists_for_request,
)
from bureau.domain.eligibility import Rules
from bureau.domain.matching import Offer, Student, Suggestion, suggest
from bureau.domain.scoring import Weights, score_changed_materially
from bureau.schemas.envelope import BUREAU
from bureau.schemas.lectures import LectureRequest, SpecialistDetails
from bureau.schemas.matches import (
    LectureMatchData,
    LectureMatchSuggested,
    ResearchMatchData,
    ResearchMatchSuggested,
)
from bureau.schemas.research import QuestionDetails
from bureau.service.documents import Told, student_for_matching
from bureau.service.tables import Tables
from bureau.topics import Table


@dataclass(frozen=True, kw_only=True)
class Matcher:
    """Ranks candidates from the tables and decides which pairs are worth telling."""

    tables: Tables
    top_k: int
    weights: Weights
    rules: Rules
    rescore_threshold: float

    def for_offer(
        self, offer: Offer, before: Offer | None, version: int, at: datetime
    ) -> list[Told]:
        """Suggestions caused by a new or changed offer."""
        if offer.remaining <= 0 or offer.withdrawn:
            return []
        found = []
        for sg in self.tables.index.students_for_offer(offer, self.top_k):
            profile = self.tables.students.get(sg.student_id)
            if profile is None:
                continue
            # A new offer (no ``before``) tells every candidate: no student to rebuild.
            if before is not None and not self._worth_telling(
                sg, self._suggest(before, student_for_matching(profile))
            ):
                continue
            other = self._row(Table.STUDENTS, sg.student_id)
            found.append(self._record(sg, (version, at), other))
        return found

    def for_student(
        self, student: Student, before: Student | None, version: int, at: datetime
    ) -> list[Told]:
        """Suggestions caused by a new or changed student."""
        found = []
        for sg in self.tables.index.offers_for_student(student, self.top_k):
            offer = self.tables.offers.get(sg.offer_id)
            if offer is None:
                continue
            if not self._worth_telling(sg, self._suggest(offer, before)):
                continue
            other = self._row(Table.OFFERS, sg.offer_id)
            found.append(self._record(sg, other, (version, at)))
        return found

    def _suggest(self, offer: Offer | None, student: Student | None) -> Suggestion | None:
        if offer is None or student is None:
            return None
        return suggest(offer, student, weights=self.weights, rules=self.rules)

    def _worth_telling(self, now: Suggestion, before: Suggestion | None) -> bool:
        return before is None or score_changed_materially(
            before.score, now.score, self.rescore_threshold
        )

    def _row(self, table: str, key: str) -> tuple[int, datetime]:
        row = self.tables.rows[(table, key)]
        return row.version, row.at

    @staticmethod
    def _record(sg: Suggestion, offer: tuple[int, datetime], student: tuple[int, datetime]) -> Told:
        return Told(sg, (offer[0], student[0]), max(offer[1], student[1]))

    def lectures_for_request(
        self, request: LectureRequest, version: int, at: datetime
    ) -> list[LectureMatchSuggested]:
        """Specialists for a new lecture request."""
        found = specialists_for_request(request, self._specialists(), self.top_k)
        return [
            self._lecture(
                p,
                request.school_id,
                self.tables.specialists[p.right].company_id,
                (version, at),
                self._row(Table.SPECIALISTS, p.right),
            )
            for p in found
        ]

    def lectures_for_specialist(
        self, specialist: SpecialistDetails, version: int, at: datetime
    ) -> list[LectureMatchSuggested]:
        """Open requests for a new or changed specialist."""
        requests = [self.tables.requests[k] for k in sorted(self.tables.requests)]
        found = requests_for_specialist(specialist, requests, self.top_k)
        return [
            self._lecture(
                p,
                self.tables.requests[p.left].school_id,
                specialist.company_id,
                self._row(Table.REQUESTS, p.left),
                (version, at),
            )
            for p in found
        ]

    def _specialists(self) -> Iterable[SpecialistDetails]:
        return (self.tables.specialists[k] for k in sorted(self.tables.specialists))

    @staticmethod
    def _lecture(
        p: Pairing,
        school_id: str,
        company_id: str,
        request: tuple[int, datetime],
        specialist: tuple[int, datetime],
    ) -> LectureMatchSuggested:
        return LectureMatchSuggested(
            event_id=uuid.uuid5(p.pairing_id, f"{request[0]}/{specialist[0]}"),
            occurred_at=max(request[1], specialist[1]),
            source=BUREAU,
            data=LectureMatchData(
                request_id=p.left,
                school_id=school_id,
                specialist_id=p.right,
                company_id=company_id,
                score=p.score,
                reasons=p.reasons,
            ),
        )

    def schools_for_question(
        self, question: QuestionDetails, at: datetime
    ) -> Sequence[ResearchMatchSuggested]:
        """Schools for a new research question."""
        orgs = [self.tables.organisations[k] for k in sorted(self.tables.organisations)]
        return [
            ResearchMatchSuggested(
                event_id=p.pairing_id,
                occurred_at=at,
                source=BUREAU,
                data=ResearchMatchData(
                    question_id=question.question_id,
                    owner_id=question.owner_id,
                    school_id=p.right,
                    score=p.score,
                    reasons=p.reasons,
                ),
            )
            for p in schools_for_question(question, orgs, self.top_k)
        ]
