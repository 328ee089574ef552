"""Research questions with teams, guest-lecture requests, and the specialists for them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from bureau.adapters.store import Document, Stored
from bureau.domain.collaboration import (
    LectureBooking,
    Question,
    apply_lecture_event,
    apply_research_event,
)
from bureau.domain.collaboration_matching import propose_team
from bureau.domain.decisions import Applied, Parked, Rejected, guarded
from bureau.domain.roles import check_team
from bureau.schemas.envelope import BUREAU
from bureau.schemas.lectures import (
    GuestLectureRequested,
    LectureEvent,
    SpecialistDetails,
    SpecialistEvent,
)
from bureau.schemas.research import ResearchEvent, ResearchQuestionPosted, ResearchTeamProposed
from bureau.schemas.students import StudentProfile
from bureau.service.context import Context
from bureau.service.documents import (
    OUTCOME_NAMESPACE,
    Kind,
    booking_view,
    lecture_fields,
    owned,
    question_fields,
    state_of,
    team_member_view,
)
from bureau.service.pipeline import Position, publish_entry, view_entry
from bureau.topics import Table


@dataclass(kw_only=True)
class Research:
    """Research questions: posted, closed, teams proposed; schools and a team suggested."""

    ctx: Context

    async def on_event(self, event: ResearchEvent, at: Position | None = None) -> None:
        """Post or close a research question, or record a proposed team."""
        question_id = event.data.question_id
        team_rule: Rejected | Parked | None = None
        if isinstance(event, ResearchTeamProposed):
            proposer = await self.ctx.organisation(event.source)
            profiles: dict[str, StudentProfile | None] = {}
            for member in event.data.members:
                found = await self.ctx.student(member.student_id)
                if found is not None or member.student_id in self.ctx.tables.erased:
                    profiles[member.student_id] = found
            team_rule = check_team(event, proposer, profiles)

        def follow(stored: Stored | None, decision: Applied[Question]) -> list[Document]:
            if isinstance(event, ResearchTeamProposed):
                team = event.data
                return [
                    view_entry(*team_member_view(question_id, team.team_id, m.student_id))
                    for m in team.members
                ]
            if not isinstance(event, ResearchQuestionPosted) or stored is not None:
                return []
            return self._suggestions(event)

        result = await self.ctx.pipeline.run(
            Kind.RESEARCH,
            question_id,
            event,
            lambda stored: guarded(
                apply_research_event(state_of(Question, stored), event), team_rule
            ),
            topic=self.ctx.topics.research,
            at=at,
            fields=question_fields,
            follow=follow,
        )
        self.ctx.absorb(result)

    def _suggestions(self, event: ResearchQuestionPosted) -> list[Document]:
        # Computed before the commit and kept in its outbox: a redelivery sends the same.
        question = event.data
        schools = self.ctx.matcher.schools_for_question(question, event.occurred_at)
        entries = self.ctx.entries(schools)
        students = list(self.ctx.tables.consenting_students())
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
            entries.append(publish_entry(self.ctx.topics.research, question.question_id, proposal))
        return entries


@dataclass(kw_only=True)
class Lectures:
    """Guest-lecture requests and bookings, and specialists made available by companies."""

    ctx: Context

    async def on_lecture_event(self, event: LectureEvent, at: Position | None = None) -> None:
        """Request, book or cancel a guest lecture."""
        specialist_id = getattr(event.data, "specialist_id", None)
        specialist = self.ctx.tables.specialists.get(specialist_id) if specialist_id else None
        if specialist_id and specialist is None:
            await self.ctx.barrier()  # another worker may have applied it just now
            specialist = self.ctx.tables.specialists.get(specialist_id)

        def follow(stored: Stored | None, decision: Applied[LectureBooking]) -> list[Document]:
            lecture = decision.state
            version = (stored.version if stored else 0) + 1
            request_id = lecture.request.request_id
            is_open = lecture.booking is None or lecture.cancelled
            body = {"request": lecture.request.model_dump(mode="json")} if is_open else None
            entries = [
                view_entry(*booking_view(lecture)),
                self.ctx.record(Table.REQUESTS, request_id, version, event, body),
            ]
            if isinstance(event, GuestLectureRequested) and stored is None:
                found = self.ctx.matcher.lectures_for_request(
                    event.data, version, event.occurred_at
                )
                entries.extend(self.ctx.entries(found))
            return entries

        result = await self.ctx.pipeline.run(
            Kind.LECTURES,
            event.data.request_id,
            event,
            lambda stored: apply_lecture_event(state_of(LectureBooking, stored), event, specialist),
            topic=self.ctx.topics.lectures,
            at=at,
            fields=lecture_fields,
            follow=follow,
        )
        self.ctx.absorb(result)

    async def on_specialist_event(self, event: SpecialistEvent, at: Position | None = None) -> None:
        """Make a specialist available for guest lectures (or update that)."""
        data = event.data

        def decide(stored: Stored | None) -> Applied[SpecialistDetails] | Rejected:
            return owned(stored, "company_id", event.source) or Applied(data)

        def follow(stored: Stored | None, decision: Applied[SpecialistDetails]) -> list[Document]:
            version = (stored.version if stored else 0) + 1
            body = {"specialist": data.model_dump(mode="json")}
            found = self.ctx.matcher.lectures_for_specialist(data, version, event.occurred_at)
            return [
                self.ctx.record(Table.SPECIALISTS, data.specialist_id, version, event, body),
                *self.ctx.entries(found),
            ]

        result = await self.ctx.pipeline.run(
            Kind.SPECIALISTS,
            data.specialist_id,
            event,
            decide,
            topic=self.ctx.topics.specialists,
            at=at,
            fields=lambda d: {"company_id": d.company_id, "themes": sorted(d.themes)},
            follow=follow,
        )
        self.ctx.absorb(result)
