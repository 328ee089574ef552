"""The demo's stories, one per region of the seed, as the partners' events that tell them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bureau import partners as p
from bureau.domain.book import Book
from bureau.domain.eligibility import is_eligible
from bureau.domain.matching import suggest
from bureau.schemas import InternshipOffered, OfferDetails, StudentProfile, StudentRegistered
from bureau.service import offer_for_matching, student_for_matching

Event = dict[str, Any]


@dataclass(frozen=True)
class Chapter:
    """What the narrator says, then the events partners send on one inbound topic."""

    say: str
    topic: str
    """The ``Topics`` attribute: ``students``, ``offers``, ``applications``, …"""
    events: Sequence[Event]


@dataclass(frozen=True)
class Story:
    """One region's story: its chapters and what a reader should see at the end."""

    region: str
    title: str
    intro: str
    chapters: Sequence[Chapter]
    expect_pairs: set[tuple[str, str]] = field(default_factory=set)
    """(offer, student) pairs that must be suggested."""
    expect_outcomes: dict[str, int] = field(default_factory=dict)
    """School → how many placement outcomes its own topic must carry."""
    expect_teams: int = 0
    """Teams bureau must propose for the story's research questions."""
    expect_dead_letters: int = 0


def _app(event_type: str, app_id: str, offer: str, student: str, source: str, **x: Any) -> Event:
    return p.application(event_type, app_id, offer_id=offer, student_id=student, source=source, **x)


def _placed(app_id: str, offer: str, student: str, school: str, company: str) -> list[Event]:
    """An application from submission to a confirmed placement."""
    steps = [
        ("ApplicationSubmitted", school),
        ("CandidateShortlisted", company),
        ("PlacementOffered", company),
        ("PlacementAccepted", school),
        ("PlacementConfirmed", company),
    ]
    dates = {"start": "2027-02-01", "end": "2027-06-30"}
    return [
        _app(kind, app_id, offer, student, who, **(dates if kind == "PlacementConfirmed" else {}))
        for kind, who in steps
    ]


# --- Amsterdam: cybersecurity placements (the demo's original data) ------------------

# (offer id, company, title, levels, skills, capacity)
OFFERS = [
    (
        "soc-analyst",
        "northsea-secure",
        "SOC analyst intern",
        ("mbo-4", "hbo"),
        ("linux", "siem", "networking"),
        2,
    ),
    (
        "pentest",
        "redteam-amsterdam",
        "Junior pentester",
        ("hbo", "wo"),
        ("python", "networking", "web"),
        1,
    ),
    (
        "cloud-ops",
        "canal-cloud",
        "Cloud operations intern",
        ("mbo-3", "mbo-4"),
        ("linux", "kubernetes"),
        3,
    ),
]
# (pseudonymous id, school, level, skills, consent)
STUDENTS = [
    ("st-7f3a", "roc-amsterdam", "mbo-4", ("linux", "networking"), True),
    ("st-91c2", "roc-amsterdam", "mbo-3", ("kubernetes",), True),
    ("st-2b8e", "hva", "hbo", ("python", "web"), True),
    ("st-c4d1", "hva", "hbo", ("siem",), True),
    ("st-e5f0", "uva", "wo", ("python", "networking"), True),
    ("st-0a9b", "roc-amsterdam", "mbo-4", ("linux",), False),
]


def offer_events() -> list[Event]:
    """Amsterdam's InternshipOffered events, as a company's system would send them."""
    return [
        p.envelope(
            "InternshipOffered",
            company,
            {
                "offer_id": oid,
                "company_id": company,
                "title": title,
                "levels": list(levels),
                "skills": list(skills),
                "region": "1012",
                "capacity": capacity,
            },
        )
        for oid, company, title, levels, skills, capacity in OFFERS
    ]


def student_events() -> list[Event]:
    """Amsterdam's StudentRegistered events, as a school's system would send them."""
    return [
        p.envelope(
            "StudentRegistered",
            school,
            {
                "student_id": sid,
                "school_id": school,
                "level": level,
                "programme": "ICT",
                "skills": list(skills),
                "region": "1091",
                "age_band": "18+",
                "consent": consent,
            },
        )
        for sid, school, level, skills, consent in STUDENTS
    ]


