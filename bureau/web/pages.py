"""What each page shows, prepared from the read model: charts and their numbers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Path, Query, Request
from markupsafe import Markup

from bureau.web.charts import Bar, Segment, bar_chart
from bureau.web.feed import PublicRow
from bureau.web.queries import Page, RoundView, SchoolView

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
Id = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]
"""An identifier in a path, as the wire schemas allow them."""
QueryId = Annotated[str | None, Query(min_length=1, max_length=64, pattern=ID_PATTERN)]
"""An identifier as a query parameter (a filter), optional."""
PageNumber = Annotated[int, Query(ge=1, le=1000)]
"""Which page of a list; a page costs the store its number times the page size."""


@dataclass(frozen=True)
class Cell:
    """A figure as shown: its text, its raw value (for tests and tools) and its name."""

    text: str
    value: str
    figure: str


@dataclass(frozen=True)
class Figure:
    """A chart with the numbers beside it."""

    title: str
    explain: str
    chart: Markup
    headers: tuple[str, ...]
    rows: tuple[tuple[str, str, tuple[Cell, ...]], ...]
    """(key, label, cells) per group."""


def overview(rows: Sequence[PublicRow]) -> dict[str, Any]:
    """The region overview's figures."""
    by = _by_dimension(rows)
    return {
        "figures": [
            _places("Places per theme", by.get("theme", [])),
            _places(
                "Places per level",
                by.get("level", []),
                " An offer open to several levels counts under each.",
            ),
            _places("Places per region (postcode area)", by.get("region", [])),
            _rate("Placement rate per school", by.get("school", [])),
            _rate("Placement rate per level", by.get("level", [])),
            _single(
                "Median days to placement per level",
                "From application to confirmed placement.",
                by.get("level", []),
                "median_days_to_placement",
                lambda v: f"{v:g} days",
            ),
            _single(
                "mbo → hbo continuation per school",
                "Students who were at mbo level and are now at hbo.",
                by.get("school", []),
                "continued_mbo_to_hbo",
                lambda v: f"{v:g}",
            ),
            _single(
                "Share of women among placed students, per level",
                "Shown only where at least 10 placed students consented to statistics.",
                by.get("level", []),
                "female_share_of_placed",
                _percent,
                scale=1.0,
            ),
        ],
        "students": sum(r.row.students or 0 for r in by.get("level", [])),
        "places": sum(r.row.places_offered or 0 for r in by.get("region", [])),
    }


def _by_dimension(rows: Sequence[PublicRow]) -> dict[str, list[PublicRow]]:
    out: dict[str, list[PublicRow]] = {}
    for r in rows:
        out.setdefault(r.row.dimension, []).append(r)
    return out


def _cell(r: PublicRow, figure: str, fmt: Callable[[float], str]) -> Cell:
    value = getattr(r.row, figure)
    if r.is_suppressed(figure):
        return Cell("suppressed", "suppressed", figure)
    if value is None:
        return Cell("n/a", "", figure)
    return Cell(fmt(value), str(value), figure)


def _places(title: str, rows: Sequence[PublicRow], note: str = "") -> Figure:
    bars = [
        Bar(
            r.row.value,
            (
                Segment(r.row.places_filled or 0, "filled"),
                Segment((r.row.places_offered or 0) - (r.row.places_filled or 0), "open"),
            ),
            f"{r.row.places_filled}/{r.row.places_offered}",
        )
        for r in rows
    ]
    return Figure(
        title,
        "Filled places (dark) of the places offered; the rest is not filled yet." + note,
        bar_chart(title, bars),
        ("offered", "filled", "not filled"),
        tuple(
            (
                r.key,
                r.row.value,
                (
                    _cell(r, "places_offered", _int),
                    _cell(r, "places_filled", _int),
                    Cell(
                        _int((r.row.places_offered or 0) - (r.row.places_filled or 0)),
                        str((r.row.places_offered or 0) - (r.row.places_filled or 0)),
                        "places_open",
                    ),
                ),
            )
            for r in rows
        ),
    )


def _rate(title: str, rows: Sequence[PublicRow]) -> Figure:
    bars = [
        Bar(
            r.row.value,
            ()
            if r.is_suppressed("placement_rate")
            else (Segment(r.row.placement_rate or 0, "rate"),),
            _cell(r, "placement_rate", _percent).text,
        )
        for r in rows
    ]
    return Figure(
        title,
        "Students with a confirmed placement; groups under 10 students are suppressed.",
        bar_chart(title, bars, scale=1.0),
        ("students", "placed", "rate"),
        tuple(
            (
                r.key,
                r.row.value,
                (
                    _cell(r, "students", _int),
                    _cell(r, "students_placed", _int),
                    _cell(r, "placement_rate", _percent),
                ),
            )
            for r in rows
        ),
    )


def _single(
    title: str,
    explain: str,
    rows: Sequence[PublicRow],
    figure: str,
    fmt: Callable[[float], str],
    *,
    scale: float | None = None,
) -> Figure:
    cells = [(r, _cell(r, figure, fmt)) for r in rows]
    bars = [
        Bar(
            r.row.value,
            () if not c.value or c.value == "suppressed" else (Segment(float(c.value), "rate"),),
            c.text,
        )
        for r, c in cells
    ]
    return Figure(
        title,
        explain,
        bar_chart(title, bars, scale=scale),
        (figure.replace("_", " "),),
        tuple((r.key, r.row.value, (c,)) for r, c in cells),
    )


def round_chart(r: RoundView) -> Markup | None:
    """Placed and unplaced students of a closed round."""
    if r.placed is None or r.unplaced is None:
        return None
    return bar_chart(
        f"Round {r.round_id}",
        [
            Bar("placed", (Segment(r.placed, "filled"),), str(r.placed)),
            Bar("unplaced", (Segment(r.unplaced, "open"),), str(r.unplaced)),
            Bar("places", (Segment(r.places or 0, "rate"),), str(r.places)),
        ],
    )


def school_chart(school: SchoolView) -> Markup:
    """A school's students, placed and not (as of the last statistics refresh)."""
    return bar_chart(
        f"Students of {school.school_id}",
        [
            Bar("placed", (Segment(school.placed, "filled"),), str(school.placed)),
            Bar(
                "not placed",
                (Segment(school.students - school.placed, "open"),),
                str(school.students - school.placed),
            ),
        ],
    )


@dataclass(frozen=True)
class Pager:
    """Links to the previous and next page of a list (None where there is none)."""

    number: int
    previous: str | None
    next: str | None


def pager(request: Request, page: Page[Any]) -> Pager:
    """The pager of ``page``, keeping the request's other query parameters."""

    def link(number: int) -> str:
        query = {k: v for k, v in request.query_params.items() if k != "page"}
        return "?" + urlencode({**query, "page": number} if number > 1 else query)

    return Pager(
        page.number,
        link(page.number - 1) if page.number > 1 else None,
        link(page.number + 1) if page.more else None,
    )


def _int(value: float) -> str:
    return f"{int(value):,}".replace(",", " ")


def _percent(value: float) -> str:
    return f"{100 * value:.1f} %"


__all__ = [
    "Cell",
    "Figure",
    "Id",
    "PageNumber",
    "Pager",
    "QueryId",
    "overview",
    "pager",
    "round_chart",
    "school_chart",
]
