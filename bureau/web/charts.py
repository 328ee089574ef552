"""Horizontal bar charts as inline SVG, drawn on the server (no script, no CDN)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 600
LABEL_WIDTH = 190
BAR_HEIGHT = 18
GAP = 8


@dataclass(frozen=True)
class Segment:
    """A part of a bar: its value and CSS class (``filled``, ``open``, ``rate``...)."""

    value: float
    css: str


@dataclass(frozen=True)
class Bar:
    """One labelled bar; ``note`` is printed after it (e.g. the number, or 'suppressed')."""

    label: str
    segments: tuple[Segment, ...]
    note: str


def bar_chart(title: str, bars: Sequence[Bar], *, scale: float | None = None) -> Markup:
    """An accessible SVG chart of ``bars``; ``scale`` is the value of a full-width bar."""
    full = scale or max((sum(s.value for s in b.segments) for b in bars), default=0) or 1
    room = WIDTH - LABEL_WIDTH - 110
    height = max(len(bars), 1) * (BAR_HEIGHT + GAP) + GAP
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'preserveAspectRatio="xMinYMin meet" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
    ]
    for i, bar in enumerate(bars):
        y = GAP + i * (BAR_HEIGHT + GAP)
        text_y = y + BAR_HEIGHT - 4
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{text_y}" text-anchor="end" class="label">'
            f"{escape(_short(bar.label))}</text>"
        )
        x = float(LABEL_WIDTH)
        for seg in bar.segments:
            w = room * seg.value / full
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{BAR_HEIGHT}" '
                f'class="{escape(seg.css)}"/>'
            )
            x += w
        if not bar.segments:
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{room}" height="{BAR_HEIGHT}" class="none"/>'
            )
            x += room
        parts.append(f'<text x="{x + 6:.1f}" y="{text_y}" class="note">{escape(bar.note)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  every text above was escaped


def _short(label: str, limit: int = 26) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


__all__ = ["Bar", "Segment", "bar_chart"]
