"""Students: profiles replaced by their school, erasure, and the offers they fit."""

from __future__ import annotations

from dataclasses import dataclass

from bureau.adapters.store import Document, Stored
from bureau.domain.decisions import Applied, Rejected
from bureau.domain.roles import check_student_owner
from bureau.schemas.matches import MatchSuggested
from bureau.schemas.students import StudentErased, StudentEvent
from bureau.service.context import Context
from bureau.service.documents import (
    Kind,
    StudentRecord,
    Tombstone,
    is_erased,
    owner,
    state_of,
    student_fields,
    student_for_matching,
    student_record,
)
from bureau.service.pipeline import Done, Position, RejectedEventError
from bureau.topics import Table


@dataclass(kw_only=True)
class Students:
    """Registers, updates and erases students; suggests offers to them."""

    ctx: Context

    async def on_event(self, event: StudentEvent, at: Position | None = None) -> None:
        """Register, update or erase a student, then suggest offers to them."""
        if isinstance(event, StudentErased):
            await self._erase(event, at)
            return
        profile = event.data
        student = student_for_matching(profile)

        def decide(stored: Stored | None) -> Applied[StudentRecord] | Rejected:
            return check_student_owner(owner(stored), event.source) or Applied(
                student_record(stored, profile)
            )

        def suggestions(stored: Stored | None, version: int) -> list[MatchSuggested]:
            if not profile.may_be_matched:
                return []
            old = None if is_erased(stored) else state_of(StudentRecord, stored)
            before = student_for_matching(old.profile) if old else None
            return self.ctx.matcher.for_student(student, before, version, event.occurred_at)

        def follow(stored: Stored | None, decision: Applied[StudentRecord]) -> list[Document]:
            old = None if is_erased(stored) else state_of(StudentRecord, stored)
            if old is not None and old.profile == profile:
                # The same profile again: nothing others match on changed, so no new
                # version for them (a pair's id derives from the versions of its sides).
                return []
            version = (stored.version if stored else 0) + 1
            body = {"profile": profile.model_dump(mode="json")}
            return [
                self.ctx.record(Table.STUDENTS, profile.student_id, version, event, body),
                *self.ctx.entries(suggestions(stored, version)),
            ]

        mark = self.ctx.foreign()
        result = await self.ctx.pipeline.run(
            Kind.STUDENTS,
            profile.student_id,
            event,
            decide,
            topic=self.ctx.topics.students,
            at=at,
            fields=student_fields,
            follow=follow,
        )
        if isinstance(result, Done) and result.outbox:
            before, version = result.before, (result.before.version if result.before else 0) + 1
            await self.ctx.matched(result, mark, lambda: suggestions(before, version))

    async def _erase(self, event: StudentErased, at: Position | None) -> None:
        data = event.data

        def decide(stored: Stored | None) -> Applied[Tombstone] | Rejected:
            # Keep a tombstone with the pseudonym only: no level, skills, region or gender.
            return check_student_owner(owner(stored), event.source) or Applied(
                Tombstone(school_id=data.school_id)
            )

        def follow(stored: Stored | None, decision: Applied[Tombstone]) -> list[Document]:
            version = (stored.version if stored else 0) + 1
            return [
                self.ctx.record(Table.STUDENTS, data.student_id, version, event, {"erased": True}),
                # The students topic is compacted: a tombstone under the student's key
                # makes Kafka drop every earlier record of theirs.
                {"topic": self.ctx.topics.students, "key": data.student_id, "value": None},
            ]

        result = await self.ctx.pipeline.run(
            Kind.STUDENTS,
            data.student_id,
            event,
            decide,
            topic=self.ctx.topics.students,
            at=at,
            fields=student_fields,
            follow=follow,
        )
        self.ctx.absorb(result)


__all__ = ["RejectedEventError", "Students"]
