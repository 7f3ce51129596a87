"""The ratings chart: round axis ticks, and numbers written under the axes, never beside a
whisker where they could be read as an interval limit."""

from __future__ import annotations

import math
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from amongus_marl.evaluation.chart import (
    CREWMATE_COLOUR,
    GRID,
    IMPOSTOR_COLOUR,
    INK,
    _tick_step,
    draw_chart,
    panel_boxes,
)
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
    elo = Ratings(
        deception={"heuristic": 1552.0, "random": 1440.0},
        detection={"heuristic": 1590.0, "random": 1402.0},
    )
    title = "five_member: 200 games, impostor=heuristic crewmate=random"
    path = draw_chart(
        records, ratings, tmp_path / "chart.png", intervals=intervals, elo=elo, title=title
    )
    drawn_colours = {rgb(c) for c in ("white", GRID, INK, IMPOSTOR_COLOUR, CREWMATE_COLOUR)}
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.text["Title"] == title  # type: ignore[attr-defined]
        rgb_image = image.convert("RGB")
    colours = {colour for _, colour in rgb_image.getcolors(maxcolors=1 << 16) or []}
    assert rgb(IMPOSTOR_COLOUR) in colours and rgb(CREWMATE_COLOUR) in colours  # both sides
    for left, top, right, bottom in panel_boxes():
        # Inside the plot areas there are bars, whiskers, Elo diamonds and grid lines, drawn
        # in flat colours; text would bring its anti-aliased greys. It is all under the axes.
        inside = rgb_image.crop((left, top, right + 1, bottom + 1))
        assert {c for _, c in inside.getcolors(maxcolors=1 << 16) or []} <= drawn_colours
        below = rgb_image.crop((left, bottom + 2, right + 1, bottom + 60))
        assert len(below.getcolors(maxcolors=1 << 16) or []) > 5  # the names and the numbers
    # The Elo diamond is drawn where the Elo lies, on its bar's centre line: its hollow middle
    # is white where the bar (1500 to 1580) would otherwise be red.
    assert rgb_image.getpixel(_elo_diamond_centre(ratings, intervals, elo)) == rgb("white")


def rgb(colour: str) -> tuple[int, int, int]:
    from PIL import ImageColor

    red, green, blue = ImageColor.getrgb(colour)[:3]
    return red, green, blue


def _elo_diamond_centre(ratings: Ratings, intervals: Intervals, elo: Ratings) -> tuple[int, int]:
    """Where the heuristic's Deception Elo marker sits (the hollow middle of the diamond)."""
    _, (x0, y0, x1, y1) = panel_boxes()
    values = [1500.0, *ratings.deception.values(), *ratings.detection.values()]
    values += [*elo.deception.values(), *elo.detection.values()]
    values += [
        v for pair in [*intervals.deception.values(), *intervals.detection.values()] for v in pair
    ]
    low, high = min(values), max(values)
    pad = max(25.0, 0.1 * (high - low))
    step = _tick_step(high - low + 2 * pad)
    axis_low = math.floor((low - pad) / step) * step
    axis_high = math.ceil((high + pad) / step) * step
    y = y1 - (elo.deception["heuristic"] - axis_low) / (axis_high - axis_low) * (y1 - y0)
    slot = (x1 - x0) / 2
    bar = min(40.0, slot / 3)
    x = x0 + slot * 0.5 - bar + bar / 2
    return round(x), round(y)


def test_an_open_end_is_an_arrow_to_the_panels_edge_and_does_not_stretch_the_axis(
    tmp_path: Path,
) -> None:
    # 20 of 20 won by the heuristic impostor: its Deception interval's upper end (2993) is the
    # prior's, random's Detection interval's lower end (7) too.
    ratings = Ratings(deception={"heuristic": 1976.0}, detection={"random": 1024.0})
    intervals = Intervals(
        deception={"heuristic": (1687.0, 2993.0)},
        detection={"random": (7.0, 1313.0)},
        open_ends={"deception": {"heuristic": "upper"}, "detection": {"random": "lower"}},
    )
    records = {"heuristic": {"impostor": (20, 20)}, "random": {"crewmate": (0, 20)}}
    path = draw_chart(records, ratings, tmp_path / "chart.png", intervals=intervals)
    with Image.open(path) as image:
        rgb_image = image.convert("RGB")
    _, (x0, y0, x1, y1) = panel_boxes()
    # The axis spans the estimates and the closed ends (1024 to 1976), as the chart computes it.
    low, high = 1024.0, 1976.0
    pad = max(25.0, 0.1 * (high - low))
    step = _tick_step(high - low + 2 * pad)
    axis_low = math.floor((low - pad) / step) * step
    axis_high = math.ceil((high + pad) / step) * step
    assert axis_high < 2993 and axis_low > 7

    def y_of(value: float) -> int:
        return round(y1 - (value - axis_low) / (axis_high - axis_low) * (y1 - y0))

    slot, bar = (x1 - x0) / 2, min(40.0, (x1 - x0) / 6)
    heuristic_deception = round(x0 + slot * 0.5 - bar / 2)
    random_detection = round(x0 + slot * 1.5 + bar / 2)
    # Arrowheads at the panel's top and bottom edges, where the whiskers run off the scale ...
    assert rgb_image.getpixel((heuristic_deception - 3, y0 + 8)) == rgb(INK)
    assert rgb_image.getpixel((random_detection - 3, y1 - 8)) == rgb(INK)
    # ... and caps on the ends the games set.
    assert rgb_image.getpixel((heuristic_deception - 4, y_of(1687.0))) == rgb(INK)
    assert rgb_image.getpixel((random_detection + 4, y_of(1313.0))) == rgb(INK)
