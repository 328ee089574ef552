"""Events on ``bureau.offers.v1``: internship places published by companies."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from bureau.schemas.common import Level, PostcodeArea, Skill, Title
from bureau.schemas.envelope import Envelope, Identifier


class InternshipOfferedData(BaseModel):
    """An internship place: who offers it, for whom, and how many."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    offer_id: Identifier
    company_id: Identifier
    title: Title
    levels: frozenset[Level] = Field(min_length=1)
    skills: frozenset[Skill] = Field(min_length=1, max_length=50)
    region: PostcodeArea
    capacity: int = Field(ge=1, le=1000)


class InternshipOffered(Envelope):
    """A company has published an internship place."""

    event_type: Literal["InternshipOffered"]
    data: InternshipOfferedData

    @model_validator(mode="after")
    def _company_publishes_as_itself(self) -> Self:
        # A partner may only speak for itself: the offer's company is the sender.
        if self.data.company_id != self.source:
            raise ValueError("source must be the offering company")
        return self


OfferEvent = InternshipOffered
"""Every event type that may appear on ``bureau.offers.v1``."""

offer_event: TypeAdapter[OfferEvent] = TypeAdapter(OfferEvent)
