"""Whatever bureau cannot apply lands on ``<topic>.dlq`` with its bytes and why; it moves on.

Every inbound topic gets every kind of bad input and every illegal transition of the
catalog is tried once; after them, each topic must still apply a valid event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from bureau.app import create_app
from bureau.domain.book import TRANSITIONS
from bureau.settings import Settings
from tests.support import events
from tests.support.kafka import eventually
from tests.support.scenarios import Candidacy, Partners, S, encoded, entries

LIMIT = 4096
"""A small message limit for these tests, so that oversize is cheap to send."""
SCHOOL, OTHER_SCHOOL, COMPANY, RIVAL = "roc-amsterdam", "roc-zuid", "acme-security", "rival-corp"
COORDINATOR = "bureau-amsterdam"
MARCH = (date(2027, 3, 1), date(2027, 3, 31))


@dataclass(frozen=True)
class Bad:
    """A record that must be dead-lettered, and a fragment of the reason it must carry."""

    label: str
    key: bytes
    value: bytes
    reason: str


def _as(event: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of ``event`` under a new event id, with envelope fields changed."""
    return {**event, "event_id": str(uuid.uuid4()), **changes}


def _with_data(
    event: dict[str, Any], *, drop: tuple[str, ...] = (), **changes: Any
) -> dict[str, Any]:
    """A copy of ``event`` without the ``drop`` fields of its data and with ``changes``."""
    data = {k: v for k, v in event["data"].items() if k not in drop}
    return _as(event, data=data | changes)


def _common(topic: str, key: bytes, sample: dict[str, Any]) -> list[Bad]:
    """The bad input every topic gets: not JSON, an unknown type, and oversize."""
    oversize = encoded(_as(sample)) + b" " * LIMIT
    return [
        Bad(f"{topic}: not JSON", key, b"\xff\x00 not JSON for " + topic.encode(), "not JSON"),
        Bad(
            f"{topic}: unknown event type",
            key,
            encoded(_as(sample, event_type="SomethingHappened")),
            "event_type",
        ),
        Bad(
            f"{topic}: oversize",
            key,
            oversize,
            f"message of {len(oversize)} bytes exceeds the {LIMIT} limit",
        ),
    ]


