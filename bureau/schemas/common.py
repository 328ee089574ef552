"""Value types shared by several event schemas."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints


class Level(StrEnum):
    """Dutch education levels along the continuous learning path."""

    VMBO = "vmbo"
    MBO_1 = "mbo-1"
    MBO_2 = "mbo-2"
    MBO_3 = "mbo-3"
    MBO_4 = "mbo-4"
    HBO = "hbo"
    WO = "wo"


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
