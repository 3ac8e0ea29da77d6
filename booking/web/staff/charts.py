"""What the managers' charts draw, as plain numbers: bar lengths and interval ends in percent
of the chart's width, heat-map shades from 0 to 1. The templates turn them into SVG; every
chart has a table of the same figures beside it."""

from __future__ import annotations

import math
from dataclasses import dataclass

from babel.numbers import format_decimal, format_percent

from booking.queries.figures import Affluence
from booking.queries.maths import Rate
from booking.web.rendering import LOCALES


@dataclass(frozen=True)
class BarRow:
    label: str
    rate: Rate
    bar: float  # 0–100: the rate's share of the scale
    low: float
    high: float


def scale_of(rates: list[Rate]) -> float:
    """The chart's full width: the highest interval end, rounded up to a tenth (at most 1)."""
    highest = max((r.high for r in rates if r.high is not None), default=0.0)
    return min(1.0, max(0.1, math.ceil(highest * 10 - 1e-9) / 10))


def bar_rows(items: list[tuple[str, Rate]]) -> tuple[list[BarRow], float]:
    scale = scale_of([rate for _, rate in items])

    def share(value: float | None) -> float:
        return 0.0 if value is None else round(100 * value / scale, 2)

    rows = [
        BarRow(label, rate, share(rate.rate), share(rate.low), share(rate.high))
        for label, rate in items
    ]
    return rows, scale


@dataclass(frozen=True)
class HeatMap:
    hours: list[int]
    weekdays: list[int]
    cells: dict[tuple[int, int], int]  # (weekday, hour) -> arrivals
    busiest: int

    def shade(self, weekday: int, hour: int) -> float:
        """0 (nobody) to 1 (the busiest hour), for the cell's opacity."""
        count = self.cells.get((weekday, hour), 0)
        return round(count / self.busiest, 3) if self.busiest else 0.0


def heat_map(rows: list[Affluence]) -> HeatMap:
    cells = {(row.weekday, row.hour): row.arrivals for row in rows}
    hours = sorted({row.hour for row in rows})
    span = list(range(hours[0], hours[-1] + 1)) if hours else []
    weekdays = sorted({row.weekday for row in rows} | {0, 1, 2, 3, 4})
    return HeatMap(span, weekdays, cells, max(cells.values(), default=0))


def percent(value: float | None, language: str) -> str:
    """'15,8 %' / '15.8%'; a dash without a value."""
    if value is None:
        return "—"
    pattern = "#,##0.0\u202f%" if language == "fr" else "#,##0.0%"
    return format_percent(value, pattern, locale=LOCALES[language])


def number(value: float | None, language: str, digits: int = 1) -> str:
    if value is None:
        return "—"
    return format_decimal(value, f"#,##0.{'#' * digits}", locale=LOCALES[language])


def points(current: float | None, previous: float | None, language: str) -> str | None:
    """The change in percentage points, signed: '+1,2' ('−' for a fall); None without both."""
    if current is None or previous is None:
        return None
    change = round(100 * (current - previous), 1)
    text = format_decimal(abs(change), "#,##0.0", locale=LOCALES[language])
    return ("+" if change > 0 else "−" if change < 0 else "±") + text
