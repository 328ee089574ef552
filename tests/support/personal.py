"""A student's data spread over the in-memory store, for the scanner and the export.

``place`` puts one student's distinctive values in every collection the service
writes (sealed where ``bureau.privacy.fields`` says so, in plaintext in the
aggregates the domain re-reads), plus a parked event and a dead letter sealed as
the design says (the service does not seal those yet). ``erase`` is the whole
erasure design: shred the key, tombstone the student, scrub the books and teams,
delete the round preferences. ``tests/unit/test_erasure_end_to_end.py`` drives the
real service instead.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from bureau.adapters.memory import InMemoryStore
from bureau.domain.book import Book
from bureau.domain.collaboration import Question
from bureau.domain.erasure import scrub_book, scrub_question
from bureau.privacy.fields import seal_personal
from bureau.privacy.keys import KeyStore
from bureau.schemas.examples import EXAMPLES
from bureau.service.documents import team_member_view
from tests.support import events

OFFER = {**EXAMPLES["InternshipOffered"]["data"]}
QUESTION = {**EXAMPLES["ResearchQuestionPosted"]["data"], "composition": []}


@dataclass(frozen=True)
class Values:
    """Values that occur nowhere else: if one is found, it is this student's."""

    student_id: str
    school_id: str
    skill: str
    programme: str
    remark: str
    start: str

    @property
    def needles(self) -> tuple[str, ...]:
        """What the erasure proof looks for."""
        return (self.skill, self.programme, self.remark, self.start)


def values(n: int, school_id: str = "roc-amsterdam") -> Values:
    """The distinctive values of student number ``n``."""
    return Values(
        student_id=f"st-{n:04d}",
        school_id=school_id,
        skill=f"quokka-forensics-{n}",
        programme=f"Zeppelin rigging {n} XQ",
        remark=f"hums-while-soldering-{n}",
        start=f"2031-07-{n % 28 + 1:02d}",
    )


async def place(store: InMemoryStore, keys: KeyStore, v: Values, *, seal: bool = True) -> None:
    """Put ``v`` in every collection bureau writes, sealed as the fields registry says."""

    async def sealed(doc: dict[str, Any], kind: str, student: str | None = None) -> Any:
        return await seal_personal(doc, keys, kind=kind, student_id=student) if seal else doc

    profile = {**events.student(v.student_id, school_id=v.school_id, skills=(v.skill,))["data"]}
    profile["programme"] = v.programme
    match = {**EXAMPLES["MatchSuggested"], "event_id": str(uuid.uuid4())}
    match["data"] = {
        **match["data"],
        "student_id": v.student_id,
        "school_id": v.school_id,
        "reasons": [f"shared skills: {v.skill}"],
    }
    body = json.dumps(await sealed(match, "MatchSuggested"))
    await store.commit(
        "students",
        v.student_id,
        previous=await store.load("students", v.student_id),
        state={"profile": profile, "levels_seen": ["mbo-4"]},
        fields={"school_id": v.school_id, "skills": [v.skill], "erased": False},
        seen={},
        outbox=[{"topic": "bureau.matches.v1", "key": OFFER["offer_id"], "value": body}],
    )
    app_id = f"app-{v.student_id}"
    app = {
        "application_id": app_id,
        "student_id": v.student_id,
        "school_id": v.school_id,
        "status": "completed",
        "submitted_at": "2026-09-01T09:00:00Z",
        "decided_at": "2026-09-02T09:00:00Z",
        "start": v.start,
        "end": "2031-12-31",
        "rating": 4,
        "history": [
            {
                "event_type": "PlacementCompleted",
                "status": "completed",
                "at": "2026-09-02T09:00:00Z",
                "reason": v.remark,
            }
        ],
    }
    book = store["offers"].get(OFFER["offer_id"])
    state = book["state"] if book else {"offer": OFFER, "applications": []}
    state["applications"] = [*state["applications"], {"key": app_id, "value": app}]
    store["offers"][OFFER["offer_id"]] = {"_id": OFFER["offer_id"], "state": state}
    view = {"offer_id": OFFER["offer_id"], "company_id": OFFER["company_id"], **app}
    await store.put_view("applications", app_id, await sealed(view, "applications"))
    placement = {k: view[k] for k in ("offer_id", "student_id", "status", "start", "end")}
    await store.put_view("placements", app_id, await sealed(placement, "placements"))
    wishes = [OFFER["offer_id"], f"wish-{v.skill}"]
    preference = {"round_id": "spring", "kind": "preferences", "subject": v.student_id}
    await store.insert_view("round_inputs", f"p-{v.student_id}", {**preference, "ranked": wishes})
    ranking = {"round_id": "spring", "kind": "ranking", "subject": OFFER["offer_id"]}
    await store.insert_view(
        "round_inputs", f"r-{v.student_id}", {**ranking, "ranked": [v.student_id]}
    )
    question = store["research"].get(QUESTION["question_id"])
    qstate = question["state"] if question else {"details": QUESTION, "teams": []}
    member = {"student_id": v.student_id, "level": "mbo-4"}
    team = {
        "question_id": QUESTION["question_id"],
        "team_id": f"team-{v.student_id}",
        "members": [member],
    }
    qstate["teams"] = [*qstate["teams"], {"key": team["team_id"], "value": team}]
    store["research"][QUESTION["question_id"]] = {"_id": QUESTION["question_id"], "state": qstate}
    # As the research room keeps it: who is in which team, found by student.
    await store.put_view(*team_member_view(QUESTION["question_id"], team["team_id"], v.student_id))
    completed = events.application("PlacementCompleted", app_id, student_id=v.student_id)
    completed["data"]["remarks"] = v.remark
    entry = {"topic": "bureau.applications.v1", "key": "o-late", "value": json.dumps(completed)}
    if seal:
        entry = {**await sealed(entry, "parked", v.student_id), "student_id": v.student_id}
    await store.park("offers", f"o-late-{v.student_id}", entry)  # waiting for an unknown offer
    # a dead letter bureau wrote: kept in the store here, a topic in the real thing
    dead = {
        "topic": "bureau.students.v1.dlq",
        "key": v.student_id,
        "value": json.dumps(events.student(v.student_id, skills=(v.skill,))),
    }
    store["dlq"][str(uuid.uuid4())] = await sealed(dead, "dlq", v.student_id)


async def erase(store: InMemoryStore, keys: KeyStore, student_id: str, school_id: str) -> None:
    """The whole erasure design (the service does not yet scrub research or seal parked/DLQ)."""
    await keys.delete(student_id)
    stored = await store.load("students", student_id)
    await store.commit(
        "students",
        student_id,
        previous=stored,
        state={"school_id": school_id, "erased": True},
        fields={"school_id": school_id, "erased": True, "consent": False},
        seen={},
        outbox=[],
    )
    for doc in store["offers"].values():
        if "state" in doc:
            book = Book.model_validate(doc["state"])
            doc["state"] = scrub_book(book, student_id).model_dump(mode="json")
    for doc in store["research"].values():
        q = Question.model_validate(doc["state"])
        doc["state"] = scrub_question(q, student_id).model_dump(mode="json")
    where = {"kind": "preferences", "subject": student_id}
    for doc in await store.find("round_inputs", where):
        await store.put_view("round_inputs", doc["_id"], None)


async def preferences(store: InMemoryStore) -> dict[str, Any]:
    """Every student's round preferences (what the service reads at a round's close)."""
    docs = await store.find("round_inputs", {"kind": "preferences"})
    return {d["subject"]: d["ranked"] for d in docs}
