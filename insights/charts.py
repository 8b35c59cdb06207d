"""Geometry for the Analytics page's two small charts, drawn as inline SVG by its template.

Worked out here because the template language has no arithmetic, and kept free of Django and
of money formatting (the caller passes finished labels), so the shapes are plain data a test can
check. No JavaScript: the page is complete as served, prints, and works without a chart library.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

# --- Horizontal bars: a percentage per row (conversion per cadence step) ----------------------


@dataclass(frozen=True)
class BarInput:
    label: str
    percent: float | None  # None: nothing to show yet
    title: str  # the tooltip: what the bar counts
    muted: bool = False  # too few to judge: drawn pale


@dataclass(frozen=True)
class HBar:
    label: str
    value: str
    title: str
    muted: bool
    y: float  # top of the bar
    length: float
    text_y: float  # baseline of the row's texts
    value_x: float  # where the value text starts


@dataclass(frozen=True)
class HBarChart:
    width: int
    height: int
    label_width: int  # the bars start here; labels end just before
    plot_width: int
    bar_height: int
    bars: list[HBar]
    ticks: list[tuple[float, str]]  # (x, label) for 0, 25, 50, 75, 100 %


def fit(label: str, chars: int) -> str:
    """Shorten a label to about what fits (SVG text does not wrap); the tooltip has it whole."""
    return label if len(label) <= chars else label[:chars - 1].rstrip() + "…"


def percent_bars(items: Sequence[BarInput], *, width: int = 720, label_width: int = 300,
                 row_height: int = 26, value_room: int = 64) -> HBarChart:
    """One bar per item on a 0-100 % scale."""
    plot_width = width - label_width - value_room
    bar_height = row_height - 10
    bars = []
    for index, item in enumerate(items):
        top = index * row_height
        length = plot_width * max(0.0, min(item.percent or 0.0, 100.0)) / 100
        bars.append(HBar(
            label=fit(item.label, label_width // 7), title=item.title, muted=item.muted,
            value="—" if item.percent is None else f"{item.percent:.1f}\u00a0%",
            y=top + 5, length=round(length, 1), text_y=top + row_height / 2 + 4,
            value_x=round(label_width + length + 6, 1)))
    height = len(items) * row_height + 18  # room for the scale below
    ticks = [(round(label_width + plot_width * p / 100, 1), f"{p}\u00a0%")
             for p in (0, 25, 50, 75, 100)]
    return HBarChart(width=width, height=height, label_width=label_width,
                     plot_width=plot_width, bar_height=bar_height, bars=bars, ticks=ticks)


# --- Stacked columns: amounts per aging bucket per week ---------------------------------------


@dataclass(frozen=True)
class SegmentInput:
    css: str  # class that colours the segment (one per aging bucket)
    amount: Decimal
    title: str


@dataclass(frozen=True)
class ColumnInput:
    label: str
    segments: Sequence[SegmentInput]
    title: str


@dataclass(frozen=True)
class Segment:
    css: str
    title: str
    y: float
    height: float


@dataclass(frozen=True)
class Column:
    label: str
    title: str
    x: float
    center: float
    segments: list[Segment]


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    left: int  # the plot starts here (room for the scale's labels)
    plot_top: int
    plot_bottom: int
    column_width: float
    columns: list[Column]
    gridlines: list[tuple[float, str]]  # (y, label)


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times 10^n at or above ``value``: a scale people can read."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= value)


def stacked_columns(columns: Sequence[ColumnInput], *, axis_label: Callable[[float], str],
                    width: int = 720, height: int = 240, left: int = 64, top: int = 10,
                    bottom: int = 24, gridlines: int = 4) -> ColumnChart:
    """Columns of stacked segments on one linear scale starting at zero. Negative amounts
    (which a consistent book does not produce) are drawn as nothing rather than below zero."""
    plot_bottom = height - bottom
    plot_height = plot_bottom - top
    peak = max((float(sum((max(s.amount, Decimal(0)) for s in c.segments), Decimal(0)))
                for c in columns), default=0.0)
    scale_max = nice_ceiling(peak)
    slot = (width - left) / max(len(columns), 1)
    column_width = round(slot * 0.7, 1)
    drawn = []
    for index, column in enumerate(columns):
        x = left + index * slot + (slot - column_width) / 2
        base = float(plot_bottom)
        segments = []
        for part in column.segments:
            size = plot_height * float(max(part.amount, Decimal(0))) / scale_max
            if size > 0:
                base -= size
                segments.append(Segment(css=part.css, title=part.title, y=round(base, 1),
                                        height=round(size, 1)))
        drawn.append(Column(label=column.label, title=column.title, x=round(x, 1),
                            center=round(x + column_width / 2, 1), segments=segments))
    lines = [(round(plot_bottom - plot_height * step / gridlines, 1),
              axis_label(scale_max * step / gridlines)) for step in range(gridlines + 1)]
    return ColumnChart(width=width, height=height, left=left, plot_top=top,
                       plot_bottom=plot_bottom, column_width=column_width, columns=drawn,
                       gridlines=lines)
