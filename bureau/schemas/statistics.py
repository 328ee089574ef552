"""The record on the open statistics feed ``bureau.statistics.v1`` (not an event envelope)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bureau.schemas.envelope import Identifier

SCHEMA = "bureau.statistics/1"
Figure = Literal[
    "students_placed",
    "placement_rate",
    "median_days_to_placement",
    "continued_mbo_to_hbo",
    "female_share_of_placed",
]
Count = int | None
Share = float | None


class StatisticsRow(BaseModel):
    """One group's current figures (region, theme, level or school); null where withheld or n/a.

    The record is keyed ``<dimension>:<value>``; the latest per key is the group's row and a
    tombstone removes a group. docs/open-data.md explains each figure and the suppression.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_: Literal["bureau.statistics/1"] = Field(alias="schema")
    dimension: Literal["region", "theme", "level", "school"]
    value: Identifier
    places_offered: Count = Field(None, ge=0)
    places_filled: Count = Field(None, ge=0)
    students: Count = Field(None, ge=0)
    students_placed: Count = Field(None, ge=0)
    placement_rate: Share = Field(None, ge=0, le=1)
    median_days_to_placement: float | None = Field(None, ge=0)
    continued_mbo_to_hbo: Count = Field(None, ge=0)
    female_share_of_placed: Share = Field(None, ge=0, le=1)
    suppressed: tuple[Figure, ...] = Field(
        (), description="The figures withheld from this row (groups under min_group students)."
    )

    def wire(self) -> dict[str, object]:
        """The record's value as JSON-ready values, keys as on the wire."""
        return self.model_dump(mode="json", by_alias=True)


__all__ = ["SCHEMA", "StatisticsRow"]