def expected_pairs() -> set[tuple[str, str]]:
    """The (offer, student) pairs the matching rule must suggest for Amsterdam's data."""
    offers = [InternshipOffered.model_validate(e).data for e in offer_events()]
    students = [StudentRegistered.model_validate(e).data for e in student_events()]
    return {
        (o.offer_id, s.student_id)
        for o in offers
        for s in students
        if suggest(offer_for_matching(Book(offer=o)), student_for_matching(s)) is not None
    }


def amsterdam() -> Story:
    """Cybersecurity placements: suggestions, then one application to a placement."""
    return Story(
        region="amsterdam",
        title="Amsterdam: cybersecurity placements",
        intro=(
            "The region's security companies offer internship places; ROC Amsterdam, HvA "
            "and UvA register their students. bureau suggests who fits where, and a school "
            "follows its own student's application on its own outcome topic."
        ),
        chapters=[
            Chapter(f"Schools register {len(STUDENTS)} students", "students", student_events()),
            Chapter(f"Companies offer {len(OFFERS)} places", "offers", offer_events()),
            Chapter(
                "roc-amsterdam applies for st-7f3a; northsea-secure places them",
                "applications",
                _placed(
                    "app-st-7f3a", "soc-analyst", "st-7f3a", "roc-amsterdam", "northsea-secure"
                ),
            ),
        ],
        expect_pairs=expected_pairs(),
        expect_outcomes={"roc-amsterdam": 5},
    )


# --- Haarlem: a makathon with a mixed mbo/hbo/wo team --------------------------------


def haarlem() -> Story:
    """A water company's makathon question; bureau proposes a mixed-level team."""
    water = "pwn-water"
    schools = [
        ("nova-college", "mbo-4", "2015"),
        ("inholland", "hbo", "2015"),
        ("uva", "wo", "1018"),
    ]
    organisations = [
        p.regional_organisation(water, "public-body", region="2011", themes=("data",)),
        *(
            p.regional_organisation(s, "school", region=r, levels=(lv,), themes=("data",))
            for s, lv, r in schools
        ),
    ]
    students = [
        p.student(
            f"hl-{i:02d}",
            school_id=s,
            level=lv,
            skills=("python", "sensors"),
            themes=("data",),
            region=r,
        )
        for i, (s, lv, r) in enumerate(schools * 2)
    ]
    makathon = p.question(
        "dunes-crowds",
        owner_id=water,
        kind="makathon",
        levels=("mbo-4", "hbo", "wo"),
        composition=(("mbo-4", 1), ("hbo", 1), ("wo", 1)),
        team_min=3,
        team_max=5,
        themes=("data",),
        region="2011",
    )
    no_mbo = p.team(
        "dunes-crowds",
        "team-beach",
        (("hl-01", "hbo"), ("hl-02", "wo"), ("hl-04", "hbo")),
        source="inholland",
    )
    return Story(
        region="haarlem",
        title="Haarlem: a makathon for the dunes",
        intro=(
            "PWN asks how to monitor crowds in the dunes. Smart Makers Education runs it as "
            "a makathon: mbo, hbo and wo students in one team. bureau tells fitting schools "
            "and proposes a team that meets the mix; a team without an mbo student is refused."
        ),
        chapters=[
            Chapter("PWN and three schools join the exchange", "organisations", organisations),
            Chapter(f"The schools register {len(students)} students", "students", students),
            Chapter("PWN posts its makathon question", "research", [makathon]),
            Chapter("Inholland proposes a team with no mbo student", "research", [no_mbo]),
        ],
        expect_teams=1,
        expect_dead_letters=1,
    )


# --- Rotterdam: cloud internships across hundreds of companies -----------------------

ROTTERDAM_GROUPS = 60


