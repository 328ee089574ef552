"""The exchange's rooms on the in-memory store: each event by ``_id``, nothing scanned."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter

from bureau.adapters.counting import CountingStore, QueryOnEventPathError
from bureau.adapters.memory import InMemoryStore
from bureau.domain.collaboration import Question
from bureau.domain.round import Round
from bureau.schemas import (
    application_event,
    lecture_event,
    offer_event,
    organisation_event,
    research_event,
    specialist_event,
    student_event,
)
from bureau.schemas.rounds import round_event
from bureau.service import Exchange, PresumedAbsentError, RejectedEventError
from bureau.service import rounds as rounds_room
from bureau.service.context import Context
from bureau.service.documents import View, state_of
from bureau.topics import Table, Topics
from tests.support import events
from tests.support.publisher import Log

TOPICS = Topics()
ADAPTERS: list[TypeAdapter[Any]] = [
    organisation_event,
    student_event,
    offer_event,
    application_event,
    research_event,
    lecture_event,
    specialist_event,
    round_event,
]


def _parse(raw: dict[str, Any]) -> Any:
    for adapter in ADAPTERS:
        try:
            return adapter.validate_python(raw)
        except ValueError:
            continue
    raise AssertionError(f"no adapter takes {raw['event_type']}")


def _round(event_type: str, source: str, **data: Any) -> dict[str, Any]:
    return events.envelope(event_type, source, data)


class World:
    def __init__(self, *, allow_queries: bool = False) -> None:
        self.memory = InMemoryStore()
        self.store = CountingStore(
            self.memory,
            # a round's close reads its inputs; an erasure finds the student's applications,
            # inputs and teams through indexed views
            allow=None
            if allow_queries
            else frozenset({View.ROUND_INPUTS, View.APPLICATIONS, View.TEAM_MEMBERS}),
        )
        self.log = Log()
        self.exchange = Exchange(store=self.store, publish=self.log, topics=TOPICS)
        self.applied = 0

    async def send(self, *raws: dict[str, Any]) -> None:
        for raw in raws:
            await self.exchange.apply(_parse(raw))
            self.applied += 1

    async def redrive(self) -> None:
        """Deliver what bureau published to the applications topic (parked, allocated)."""
        topic = TOPICS.applications
        pending = [v for t, _, v in self.log.records if t == topic and v is not None]
        self.log.records = [r for r in self.log.records if r[0] != topic]
        for value in pending:
            await self.send(json.loads(value))


@pytest.fixture
def world() -> World:
    return World()


async def test_an_application_before_its_offer_and_student_waits_and_is_applied_later(
    world: World,
) -> None:
    await world.send(events.application("ApplicationSubmitted", "a-1", offer_id="o-1"))
    assert world.memory["offers"]["o-1"].get("state") is None  # a placeholder
    await world.send(events.offer("o-1"))
    await world.redrive()  # the offer arrived: re-published, now waiting for the student
    assert "state" not in world.memory["students"]["s-0001"]
    await world.send(events.student("s-0001"))
    await world.redrive()
    assert world.memory["applications"]["a-1"]["status"] == "submitted"
    assert world.memory["offers"]["o-1"]["parked"] == []


async def test_erasure_by_another_school_is_refused_and_by_its_own_leaves_a_tombstone(
    world: World,
) -> None:
    await world.send(events.student("s-1"), events.offer("o-1"))
    with pytest.raises(RejectedEventError, match="may not change or erase a student of"):
        await world.send(events.erasure("s-1", school_id="other-school"))
    await world.send(events.erasure("s-1"))
    doc = world.memory["students"]["s-1"]
    assert doc["state"] == {"school_id": "roc-amsterdam", "erased": True}
    assert "skills" not in doc
    assert "level" not in doc
    assert "s-1" not in world.exchange.tables.students
    with pytest.raises(RejectedEventError, match="student of roc-amsterdam"):
        await world.send(events.student("s-1", school_id="other-school"))
    with pytest.raises(RejectedEventError, match="erased"):
        await world.send(
            events.application("ApplicationSubmitted", "a-9", offer_id="o-1", student_id="s-1")
        )
    tombstones = [r for r in world.log.records if r[0] == TOPICS.students and r[2] is None]
    assert tombstones == [(TOPICS.students, b"s-1", None)]


async def test_a_research_question_reaches_schools_and_gets_a_team(world: World) -> None:
    await world.send(
        events.organisation("hva", levels=("hbo",)),
        events.student("s-1", level="hbo"),
        events.student("s-2", level="wo", school_id="uva"),
    )
    await world.send(events.question("q-1", owner_id="waternet", levels=("hbo", "wo"), team_min=2))
    suggested = world.log.events(TOPICS.matches)
    assert [(m["data"]["school_id"]) for m in suggested] == ["hva"]
    assert world.log.events(TOPICS.suggestions("hva")) == suggested
    [team] = world.log.events(TOPICS.research)
    assert sorted(m["student_id"] for m in team["data"]["members"]) == ["s-1", "s-2"]


def _teams(world: World, question_id: str) -> dict[str, list[str]]:
    """Each team of the question with its members' ids."""
    question = Question.model_validate(world.memory["research"][question_id]["state"])
    return {t: [m.student_id for m in team.members] for t, team in question.teams.items()}


