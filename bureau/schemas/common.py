"""Value types shared by several event schemas."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    FieldSerializationInfo,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    SerializerFunctionWrapHandler,
    StringConstraints,
    field_serializer,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
"""The dates bureau accepts: far enough for any placement, near enough for any clock."""

# C0, DEL and C1 controls (NUL, ANSI escape, line breaks, ...), the Unicode line and
# paragraph separators, and the bidi marks, embeddings, overrides and isolates that make
# text display other than it reads.
_UNPRINTABLE = r"\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
_FIND_UNPRINTABLE = re.compile(f"[{_UNPRINTABLE}]")


def _printable(value: str) -> str:
    found = _FIND_UNPRINTABLE.search(value)
    if found is not None:
        raise ValueError(f"contains the control or bidi character U+{ord(found.group()):04X}")
    return value


@dataclass(frozen=True)
class Printable:
    """Marks a ``str`` that may hold no control or bidi characters (checked and documented)."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        """Check the text after its own constraints (strip, lengths)."""
        return core_schema.no_info_after_validator_function(_printable, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Show the rule in the contract as a pattern partners can check before sending."""
        return {**handler(schema), "pattern": f"^[^{_UNPRINTABLE}]*$"}


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

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), Printable()]
"""Free text (reasons, remarks, descriptions): one line, no control or bidi characters."""
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), Printable()
]
"""A name or title: like ``Text``, but short and never empty."""
WireDate = Annotated[
    date,
    Field(
        ge=EARLIEST,
        le=LATEST,
        json_schema_extra={"formatMinimum": str(EARLIEST), "formatMaximum": str(LATEST)},
    ),
]
"""A calendar date within bureau's range."""
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

    start: WireDate
    end: WireDate

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        ordered(self.start, self.end, "period")
        return self

    def overlaps(self, other: Period) -> bool:
        """Tell whether the two periods share at least one day."""
        return self.start <= other.end and other.start <= self.end


def ordered(start: date | None, end: date | None, what: str) -> None:
    """Raise ValueError when ``what`` ends before it starts (both dates given)."""
    if start is not None and end is not None and end < start:
        raise ValueError(f"{what} ends before it starts")


def distinct(ids: tuple[str, ...], what: str) -> None:
    """Raise ValueError naming the first id that appears twice in ``ids``."""
    if len(set(ids)) == len(ids):  # the usual case, in C: a round names thousands
        return
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"{what}: {i}")
        seen.add(i)


Skills = Annotated[frozenset[Skill], Field(max_length=50)]
Themes = Annotated[frozenset[Theme], Field(max_length=10)]
Levels = Annotated[frozenset[Level], Field(min_length=1)]
