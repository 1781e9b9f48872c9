"""A small server-rendered SVG chart for the console: per-minute counts of one kind over the last 24 hours,
one stacked bar per minute (queued, sent, suppressed, failed). No JavaScript, no library, no CDN.

The markup is built from numbers this module computes and from fixed labels; nothing a user typed goes in.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

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


def minute_chart(counts: MinuteCounts) -> SafeString:
    """The SVG: bars only where something happened, so a quiet kind costs a few bytes."""
    peak = max(counts.peak(), 1)
    plot_w, plot_h = WIDTH - LEFT, HEIGHT - BOTTOM - TOP
    bar_w = plot_w / MINUTES
    scale = plot_h / peak
    paths: list[str] = []
    base: dict[int, float] = {}
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
        paths.append(
            f'<path class="series-{series}" data-series="{series}" data-total="{counts.total(series)}" '
            f'fill="{COLOURS[series]}" d="{"".join(steps) or "M0,0"}"/>'
        )
    summary = ", ".join(f"{counts.total(s)} {s}" for s in SERIES)
    kind = escape(counts.kind)
    axis_y = TOP + plot_h
    labels = (
        f'<text x="{LEFT - 4}" y="{TOP + 8}" text-anchor="end">{peak}</text>'
        f'<text x="{LEFT - 4}" y="{axis_y}" text-anchor="end">0</text>'
        f'<text x="{LEFT}" y="{HEIGHT - 3}">24 h ago</text>'
        f'<text x="{LEFT + plot_w / 2:.0f}" y="{HEIGHT - 3}" text-anchor="middle">12 h ago</text>'
        f'<text x="{WIDTH}" y="{HEIGHT - 3}" text-anchor="end">now</text>'
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="minute-chart" data-kind="{kind}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-label="{kind}, per minute over the last 24 hours: {summary}; busiest minute {peak}">'
        f"<title>{kind}: {summary} in the last 24 hours</title>"
        f'<line x1="{LEFT}" y1="{axis_y}" x2="{WIDTH}" y2="{axis_y}" stroke="currentColor" '
        'stroke-width="0.5"/>'
        f'<g font-size="9" fill="currentColor">{labels}</g>'
        f"{''.join(paths)}</svg>"
    )
    return mark_safe(svg)  # noqa: S308 - numbers and an escaped kind name only
