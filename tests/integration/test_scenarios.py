"""One scenario per region of the seed, end to end on real Kafka and the store.

Partners publish with plain producers, the worker runs in-process, and every assertion
reads what a partner or a school could read: projections, match suggestions, the
schools' own outcome topics and the dead-letter topics.
"""

from __future__ import annotations

from datetime import date

from bureau.app import create_app
from bureau.domain.book import Book
from bureau.domain.eligibility import is_eligible
from bureau.schemas import MatchSuggested, OfferDetails, StudentProfile
from bureau.service import offer_for_matching, student_for_matching
from bureau.settings import Settings
from tests.support import events
from tests.support.kafka import eventually
from tests.support.scenarios import Candidacy, Partners, S, encoded, entries, trail
from tests.support.sealed import opened


def _pairs(suggested: list[MatchSuggested]) -> list[tuple[str, str]]:
    return sorted((m.data.offer_id, m.data.student_id) for m in suggested)


async def test_amsterdam_places_cyber_students_and_each_school_reads_only_its_own(
    settings: Settings,
) -> None:
    p = Partners(settings)
    t = p.topics
    roc, hva = "roc-van-amsterdam", "hva"
    northsea, canal = "northsea-secure", "canal-cyber"
    organisations = [
        events.regional_organisation(
            roc, "school", region="1061", themes=("cybersecurity",), levels=("mbo-2", "mbo-4")
        ),
        events.regional_organisation(hva, "school", region="1091", levels=("hbo",)),
        events.regional_organisation(northsea, "company", region="1012", themes=("cybersecurity",)),
        events.regional_organisation(canal, "company", region="1017", themes=("cybersecurity",)),
    ]
    students = [
        events.student("ams-01", school_id=roc, level="mbo-4", skills=("linux", "siem")),
        events.student("ams-02", school_id=roc, level="mbo-4", skills=("siem",)),
        events.student("ams-03", school_id=roc, level="mbo-2", skills=("linux",)),
        events.student("ams-04", school_id=roc, level="mbo-4", skills=("linux",), consent=False),
        events.student("ams-11", school_id=hva, level="hbo", skills=("pentesting", "python")),
        events.student("ams-12", school_id=hva, level="hbo", skills=("linux",)),
    ]
    offers = [
        events.offer(
            "soc-analyst", company_id=northsea, skills=("linux", "siem"), capacity=2, region="1012"
        ),
        events.offer(
            "pentester",
            company_id=canal,
            levels=("hbo",),
            skills=("pentesting", "python"),
            capacity=1,
            region="1017",
        ),
    ]

    def at(company: str, offer: str, app: str, student: str, school: str) -> Candidacy:
        return Candidacy(
            application_id=app,
            offer_id=offer,
            student_id=student,
            school_id=school,
            company_id=company,
        )

    a1 = at(northsea, "soc-analyst", "ams-a1", "ams-01", roc)
    a2 = at(northsea, "soc-analyst", "ams-a2", "ams-12", hva)
    a3 = at(northsea, "soc-analyst", "ams-a3", "ams-02", roc)
    a4 = at(canal, "pentester", "ams-a4", "ams-11", hva)
    shortlist = ("ApplicationSubmitted", "CandidateShortlisted")
    placed = ("PlacementOffered", "PlacementAccepted", "PlacementConfirmed")
    book = [
        *(c.event(e) for c in (a1, a2, a3, a4) for e in shortlist),
        # Three shortlisted for two places: the third offer finds none left.
        *(c.event("PlacementOffered") for c in (a1, a2, a3)),
        *(c.event(e) for c in (a1, a2) for e in placed[1:]),
        *(a4.event(e) for e in placed),
    ]

    async with create_app(settings):
        await p.publish(t.organisations, organisations)
        await p.publish(t.students, students)
        await p.publish(t.offers, offers)
        await p.publish(t.applications, book)

    orgs = await p.docs("organisations")
    assert {k: d["kind"] for k, d in orgs.items()} == {
        roc: "school",
        hva: "school",
        northsea: "company",
        canal: "company",
    }
    assert sorted(await p.docs("students")) == sorted(s["data"]["student_id"] for s in students)
    offer_docs = await p.docs("offers")
    assert {k: (d["company_id"], d["filled"], d["capacity"]) for k, d in offer_docs.items()} == {
        "soc-analyst": (northsea, 2, 0),
        "pentester": (canal, 1, 0),
    }
    soc_book = entries(offer_docs["soc-analyst"]["state"]["applications"])
    # The book keeps what is live (a rejection leaves it at the book's next change);
    # the applications view below keeps every application.
    live = {k: a["status"] for k, a in soc_book.items() if a["status"] != "rejected"}
    assert live == {"ams-a1": "confirmed", "ams-a2": "confirmed"}

    apps = await p.opened("applications")
    assert {k: a["status"] for k, a in apps.items()} == {
        "ams-a1": "confirmed",
        "ams-a2": "confirmed",
        "ams-a3": "rejected",
        "ams-a4": "confirmed",
    }
    assert [(h["event_type"], h["status"]) for h in apps["ams-a3"]["history"]] == [
        ("ApplicationSubmitted", "submitted"),
        ("CandidateShortlisted", "shortlisted"),
        ("PlacementOffered", "rejected"),
    ]
    assert apps["ams-a3"]["history"][-1]["reason"] == "no places left"
    placements = await p.opened("placements")
    assert {k: (d["student_id"], d["school_id"], d["start"]) for k, d in placements.items()} == {
        "ams-a1": ("ams-01", roc, "2027-02-01"),
        "ams-a2": ("ams-12", hva, "2027-02-01"),
        "ams-a4": ("ams-11", hva, "2027-02-01"),
    }

    to_roc, to_hva = await p.outcomes(roc), await p.outcomes(hva)
    assert {o.data.school_id for o in to_roc} == {roc}
    assert {o.data.school_id for o in to_hva} == {hva}
    full = ["submitted", "shortlisted", "offered", "accepted", "confirmed"]
    assert trail(to_roc) == {"ams-a1": full, "ams-a3": ["submitted", "shortlisted", "rejected"]}
    assert trail(to_hva) == {"ams-a2": full, "ams-a4": full}
    [no_place] = [o for o in to_roc if o.data.status is S.REJECTED]
    assert no_place.data.reason == ""  # sealed with the dates: the school opens it
    told = await opened(no_place.model_dump(mode="json"), settings)
    assert (told["data"]["student_id"], told["data"]["reason"]) == ("ams-02", "no places left")

    assert _pairs(await p.matches()) == [
        ("pentester", "ams-11"),
        ("soc-analyst", "ams-01"),
        ("soc-analyst", "ams-02"),
        ("soc-analyst", "ams-12"),
    ]