async def _team_of_two(world: World) -> None:
    await world.send(
        events.organisation("hva", levels=("hbo",)),
        events.student("s-1", level="hbo", school_id="hva"),
        events.student("s-2", level="hbo", school_id="hva"),
        events.question("q-1", owner_id="waternet", levels=("hbo",), team_min=1),
        events.team("q-1", "t-1", (("s-1", "hbo"), ("s-2", "hbo")), source="hva"),
        events.team("q-1", "t-2", (("s-1", "hbo"),), source="hva"),
    )


async def test_an_erased_student_leaves_every_proposed_team_and_a_team_left_empty_goes(
    world: World,
) -> None:
    await _team_of_two(world)
    assert len(world.memory[View.TEAM_MEMBERS]) == 3
    await world.send(events.erasure("s-1", school_id="hva"))
    teams = _teams(world, "q-1")
    assert teams["t-1"] == ["s-2"]
    assert "t-2" not in teams
    assert [d["student_id"] for d in world.memory[View.TEAM_MEMBERS].values()] == ["s-2"]
    assert "s-1" not in json.dumps(world.memory["research"]["q-1"]["state"])


async def test_control_a_student_not_erased_stays_on_their_teams(world: World) -> None:
    await _team_of_two(world)
    await world.send(events.erasure("s-2", school_id="hva"))
    teams = _teams(world, "q-1")
    assert teams == {"t-1": ["s-1"], "t-2": ["s-1"]}


async def test_lectures_match_both_ways_and_a_booking_needs_a_known_specialist(
    world: World,
) -> None:
    await world.send(events.specialist("sp-1"))
    await world.send(events.lecture_request("r-1"))
    await world.send(events.specialist("sp-2"))
    pairs = [
        (m["data"]["request_id"], m["data"]["specialist_id"])
        for m in world.log.events(TOPICS.matches)
    ]
    assert pairs == [("r-1", "sp-1"), ("r-1", "sp-2")]
    with pytest.raises(RejectedEventError, match="unknown"):
        await world.send(events.lecture_booking("r-1", "sp-404", date(2027, 3, 10)))
    await world.send(events.lecture_booking("r-1", "sp-1", date(2027, 3, 10)))
    assert world.memory["bookings"]["r-1"]["specialist_id"] == "sp-1"
    assert "r-1" not in world.exchange.tables.requests  # booked: no longer open


async def test_a_round_allocates_through_the_books_and_tells_each_school(world: World) -> None:
    await world.send(
        events.organisation("coord", "coordinator"),
        events.student("s-1"),
        events.student("s-2"),
        events.offer("o-1", capacity=1),
        events.offer("o-2", capacity=1, company_id="other-company"),
    )
    await world.send(
        _round(
            "MatchingRoundOpened",
            "coord",
            round_id="r1",
            coordinator_id="coord",
            offer_ids=["o-1", "o-2"],
        ),
        _round(
            "PreferencesSubmitted",
            "roc-amsterdam",
            round_id="r1",
            student_id="s-1",
            offer_ids=["o-1", "o-2"],
        ),
        _round(
            "PreferencesSubmitted",
            "roc-amsterdam",
            round_id="r1",
            student_id="s-2",
            offer_ids=["o-1"],
        ),
        _round(
            "ApplicantsRanked",
            "acme-security",
            round_id="r1",
            offer_id="o-1",
            student_ids=["s-2", "s-1"],
        ),
        _round(
            "ApplicantsRanked", "other-company", round_id="r1", offer_id="o-2", student_ids=["s-1"]
        ),
    )
    with pytest.raises(RejectedEventError, match="offering company"):
        await world.send(
            _round(
                "ApplicantsRanked",
                "roc-amsterdam",
                round_id="r1",
                offer_id="o-1",
                student_ids=["s-1"],
            )
        )
    await world.send(_round("MatchingRoundClosed", "coord", round_id="r1"))
    await world.redrive()  # the allocations bureau published on the applications topic
    placed = {(d["student_id"], d["offer_id"]) for d in world.memory["placements"].values()}
    assert placed == {("s-2", "o-1"), ("s-1", "o-2")}
    outcomes = world.log.events(TOPICS.outcomes("roc-amsterdam"))
    assert sorted(o["data"]["student_id"] for o in outcomes) == ["s-1", "s-2"]


