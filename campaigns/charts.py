"""Small SVG charts drawn on the server: no JavaScript, no CDN, readable by screen readers.

Each chart carries a <title> and a <desc> naming what it shows; the page puts a table of the
same numbers next to it, so nothing is only in the picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Point:
    day: date
    value: int


def _nice_max(value: int) -> int:
    """A round upper bound for the axis (1, 2, 5, 10, 20, 50, ...)."""
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    points: Sequence[Point],
    width: int = 640,
    height: int = 220,
    colour: str = "#0b5d5e",
) -> SafeString:
    """A bar chart of one value per day, as an accessible inline SVG."""
    left, right, top, bottom = 40, 8, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_max(max((p.value for p in points), default=0))
    count = max(1, len(points))
    slot = plot_w / count
    bar_w = max(1.0, slot * 0.7)
    parts: list[str] = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {} {}" '
            'role="img" aria-labelledby="{}-title {}-desc" focusable="false">'
            '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
            width,
            height,
            chart_id,
            chart_id,
            chart_id,
            title,
            chart_id,
            description,
        )
    ]
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#c9d6d6" stroke-width="1"/>'
                '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#3b4a4a">{}</text>',
                left,
                f"{y:.1f}",
                width - right,
                f"{y:.1f}",
                left - 6,
                f"{y + 4:.1f}",
                int(peak * fraction),
            )
        )
    label_every = max(1, count // 6)
    for index, point in enumerate(points):
        x = left + index * slot + (slot - bar_w) / 2
        bar_h = plot_h * point.value / peak
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>',
                f"{x:.1f}",
                f"{top + plot_h - bar_h:.1f}",
                f"{bar_w:.1f}",
                f"{bar_h:.1f}",
                colour,
                point.day.isoformat(),
                point.value,
            )
        )
        if index % label_every == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="#3b4a4a">{}'
                    "</text>",
                    f"{x + bar_w / 2:.1f}",
                    height - 8,
                    point.day.strftime("%d/%m"),
                )
            )
    parts.append("</svg>")
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 - every value above is escaped