async def test_every_kind_of_bad_input_on_every_inbound_topic_is_dead_lettered_and_the_next_applies(
    settings: Settings,
) -> None:
    settings = settings.model_copy(update={"max_message_bytes": LIMIT})
    p = Partners(settings)
    t = p.topics
    org = events.organisation(COMPANY, "company")
    student = events.student("s-1", school_id=SCHOOL)
    offer = events.offer("o-1", company_id=COMPANY)
    a0 = Candidacy(
        application_id="a-0", offer_id="o-1", student_id="s-1", school_id=SCHOOL, company_id=COMPANY
    )
    question = events.question("q-1", owner_id=COMPANY)
    specialist = events.specialist("sp-1", company_id=COMPANY)
    request = events.lecture_request("r-1", school_id=SCHOOL, window=MARCH)
    opened = events.envelope(
        "MatchingRoundOpened",
        COORDINATOR,
        {"round_id": "round-0", "coordinator_id": COORDINATOR, "offer_ids": ["o-1"]},
    )
    ranked = events.envelope(
        "ApplicantsRanked",
        COMPANY,
        {"round_id": "round-0", "offer_id": "o-1", "student_ids": ["s-1"]},
    )
    foreign_preferences = events.envelope(
        "PreferencesSubmitted",
        OTHER_SCHOOL,
        {"round_id": "round-0", "student_id": "s-1", "offer_ids": ["o-1"]},
    )
    forged_run = events.envelope(
        "MatchingRoundRun",
        COMPANY,
        {
            "round_id": "round-0",
            "algorithm_version": "da-1",
            "inputs_hash": "sha256:" + "0" * 64,
            "students": 1,
            "places": 1,
            "placed": 1,
            "unplaced": 0,
        },
    )

    def stranger(event: dict[str, Any], source: str) -> bytes:
        return encoded(_as(event, source=source))

    bad: dict[str, list[Bad]] = {
        t.organisations: [
            *_common(t.organisations, b"acme-security", org),
            Bad(
                "org: missing name",
                b"acme-security",
                encoded(_with_data(org, drop=("name",))),
                "Field required",
            ),
            Bad(
                "org: bad region",
                b"acme-security",
                encoded(_with_data(org, region="12")),
                "String should match pattern",
            ),
            Bad(
                "org: another organisation speaks",
                b"acme-security",
                stranger(org, RIVAL),
                "source must be the organisation itself",
            ),
        ],
        t.students: [
            *_common(t.students, b"s-1", student),
            Bad(
                "student: missing age band",
                b"s-1",
                encoded(_with_data(student, drop=("age_band",))),
                "Field required",
            ),
            Bad(
                "student: another school speaks",
                b"s-1",
                stranger(student, OTHER_SCHOOL),
                "source must be the student's school",
            ),
        ],
        t.offers: [
            *_common(t.offers, b"o-1", offer),
            Bad(
                "offer: no places",
                b"o-1",
                encoded(_with_data(offer, capacity=0)),
                "greater than or equal to 1",
            ),
            Bad(
                "offer: another company speaks",
                b"o-1",
                stranger(offer, RIVAL),
                "source must be the offering company",
            ),
            Bad(
                "offer: another company withdraws it",
                b"o-1",
                encoded(events.withdrawal("o-1", company_id=RIVAL)),
                "only the offering company may change the offer",
            ),
        ],
        t.applications: [
            *_common(t.applications, b"o-1", a0.event("CandidateShortlisted")),
            Bad(
                "application: missing application id",
                b"o-1",
                encoded(_with_data(a0.event("CandidateShortlisted"), drop=("application_id",))),
                "Field required",
            ),
            Bad(
                "application: rating out of range",
                b"o-1",
                encoded(_with_data(a0.event("PlacementCompleted"), rating=9)),
                "less than or equal to 5",
            ),
            Bad(
                "application: another school applies for the student",
                b"o-1",
                encoded(
                    Candidacy(
                        application_id="a-stolen",
                        offer_id="o-1",
                        student_id="s-1",
                        school_id=OTHER_SCHOOL,
                        company_id=COMPANY,
                    ).event("ApplicationSubmitted")
                ),
                "ApplicationSubmitted may only come from the student's school",
            ),
            Bad(
                "application: the school shortlists",
                b"o-1",
                encoded(a0.event("CandidateShortlisted", source=SCHOOL)),
                "CandidateShortlisted may only come from the offering company",
            ),
        ],
        t.research: [
            *_common(t.research, b"q-1", question),
            Bad(
                "research: team_max below team_min",
                b"q-1",
                encoded(_with_data(question, team_min=4, team_max=2)),
                "team_max is below team_min",
            ),
            Bad(
                "research: another organisation posts for the owner",
                b"q-1",
                stranger(question, RIVAL),
                "source must be the question's owner",
            ),
            Bad(
                "research: another organisation closes the question",
                b"q-1",
                encoded(events.question_closed("q-1", source=RIVAL)),
                "only the question's owner may close it",
            ),
        ],
        t.lectures: [
            *_common(t.lectures, b"r-1", request),
            Bad(
                "lecture: window ends before it starts",
                b"r-1",
                encoded(_with_data(request, window={"start": "2027-03-31", "end": "2027-03-01"})),
                "period ends before it starts",
            ),
            Bad(
                "lecture: another school requests",
                b"r-1",
                stranger(request, OTHER_SCHOOL),
                "source must be the requesting school",
            ),
            Bad(
                "lecture: another school books",
                b"r-1",
                encoded(
                    events.lecture_booking("r-1", "sp-1", date(2027, 3, 10), school_id=OTHER_SCHOOL)
                ),
                "only the requesting school may book",
            ),
        ],
        t.specialists: [
            *_common(t.specialists, b"sp-1", specialist),
            Bad(
                "specialist: no levels",
                b"sp-1",
                encoded(_with_data(specialist, levels=[])),
                "at least 1 item",
            ),
            Bad(
                "specialist: another company speaks",
                b"sp-1",
                stranger(specialist, RIVAL),
                "source must be the specialist's company",
            ),
        ],
    }
    bad[t.rounds] = [
        *_common(t.rounds, b"round-0", opened),
        Bad(
            "round: an offer twice",
            b"round-0",
            encoded(_with_data(opened, offer_ids=["o-1", "o-1"])),
            "an offer appears twice in the round",
        ),
        Bad(
            "round: another organisation opens it",
            b"round-0",
            stranger(opened, RIVAL),
            "source must be the round's coordinator",
        ),
        Bad(
            "round: another company ranks the applicants",
            b"round-0",
            stranger(ranked, RIVAL),
            "ApplicantsRanked may only come from the offering company",
        ),
        Bad(
            "round: another school ranks the student's offers",
            b"round-0",
            encoded(foreign_preferences),
            "PreferencesSubmitted may only come from the student's school",
        ),
        Bad(
            "round: a partner forges bureau's run record",
            b"round-0",
            encoded(forged_run),
            "MatchingRoundRun may only come from bureau",
        ),
    ]
    assert set(bad) == set(t.inbound)
    then = {
        t.organisations: [events.organisation("late-company", "company")],
        t.students: [events.student("s-2", school_id=SCHOOL, level="hbo")],
        t.offers: [
            events.offer("o-1", company_id=COMPANY, capacity=3, event_type="InternshipOfferUpdated")
        ],
        t.applications: [a0.event("CandidateShortlisted")],
        # s-2 registers after the question was posted, so bureau proposes no team of its own.
        t.research: [events.team("q-1", "team-1", (("s-2", "hbo"),), source=SCHOOL)],
        t.lectures: [events.lecture_booking("r-1", "sp-1", date(2027, 3, 10), school_id=SCHOOL)],
        t.specialists: [events.specialist("sp-2", company_id=COMPANY)],
        t.rounds: [ranked],
    }

    async with create_app(settings):
        await p.publish(
            t.organisations,
            [
                org,
                events.organisation(SCHOOL),
                events.regional_organisation(COORDINATOR, "coordinator", region="1012"),
            ],
        )
        await p.publish(t.students, [student])
        await p.publish(t.offers, [offer])
        await p.publish(t.applications, [a0.event("ApplicationSubmitted")])
        await p.publish(t.research, [question])
        await p.publish(t.specialists, [specialist])
        await p.publish(t.lectures, [request])
        await p.publish(t.rounds, [opened])
        for topic, records in bad.items():
            await p.send_raw(topic, [(b.key, b.value) for b in records])
            await p.send(topic, then[topic])
        await p.settle(*t.inbound)

    for topic, sent in bad.items():
        dead = {d.value: d for d in await p.dead_letters(topic)}
        missing_or_wrong = {
            b.label: dead.get(b.value)
            for b in sent
            if b.value not in dead
            or b.reason not in dead[b.value].reason
            or dead[b.value].key != b.key
        }
        assert missing_or_wrong == {}, topic
        assert len(dead) == len(sent), topic

    assert "late-company" in await p.docs("organisations")
    assert "s-2" in await p.docs("students")
    offer_doc = await p.doc("offers", "o-1")
    assert offer_doc is not None
    assert offer_doc["capacity"] == 3
    app = await p.doc("applications", "a-0")
    assert app is not None
    assert app["status"] == "shortlisted"
    research = await p.doc("research", "q-1")
    assert research is not None
    assert list(entries(research["state"]["teams"])) == ["team-1"]
    assert await p.doc("bookings", "r-1") is not None
    assert "sp-2" in await p.docs("specialists")
    inputs = (await p.docs("round_inputs")).values()
    assert [(d["kind"], d["subject"]) for d in inputs] == [("ranking", "o-1")]