async def test_no_event_reads_a_collection_and_each_costs_two_round_trips(world: World) -> None:
    """Students and offers: one load and one commit by ``_id`` each, nothing else."""
    students = [events.student(f"s-{i}", skills=("linux",)) for i in range(40)]
    offers = [events.offer(f"o-{i}", skills=("linux",)) for i in range(10)]
    await world.send(*students, *offers)
    assert world.store.calls == {"load": 50, "commit": 50}
    assert world.log.events(TOPICS.matches), "they match"


async def test_in_a_batch_the_reads_and_the_writes_go_together(world: World) -> None:
    """A poll batch of students and offers: one read and one write per kind."""
    students = [events.student(f"s-{i}", skills=("linux",)) for i in range(40)]
    offers = [events.offer(f"o-{i}", skills=("linux",)) for i in range(10)]
    parsed = [_parse(raw) for raw in (*students, *offers)]
    async with world.exchange.batch():
        await world.exchange.prefetch(parsed)
        for event in parsed:
            await world.exchange.apply(event)
    assert world.store.calls == {"load_many": 2, "commit_many": 2}
    assert world.log.events(TOPICS.matches), "they match"


@pytest.mark.parametrize("presume", [True, False], ids=["presumed", "control-read"])
async def test_a_batch_takes_creations_of_keys_the_tables_lack_as_new_unread(
    world: World, presume: bool
) -> None:
    """New students and offers are inserted without a read; an update still reads."""
    await world.send(events.student("s-known"))
    world.store.calls.clear()
    raws = [events.student(f"s-{i}") for i in range(40)] + [events.offer("o-1")]
    parsed = [_parse(raw) for raw in (*raws, events.student("s-known", skills=("sql",)))]
    async with world.exchange.batch(presume=presume):
        await world.exchange.prefetch(parsed)
        for event in parsed:
            await world.exchange.apply(event)
    reads = {"load_many": 1} if presume else {"load_many": 2}  # control: students, offers
    assert world.store.calls == reads | {"commit_many": 2}
    assert len(world.memory["students"]) == 41


@pytest.mark.parametrize("put_back", [True, False], ids=["put-back", "control-kept"])
async def test_a_batch_that_fails_before_its_write_leaves_the_tables_as_they_were(
    world: World, monkeypatch: pytest.MonkeyPatch, put_back: bool
) -> None:
    """Another school's registration of a stored student the tables lack (a worker
    restarted before its record was out) is taken as new, matched on, then refused
    from reads: the tables never keep the profile it brought. Control: no put-back."""
    await world.send(events.student("s-1"))
    fresh = Exchange(store=world.store, publish=world.log, topics=TOPICS)  # lacks s-1
    if not put_back:
        monkeypatch.setattr(type(fresh.tables), "put_back", lambda *_: None)
    claim = _parse(events.student("s-1", school_id="roc-rotterdam", skills=("sql",)))

    async def batch(presume: bool) -> None:
        async with fresh.batch(presume=presume):
            await fresh.prefetch([claim])
            await fresh.apply(claim)

    with pytest.raises(PresumedAbsentError):
        await batch(presume=True)
    with pytest.raises(RejectedEventError):
        await batch(presume=False)
    if not put_back:
        assert fresh.tables.students["s-1"].school_id == "roc-rotterdam"  # wrong, kept
        return
    assert "s-1" not in fresh.tables.students
    assert (Table.STUDENTS, "s-1") not in fresh.tables.rows


async def test_the_counting_store_sees_a_query_on_the_event_path() -> None:
    """Control: the checker above would fail if a handler scanned a collection."""
    store = CountingStore(InMemoryStore(), allow=frozenset())
    with pytest.raises(QueryOnEventPathError):
        await store.find("students", {"consent": True})