async def test_haarlem_makathon_takes_a_mixed_team_and_dead_letters_one_without_mbo(
    settings: Settings,
) -> None:
    p = Partners(settings)
    t = p.topics
    water = "pwn-water"
    organisations = [
        events.regional_organisation(water, "public-body", region="2011", themes=("data",)),
        events.regional_organisation("nova-college", "school", region="2015", levels=("mbo-4",)),
        events.regional_organisation("inholland", "school", region="2015", levels=("hbo",)),
        events.regional_organisation("tu-delft", "school", region="2628", levels=("wo",)),
    ]
    makathon = events.question(
        "pwn-makathon-2027",
        owner_id=water,
        kind="makathon",
        levels=("mbo-4", "hbo", "wo"),
        composition=(("mbo-4", 1), ("hbo", 1), ("wo", 1)),
        team_min=3,
        team_max=5,
        themes=("data",),
        region="2011",
    )
    # A team across schools is bureau's to propose (from consenting students); a school
    # proposes its own students only, and tu-delft's wo-only team lacks the mbo student.
    students = [
        events.student("hl-01", school_id="nova-college", level="mbo-4", region="2015"),
        events.student("hl-02", school_id="inholland", level="hbo", region="2015"),
        events.student("hl-04", school_id="tu-delft", level="wo", region="2628"),
        events.student("hl-06", school_id="tu-delft", level="wo", region="2628"),
        events.student("hl-07", school_id="tu-delft", level="wo", region="2628"),
    ]
    no_mbo = events.team(
        "pwn-makathon-2027",
        "team-beach",
        (("hl-04", "wo"), ("hl-06", "wo"), ("hl-07", "wo")),
        source="tu-delft",
    )
    proposed = "pwn-makathon-2027-bureau"

    async with create_app(settings):
        await p.publish(t.organisations, organisations)
        await p.publish(t.students, students)
        await p.publish(t.research, [makathon, no_mbo])

        async def team_applied() -> bool:
            doc = await p.doc("research", "pwn-makathon-2027")
            return doc is not None and proposed in entries(doc["state"]["teams"])

        await eventually(team_applied, what="bureau's mixed team applied")

    orgs = await p.docs("organisations")
    assert orgs[water]["kind"] == "public-body"
    doc = await p.doc("research", "pwn-makathon-2027")
    assert doc is not None
    assert (doc["owner_id"], doc["closed"], doc["state"]["details"]["kind"]) == (
        water,
        False,
        "makathon",
    )
    teams = entries(doc["state"]["teams"])
    assert list(teams) == [proposed]
    levels = sorted(m["level"] for m in teams[proposed]["members"])
    assert {"mbo-4", "hbo", "wo"} <= set(levels)

    [dead] = await p.dead_letters(t.research)
    assert (dead.key, dead.value) == (b"pwn-makathon-2027", encoded(no_mbo))
    assert dead.reason == "needs at least 1 mbo-4, has 0"


