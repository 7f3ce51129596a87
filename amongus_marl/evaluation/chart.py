"""A PNG chart of win rates and ratings per policy, drawn with Pillow.

Left panel: each policy's win rate as impostor and as crewmate, with 95% Wilson intervals.
Right panel: its Deception and Detection rating (the Bradley–Terry fit over all games) as bars
from the 1500 mean, with 95% profile-likelihood intervals as whiskers, and the 7vik Elo as a
hollow diamond on each bar. An end the games leave open (a side won every game; the number there
is the prior's) is drawn as an arrow running to the panel's edge, and the axis is not stretched
to reach it.

Every number is written under the axis, in a row per quantity aligned with its bar, never
beside a bar or whisker, where it could be taken for an interval's limit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

from amongus_marl.evaluation.ratings import INITIAL_RATING, Intervals, Ratings
from amongus_marl.evaluation.stats import wilson_interval

IMPOSTOR_COLOUR: Final[str] = "#c0392b"
CREWMATE_COLOUR: Final[str] = "#2e6fb7"
INK: Final[str] = "#222222"
GRID: Final[str] = "#dddddd"
PANEL_WIDTH: Final[int] = 460
PANEL_HEIGHT: Final[int] = 340
MARGIN: Final[int] = 56
ROW_HEIGHT: Final[int] = 15  # one line of the small font under an axis
DIAMOND: Final[int] = 5  # half the width of an Elo marker

Font = ImageFont.ImageFont | ImageFont.FreeTypeFont


def _font(size: int) -> Font:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has one bitmap size only
        return ImageFont.load_default()


@dataclass(frozen=True)
class Bar:
    """One bar: its value, its interval (whisker), a marker drawn on it (the Elo) and which
    end of the interval, if any, the data leave open (``"lower"``, ``"upper"``, ``"both"``)."""

    value: float | None
    interval: tuple[float, float] | None = None
    marker: float | None = None
    open_end: str | None = None

    def closed_ends(self) -> list[float]:
        """The ends of the interval the data set (the ones the axis must show)."""
        if self.interval is None:
            return []
        low, high = self.interval
        return [
            v for v, end in ((low, "lower"), (high, "upper")) if self.open_end not in (end, "both")
        ]


def panel_boxes() -> tuple[tuple[int, int, int, int], tuple[int, int, int, int]]:
    """The plot areas (left, top, right, bottom) of the win-rate and the rating panel."""
    top = MARGIN + 10
    left = (MARGIN, top, MARGIN + PANEL_WIDTH, top + PANEL_HEIGHT)
    right = (2 * MARGIN + PANEL_WIDTH, top, 2 * MARGIN + 2 * PANEL_WIDTH, top + PANEL_HEIGHT)
    return left, right


def draw_chart(
    records: Mapping[str, Mapping[str, tuple[int, int]]],
    ratings: Ratings,
    path: str | Path,
    *,
    intervals: Intervals | None = None,
    elo: Ratings | None = None,
    title: str = "",
) -> Path:
    """Draw the chart to ``path`` (PNG) and return the path.

    ``records``: per policy and side, (games won, games played), as ``ratings.win_records``;
    ``ratings`` and ``intervals``: the bars and whiskers of the rating panel (the Bradley–Terry
    fit); ``elo``: the 7vik Elo, drawn as markers; ``title``: the run (config, games, lineup).
    """
    policies = sorted(set(records) | set(ratings.policies) | set(elo.policies if elo else ()))
    width = 2 * PANEL_WIDTH + 3 * MARGIN
    left_box, right_box = panel_boxes()
    legend_y = right_box[3] + 4 * ROW_HEIGHT + 12  # under the rows of numbers
    open_ends = intervals is not None and bool(intervals.open_ends)
    height = legend_y + (52 if open_ends else 32)  # a second legend row for the open ends
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font, small = _font(14), _font(11)
    if title:
        draw.text((MARGIN, 12), title, fill=INK, font=font)

    win_bars: list[Bar] = []
    for policy in policies:
        for side in ("impostor", "crewmate"):
            wins, games = records.get(policy, {}).get(side, (0, 0))
            win_bars.append(Bar(wins / games, wilson_interval(wins, games)) if games else Bar(None))
    _bar_panel(
        draw,
        left_box,
        policies,
        win_bars,
        (0.0, 1.0, 0.0),
        "win rate (95% Wilson CI)",
        [("win", [None if b.value is None else f"{100 * b.value:.0f}%" for b in win_bars])],
        small,
        font,
        percent=True,
    )

    rating_bars: list[Bar] = []
    values: list[float] = [INITIAL_RATING]
    for policy in policies:
        for side in ("deception", "detection"):
            value = getattr(ratings, side).get(policy)
            interval = getattr(intervals, side).get(policy) if intervals else None
            marker = getattr(elo, side).get(policy) if elo else None
            open_end = intervals.open_ends.get(side, {}).get(policy) if intervals else None
            bar = Bar(value, interval, marker, open_end)
            rating_bars.append(bar)
            values += [v for v in (value, marker) if v is not None] + bar.closed_ends()
    low, high = min(values), max(values)
    pad = max(25.0, 0.1 * (high - low))
    step = _tick_step(high - low + 2 * pad)
    rows = [("fit", [None if b.value is None else f"{b.value:.0f}" for b in rating_bars])]
    if elo is not None:
        rows.append(("Elo", [None if b.marker is None else f"{b.marker:.0f}" for b in rating_bars]))
    _bar_panel(
        draw,
        right_box,
        policies,
        rating_bars,
        (
            math.floor((low - pad) / step) * step,
            math.ceil((high + pad) / step) * step,
            INITIAL_RATING,
        ),
        "Deception / Detection rating (Bradley-Terry fit, 95% CI)",
        rows,
        small,
        font,
        percent=False,
    )
    x = MARGIN
    for label, colour in (
        ("as impostor / Deception", IMPOSTOR_COLOUR),
        ("as crewmate / Detection", CREWMATE_COLOUR),
    ):
        draw.rectangle((x, legend_y, x + 14, legend_y + 14), fill=colour)
        draw.text((x + 20, legend_y), label, fill=INK, font=small)
        x += 230
    if elo is not None:
        _diamond(draw, x + 7, legend_y + 7)
        draw.text((x + 20, legend_y), "7vik Elo (K = 32, games in order)", fill=INK, font=small)
    if open_ends:
        _arrowhead(draw, MARGIN + 7, legend_y + 34, legend_y + 20)
        draw.text(
            (MARGIN + 20, legend_y + 20),
            "no limit from the games on that side (one side won them all)",
            fill=INK,
            font=small,
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = PngInfo()
    if title:  # also as the PNG's Title text, which viewers and tests can read
        metadata.add_text("Title", title)
    image.save(path, format="PNG", pnginfo=metadata)
    return path


def _bar_panel(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    policies: Sequence[str],
    bars: Sequence[Bar],
    axis: tuple[float, float, float],
    label: str,
    rows: Sequence[tuple[str, Sequence[str | None]]],
    small: Font,
    font: Font,
    *,
    percent: bool,
) -> None:
    """Pairs of bars (impostor, crewmate) per policy, drawn from the base of ``axis`` (low,
    high, base), with whiskers and markers; under the axis the policy names, then one row of
    values per entry of ``rows`` (a row label and a text per bar)."""
    x0, y0, x1, y1 = box
    low, high, base = axis
    span = (high - low) or 1.0

    def y_of(value: float) -> float:
        return y1 - (value - low) / span * (y1 - y0)

    draw.text((x0, y0 - 22), label, fill=INK, font=font)
    step = _tick_step(span)
    tick = math.ceil(low / step) * step
    while tick <= high + 1e-9 * span:
        y = y_of(tick)
        draw.line((x0, y, x1, y), fill=GRID)
        text = f"{100 * tick:.0f}%" if percent else f"{tick:.0f}"
        draw.text((x0 - 44, y - 7), text, fill=INK, font=small)
        tick += step
    draw.line((x0, y_of(base), x1, y_of(base)), fill=INK)
    for r, (row_label, _) in enumerate(rows):
        draw.text((x0 - 44, y1 + 6 + (r + 1) * ROW_HEIGHT), row_label, fill=INK, font=small)
    slot = (x1 - x0) / max(1, len(policies))
    bar = min(40.0, slot / 3)
    for i, policy in enumerate(policies):
        centre = x0 + slot * (i + 0.5)
        draw.text(
            (centre - draw.textlength(policy, font=small) / 2, y1 + 6), policy, fill=INK, font=small
        )
        for j, colour in enumerate((IMPOSTOR_COLOUR, CREWMATE_COLOUR)):
            left = centre - bar + j * bar
            middle = left + bar / 2
            for r, (_, texts) in enumerate(rows):
                number = texts[2 * i + j]
                if number is not None:
                    width = draw.textlength(number, font=small)
                    draw.text(
                        (middle - width / 2, y1 + 6 + (r + 1) * ROW_HEIGHT),
                        number,
                        fill=colour,
                        font=small,
                    )
            drawn = bars[2 * i + j]
            if drawn.value is None:
                continue
            top, bottom = sorted((y_of(drawn.value), y_of(base)))
            draw.rectangle((left + 2, top, left + bar - 2, max(bottom, top + 1)), fill=colour)
            if drawn.interval is not None:
                # An open end runs to the panel's edge and ends in an arrowhead, not a cap.
                lower_open = drawn.open_end in ("lower", "both")
                upper_open = drawn.open_end in ("upper", "both")
                a = float(y1) if lower_open else y_of(drawn.interval[0])
                b = float(y0) if upper_open else y_of(drawn.interval[1])
                draw.line((middle, a, middle, b), fill=INK, width=2)
                for end, is_open, inward in ((a, lower_open, a - 10), (b, upper_open, b + 10)):
                    if is_open:
                        _arrowhead(draw, middle, inward, end)
                    else:
                        draw.line((middle - 5, end, middle + 5, end), fill=INK, width=2)
            if drawn.marker is not None:
                _diamond(draw, middle, y_of(drawn.marker))


def _diamond(draw: ImageDraw.ImageDraw, x: float, y: float) -> None:
    """An Elo marker: a hollow diamond, a shape no whisker has."""
    d = DIAMOND
    draw.polygon([(x, y - d), (x + d, y), (x, y + d), (x - d, y)], fill="white", outline=INK)


def _arrowhead(draw: ImageDraw.ImageDraw, x: float, base: float, tip: float) -> None:
    """A filled triangle on the vertical line at ``x`` pointing from ``base`` to ``tip``."""
    draw.polygon([(x, tip), (x - 5, base), (x + 5, base)], fill=INK)


def _tick_step(span: float) -> float:
    """A round step (1, 2.5 or 5 times a power of ten) giving at most eight ticks. Up to 500,
    every such step divides 1500, so the rating panel's base line always has its tick."""
    if span <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(span / 4))
    for factor in (1.0, 2.5, 5.0, 10.0):
        if span / (factor * power) <= 8:
            return factor * power
    return 10.0 * power
