"""A small server-rendered SVG chart for the console: per-minute counts of one kind over the last 24 hours,
one stacked bar per minute (queued, sent, suppressed, failed). No JavaScript, no library, no CDN.

This module computes the numbers and labels; the markup is a template (operations/jinja2/operations/
minute_chart.svg), which escapes every value it prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from django.utils.safestring import SafeString

from gratitude.core import fragments

TEMPLATE = "operations/minute_chart.svg"
MINUTES = 24 * 60
SERIES = ("queued", "sent", "suppressed", "failed")
COLOURS = {"queued": "#7a8fa6", "sent": "#2f6b3a", "suppressed": "#b7791f", "failed": "#a1282a"}
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 120, 34, 16, 6


@dataclass(frozen=True)
class MinuteCounts:
    """Counts per series per minute, minute 0 being 24 hours ago and 1439 the current minute."""

    kind: str
    per_minute: dict[str, dict[int, int]]

    def total(self, series: str) -> int:
        return sum(self.per_minute.get(series, {}).values())

    def peak(self) -> int:
        minutes = set().union(*(self.per_minute.get(s, {}).keys() for s in SERIES))
        return max((sum(self.per_minute.get(s, {}).get(m, 0) for s in SERIES) for m in minutes), default=0)


class Label(TypedDict):
    x: int | str
    y: int
    anchor: str
    text: int | str


class Bar(TypedDict):
    series: str
    total: int
    colour: str
    d: str


def minute_chart(counts: MinuteCounts) -> SafeString:
    """The SVG (operations/jinja2/operations/minute_chart.svg): bars only where something happened, so a quiet
    kind costs a few bytes."""
    peak = max(counts.peak(), 1)
    plot_w, plot_h = WIDTH - LEFT, HEIGHT - BOTTOM - TOP
    axis_y = TOP + plot_h
    totals = {series: counts.total(series) for series in SERIES}
    labels: list[Label] = [
        {"x": LEFT - 4, "y": TOP + 8, "anchor": "end", "text": peak},
        {"x": LEFT - 4, "y": axis_y, "anchor": "end", "text": 0},
        {"x": LEFT, "y": HEIGHT - 3, "anchor": "", "text": "24 h ago"},
        {"x": f"{LEFT + plot_w / 2:.0f}", "y": HEIGHT - 3, "anchor": "middle", "text": "12 h ago"},
        {"x": WIDTH, "y": HEIGHT - 3, "anchor": "end", "text": "now"},
    ]
    paths: list[Bar] = [
        {"series": series, "total": totals[series], "colour": COLOURS[series], "d": d}
        for series, d in _bar_paths(counts, scale=plot_h / peak, plot_h=plot_h)
    ]
    context = {
        "kind": counts.kind,
        "summary": ", ".join(f"{totals[s]} {s}" for s in SERIES),
        "peak": peak,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "axis_y": axis_y,
        "labels": labels,
        "paths": paths,
    }
    # Rendered by the "fragments" engine (gratitude/core/fragments.py), which escapes every value.
    return fragments.render(TEMPLATE, context)


def _bar_paths(counts: MinuteCounts, *, scale: float, plot_h: int) -> list[tuple[str, str]]:
    """(series, SVG path data) in stacking order: each busy minute a bar on top of the series below it."""
    bar_w = (WIDTH - LEFT) / MINUTES
    base: dict[int, float] = {}
    paths = []
    for series in SERIES:
        steps = []
        for minute, count in sorted(counts.per_minute.get(series, {}).items()):
            if not count:
                continue
            bottom = base.get(minute, 0.0)
            height = count * scale
            # A minute is half a unit wide; draw at least 1.5 so a lone busy minute can be seen.
            width = max(bar_w, 1.5)
            x = min(LEFT + minute * bar_w, WIDTH - width)
            y = TOP + plot_h - bottom - height
            steps.append(f"M{x:.2f},{y:.2f}h{width:.2f}v{height:.2f}h-{width:.2f}z")
            base[minute] = bottom + height
        paths.append((series, "".join(steps) or "M0,0"))
    return paths
