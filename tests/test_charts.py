"""Server-drawn column charts: round axis steps, bars to scale, every value printed, withheld values hidden."""

from __future__ import annotations

import pytest

from caseapp.charts import Series, column_chart, nice_step


@pytest.mark.parametrize("top, step", [(0, 1), (4, 1), (7, 2), (23, 5), (61, 20), (140, 50), (1_481, 500)])
def test_axis_steps_are_round_and_at_most_five(top, step):
    assert nice_step(top) == step
    assert -(-top // step) <= 5


def test_bars_are_drawn_to_scale_with_their_values_printed(app):
    with app.test_request_context():
        chart = column_chart(
            ["Jan 2025", "Feb 2025"],
            [Series("returned", "bar-returned", [40, 1_250]), Series("assisted", "bar-assisted", [0, 600])],
            plot_height=100,
        )
    assert [tick.text for tick in chart.ticks] == ["0", "500", "1,000", "1,500"]
    assert [bar.text for bar in chart.bars] == ["40", "0", "1,250", "600"]
    heights = {bar.title: bar.height for bar in chart.bars}
    assert heights["Feb 2025: returned 1,250"] == pytest.approx(100 * 1_250 / 1_500, abs=0.1)
    assert heights["Jan 2025: assisted 0"] == 0
    for bar in chart.bars:  # every bar stands on the x-axis and inside the drawing
        assert bar.y + bar.height == pytest.approx(chart.plot_bottom, abs=0.1)
        assert 0 <= bar.x and bar.x + bar.width <= chart.width
    assert [c.text for c in chart.categories] == ["Jan 2025", "Feb 2025"]


def test_a_withheld_value_gets_neither_bar_nor_printed_number(app):
    with app.test_request_context():
        chart = column_chart(["Jan", "Feb"], [Series("returned", "bar-returned", ["<5", 12])])
    assert [bar.text for bar in chart.bars] == ["12"]