def _rotterdam_data() -> tuple[list[Event], list[Event], list[Event]]:
    skills = [f"cloud-{g:02d}" for g in range(ROTTERDAM_GROUPS)]
    school = {"mbo-4": "albeda", "mbo-3": "albeda", "hbo": "hogeschool-rotterdam", "wo": "eur"}
    organisations = [
        p.regional_organisation("albeda", "school", region="3011", levels=("mbo-3", "mbo-4")),
        p.regional_organisation("hogeschool-rotterdam", "school", region="3015", levels=("hbo",)),
        p.regional_organisation("eur", "school", region="3062", levels=("wo",)),
        *(
            p.regional_organisation(f"cloud-co-{i:03d}", "company", region=f"30{10 + i % 90}")
            for i in range(300)
        ),
    ]
    offers = [
        p.offer(
            f"cloud-{i:03d}",
            company_id=f"cloud-co-{i:03d}",
            levels=("mbo-4", "hbo") if i // ROTTERDAM_GROUPS % 2 == 0 else ("hbo", "wo"),
            skills=(skills[i % ROTTERDAM_GROUPS],),
            themes=("cloud",),
            capacity=1 + i % 3,
            region=f"30{10 + i % 90}",
        )
        for i in range(300)
    ]
    levels = ["mbo-4", "hbo", "wo", "mbo-3"]
    students = [
        p.student(
            f"rdm-{j:03d}",
            school_id=school[levels[j // ROTTERDAM_GROUPS % 4]],
            level=levels[j // ROTTERDAM_GROUPS % 4],
            skills=(skills[j % ROTTERDAM_GROUPS], "excel"),
            themes=("cloud",),
            consent=j % 25 != 7,
            region=f"30{20 + j % 70}",
        )
        for j in range(250)
    ]
    return organisations, offers, students


def rotterdam() -> Story:
    """Cloud Engineering Rotterdam: 300 companies, 300 offers, 250 students."""
    organisations, offers, students = _rotterdam_data()
    books = [offer_for_matching(Book(offer=OfferDetails.model_validate(o["data"]))) for o in offers]
    profiles = [student_for_matching(StudentProfile.model_validate(s["data"])) for s in students]
    return Story(
        region="rotterdam",
        title="Rotterdam: cloud internships across 300 companies",
        intro=(
            "Cloud Engineering Rotterdam brings hundreds of companies to Albeda, Hogeschool "
            "Rotterdam and Erasmus. Every eligible pair of offer and student is suggested, "
            "once, however the events arrive."
        ),
        chapters=[
            Chapter("3 schools and 300 companies join", "organisations", organisations),
            Chapter("The first 50 students register", "students", students[:50]),
            Chapter("300 companies each offer cloud internships", "offers", offers),
            Chapter("200 more students register", "students", students[50:]),
        ],
        expect_pairs={
            (o.offer_id, s.student_id) for o in books for s in profiles if is_eligible(o, s)
        },
    )


# --- Utrecht: ICT-lab client projects -----------------------------------------------


def utrecht() -> Story:
    """The ICT Lab: an mbo/hbo client assignment, and interns from two schools."""
    mbo, hbo, lab = "mbo-utrecht", "hogeschool-utrecht", "utrecht-ict-lab"
    organisations = [
        p.regional_organisation(mbo, "school", region="3521", levels=("mbo-4",)),
        p.regional_organisation(hbo, "school", region="3584", levels=("hbo",)),
        p.regional_organisation(lab, "company", region="3511", themes=("software",)),
    ]
    sw = ("software",)
    students = [
        p.student(
            "utr-01", school_id=mbo, level="mbo-4", skills=("docker",), themes=sw, region="3521"
        ),
        p.student(
            "utr-02", school_id=mbo, level="mbo-4", skills=("flutter",), themes=sw, region="3522"
        ),
        p.student(
            "utr-11", school_id=hbo, level="hbo", skills=("python",), themes=sw, region="3584"
        ),
        p.student(
            "utr-12", school_id=hbo, level="hbo", skills=("flutter",), themes=sw, region="3585"
        ),
    ]
    assignment = p.question(
        "citizens-app",
        owner_id=lab,
        kind="assignment",
        levels=("mbo-4", "hbo"),
        composition=(("mbo-4", 1), ("hbo", 1)),
        team_min=2,
        team_max=4,
        themes=("software",),
        region="3511",
    )
    offers = [
        p.offer(o, company_id=lab, levels=(lv,), skills=(sk,), themes=sw, region="3511")
        for o, lv, sk in (("lab-devops", "mbo-4", "docker"), ("lab-data", "hbo", "python"))
    ]
    return Story(
        region="utrecht",
        title="Utrecht: client projects in the ICT Lab",
        intro=(
            "The ICT Lab puts mbo and hbo students on real client projects, such as a "
            "citizens' app, and takes interns from both schools."
        ),
        chapters=[
            Chapter("The ICT Lab and two schools join", "organisations", organisations),
            Chapter(f"The schools register {len(students)} students", "students", students),
            Chapter("The lab posts a client assignment for mbo and hbo", "research", [assignment]),
            Chapter("The lab offers two internships", "offers", offers),
            Chapter(
                "One intern from each school is placed",
                "applications",
                [
                    *_placed("utr-a1", "lab-devops", "utr-01", mbo, lab),
                    *_placed("utr-a2", "lab-data", "utr-11", hbo, lab),
                ],
            ),
        ],
        expect_pairs={("lab-devops", "utr-01"), ("lab-data", "utr-11")},
        expect_outcomes={mbo: 5, hbo: 5},
        expect_teams=1,
    )


# --- Zeeland: a VR/AR research question and a guest lecture --------------------------


def zeeland() -> Story:
    """A shipbuilder's VR/AR question for HZ, and a guest lecture at Scalda."""
    xr, scalda, hz = "damen-naval-xr", "scalda", "hz"
    vr = ("vr-ar",)
    organisations = [
        p.regional_organisation(xr, "company", region="4381", themes=vr),
        p.regional_organisation(scalda, "school", region="4382", levels=("mbo-4",), themes=vr),
        p.regional_organisation(hz, "school", region="4382", levels=("hbo",), themes=vr),
    ]
    research = p.question(
        "xr-training-twin",
        owner_id=xr,
        levels=("hbo", "wo"),
        themes=("vr-ar",),
        region="4381",
        team_min=2,
        team_max=4,
    )
    guide = p.specialist(
        "xr-guide-1", company_id=xr, levels=("mbo-4", "hbo"), themes=("vr-ar",), region="4381"
    )
    march = (date(2027, 3, 1), date(2027, 3, 31))
    april = (date(2027, 4, 1), date(2027, 4, 30))
    requests = [
        p.lecture_request("scalda-vr", school_id=scalda, window=march, themes=vr, region="4382"),
        p.lecture_request(
            "hz-ar", school_id=hz, level="hbo", window=april, themes=vr, region="4382"
        ),
    ]
    return Story(
        region="zeeland",
        title="Zeeland: VR/AR research and a guest lecture",
        intro=(
            "A naval shipbuilder asks HZ students to research a VR training twin, and lends "
            "a specialist for guest lectures at Scalda and HZ. A booking outside the "
            "school's window is refused."
        ),
        chapters=[
            Chapter("The shipbuilder, Scalda and HZ join", "organisations", organisations),
            Chapter("The shipbuilder posts a VR/AR research question", "research", [research]),
            Chapter("It makes a specialist available", "specialists", [guide]),
            Chapter("Scalda asks for a lecture in March, HZ in April", "lectures", requests),
            Chapter(
                "Scalda books the specialist on 12 March; HZ, by mistake, on 15 May",
                "lectures",
                [
                    p.lecture_booking(
                        "scalda-vr", "xr-guide-1", date(2027, 3, 12), school_id=scalda
                    ),
                    p.lecture_booking("hz-ar", "xr-guide-1", date(2027, 5, 15), school_id=hz),
                ],
            ),
        ],
        expect_dead_letters=1,
    )


STORIES = {
    "amsterdam": amsterdam,
    "haarlem": haarlem,
    "rotterdam": rotterdam,
    "utrecht": utrecht,
    "zeeland": zeeland,
}
"""Each seed region and how to build its story."""
