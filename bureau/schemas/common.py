"""Value types shared by several event schemas."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    FieldSerializationInfo,
    SerializerFunctionWrapHandler,
    StringConstraints,
    field_serializer,
    model_validator,
)


class Level(StrEnum):
    """Dutch education levels along the continuous learning path."""

    VMBO = "vmbo"
    MBO_1 = "mbo-1"
    MBO_2 = "mbo-2"
    MBO_3 = "mbo-3"
    MBO_4 = "mbo-4"
    HBO = "hbo"
    WO = "wo"


class Theme(StrEnum):
    """Regional themes the partnerships choose."""

    CYBERSECURITY = "cybersecurity"
    CLOUD = "cloud"
    SMART_INDUSTRY = "smart-industry"
    VR_AR = "vr-ar"
    AGRI_TECH = "agri-tech"
    SOFTWARE = "software"
    DATA = "data"


Skill = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=1,
        max_length=48,
        pattern=r"^[A-Za-z0-9+#. -]+$",
    ),
]
"""A skill tag, case-folded so that ``Linux`` and ``linux`` match."""

PostcodeArea = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{3}$")]
"""The four digits of a Dutch postcode: region without a street address."""

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Sealed = Annotated[
    str, StringConstraints(pattern=r"^bk1\.[0-9a-f]{16,64}\.[A-Za-z0-9_-]+$", max_length=65536)
]
"""Personal fields sealed under the student's data key (``bureau.privacy.crypto``): read
them through bureau, which opens them for whoever is entitled; unreadable once erased."""
Crebo = Annotated[str, StringConstraints(pattern=r"^[0-9]{5}$")]
"""A Dutch vocational qualification code (mbo programmes)."""


class Frozen(BaseModel):
    """Base of every payload: immutable, and unknown fields are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @field_serializer("*", mode="wrap")
    def _sets_sorted(
        self, value: Any, handler: SerializerFunctionWrapHandler, info: FieldSerializationInfo
    ) -> Any:
        # A set's iteration order depends on the process's string-hash seed: as JSON it is
        # sorted, so the same state or notification has the same bytes in every process
        # (a redelivery after a crash, another worker, a replay).
        out = handler(value)
        if info.mode_is_json() and isinstance(value, set | frozenset):
            return sorted(out)
        return out


class Period(Frozen):
    """An inclusive date range."""

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError("period ends before it starts")
        return self

    def overlaps(self, other: Period) -> bool:
        """Tell whether the two periods share at least one day."""
        return self.start <= other.end and other.start <= self.end


Skills = Annotated[frozenset[Skill], Field(max_length=50)]
Themes = Annotated[frozenset[Theme], Field(max_length=10)]
Levels = Annotated[frozenset[Level], Field(min_length=1)]
