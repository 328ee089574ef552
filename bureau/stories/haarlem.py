"""Haarlem's story: a makathon question for a mixed mbo/hbo/wo team."""

from __future__ import annotations

from bureau import partners as p
from bureau.stories.story import Chapter, Story


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
