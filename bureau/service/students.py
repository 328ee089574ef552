"""Students: profiles replaced by their school, consents, erasure, the offers they fit."""

from __future__ import annotations

from dataclasses import dataclass

from bureau.adapters.store import Document, Stored
from bureau.domain.consent import withdrawn_by
from bureau.domain.decisions import Applied, Parked, Rejected, student_ref
from bureau.domain.roles import check_student_owner
from bureau.schemas.students import (
    ConsentGiven,
    ConsentWithdrawn,
    Purpose,
    StudentErased,
    StudentEvent,
    StudentProfile,
    StudentProfileUpdated,
    StudentRegistered,
)
from bureau.service.context import Context
from bureau.service.documents import (
    Kind,
    StudentRecord,
    Told,
    Tombstone,
    consent_withdrawal_applied,
    is_erased,
    owner,
    state_of,
    student_fields,
    student_for_matching,
    student_record,
    with_consent,
)
from bureau.service.pipeline import (
    Decide,
    Done,
    Duplicate,
    Position,
    RejectedEventError,
    Result,
    publish_entry,
)
from bureau.service.removal import Removal
from bureau.topics import Table


@dataclass(kw_only=True)
class Students:
    """Registers, updates and erases students; suggests offers to them."""

    ctx: Context

    async def on_event(self, event: StudentEvent, at: Position | None = None) -> None:
        """Register, update or erase a student, or record a consent; suggest offers."""
        if isinstance(event, StudentErased):
            await self._erase(event, at)
        elif isinstance(event, ConsentGiven | ConsentWithdrawn):
            await self._consent(event, at)
        else:
            await self._profile(event, at)

    async def _profile(
        self, event: StudentRegistered | StudentProfileUpdated, at: Position | None
    ) -> None:
        profile = event.data

        def decide(stored: Stored | None) -> Applied[StudentRecord] | Rejected:
            return check_student_owner(owner(stored), event.source) or Applied(
                student_record(stored, profile)
            )

        await self._apply(profile.student_id, event, decide, at)

    async def _consent(self, event: ConsentGiven | ConsentWithdrawn, at: Position | None) -> None:
        student_id = event.data.student_id

        def decide(stored: Stored | None) -> Applied[StudentRecord] | Rejected | Parked:
            if stored is None or stored.state is None:
                return Parked(student_ref(student_id))  # consent may come before the profile
            refused = check_student_owner(owner(stored), event.source)
            record = _record_of(stored)
            if refused or record is None:
                return refused or Rejected(f"student {student_id} was erased")
            return Applied(with_consent(record, event))

        result = await self._apply(student_id, event, decide, at)
        record = result.decision.state if isinstance(result, Done) else None
        if isinstance(result, Duplicate):  # a redelivery: finish what a crash may have cut
            record = _record_of(result.stored)
        if record is None or record.consent is None:
            return
        lost = withdrawn_by(record.consent, str(event.event_id), record.profile.age_band)
        removal = Removal(ctx=self.ctx)
        if Purpose.MATCHING in lost:  # before allocation: a round reads its inputs at close
            await removal.round_inputs(student_id)
        if lost & {Purpose.MATCHING, Purpose.TEAMS}:
            await removal.teams(event, student_id)
        if lost:
            notice = consent_withdrawal_applied(event, lost)
            entries = await self.ctx.pipeline.sealer.seal(
                [publish_entry(self.ctx.topics.outcomes(event.data.school_id), student_id, notice)]
            )
            await self.ctx.pipeline.deliver(entries)

    async def _apply(
        self,
        student_id: str,
        event: StudentEvent,
        decide: Decide,
        at: Position | None,
    ) -> Result:
        """Run a change of the student's record; publish it to the tables; suggest offers."""

        def suggestions(stored: Stored | None, version: int, now: StudentProfile) -> list[Told]:
            if not now.may_be_matched:
                return []
            old = _record_of(stored)
            before = student_for_matching(old.effective) if old else None
            return self.ctx.matcher.for_student(
                student_for_matching(now), before, version, event.occurred_at
            )

        def follow(stored: Stored | None, decision: Applied[StudentRecord]) -> list[Document]:
            old, now = _record_of(stored), decision.state.effective
            if old is not None and old.effective == now:
                # Nothing others match on changed, so no new version for them (a pair's
                # id derives from the versions of its sides).
                return []
            version = (stored.version if stored else 0) + 1
            body = {"profile": now.model_dump(mode="json")}
            return [
                self.ctx.record(Table.STUDENTS, student_id, version, event, body),
                *self.ctx.entries(suggestions(stored, version, now)),
            ]

        mark = self.ctx.foreign()
        result = await self.ctx.pipeline.run(
            Kind.STUDENTS,
            student_id,
            event,
            decide,
            topic=self.ctx.topics.students,
            at=at,
            fields=student_fields,
            follow=follow,
        )
        if isinstance(result, Done) and result.outbox:
            before, version = result.before, (result.before.version if result.before else 0) + 1
            now = result.decision.state.effective
            await self.ctx.matched(result, mark, lambda: suggestions(before, version, now))
        elif (unseen := self.ctx.unseen(result, Table.STUDENTS, student_id)) is not None:
            # Sent again after a crash: matched as then, against what the tables had.
            assert isinstance(result, Duplicate)
            record, had = _record_of(result.stored), self.ctx.tables.students.get(student_id)
            if record is not None and record.effective.may_be_matched:
                now, was = student_for_matching(record.effective), None
                if had is not None:
                    was = student_for_matching(had)
                version, when = unseen
                await self.ctx.rematch_unseen(
                    result, lambda: self.ctx.matcher.for_student(now, was, version, when)
                )
        return result

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
            redrive=False,  # events waiting for them would be refused: they go with them
        )
        self.ctx.absorb(result)
        # Also on a redelivery: a crash may have come before the books or the key.
        removal = Removal(ctx=self.ctx)
        await removal.books(event, data.student_id)
        await removal.round_inputs(data.student_id)
        await removal.teams(event, data.student_id)
        # After the tombstone's commit: every token sealed for them becomes noise.
        await self.ctx.pipeline.sealer.shred(data.student_id)


def _record_of(stored: Stored | None) -> StudentRecord | None:
    return None if is_erased(stored) else state_of(StudentRecord, stored)


__all__ = ["RejectedEventError", "Students"]