async def test_a_reused_event_id_with_another_body_is_refused(world: World) -> None:
    first = events.student("s-1")
    await world.send(first)
    await world.send(first)  # a redelivery: the same body, nothing happens
    other = {**events.student("s-1", skills=("excel",)), "event_id": first["event_id"]}
    with pytest.raises(RejectedEventError, match="applied before with a different body"):
        await world.send(other)


async def _round_r1_opened(world: World, students: int) -> list[dict[str, Any]]:
    """Round r1 over offer o-1 (capacity 5), opened with ``students`` registered."""
    registered = [events.student(f"s-{i}") for i in range(students)]
    await world.send(
        events.organisation("coord", "coordinator"),
        *registered,
        events.offer("o-1", capacity=5),
        _round(
            "MatchingRoundOpened", "coord", round_id="r1", coordinator_id="coord", offer_ids=["o-1"]
        ),
    )
    return registered


async def test_a_rounds_inputs_in_one_batch_cost_one_read_and_one_write(world: World) -> None:
    """A poll batch of preferences: the round read once, the inputs inserted together,
    and a close in the same batch sees them all."""
    students = await _round_r1_opened(world, 20)
    world.store.calls.clear()
    ids = [s["data"]["student_id"] for s in students]
    async with world.exchange.batch():
        await world.send(
            *(
                _round(
                    "PreferencesSubmitted",
                    "roc-amsterdam",
                    round_id="r1",
                    student_id=s,
                    offer_ids=["o-1"],
                )
                for s in ids
            )
        )
        assert world.store.calls == {"load": 1}  # nothing written before the batch's end
        await world.send(
            _round(
                "ApplicantsRanked", "acme-security", round_id="r1", offer_id="o-1", student_ids=ids
            ),
            _round("MatchingRoundClosed", "coord", round_id="r1"),
        )
    assert world.store.calls["insert_views"] == 1
    assert "insert_view" not in world.store.calls
    await world.redrive()
    placed = sorted(d["student_id"] for d in world.memory["placements"].values())
    assert placed == sorted(ids[:5])  # the company's first five: every input was seen


@pytest.mark.parametrize("batched", [True, False])
async def test_a_batch_parses_its_round_once(
    world: World, monkeypatch: pytest.MonkeyPatch, batched: bool
) -> None:
    """A round names thousands of offers: parsed once per batch, not once per input.

    The control sends the same inputs one at a time: each reads and parses the round.
    """
    students = await _round_r1_opened(world, 10)
    parsed = 0

    def counted(model: Any, stored: Any) -> Any:
        nonlocal parsed
        parsed += model is Round
        return state_of(model, stored)

    monkeypatch.setattr(rounds_room, "state_of", counted)
    inputs = [
        _round(
            "PreferencesSubmitted",
            "roc-amsterdam",
            round_id="r1",
            student_id=s["data"]["student_id"],
            offer_ids=["o-1"],
        )
        for s in students
    ]
    if batched:
        async with world.exchange.batch():
            await world.send(*inputs)
    else:
        await world.send(*inputs)
    assert parsed == (1 if batched else len(inputs))


class UnreachableError(Exception):
    """The broker is gone between the commit and the delivery."""


@pytest.fixture
def cause_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Control: the seen-record names an emitted event, not the cause, as the latest."""
    from bureau.service import pipeline

    def remember(seen: Any, cause: Any, emitted: Any, at: Any) -> Any:
        record = before(seen, cause, emitted, at)
        *older, cause_entry = record["recent"]
        split = len(older) - len(emitted)  # the old order: the cause, then what it emitted
        record["recent"] = [*older[:split], cause_entry, *older[split:]]
        return record

    before = pipeline.remember
    monkeypatch.setattr(pipeline, "remember", remember)


@pytest.mark.parametrize("control", [False, True], ids=["cause-last", "control-cause-first"])
async def test_a_redelivered_event_that_emitted_one_of_bureaus_delivers_its_outbox(
    world: World, control: bool, request: pytest.FixtureRequest
) -> None:
    """No places left: the rejection bureau emits must not hide the cause's outbox."""
    if control:
        request.getfixturevalue("cause_first")
    await world.send(events.student("s-1"), events.student("s-2"), events.offer("o-1", capacity=1))
    for app, sid in (("a-1", "s-1"), ("a-2", "s-2")):
        await world.send(
            events.application("ApplicationSubmitted", app, offer_id="o-1", student_id=sid)
        )
    company = "acme-security"
    await world.send(
        events.application(
            "PlacementOffered", "a-1", offer_id="o-1", student_id="s-1", source=company
        )
    )
    oversubscribed = events.application(
        "PlacementOffered", "a-2", offer_id="o-1", student_id="s-2", source=company
    )

    async def gone(topic: str, key: bytes, value: bytes | None) -> None:
        raise UnreachableError

    world.exchange.pipeline.publish = gone
    with pytest.raises(UnreachableError):
        await world.send(oversubscribed)  # committed, not delivered: the worker dies
    world.exchange.pipeline.publish = world.log
    await world.send(oversubscribed)  # Kafka delivers it again

    told = [
        (o["data"]["student_id"], o["data"]["reason"])
        for o in world.log.events(TOPICS.outcomes("roc-amsterdam"))
    ]
    assert (("s-2", "no places left") in told) is not control


