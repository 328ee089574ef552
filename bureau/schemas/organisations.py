"""Events on ``bureau.organisations.v1`` (key: organisation id)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, TypeAdapter, model_validator

from bureau.schemas.common import Frozen, Level, PostcodeArea, Themes, Title
from bureau.schemas.envelope import Envelope, Identifier


class OrganisationKind(StrEnum):
    """Who takes part in the exchange."""

    COMPANY = "company"
    SCHOOL = "school"
    PUBLIC_BODY = "public-body"
    COORDINATOR = "coordinator"
    """Runs matching rounds for a region or sector (opens and closes them)."""


class OrganisationRegisteredData(Frozen):
    """An organisation and what it is about; schools say which levels they teach."""

    organisation_id: Identifier
    kind: OrganisationKind
    name: Title
    region: PostcodeArea
    themes: Themes = frozenset()
    levels: frozenset[Level] = Field(default=frozenset())

    @model_validator(mode="after")
    def _schools_have_levels(self) -> Self:
        if self.kind is OrganisationKind.SCHOOL and not self.levels:
            raise ValueError("a school lists the levels it teaches")
        return self


class OrganisationRegistered(Envelope):
    """A company, school, public body or coordinator joined the exchange (or changed details)."""

    event_type: Literal["OrganisationRegistered"]
    data: OrganisationRegisteredData

    @model_validator(mode="after")
    def _speaks_for_itself(self) -> Self:
        if self.data.organisation_id != self.source:
            raise ValueError("source must be the organisation itself")
        return self


OrganisationEvent = OrganisationRegistered
organisation_event: TypeAdapter[OrganisationEvent] = TypeAdapter(OrganisationEvent)
