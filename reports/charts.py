"""Server-rendered SVG charts for the reports dashboard: no JavaScript, no chart library, and nothing
the Content Security Policy refuses (no ``style`` attributes: colours come from CSS classes in
``reports/static/reports/admin/dashboard.css``).

Every mark carries its numbers: ``data-series``, ``data-category`` and ``data-value`` attributes
(what the browser test reads), a ``<title>`` (the tooltip) and, where there is room, a visible label.
All text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

Format = Callable[[float], str]

WIDTH = 720
TOP, BOTTOM, LEFT, RIGHT = 18, 44, 52, 12


@dataclass(frozen=True)
class Series:
    """One coloured series: ``values`` line up with the chart's categories (None: no value)."""

    name: str
    code: str
    values: Sequence[float | None]


def count(value: float) -> str:
    return f"{value:,.0f}"


def percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def hours(value: float) -> str:
    return f"{value / 3600:.1f} h"


def per_day(value: float) -> str:
    return f"{value:.2f}"


def _nice_top(value: float, *, whole: bool = False) -> float:
    """The top of the value axis: four equal steps of 1, 2, 2.5 or 5 × 10ⁿ (whole numbers only for
    counts) whose top is at or above ``value``."""
    if value <= 0:
        return 4.0 if whole else 1.0
    wanted = value / 4
    magnitude = 10 ** math.floor(math.log10(wanted))
    steps = (1, 2, 5, 10) if whole else (1, 2, 2.5, 5, 10)
    step = next(s * magnitude for s in steps if wanted <= s * magnitude)
    return 4 * (max(1, step) if whole else step)


def _attrs(**attrs: object) -> str:
    return " ".join(f'{name.replace("_", "-")}="{escape(str(value))}"' for name, value in attrs.items())


def _svg(chart_id: str, title: str, height: int, body: list[str]) -> SafeString:
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="rp-chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{escape(chart_id)}-title">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>{"".join(body)}</svg>'
    )


def _value_axis(top: float, height: int, fmt: Format) -> list[str]:
    """Four gridlines with their values, and the baseline."""
    plot = height - TOP - BOTTOM
    marks = []
    for step in range(5):
        value = top * step / 4
        y = TOP + plot - plot * step / 4
        marks.append(
            f'<line class="rp-gridline" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        marks.append(
            f'<text class="rp-axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(fmt(value))}</text>'
        )
    return marks


def _empty(chart_id: str, title: str, height: int) -> SafeString:
    return _svg(
        chart_id,
        title,
        height,
        [
            f'<text class="rp-empty" x="{WIDTH / 2}" y="{height / 2}" text-anchor="middle">No data for these filters.</text>'
        ],
    )


def column_chart(
    *,
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    fmt: Format = count,
    stacked: bool = False,
    top: float | None = None,
    height: int = 240,
    axis_labels: Sequence[str] | None = None,
) -> SafeString:
    """Vertical bars per category: side by side per series, or stacked (the total labelled on top).
    ``axis_labels`` are shorter names written under the bars (the categories stay in the data)."""
    values = [v for s in series for v in s.values if v is not None]
    if not categories or not values or (top is None and max(values) <= 0):
        return _empty(chart_id, title, height)
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(categories))]
    top = top if top is not None else _nice_top(max(totals) if stacked else max(values), whole=fmt is count)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, height - TOP - BOTTOM
    band = plot_w / len(categories)
    bar_w = band * 0.7 / (1 if stacked else len(series))
    body = _value_axis(top, height, fmt)
    for i, category in enumerate(categories):
        x0 = LEFT + band * i + band * 0.15
        base: float = TOP + plot_h
        for k, one in enumerate(series):
            value = one.values[i]
            if value is None:
                continue
            h = plot_h * min(value, top) / top
            x = x0 if stacked else x0 + bar_w * k
            y = base - h
            body.append(
                f'<rect class="rp-bar rp-{escape(one.code)}" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" {_attrs(data_series=one.code, data_category=category, data_value=_raw(value))}>'
                f"<title>{escape(f'{category} · {one.name}: {fmt(value)}')}</title></rect>"
            )
            if stacked:
                base = y
            elif value:
                body.append(
                    f'<text class="rp-value" x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle">'
                    f"{escape(fmt(value))}</text>"
                )
        if stacked and totals[i]:
            body.append(
                f'<text class="rp-value" x="{x0 + bar_w / 2:.1f}" y="{base - 3:.1f}" text-anchor="middle" '
                f"{_attrs(data_total=category)}>{escape(fmt(totals[i]))}</text>"
            )
        if i % _label_step(len(categories)) == 0:
            body.append(_category_label(i, band, plot_h, (axis_labels or categories)[i]))
    return _svg(chart_id, title, height, body)