@pytest.mark.parametrize("sees_the_batch", [True, False])
async def test_an_application_id_closed_earlier_in_the_batch_is_not_taken_again(
    world: World, monkeypatch: pytest.MonkeyPatch, sees_the_batch: bool
) -> None:
    """A closed application leaves its book while its view waits for the batch's end.

    The lookup finds it among what the batch holds. The control reads the store only,
    and the id is taken twice: a second application under a-1, its first record lost.
    """
    if not sees_the_batch:
        store = world.store

        async def store_only(view: str, key: str) -> dict[str, Any] | None:
            found = await store.get_many(view, [key])
            return found[0] if found else None

        monkeypatch.setattr(world.exchange.views, "get", store_only)
    await world.send(events.offer("o-1"), events.student("s-1"), events.student("s-2"))
    submit = events.application("ApplicationSubmitted", "a-1", offer_id="o-1", student_id="s-1")
    async with world.exchange.batch():
        await world.send(
            submit,
            events.application("ApplicationWithdrawn", "a-1", offer_id="o-1", student_id="s-1"),
            # the book's next change: a-1 (withdrawn) leaves it
            events.application("ApplicationSubmitted", "a-2", offer_id="o-1", student_id="s-2"),
        )
        again = events.application("ApplicationSubmitted", "a-1", offer_id="o-1", student_id="s-1")
        if sees_the_batch:
            with pytest.raises(RejectedEventError, match="application a-1 exists"):
                await world.send(again)
        else:
            await world.send(again)
    book = {e["key"]: e["value"] for e in world.memory["offers"]["o-1"]["state"]["applications"]}
    assert set(book) == ({"a-2"} if sees_the_batch else {"a-1", "a-2"})
    status = world.memory["applications"]["a-1"]["status"]
    assert status == ("withdrawn" if sees_the_batch else "submitted")
    # After the batch, from the store: still taken (the control's second a-1 is live).
    if sees_the_batch:
        with pytest.raises(RejectedEventError, match="application a-1 exists"):
            await world.send(again)


class _CrashOnDelivery(Log):
    """A worker killed between its commit and its delivery: nothing of it goes out."""

    async def __call__(self, topic: str, key: bytes, value: bytes | None) -> None:
        raise RuntimeError("killed before delivery")


@pytest.mark.parametrize("made_up", [True, False])
async def test_a_change_redelivered_after_a_crash_is_matched_against_what_came_meanwhile(
    monkeypatch: pytest.MonkeyPatch, made_up: bool
) -> None:
    """The student is committed, the worker dies before delivery; a restarted worker's
    tables lack them, it takes an offer first (no one to tell), then the student again.

    That duplicate re-sends the student's record and matches them as the first delivery
    would have, against the tables now: the pair is told. The control skips that: the
    pair is never told by either side.
    """
    store = InMemoryStore()
    student = _parse(events.student("s-1", skills=("linux",)))
    dying = Exchange(store=store, publish=_CrashOnDelivery(), topics=TOPICS)
    with pytest.raises(RuntimeError, match="killed"):
        await dying.apply(student)
    log = Log()
    restarted = Exchange(store=store, publish=log, topics=TOPICS)  # restored without s-1
    if not made_up:
        monkeypatch.setattr(Context, "unseen", lambda *args: None)
    await restarted.apply(_parse(events.offer("o-1", skills=("linux",))))
    assert log.events(TOPICS.matches) == []
    await restarted.apply(student)
    told = [(e["data"]["offer_id"], e["data"]["student_id"]) for e in log.events(TOPICS.matches)]
    assert told == ([("o-1", "s-1")] if made_up else [])