async def test_rotterdam_suggests_every_eligible_pair_across_three_hundred_companies(
    settings: Settings,
) -> None:
    p = Partners(settings)
    t = p.topics
    groups = 60
    skills = [f"cloud-{g:02d}" for g in range(groups)]
    schools = {"mbo-4": "albeda", "mbo-3": "albeda", "hbo": "hogeschool-rotterdam", "wo": "eur"}
    organisations = [
        events.regional_organisation("albeda", "school", region="3011", levels=("mbo-3", "mbo-4")),
        events.regional_organisation(
            "hogeschool-rotterdam", "school", region="3015", levels=("hbo",)
        ),
        events.regional_organisation("eur", "school", region="3062", levels=("wo",)),
        *(
            events.regional_organisation(f"cloud-co-{i:03d}", "company", region=f"30{10 + i % 90}")
            for i in range(300)
        ),
    ]
    offers = [
        events.offer(
            f"cloud-{i:03d}",
            company_id=f"cloud-co-{i:03d}",
            levels=("mbo-4", "hbo") if i // groups % 2 == 0 else ("hbo", "wo"),
            skills=(skills[i % groups],),
            themes=("cloud",),
            capacity=1 + i % 3,
            region=f"30{10 + i % 90}",
        )
        for i in range(300)
    ]
    levels = ["mbo-4", "hbo", "wo", "mbo-3"]
    students = [
        events.student(
            f"rdm-{j:03d}",
            school_id=schools[levels[j // groups % 4]],
            level=levels[j // groups % 4],
            skills=(skills[j % groups], "excel"),
            consent=j % 25 != 7,
            region=f"30{20 + j % 70}",
        )
        for j in range(250)
    ]

    # The expectation, from the domain rule over the data: every eligible pair.
    books = [offer_for_matching(Book(offer=OfferDetails.model_validate(o["data"]))) for o in offers]
    profiles = [student_for_matching(StudentProfile.model_validate(s["data"])) for s in students]
    expected = sorted(
        (o.offer_id, s.student_id) for o in books for s in profiles if is_eligible(o, s)
    )
    # Each offer and student has fewer candidates than top_k, so none is cut off.
    per_offer = max(sum(1 for o, _ in expected if o == b.offer_id) for b in books)
    per_student = max(sum(1 for _, s in expected if s == x.student_id) for x in profiles)
    assert max(per_offer, per_student) < settings.top_k
    assert len(expected) > 400

    # One application per skill group, for the group's first eligible pair.
    first: dict[int, tuple[str, str]] = {}
    for offer_id, student_id in expected:
        first.setdefault(int(offer_id[-3:]) % groups, (offer_id, student_id))
    chosen = sorted(first.values())
    school_of = {s.student_id: s.school_id for s in profiles}
    submissions = [
        Candidacy(
            application_id=f"rdm-app-{n:02d}",
            offer_id=offer_id,
            student_id=student_id,
            school_id=school_of[student_id],
            company_id=f"cloud-co-{offer_id[-3:]}",
        ).event("ApplicationSubmitted")
        for n, (offer_id, student_id) in enumerate(chosen)
    ]

    async with create_app(settings):
        await p.publish(t.organisations, organisations)
        # Some students are there before the offers, the rest come after them.
        await p.publish(t.students, students[:50])
        await p.publish(t.offers, offers)
        await p.publish(t.students, students[50:])
        await p.publish(t.applications, submissions)

    assert len(await p.docs("organisations")) == 303
    assert len(await p.docs("offers", {"withdrawn": False})) == 300
    assert len(await p.docs("students", {"consent": True})) == 240
    assert len(await p.docs("applications")) == len(chosen) == groups

    suggested = await p.matches()
    assert _pairs(suggested) == expected  # each one once: the list would show a repeat
    assert all(m.data.school_id == school_of[m.data.student_id] for m in suggested)

    for school in ("albeda", "hogeschool-rotterdam", "eur"):
        outcomes = await p.outcomes(school)
        mine = sorted(
            f"rdm-app-{n:02d}" for n, (_, s) in enumerate(chosen) if school_of[s] == school
        )
        assert {o.data.school_id for o in outcomes} <= {school}
        assert sorted(trail(outcomes)) == mine
        assert all(o.data.status is S.SUBMITTED for o in outcomes)


async def test_utrecht_ict_lab_runs_an_mbo_hbo_assignment_and_places_interns_from_two_schools(
    settings: Settings,
) -> None:
    p = Partners(settings)
    t = p.topics
    mbo, hbo, lab = "mbo-utrecht", "hogeschool-utrecht", "utrecht-ict-lab"
    organisations = [
        events.regional_organisation(mbo, "school", region="3521", levels=("mbo-4",)),
        events.regional_organisation(hbo, "school", region="3584", levels=("hbo",)),
        events.regional_organisation(lab, "company", region="3511", themes=("software",)),
    ]
    assignment = events.question(
        "ict-lab-dashboard",
        owner_id=lab,
        kind="assignment",
        levels=("mbo-4", "hbo"),
        composition=(("mbo-4", 1), ("hbo", 1)),
        team_min=2,
        team_max=4,
        themes=("software",),
        region="3511",
    )
    students = [
        events.student("utr-01", school_id=mbo, level="mbo-4", skills=("docker",), region="3521"),
        events.student("utr-02", school_id=mbo, level="mbo-4", skills=("docker",), region="3522"),
        events.student("utr-11", school_id=hbo, level="hbo", skills=("python",), region="3584"),
        events.student("utr-12", school_id=hbo, level="hbo", skills=("python",), region="3585"),
    ]
    offers = [
        events.offer(
            "lab-devops", company_id=lab, levels=("mbo-4",), skills=("docker",), region="3511"
        ),
        events.offer(
            "lab-data", company_id=lab, levels=("hbo",), skills=("python",), region="3511"
        ),
    ]

    def on(offer: str, app: str, student: str, school: str) -> Candidacy:
        return Candidacy(
            application_id=app, offer_id=offer, student_id=student, school_id=school, company_id=lab
        )

    placed = on("lab-devops", "utr-a1", "utr-01", mbo)
    withdrawn = on("lab-devops", "utr-a2", "utr-02", mbo)
    data_placed = on("lab-data", "utr-a3", "utr-11", hbo)
    turned_down = on("lab-data", "utr-a4", "utr-12", hbo)
    wrong_level = on("lab-devops", "utr-a5", "utr-12", hbo)
    book = [
        *placed.path_to(S.CONFIRMED),
        *withdrawn.path_to(S.WITHDRAWN),
        *data_placed.path_to(S.CONFIRMED),
        *turned_down.path_to(S.REJECTED),
        wrong_level.event("ApplicationSubmitted"),
    ]

    async with create_app(settings):
        await p.publish(t.organisations, organisations)
        await p.publish(t.students, students)
        await p.publish(t.research, [assignment])

        async def team_applied() -> bool:
            doc = await p.doc("research", "ict-lab-dashboard")
            return doc is not None and bool(entries(doc["state"]["teams"]))

        await eventually(team_applied, what="bureau's mbo + hbo team applied")
        await p.publish(t.offers, offers)
        await p.publish(t.applications, book)

    doc = await p.doc("research", "ict-lab-dashboard")
    assert doc is not None
    assert doc["state"]["details"]["kind"] == "assignment"
    assert sorted(doc["state"]["details"]["levels"]) == ["hbo", "mbo-4"]
    [team] = entries(doc["state"]["teams"]).values()
    assert sorted(m["level"] for m in team["members"]) == ["hbo", "mbo-4"]

    apps = await p.opened("applications")
    assert {k: a["status"] for k, a in apps.items()} == {
        "utr-a1": "confirmed",
        "utr-a2": "withdrawn",
        "utr-a3": "confirmed",
        "utr-a4": "rejected",
    }
    assert sorted(await p.docs("placements")) == ["utr-a1", "utr-a3"]

    to_mbo, to_hbo = await p.outcomes(mbo), await p.outcomes(hbo)
    assert {o.data.student_id for o in to_mbo} == {"utr-01", "utr-02"}
    assert {o.data.student_id for o in to_hbo} == {"utr-11", "utr-12"}
    assert trail(to_mbo) == {
        "utr-a1": ["submitted", "shortlisted", "offered", "accepted", "confirmed"],
        "utr-a2": ["submitted", "withdrawn"],
    }
    assert trail(to_hbo) == {
        "utr-a3": ["submitted", "shortlisted", "offered", "accepted", "confirmed"],
        "utr-a4": ["submitted", "rejected"],
    }

    [dead] = await p.dead_letters(t.applications)
    assert dead.value == encoded(book[-1])
    assert dead.reason == "the offer does not take level hbo"
    assert _pairs(await p.matches()) == [
        ("lab-data", "utr-11"),
        ("lab-data", "utr-12"),
        ("lab-devops", "utr-01"),
        ("lab-devops", "utr-02"),
    ]


async def test_zeeland_books_a_guest_lecture_and_dead_letters_a_date_outside_the_window(
    settings: Settings,
) -> None:
    p = Partners(settings)
    t = p.topics
    xr, scalda, hz = "zeeland-xr", "scalda", "hz"
    organisations = [
        events.regional_organisation(xr, "company", region="4331", themes=("vr-ar",)),
        events.regional_organisation(scalda, "school", region="4382", levels=("mbo-4",)),
        events.regional_organisation(hz, "school", region="4382", levels=("hbo",)),
    ]
    research = events.question(
        "xr-training-twin",
        owner_id=xr,
        levels=("hbo", "wo"),
        themes=("vr-ar",),
        region="4331",
        team_min=2,
        team_max=4,
    )
    guide = events.specialist(
        "xr-guide-1", company_id=xr, levels=("mbo-4", "hbo"), themes=("vr-ar",), region="4331"
    )
    march = (date(2027, 3, 1), date(2027, 3, 31))
    april = (date(2027, 4, 1), date(2027, 4, 30))
    requests = [
        events.lecture_request("scalda-vr", school_id=scalda, window=march, themes=("vr-ar",)),
        events.lecture_request(
            "hz-ar", school_id=hz, level="hbo", window=april, themes=("vr-ar",), region="4382"
        ),
    ]
    booked = events.lecture_booking("scalda-vr", "xr-guide-1", date(2027, 3, 12), school_id=scalda)
    too_late = events.lecture_booking("hz-ar", "xr-guide-1", date(2027, 5, 15), school_id=hz)

    async with create_app(settings):
        await p.publish(t.organisations, organisations)
        await p.publish(t.research, [research])
        await p.publish(t.specialists, [guide])
        await p.publish(t.lectures, [*requests, booked, too_late])

    doc = await p.doc("research", "xr-training-twin")
    assert doc is not None
    assert (doc["owner_id"], doc["themes"]) == (xr, ["vr-ar"])
    specialists = await p.docs("specialists")
    assert {k: (d["company_id"], d["themes"]) for k, d in specialists.items()} == {
        "xr-guide-1": (xr, ["vr-ar"])
    }
    lectures = await p.docs("lectures")
    assert {k: (d["school_id"], d["booked"]) for k, d in lectures.items()} == {
        "scalda-vr": (scalda, True),
        "hz-ar": (hz, False),
    }
    bookings = await p.docs("bookings")
    assert {k: {f: v for f, v in d.items() if f != "_id"} for k, d in bookings.items()} == {
        "scalda-vr": {
            "school_id": scalda,
            "specialist_id": "xr-guide-1",
            "company_id": xr,
            "on": "2027-03-12",
            "cancelled": False,
        }
    }
    [dead] = await p.dead_letters(t.lectures)
    assert (dead.key, dead.value) == (b"hz-ar", encoded(too_late))
    assert dead.reason == "the date is outside the request's window"


async def test_an_early_application_waits_for_its_student_and_then_its_offer(
    settings: Settings,
) -> None:
    p = Partners(settings)
    t = p.topics
    early = Candidacy(
        application_id="early-1",
        offer_id="o-late",
        student_id="s-late",
        school_id="roc-amsterdam",
        company_id="acme-security",
    )
    async with create_app(settings):
        await p.publish(t.applications, [early.event("ApplicationSubmitted")])
        assert await p.doc("applications", "early-1") is None
        await p.publish(t.students, [events.student("s-late")])
        assert await p.doc("applications", "early-1") is None
        await p.send(t.offers, [events.offer("o-late")])
        app = await p.until_doc("applications", "early-1", what="parked application applied")

    assert (app["offer_id"], app["student_id"], app["status"]) == ("o-late", "s-late", "submitted")
    [outcome] = await p.outcomes("roc-amsterdam")
    assert (outcome.data.application_id, outcome.data.status) == ("early-1", S.SUBMITTED)
    assert await p.dead_letters(t.applications) == []


async def test_an_early_application_waits_for_its_offer_and_then_its_student(
    settings: Settings,
) -> None:
    p = Partners(settings)
    t = p.topics
    early = Candidacy(
        application_id="early-2",
        offer_id="o-first",
        student_id="s-last",
        school_id="roc-amsterdam",
        company_id="acme-security",
    )
    async with create_app(settings):
        await p.publish(t.applications, [early.event("ApplicationSubmitted")])
        await p.publish(t.offers, [events.offer("o-first")])
        assert await p.doc("applications", "early-2") is None
        await p.send(t.students, [events.student("s-last")])
        app = await p.until_doc("applications", "early-2", what="parked application applied")

    assert (app["offer_id"], app["student_id"], app["status"]) == ("o-first", "s-last", "submitted")
    [outcome] = await p.outcomes("roc-amsterdam")
    assert (outcome.data.application_id, outcome.data.status) == ("early-2", S.SUBMITTED)
    offer = await p.doc("offers", "o-first")
    assert offer is not None
    assert list(entries(offer["state"]["applications"])) == ["early-2"]