def _label_step(categories: int) -> int:
    """Label every category up to 16 of them; beyond, every n-th so the labels do not overlap."""
    return max(1, math.ceil(categories / 16))


def _category_label(index: int, band: float, plot_h: float, text: str) -> str:
    return (
        f'<text class="rp-axis" x="{LEFT + band * (index + 0.5):.1f}" y="{TOP + plot_h + 16}" '
        f'text-anchor="middle">{escape(text)}</text>'
    )


def line_chart(
    *,
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    fmt: Format = percent,
    top: float = 1.0,
    height: int = 240,
    axis_labels: Sequence[str] | None = None,
) -> SafeString:
    """One line per series across the categories; a missing value breaks the line."""
    if not categories or not any(v is not None for s in series for v in s.values):
        return _empty(chart_id, title, height)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, height - TOP - BOTTOM
    band = plot_w / len(categories)
    body = _value_axis(top, height, fmt)
    for i, category in enumerate(axis_labels or categories):
        if i % _label_step(len(categories)) == 0:
            body.append(_category_label(i, band, plot_h, category))
    for one in series:
        runs: list[list[str]] = [[]]
        for i, value in enumerate(one.values):
            if value is None:
                runs.append([])
                continue
            x = LEFT + band * (i + 0.5)
            y = TOP + plot_h - plot_h * min(value, top) / top
            runs[-1].append(f"{x:.1f},{y:.1f}")
            body.append(
                f'<circle class="rp-point rp-{escape(one.code)}" cx="{x:.1f}" cy="{y:.1f}" r="3.5" '
                f"{_attrs(data_series=one.code, data_category=categories[i], data_value=_raw(value))}>"
                f"<title>{escape(f'{categories[i]} · {one.name}: {fmt(value)}')}</title></circle>"
            )
        body.extend(
            f'<polyline class="rp-line rp-{escape(one.code)}" points="{" ".join(run)}"/>'
            for run in runs
            if len(run) > 1
        )
    return _svg(chart_id, title, height, body)


def bar_chart(
    *,
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    fmt: Format = count,
) -> SafeString:
    """Horizontal bars, one row per category (names on the left), series side by side in a row."""
    values = [v for s in series for v in s.values if v is not None]
    if not categories or not values or max(values) <= 0:
        return _empty(chart_id, title, 120)
    row_h = 14 * len(series) + 10
    height = TOP + row_h * len(categories) + 24
    label_w = 170
    plot_w = WIDTH - label_w - RIGHT - 60
    top = _nice_top(max(values))
    body = []
    for i, category in enumerate(categories):
        y0 = TOP + row_h * i
        body.append(
            f'<text class="rp-axis" x="{label_w - 8}" y="{y0 + row_h / 2 + 4:.1f}" text-anchor="end">'
            f"{escape(category)}</text>"
        )
        for k, one in enumerate(series):
            value = one.values[i]
            if value is None:
                continue
            w = plot_w * min(value, top) / top
            y = y0 + 5 + 14 * k
            body.append(
                f'<rect class="rp-bar rp-{escape(one.code)}" x="{label_w}" y="{y}" width="{w:.1f}" height="12" '
                f"{_attrs(data_series=one.code, data_category=category, data_value=_raw(value))}>"
                f"<title>{escape(f'{category} · {one.name}: {fmt(value)}')}</title></rect>"
                f'<text class="rp-value" x="{label_w + w + 4:.1f}" y="{y + 10}">{escape(fmt(value))}</text>'
            )
    return _svg(chart_id, title, height, body)


def _raw(value: float) -> str:
    """A value as the data attribute holds it: integers without a decimal point."""
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"