async def test_every_illegal_transition_in_the_catalog_is_dead_lettered_with_its_reason(
    settings: Settings,
) -> None:
    p = Partners(settings)
    t = p.topics
    illegal = [(e, s) for e, moves in TRANSITIONS.items() for s in S if s not in moves]
    statuses = sorted({s for _, s in illegal})
    cases = {
        (e, s): Candidacy(
            application_id=f"x-{n:02d}",
            offer_id=f"book-{s.value}",
            student_id=f"s-{n:02d}",
            school_id=SCHOOL,
            company_id=COMPANY,
        )
        for n, (e, s) in enumerate(illegal)
    }
    book: list[dict[str, Any]] = []
    tried: dict[bytes, tuple[str, S]] = {}
    for (e, s), case in cases.items():
        attempt = case.event(e)
        book += [*case.path_to(s), attempt]
        tried[encoded(attempt)] = (e, s)
    late = Candidacy(
        application_id="x-late",
        offer_id="book-submitted",
        student_id="s-late",
        school_id=SCHOOL,
        company_id=COMPANY,
    )

    lectures = [
        events.lecture_request("r-1", school_id=SCHOOL, window=MARCH),
        events.lecture_cancellation("r-1", source=SCHOOL),  # nothing booked yet
        events.lecture_booking("r-1", "sp-1", date(2027, 3, 10), school_id=SCHOOL),
        events.lecture_booking("r-1", "sp-1", date(2027, 3, 11), school_id=SCHOOL),  # again
        events.lecture_cancellation("r-1", source=COMPANY),
        events.lecture_cancellation("r-1", source=SCHOOL),  # cancelled already
        events.lecture_request("r-2", school_id=SCHOOL, window=MARCH),
    ]
    research = [
        events.question("q-1", owner_id=COMPANY),
        events.question_closed("q-1", source=COMPANY),
        events.team("q-1", "team-late", (("s-00", "hbo"),), source=SCHOOL),  # closed
        events.question_closed("q-1", source=COMPANY),  # closed already
        events.question("q-2", owner_id=COMPANY),
    ]

    async with create_app(settings):
        await p.publish(t.specialists, [events.specialist("sp-1", company_id=COMPANY)])
        await p.publish(
            t.students,
            [events.student(c.student_id, school_id=SCHOOL) for c in cases.values()]
            + [events.student("s-late", school_id=SCHOOL)],
        )
        await p.publish(
            t.offers,
            [events.offer(f"book-{s.value}", company_id=COMPANY, capacity=20) for s in statuses],
        )
        await p.send(t.applications, [*book, late.event("ApplicationSubmitted")])
        await p.send(t.lectures, lectures)
        await p.send(t.research, research)
        await p.settle(t.applications, t.lectures, t.research)

    dead = await p.dead_letters(t.applications)
    assert {tried[d.value]: d.reason for d in dead} == {
        (e, s): f"illegal transition: {e} on a {s.value} application" for e, s in illegal
    }
    assert len(dead) == len(illegal)
    apps = await p.opened("applications")
    assert {(e, s): apps[c.application_id]["status"] for (e, s), c in cases.items()} == {
        (e, s): s.value for e, s in illegal
    }
    assert apps["x-late"]["status"] == "submitted"

    lecture_dead = await p.dead_letters(t.lectures)
    assert [(d.value, d.reason) for d in lecture_dead] == [
        (encoded(lectures[1]), "illegal transition: nothing booked to cancel"),
        (encoded(lectures[3]), "illegal transition: the request is already booked"),
        (encoded(lectures[5]), "illegal transition: nothing booked to cancel"),
    ]
    booking = await p.doc("bookings", "r-1")
    assert booking is not None
    assert (booking["on"], booking["cancelled"]) == ("2027-03-10", True)
    assert "r-2" in await p.docs("lectures")

    research_dead = await p.dead_letters(t.research)
    assert [(d.value, d.reason) for d in research_dead] == [
        (encoded(research[2]), "the question is closed"),
        (encoded(research[3]), "the question is closed"),
    ]
    assert sorted(await p.docs("research")) == ["q-1", "q-2"]


