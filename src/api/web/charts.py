"""Chart geometry the templates draw as SVG (no script): the dashboard's lab load per site and day, and the
grouped bars of comparisons (one series per plan). The macros in `templates/macros/charts.html` draw them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from api.web.dashboard import LabDay

@dataclass
class LabBar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int
    capacity: int | None
    over: bool
    cap_y: float | None


@dataclass
class LabChart:
    """Geometry of the lab-load bar chart (drawn as SVG by the template, no script)."""

    width: int
    height: int
    bars: list[LabBar]
    ticks: list[tuple[float, int]]
    groups: list[tuple[float, float, str]]
    top: int
    plot_left: int
    plot_bottom: int


def lab_chart(days: list[LabDay]) -> LabChart | None:
    if not days:
        return None
    top = max(max(d.tests for d in days), max((d.capacity or 0) for d in days), 1)
    step = _nice_step(top)
    top = -(-top // step) * step
    left, right, upper, bottom = 48, 12, 12, 56
    bar_w, gap, group_gap = 34, 8, 24
    sites: list[str] = []
    for d in days:
        if d.site not in sites:
            sites.append(d.site)
    n_groups = len(sites)
    width = left + right + len(days) * (bar_w + gap) + (n_groups - 1) * group_gap
    height = 240
    plot_h = height - upper - bottom
    bars, groups = [], []
    x = float(left)
    for site in sites:
        start = x
        for d in (d for d in days if d.site == site):
            h = plot_h * d.tests / top
            cap_y = upper + plot_h - plot_h * d.capacity / top if d.capacity else None
            bars.append(LabBar(x, upper + plot_h - h, bar_w, h, d.day.strftime("%d %b"), d.tests, d.capacity,
                            bool(d.capacity and d.tests > d.capacity), cap_y))
            x += bar_w + gap
        groups.append((start, x - gap, site))
        x += group_gap
    ticks = [(upper + plot_h - plot_h * v / top, v) for v in range(0, top + 1, step)]
    return LabChart(max(width, 240), height, bars, ticks, groups, top, left, upper + plot_h)


def _nice_step(top: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if top / step <= 6:
            return step
    return 10_000


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: float
    text: str
    series: int


@dataclass
class GroupedChart:
    """Bars per category (x) and series (columns of a comparison), drawn by the template as SVG."""

    width: int
    height: int
    bars: list[Bar]
    categories: list[tuple[float, str]]
    ticks: list[tuple[float, str]]
    series: list[str]
    plot_left: int
    plot_bottom: float
    caps: list[tuple[float, float, float]] = field(default_factory=list)  # x1, x2, y of capacity marks


def grouped_chart(categories: list[str], series: list[str], values: list[list[float | None]],
                  caps: list[list[float | None]] | None = None, ratio: bool = False,
                  bar_w: int = 22) -> GroupedChart | None:
    """values[category][series]; caps (same shape) draws a capacity mark over a bar."""
    if not categories or not series:
        return None
    top = max([v or 0 for row in values for v in row] + [c or 0 for row in (caps or []) for c in row] + [1e-9])
    if ratio:
        top = max(top, 1.0)
        step = 0.25 if top <= 1.0 else 0.5
        top = step * -(-top // step)
        tick_values = [i * step for i in range(round(top / step) + 1)]
    else:
        top_int = max(1, int(-(-top // 1)))
        step_i = next((s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000)
                       if top_int / s <= 6), 20000)
        top = float(-(-top_int // step_i) * step_i)
        tick_values = [float(v) for v in range(0, int(top) + 1, step_i)]
    left, upper, bottom = 56, 14, 40
    gap, group_gap = 3, 18
    bars_w = len(series) * (bar_w + gap) - gap
    group_w = max(bars_w, 120)  # room for the category's label under it
    width = left + 12 + len(categories) * (group_w + group_gap)
    height = 260
    plot_h = height - upper - bottom
    bars, cats, marks = [], [], []
    x = float(left + group_gap / 2)
    for ci, name in enumerate(categories):
        x0 = x
        x += (group_w - bars_w) / 2
        for si in range(len(series)):
            v = values[ci][si]
            h = plot_h * (v or 0) / top
            text = "—" if v is None else (f"{v:.0%}" if ratio else f"{v:g}")
            bars.append(Bar(x + si * (bar_w + gap), upper + plot_h - h, bar_w, h, v or 0, text, si))
            cap = caps[ci][si] if caps else None
            if cap:
                cy = upper + plot_h - plot_h * cap / top
                marks.append((x + si * (bar_w + gap) - 2, x + si * (bar_w + gap) + bar_w + 2, cy))
        cats.append((x0 + group_w / 2, name))
        x = x0 + group_w + group_gap
    ticks = [(upper + plot_h - plot_h * v / top, f"{v:.0%}" if ratio else f"{v:g}") for v in tick_values]
    return GroupedChart(max(int(width), 260), height, bars, cats, ticks, series, left, upper + plot_h, marks)
