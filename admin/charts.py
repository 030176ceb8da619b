"""Charts drawn on the server as SVG: no script, no library, readable without colour (each
series has its own dash and a table beside it for screen readers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 640, 200, 32
COLOURS = ("#1d4ed8", "#b45309", "#15803d", "#9333ea", "#b91c1c")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2")


def line_chart(title: str, labels: Sequence[str], series: Mapping[str, Sequence[float]]) -> Markup:
    """One line per series over `labels`; the y axis starts at 0 and ends at the largest value."""
    top = max((v for values in series.values() for v in values), default=0) or 1
    span = max(len(labels) - 1, 1)

    def point(index: int, value: float) -> str:
        x = PAD + index * (WIDTH - 2 * PAD) / span
        y = HEIGHT - PAD - value * (HEIGHT - 2 * PAD) / top
        return f"{x:.1f},{y:.1f}"

    parts = [
        f'<svg class="jh-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        'preserveAspectRatio="xMidYMid meet">',
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#9ca3af"/>',
        f'<text x="4" y="{PAD}" font-size="11" fill="#374151">{_number(top)}</text>',
        f'<text x="4" y="{HEIGHT - PAD}" font-size="11" fill="#374151">0</text>',
    ]
    if labels:
        parts.append(
            f'<text x="{PAD}" y="{HEIGHT - 8}" font-size="11" fill="#374151">{escape(labels[0])}</text>'
        )
        parts.append(
            f'<text x="{WIDTH - PAD}" y="{HEIGHT - 8}" font-size="11" fill="#374151" text-anchor="end">'
            f"{escape(labels[-1])}</text>"
        )
    for n, (name, values) in enumerate(series.items()):
        colour, dash = COLOURS[n % len(COLOURS)], DASHES[n % len(DASHES)]
        points = " ".join(point(i, v) for i, v in enumerate(values))
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}" '
            f'points="{points}"><title>{escape(name)}</title></polyline>'
        )
    parts.append("</svg>")
    legend = "".join(
        f'<li><svg width="28" height="10" aria-hidden="true"><line x1="0" y1="5" x2="28" y2="5" '
        f'stroke="{COLOURS[n % len(COLOURS)]}" stroke-width="2" stroke-dasharray="{DASHES[n % len(DASHES)]}"/>'
        f"</svg> {escape(name)}</li>"
        for n, name in enumerate(series)
    )
    return Markup("".join(parts) + f'<ul class="jh-legend">{legend}</ul>')  # noqa: S704 - every name and label is escaped above


def share_bar(share: float, label: str) -> Markup:
    """A horizontal bar for a share (0–1) with its percentage written beside it."""
    percent = max(0.0, min(share, 1.0)) * 100
    return Markup(
        '<span class="jh-share" role="img" aria-label="{label}: {p:.0f}%">'
        '<span class="jh-share-fill" style="width:{p:.1f}%"></span></span> {p:.0f}%'
    ).format(label=label, p=percent)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.2f}"
