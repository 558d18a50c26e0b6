"""Charts as inline SVG, drawn on the server (no script, no CDN): a line per series over
the days of a period. Amounts are in minor units; labels use ``format_minor``."""

from __future__ import annotations

import datetime as dt
from html import escape

from membercard.core.money import format_minor

WIDTH, HEIGHT, LEFT, BOTTOM, TOP, RIGHT = 720, 260, 100, 30, 12, 12
COLOURS = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7d8c")


def line_chart(
    series: dict[str, dict[dt.date, int]], date_from: dt.date, date_to: dt.date, title: str
) -> str:
    """An SVG line chart (empty string if there is nothing to draw)."""
    if not series:
        return ""
    days = (date_to - date_from).days + 1
    top = max((v for points in series.values() for v in points.values()), default=0) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: dt.date) -> float:
        return LEFT + (plot_w * (day - date_from).days / max(days - 1, 1))

    def y(value: int) -> float:
        return TOP + plot_h * (1 - value / top)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT + 20 * len(series)}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        'stroke="#888"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#888"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 8}" text-anchor="end" font-size="11">'
        f"{escape(format_minor(top))}</text>",
        f'<text x="{LEFT - 4}" y="{TOP + plot_h}" text-anchor="end" font-size="11">0</text>',
        f'<text x="{LEFT}" y="{HEIGHT - 8}" font-size="11">{date_from.isoformat()}</text>',
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" text-anchor="end" font-size="11">'
        f"{date_to.isoformat()}</text>",
    ]
    for index, (name, points) in enumerate(sorted(series.items())):
        colour = COLOURS[index % len(COLOURS)]
        coords = []
        day = date_from
        while day <= date_to:
            coords.append(f"{x(day):.1f},{y(points.get(day, 0)):.1f}")
            day += dt.timedelta(days=1)
        if len(coords) == 1:
            parts.append(
                f'<circle cx="{coords[0].split(",")[0]}" cy="{coords[0].split(",")[1]}" '
                f'r="4" fill="{colour}"/>'
            )
        else:
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                f'points="{" ".join(coords)}"/>'
            )
        legend_y = HEIGHT + 14 + 20 * index
        parts.append(
            f'<rect x="{LEFT}" y="{legend_y - 9}" width="12" height="10" fill="{colour}"/>'
            f'<text x="{LEFT + 18}" y="{legend_y}" font-size="12">{escape(name)}: '
            f"{escape(format_minor(sum(points.values())))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
