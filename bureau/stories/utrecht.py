"""Utrecht's story: client projects in the ICT Lab."""

from __future__ import annotations

from bureau import partners as p
from bureau.stories.story import Chapter, Story, placed


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
                    *placed("utr-a1", "lab-devops", "utr-01", mbo, lab),
                    *placed("utr-a2", "lab-data", "utr-11", hbo, lab),
                ],
            ),
        ],
        expect_pairs={("lab-devops", "utr-01"), ("lab-data", "utr-11")},
        expect_outcomes={mbo: 5, hbo: 5},
        expect_teams=1,
    )
