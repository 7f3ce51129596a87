"""The ratings chart: round axis ticks, and value labels that stay clear of bars and whiskers."""

from __future__ import annotations

import math
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from amongus_marl.evaluation.chart import LABEL_HEIGHT, _label_top, _tick_step, draw_chart
from amongus_marl.evaluation.ratings import Intervals, Ratings


@given(st.floats(min_value=1e-3, max_value=1e6, allow_nan=False))
def test_ticks_are_round_and_three_to_eight_per_axis(span: float) -> None:
    step = _tick_step(span)
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(math.isclose(mantissa, m) for m in (1.0, 2.5, 5.0))
    assert 3 <= span / step <= 8


def test_elo_axis_has_a_tick_on_the_starting_rating() -> None:
    # Ratings spread over up to a few thousand points; every step chosen for them divides 1500.
    for span in (50.0, 60.0, 150.0, 400.0, 900.0, 1300.0, 2500.0):
        assert 1500 % _tick_step(span) == 0


@given(
    st.lists(st.floats(min_value=0, max_value=500), min_size=1, max_size=3),
    st.booleans(),
)
def test_a_value_label_lies_wholly_past_its_bar_and_whisker(ends: list[float], below: bool) -> None:
    top = _label_top(ends, below=below)
    if below:  # under the lowest point drawn (screen y grows downwards)
        assert top > max(ends)
    else:
        assert top + LABEL_HEIGHT < min(ends)


def test_chart_with_intervals_is_drawn(tmp_path: Path) -> None:
    ratings = Ratings(
        deception={"heuristic": 1580.0, "random": 1420.0},
        detection={"heuristic": 1620.0, "random": 1390.0},
    )
    intervals = Intervals(
        deception={"heuristic": (1540.0, 1625.0), "random": (1380.0, 1460.0)},
        detection={"heuristic": (1580.0, 1660.0), "random": (1350.0, 1430.0)},
    )
    records = {
        "heuristic": {"impostor": (30, 50), "crewmate": (35, 50)},
        "random": {"impostor": (10, 50), "crewmate": (5, 50)},
    }
    path = draw_chart(records, ratings, tmp_path / "chart.png", intervals=intervals)
    with Image.open(path) as image:
        assert image.format == "PNG"
        colours = {colour for _, colour in image.getcolors(maxcolors=1 << 16) or []}
    assert (0xC0, 0x39, 0x2B) in colours and (0x2E, 0x6F, 0xB7) in colours  # both sides' bars
