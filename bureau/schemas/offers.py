"""Events on ``bureau.offers.v1`` (key: offer id): internship places from companies."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import Field, TypeAdapter, model_validator

from bureau.schemas.common import (
    Frozen,
    Levels,
    Period,
    PostcodeArea,
    Skill,
    Skills,
    Text,
    Themes,
    Title,
)
from bureau.schemas.envelope import Envelope, Identifier


class WorkMode(StrEnum):
    """Where the intern works."""

    ON_SITE = "on-site"
    HYBRID = "hybrid"
    REMOTE = "remote"


class OfferDetails(Frozen):
    """An internship place: who offers it, for whom, when, and how many."""

    offer_id: Identifier
    company_id: Identifier
    title: Title
    levels: Levels
    skills: frozenset[Skill] = Field(min_length=1, max_length=50)
    nice_to_have: Skills = frozenset()
    themes: Themes = frozenset()
    region: PostcodeArea
    period: Period | None = None
    mode: WorkMode = WorkMode.ON_SITE
    capacity: int = Field(ge=1, le=1000)


class _FromTheCompany(Envelope):
    data: OfferDetails

    @model_validator(mode="after")
    def _company_speaks(self) -> Self:
        # A partner may only speak for itself: the offer's company is the sender.
        if self.data.company_id != self.source:
            raise ValueError("source must be the offering company")
        return self


class InternshipOffered(_FromTheCompany):
    """A company published an internship place."""

    event_type: Literal["InternshipOffered"]


class InternshipOfferUpdated(_FromTheCompany):
    """A company replaced an offer's details (capacity never below the places filled)."""

    event_type: Literal["InternshipOfferUpdated"]


class WithdrawalData(Frozen):
    """Which offer is withdrawn, and why."""

    offer_id: Identifier
    company_id: Identifier
    reason: Text = ""


class InternshipOfferWithdrawn(Envelope):
    """A company withdrew an offer: it takes no applications and gets no suggestions."""

    event_type: Literal["InternshipOfferWithdrawn"]
    data: WithdrawalData

    @model_validator(mode="after")
    def _company_speaks(self) -> Self:
        if self.data.company_id != self.source:
            raise ValueError("source must be the offering company")
        return self


OfferEvent = Annotated[
    InternshipOffered | InternshipOfferUpdated | InternshipOfferWithdrawn,
    Field(discriminator="event_type"),
]
offer_event: TypeAdapter[OfferEvent] = TypeAdapter(OfferEvent)
