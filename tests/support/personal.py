"""A student's data spread over the in-memory store as the wired service writes it.

``place`` puts one student's distinctive values everywhere bureau keeps a copy
(sealed where ``bureau.privacy.fields`` says so, in plaintext in the aggregates the
domain re-reads); ``erase`` does what the service does on ``StudentErased``: shred
the key, tombstone the student, scrub the aggregates and views that name them.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from bureau.adapters.memory import InMemoryStore
from bureau.domain.book import Book
from bureau.domain.collaboration import Question
from bureau.domain.erasure import (
    pairs_of,
    ranking_without,
    scrub_book,
    scrub_question,
    without_student,
)
from bureau.privacy.fields import seal_by_student, seal_personal, unseal_by_student
from bureau.privacy.keys import KeyStore
from bureau.schemas.examples import EXAMPLES
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
    await store.commit(
        "students",
        v.student_id,
        previous=await store.load("students", v.student_id),
        event_id=uuid.uuid4(),
        state={"profile": profile, "levels_seen": ["mbo-4"]},
        fields={"school_id": v.school_id, "skills": [v.skill], "erased": False},
        outbox=[],
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
    match = {**EXAMPLES["MatchSuggested"], "event_id": str(uuid.uuid4())}
    match["data"] = {
        **match["data"],
        "student_id": v.student_id,
        "school_id": v.school_id,
        "reasons": [f"shared skills: {v.skill}"],
    }
    body = json.dumps(await sealed(match, "MatchSuggested"))
    store["notifications"][match["event_id"]] = {"_id": match["event_id"], "body": body}
    await store.put_view("pair_scores", f"{OFFER['offer_id']}/{v.student_id}", {"score": 0.5})
    prefs_key = f"spring:{v.school_id}"
    found = store["round_preferences"].get(prefs_key)
    entries = json.loads(found["entries"]) if found else {}
    mine = {v.student_id: [OFFER["offer_id"], f"wish-{v.skill}"]}
    entries.update(await seal_by_student(mine, keys) if seal else mine)
    await store.put_view(
        "round_preferences", prefs_key, {"round_id": "spring", "entries": json.dumps(entries)}
    )
    ranks = store["round_rankings"].get("spring:offer")
    ranking = json.loads(ranks["entries"]) if ranks else []
    await store.put_view(
        "round_rankings",
        "spring:offer",
        {"round_id": "spring", "entries": json.dumps([*ranking, v.student_id])},
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
    completed = events.application("PlacementCompleted", app_id, student_id=v.student_id)
    completed["data"]["remarks"] = v.remark
    entry = {
        "topic": "bureau.applications.v1",
        "key": OFFER["offer_id"],
        "value": json.dumps(completed),
    }
    await store.park(
        "student:" + v.student_id, uuid.uuid4(), await sealed(entry, "parked", v.student_id)
    )
    # a dead letter bureau wrote: kept in the store here, a topic in the real thing
    dead = {
        "topic": "bureau.students.v1.dlq",
        "key": v.student_id,
        "value": json.dumps(events.student(v.student_id, skills=(v.skill,))),
    }
    store["dlq"][str(uuid.uuid4())] = await sealed(dead, "dlq", v.student_id)


async def erase(store: InMemoryStore, keys: KeyStore, student_id: str, school_id: str) -> None:
    """What the service does on StudentErased."""
    await keys.delete(student_id)
    stored = await store.load("students", student_id)
    await store.commit(
        "students",
        student_id,
        previous=stored,
        event_id=uuid.uuid4(),
        state={"school_id": school_id, "erased": True},
        fields={"school_id": school_id, "erased": True, "consent": False},
        outbox=[],
    )
    for doc in store["offers"].values():
        doc["state"] = scrub_book(Book.model_validate(doc["state"]), student_id).model_dump(
            mode="json"
        )
    for doc in store["research"].values():
        q = Question.model_validate(doc["state"])
        doc["state"] = scrub_question(q, student_id).model_dump(mode="json")
    for doc in store["round_preferences"].values():
        doc["entries"] = json.dumps(without_student(json.loads(doc["entries"]), student_id))
    for doc in store["round_rankings"].values():
        doc["entries"] = json.dumps(ranking_without(json.loads(doc["entries"]), student_id))
    for pair in pairs_of(list(store["pair_scores"]), student_id):
        await store.put_view("pair_scores", pair, None)


async def preferences(store: InMemoryStore, keys: KeyStore) -> dict[str, Any]:
    """Every student's round preferences, opened (for tests of the sealed view)."""
    out: dict[str, Any] = {}
    for doc in store["round_preferences"].values():
        out |= await unseal_by_student(json.loads(doc["entries"]), keys)
    return out