@pytest.mark.parametrize("updated", [False, True], ids=["resent", "updated"])
@pytest.mark.parametrize("control", [False, True])
async def test_a_batch_sent_again_after_a_crash_tells_each_pair_in_one_body(
    monkeypatch: pytest.MonkeyPatch, control: bool, updated: bool
) -> None:
    """A student registered, then the same details resent later (or a skill added), in
    one batch: one grouped commit whose outbox holds the records and suggestions of
    both. The worker dies before delivery; the restarted one takes the batch again.

    The last event, redelivered, sends that outbox again and matches the stored state
    anew under its record's own version and time (the latest record of the student):
    the same ids, the same bytes. The control matches it under the later event's time,
    as before the fix: one id published with two bodies.
    """
    if control:
        real = Context.unseen

        def resend_time(self: Context, *args: Any) -> tuple[int, datetime] | None:
            found = real(self, *args)
            return None if found is None else (found[0], found[1] + timedelta(seconds=8))

        monkeypatch.setattr(Context, "unseen", resend_time)
    store, log = InMemoryStore(), Log()
    first = _parse(events.student("s-1", skills=("linux",)))
    later = (events.T0 + timedelta(seconds=8)).isoformat()
    second = (
        events.student("s-1", skills=("linux", "python"), event_type="StudentProfileUpdated")
        if updated
        else events.student("s-1", skills=("linux",))
    )
    resend = _parse({**second, "occurred_at": later})
    dying = Exchange(store=store, publish=log, topics=TOPICS)
    offer = events.offer("o-1", skills=("linux", "python"))
    await dying.apply(_parse(offer))  # out, and in its tables

    async def killed(topic: str, key: bytes, value: bytes | None) -> None:
        raise RuntimeError("killed before delivery")

    dying.pipeline.publish = killed
    with pytest.raises(RuntimeError, match="killed"):
        await _in_one_batch(dying, first, resend)
    restarted = Exchange(store=store, publish=log, topics=TOPICS)  # restored without s-1
    for topic, key, value in log.records:
        if topic == TOPICS.state(Table.OFFERS):
            restarted.tables.apply(Table.OFFERS, key.decode(), value)
    await _in_one_batch(restarted, first, resend)
    bodies: dict[str, set[str]] = {}
    for e in log.events(TOPICS.matches):
        bodies.setdefault(e["event_id"], set()).add(json.dumps(e, sort_keys=True))
    assert bodies  # the pair was told
    assert (max(len(b) for b in bodies.values()) > 1) is control


async def _in_one_batch(exchange: Exchange, *parsed: Any) -> None:
    async with exchange.batch():
        for event in parsed:
            await exchange.apply(event)


@pytest.mark.parametrize("stored_as", ["one-entry", "older-entry-per-topic"])
async def test_a_suggestion_stored_once_reaches_every_topic_again_after_a_crash(
    stored_as: str,
) -> None:
    """The outbox keeps a suggestion once, with its topics (bureau's log, the company,
    the school); a redelivery after a crash sends it to each of them, the same bytes.
    An outbox stored by an older version (one entry per topic) is sent alike.
    """
    store, log = InMemoryStore(), Log()
    dying = Exchange(store=store, publish=log, topics=TOPICS)
    await dying.apply(_parse(events.offer("o-1", skills=("linux",))))

    async def killed(topic: str, key: bytes, value: bytes | None) -> None:
        raise RuntimeError("killed before delivery")

    dying.pipeline.publish = killed
    student = _parse(events.student("s-1", skills=("linux",)))
    with pytest.raises(RuntimeError, match="killed"):
        await dying.apply(student)
    doc = store["students"]["s-1"]
    told = [e for e in doc["outbox"] if "table" not in e]
    assert [len(e["topics"]) for e in told] == [3]
    if stored_as == "older-entry-per-topic":
        older = [
            {"topic": t, "key": e["key"], "value": e["value"]} for e in told for t in e["topics"]
        ]
        doc["outbox"] = [*(e for e in doc["outbox"] if "table" in e), *older]
    restarted = Exchange(store=store, publish=log, topics=TOPICS)
    await restarted.apply(student)  # the same event again: its outbox is sent
    suggestion = log.events(TOPICS.matches)
    assert len(suggestion) == 1
    company, school = suggestion[0]["data"]["company_id"], suggestion[0]["data"]["school_id"]
    sent = {
        t: [v for topic, _, v in log.records if topic == t]
        for t in (TOPICS.matches, TOPICS.suggestions(company), TOPICS.suggestions(school))
    }
    assert all(len(values) == 1 for values in sent.values()), sent
    assert len({values[0] for values in sent.values()}) == 1
