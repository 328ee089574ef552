"""Consent events in the students room: withdrawal stops matching, rounds and teams, and is told."""

from __future__ import annotations

from typing import Any

import pytest

from bureau.adapters.memory import InMemoryStore
from bureau.domain.collaboration import Question
from bureau.privacy.fields import unseal
from bureau.privacy.keys import InMemoryKeyStore
from bureau.privacy.outbox import OutboxSealer
from bureau.schemas import (
    offer_event,
    organisation_event,
    research_event,
    student_event,
)
from bureau.schemas.rounds import round_event
from bureau.service import Exchange, RejectedEventError
from bureau.service.documents import View
from bureau.topics import Topics
from tests.support import events
from tests.support.publisher import Log

TOPICS = Topics()
SCHOOL = "roc-amsterdam"


class World:
    def __init__(self) -> None:
        self.store, self.keys, self.log = InMemoryStore(), InMemoryKeyStore(), Log()
        self.exchange = Exchange(
            store=self.store, publish=self.log, topics=TOPICS, sealer=OutboxSealer(self.keys)
        )

    async def send(self, *raws: dict[str, Any]) -> None:
        adapters = (student_event, offer_event, organisation_event, research_event, round_event)
        for raw in raws:
            adapter = next(a for a in adapters if _takes(a, raw))
            await self.exchange.apply(adapter.validate_python(raw))

    def suggested(self, student_id: str) -> list[str]:
        return [
            m["data"]["offer_id"]
            for m in self.log.events(TOPICS.matches)
            if m["data"].get("student_id") == student_id
        ]


def _takes(adapter: Any, raw: dict[str, Any]) -> bool:
    try:
        adapter.validate_python(raw)
    except ValueError:
        return False
    return True


def _round(event_type: str, source: str, **data: Any) -> dict[str, Any]:
    return events.envelope(event_type, source, data)


@pytest.fixture
def world() -> World:
    return World()


@pytest.mark.parametrize("withdrawn", [True, False], ids=["withdrawn", "control"])
async def test_a_withdrawal_of_matching_stops_new_suggestions(
    world: World, withdrawn: bool
) -> None:
    await world.send(events.student("s-1", skills=("linux",)))
    await world.send(events.consent("s-1", given=not withdrawn))
    await world.send(events.offer("o-1", skills=("linux",)))
    assert world.suggested("s-1") == ([] if withdrawn else ["o-1"])
    assert (world.exchange.tables.students["s-1"].may_be_matched) is not withdrawn


@pytest.mark.parametrize("withdrawn", [True, False], ids=["withdrawn", "control"])
async def test_a_withdrawal_takes_the_student_out_of_an_open_round_before_allocation(
    world: World, withdrawn: bool
) -> None:
    await world.send(
        events.organisation("coord", "coordinator"),
        events.student("s-1"),
        events.offer("o-1", capacity=1),
        _round(
            "MatchingRoundOpened", "coord", round_id="r1", coordinator_id="coord", offer_ids=["o-1"]
        ),
        _round("PreferencesSubmitted", SCHOOL, round_id="r1", student_id="s-1", offer_ids=["o-1"]),
        _round(
            "ApplicantsRanked", "acme-security", round_id="r1", offer_id="o-1", student_ids=["s-1"]
        ),
    )
    if withdrawn:
        await world.send(events.consent("s-1", given=False))
        assert [
            d for d in world.store[View.ROUND_INPUTS].values() if d["kind"] == "preferences"
        ] == []
    await world.send(_round("MatchingRoundClosed", "coord", round_id="r1"))
    allocated = [
        e["data"]["student_id"]
        for e in world.log.events(TOPICS.applications)
        if e["event_type"] == "PlacementAllocated"
    ]
    assert allocated == ([] if withdrawn else ["s-1"])


async def test_a_withdrawal_takes_the_student_out_of_proposed_teams(world: World) -> None:
    await world.send(
        events.organisation("hva", levels=("hbo",)),
        events.student("s-1", level="hbo", school_id="hva"),
        events.student("s-2", level="hbo", school_id="hva"),
        events.question("q-1", owner_id="waternet", levels=("hbo",), team_min=1),
        events.team("q-1", "t-1", (("s-1", "hbo"), ("s-2", "hbo")), source="hva"),
    )
    await world.send(events.consent("s-1", given=False, purposes=("teams",), school_id="hva"))
    question = Question.model_validate(world.store["research"]["q-1"]["state"])
    assert [m.student_id for m in question.teams["t-1"].members] == ["s-2"]
    assert world.exchange.tables.students["s-1"].may_be_matched  # teams only: still matched


async def test_the_school_is_told_sealed_and_a_redelivery_tells_the_same(world: World) -> None:
    await world.send(events.student("s-1"))
    withdrawal = events.consent("s-1", given=False, purposes=("matching", "statistics"))
    await world.send(withdrawal, withdrawal)
    told = world.log.events(TOPICS.outcomes(SCHOOL))
    assert [t["event_type"] for t in told] == ["ConsentWithdrawalApplied"] * 2
    assert told[0] == told[1]
    assert "purposes" not in told[0]["data"]  # sealed under the student's key
    opened = await unseal(told[0], world.keys)
    assert sorted(opened["data"]["purposes"]) == ["matching"]  # statistics was never given


async def test_a_consent_given_tells_nobody_and_a_renewed_one_matches_again(world: World) -> None:
    await world.send(events.student("s-1", skills=("linux",), consent=False))
    await world.send(events.consent("s-1", given=True))
    await world.send(events.offer("o-1", skills=("linux",)))
    assert world.suggested("s-1") == ["o-1"]
    assert world.log.events(TOPICS.outcomes(SCHOOL)) == []


async def test_under_16_the_students_consent_alone_changes_nothing(world: World) -> None:
    await world.send(events.student("s-1", skills=("linux",), consent=False, age_band="under-16"))
    await world.send(events.consent("s-1", given=True))
    await world.send(events.offer("o-1", skills=("linux",)))
    assert world.suggested("s-1") == []
    await world.send(events.consent("s-1", given=True, by="guardian"))
    assert world.suggested("s-1") == ["o-1"]  # matched at once against the open offers


async def test_a_later_profile_does_not_give_back_a_withdrawn_consent(world: World) -> None:
    await world.send(events.student("s-1", skills=("linux",)))
    await world.send(events.consent("s-1", given=False))
    await world.send(
        events.student("s-1", skills=("linux", "siem"), event_type="StudentProfileUpdated")
    )
    assert not world.exchange.tables.students["s-1"].may_be_matched


async def test_consent_before_the_profile_waits_for_it(world: World) -> None:
    await world.send(events.consent("s-1", given=False))
    assert world.store["students"]["s-1"].get("state") is None  # parked on a placeholder
    await world.send(events.student("s-1"))
    record = world.store["students"]["s-1"]["state"]
    assert record["consent"] is None  # the profile first; the parked event is re-driven
    assert [t for t, _, _ in world.log.records if t == TOPICS.students]  # re-driven


async def test_only_the_students_school_records_consent_and_never_after_erasure(
    world: World,
) -> None:
    await world.send(events.student("s-1"))
    with pytest.raises(RejectedEventError, match="may not change or erase"):
        await world.send(events.consent("s-1", given=False, school_id="other-school"))
    await world.send(events.erasure("s-1"))
    with pytest.raises(RejectedEventError, match="erased"):
        await world.send(events.consent("s-1", given=True))
