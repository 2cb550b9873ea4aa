"""Column charts drawn by the server as SVG: axes, gridlines and the value printed on every bar.

Plain functions compute the geometry (tested without a browser); `templates/_macros/charts.html` writes the
SVG. No chart library and no script: the chart prints, works without JavaScript and passes the page's
Content-Security-Policy. A value given as None (withheld for privacy) gets no bar and no printed value,
since its length would tell the number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from flask_babel import format_decimal

#: Room for the y-axis tick labels (left) and the category labels (bottom), in SVG pixels.
LEFT, BOTTOM, TOP = 44, 22, 16


@dataclass
class Series:
    name: str
    css_class: str  #: colour of the bars and of the legend swatch (caseapp.css)
    values: list[int | None]


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    text: str  #: the value as printed (locale's digit grouping)
    css_class: str
    title: str  #: "Jan 2025: returned 12" for a pointer's tooltip


@dataclass
class Tick:
    y: float
    text: str


@dataclass
class Category:
    x: float  #: centre of the group
    text: str


@dataclass
class ColumnChart:
    width: int
    height: int
    plot_bottom: float
    left: int = LEFT
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)


def nice_step(top: int, most_ticks: int = 5) -> int:
    """The smallest round step (1, 2 or 5 times a power of ten) that covers `top` in at most `most_ticks`
    steps; never below 1 since the charts count persons."""
    if top <= most_ticks:
        return 1
    raw = top / most_ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if multiple * magnitude >= raw:
            return int(multiple * magnitude)
    return int(10 * magnitude)  # pragma: no cover - the loop always returns


def column_chart(
    categories: list[str], series: list[Series], *, plot_height: int = 160, bar_width: int = 18, gap: int = 14
) -> ColumnChart:
    """One group of bars per category (one bar per series), scaled to a round top value on the y-axis."""
    values = [v for s in series for v in s.values if isinstance(v, int)]
    step = nice_step(max(values + [0]))
    top = step * max(1, math.ceil(max(values + [0]) / step))
    group_width = len(series) * bar_width + gap
    width = LEFT + max(len(categories), 1) * group_width + gap
    plot_bottom = TOP + plot_height
    chart = ColumnChart(width=width, height=plot_bottom + BOTTOM, plot_bottom=plot_bottom, series=series)
    chart.ticks = [
        Tick(y=round(plot_bottom - plot_height * value / top, 1), text=format_decimal(value))
        for value in range(0, top + 1, step)
    ]
    for index, category in enumerate(categories):
        left = LEFT + gap + index * group_width
        chart.categories.append(Category(x=left + len(series) * bar_width / 2, text=category))
        for position, one in enumerate(series):
            value = one.values[index]
            if not isinstance(value, int):
                continue
            height = round(plot_height * value / top, 1)
            chart.bars.append(
                Bar(
                    x=left + position * bar_width,
                    y=round(plot_bottom - height, 1),
                    width=bar_width,
                    height=height,
                    value=value,
                    text=format_decimal(value),
                    css_class=one.css_class,
                    title=f"{category}: {one.name} {format_decimal(value)}",
                )
            )
    return chart