async def test_bureaus_own_no_places_left_rejection_is_not_dead_lettered_when_read_back(
    settings: Settings,
) -> None:
    p = Partners(settings)
    t = p.topics
    first, second = (
        Candidacy(
            application_id=f"full-{n}",
            offer_id="one-place",
            student_id=f"s-{n}",
            school_id=SCHOOL,
            company_id=COMPANY,
        )
        for n in (1, 2)
    )
    async with create_app(settings):
        await p.publish(t.students, [events.student("s-1"), events.student("s-2")])
        await p.publish(t.offers, [events.offer("one-place", company_id=COMPANY, capacity=1)])
        await p.publish(t.applications, [*first.path_to(S.OFFERED), *second.path_to(S.OFFERED)])
        # bureau's rejection of the second joined the topic: let bureau read it back too.
        await p.settle(t.applications)

    apps = await p.opened("applications")
    assert (apps["full-2"]["status"], apps["full-2"]["history"][-1]["reason"]) == (
        "rejected",
        "no places left",
    )
    assert await p.dead_letters(t.applications) == []


async def test_an_application_for_an_erased_student_is_dead_lettered_not_parked_forever(
    settings: Settings,
) -> None:
    p = Partners(settings)
    t = p.topics
    gone = Candidacy(
        application_id="a-gone",
        offer_id="o-1",
        student_id="s-gone",
        school_id=SCHOOL,
        company_id=COMPANY,
    )
    submitted = gone.event("ApplicationSubmitted")
    async with create_app(settings):
        await p.publish(t.students, [events.student("s-gone"), events.erasure("s-gone")])
        await p.publish(t.offers, [events.offer("o-1", company_id=COMPANY)])
        await p.send(t.applications, [submitted])

        async def dead_lettered() -> bool:
            found = await p.dead_letters(t.applications, sealed=True)
            return any(d.key == b"o-1" and "erased" in d.reason for d in found)

        await eventually(
            dead_lettered, within=120, what="application for an erased student dead-lettered"
        )

    assert await p.doc("applications", "a-gone") is None
    # Its bytes were sealed under a key that no longer exists: nothing of it can be read.
    assert b"a-gone" not in b"".join(
        d.value for d in await p.dead_letters(t.applications, sealed=True)
    )
    assert await p.dead_letters(t.applications) == []


async def test_a_school_cannot_take_over_another_schools_student(settings: Settings) -> None:
    p = Partners(settings)
    t = p.topics
    takeover = events.student("s-1", school_id=OTHER_SCHOOL, event_type="StudentProfileUpdated")
    async with create_app(settings):
        await p.publish(t.students, [events.student("s-1", school_id=SCHOOL)])
        await p.publish(t.students, [takeover])

    student = await p.doc("students", "s-1")
    assert student is not None
    assert student["school_id"] == SCHOOL
    [dead] = await p.dead_letters(t.students)
    assert dead.value == encoded(takeover)


async def test_a_company_cannot_take_over_another_companys_specialist(settings: Settings) -> None:
    p = Partners(settings)
    t = p.topics
    takeover = events.specialist("sp-1", company_id=RIVAL)
    async with create_app(settings):
        await p.publish(t.specialists, [events.specialist("sp-1", company_id=COMPANY)])
        await p.publish(t.specialists, [takeover])

    specialist = await p.doc("specialists", "sp-1")
    assert specialist is not None
    assert specialist["company_id"] == COMPANY
    [dead] = await p.dead_letters(t.specialists)
    assert dead.value == encoded(takeover)
