"""Chart geometry and the histogram median: plain Python, no database."""

from collections import Counter
from decimal import Decimal

import pytest

from insights.charts import (
    BarInput,
    ColumnInput,
    SegmentInput,
    fit,
    nice_ceiling,
    percent_bars,
    stacked_columns,
)
from insights.selectors import Rate, median_of


@pytest.mark.parametrize(("histogram", "median"), [
    ({}, None), ({4: 1}, 4), ({2: 1, 5: 1, 9: 1}, 5), ({1: 2, 3: 2}, 2), ({0: 1, 10: 3}, 10),
    ({1: 1, 2: 1}, 1.5),
])
def test_median_of_a_histogram(histogram, median):
    assert median_of(Counter(histogram)) == median


def test_rate_is_unknown_without_a_denominator():
    assert Rate(2, 3).percent == 66.7
    assert Rate(0, 0).percent is None


@pytest.mark.parametrize(("value", "ceiling"), [(0, 1), (0.3, 0.5), (7, 10), (12, 20),
                                                (2400, 2500), (50_000, 50_000)])
def test_nice_ceiling(value, ceiling):
    assert nice_ceiling(value) == pytest.approx(ceiling)


def test_percent_bars_scale_to_the_plot():
    chart = percent_bars([BarInput("Half", 50.0, "1 of 2"), BarInput("None yet", None, "",
                                                                      muted=True)],
                         width=500, label_width=200, value_room=100)
    assert chart.plot_width == 200
    half, unknown = chart.bars
    assert (half.length, half.value, half.value_x) == (100.0, "50.0\u00a0%", 306.0)
    assert (unknown.length, unknown.value, unknown.muted) == (0.0, "—", True)
    assert unknown.y > half.y
    assert [x for x, _ in chart.ticks] == [200.0, 250.0, 300.0, 350.0, 400.0]


def test_long_labels_are_shortened():
    assert fit("Standard · Letter of demand (+30 d)", 20) == "Standard · Letter o…"
    assert fit("Short", 20) == "Short"


def test_stacked_columns_share_one_scale_from_zero():
    columns = [ColumnInput("a", [SegmentInput("bucket-0", Decimal(60), "x"),
                                 SegmentInput("bucket-1", Decimal(20), "y")], "a"),
               ColumnInput("b", [SegmentInput("bucket-0", Decimal(0), "z"),
                                 SegmentInput("bucket-1", Decimal(-5), "w")], "b")]
    chart = stacked_columns(columns, axis_label=str, width=264, height=130, left=64, top=10,
                            bottom=20)  # plot 100 px high, two 100 px slots
    assert chart.gridlines[-1] == (10.0, "100.0") and chart.gridlines[0] == (110.0, "0.0")
    first, second = chart.columns
    assert [(s.css, s.y, s.height) for s in first.segments] == [("bucket-0", 50.0, 60.0),
                                                                ("bucket-1", 30.0, 20.0)]
    assert second.segments == []  # nothing (and nothing negative) to draw
    assert (first.x, chart.column_width, second.x) == (79.0, 70.0, 179.0)
