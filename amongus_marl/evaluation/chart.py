"""A PNG chart of win rates and Elo ratings per policy, drawn with Pillow.

Left panel: each policy's win rate as impostor and as crewmate, with 95% Wilson intervals.
Right panel: its Deception and Detection Elo as bars from the 1500 start, with bootstrap
intervals when given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from PIL import Image, ImageDraw, ImageFont

from amongus_marl.evaluation.ratings import INITIAL_RATING, Intervals, Ratings
from amongus_marl.evaluation.stats import wilson_interval

IMPOSTOR_COLOUR: Final[str] = "#c0392b"
CREWMATE_COLOUR: Final[str] = "#2e6fb7"
INK: Final[str] = "#222222"
GRID: Final[str] = "#dddddd"
PANEL_WIDTH: Final[int] = 460
PANEL_HEIGHT: Final[int] = 340
MARGIN: Final[int] = 56
LABEL_HEIGHT: Final[int] = 12  # a value label in the small font
LABEL_GAP: Final[int] = 3


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has one bitmap size only
        return ImageFont.load_default()


def draw_chart(
    records: Mapping[str, Mapping[str, tuple[int, int]]],
    ratings: Ratings,
    path: str | Path,
    *,
    intervals: Intervals | None = None,
    title: str = "",
) -> Path:
    """Draw the chart to ``path`` (PNG) and return the path.

    ``records``: per policy and side, (games won, games played), as ``ratings.win_records``.
    """
    policies = sorted(set(records) | set(ratings.policies))
    width, height = 2 * PANEL_WIDTH + 3 * MARGIN, PANEL_HEIGHT + 2 * MARGIN + 40
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font, small = _font(14), _font(11)
    if title:
        draw.text((MARGIN, 12), title, fill=INK, font=font)
    top = MARGIN + 10
    left_box = (MARGIN, top, MARGIN + PANEL_WIDTH, top + PANEL_HEIGHT)
    right_box = (2 * MARGIN + PANEL_WIDTH, top, 2 * MARGIN + 2 * PANEL_WIDTH, top + PANEL_HEIGHT)

    win_bars: list[tuple[float | None, tuple[float, float] | None]] = []
    for policy in policies:
        for side in ("impostor", "crewmate"):
            wins, games = records.get(policy, {}).get(side, (0, 0))
            win_bars.append((wins / games, wilson_interval(wins, games)) if games else (None, None))
    _bar_panel(
        draw,
        left_box,
        policies,
        win_bars,
        0.0,
        1.0,
        0.0,
        "win rate (95% Wilson CI)",
        small,
        font,
        percent=True,
    )

    elo_bars: list[tuple[float | None, tuple[float, float] | None]] = []
    values: list[float] = [INITIAL_RATING]
    for policy in policies:
        for table, spread in (
            (ratings.deception, intervals.deception if intervals else {}),
            (ratings.detection, intervals.detection if intervals else {}),
        ):
            value = table.get(policy)
            interval = spread.get(policy)
            elo_bars.append((value, interval))
            if value is not None:
                values.append(value)
            if interval is not None:
                values.extend(interval)
    low, high = min(values), max(values)
    pad = max(25.0, 0.1 * (high - low))
    step = _tick_step(high - low + 2 * pad)
    _bar_panel(
        draw,
        right_box,
        policies,
        elo_bars,
        math.floor((low - pad) / step) * step,
        math.ceil((high + pad) / step) * step,
        INITIAL_RATING,
        "Deception / Detection Elo",
        small,
        font,
        percent=False,
    )
    legend_y = top + PANEL_HEIGHT + 34
    for i, (label, colour) in enumerate(
        (
            ("as impostor / Deception Elo", IMPOSTOR_COLOUR),
            ("as crewmate / Detection Elo", CREWMATE_COLOUR),
        )
    ):
        x = MARGIN + i * 260
        draw.rectangle((x, legend_y, x + 14, legend_y + 14), fill=colour)
        draw.text((x + 20, legend_y), label, fill=INK, font=small)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")
    return path


def _bar_panel(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    policies: Sequence[str],
    bars: Sequence[tuple[float | None, tuple[float, float] | None]],
    low: float,
    high: float,
    base: float,
    label: str,
    small: ImageFont.ImageFont | ImageFont.FreeTypeFont,
    font: ImageFont.ImageFont | ImageFont.FreeTypeFont,
    *,
    percent: bool,
) -> None:
    """Pairs of bars (impostor, crewmate) per policy, drawn from ``base``, with whiskers."""
    x0, y0, x1, y1 = box
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
    slot = (x1 - x0) / max(1, len(policies))
    bar = min(40.0, slot / 3)
    for i, policy in enumerate(policies):
        centre = x0 + slot * (i + 0.5)
        draw.text((centre - 3.5 * len(policy), y1 + 6), policy, fill=INK, font=small)
        for j, colour in enumerate((IMPOSTOR_COLOUR, CREWMATE_COLOUR)):
            value, interval = bars[2 * i + j]
            if value is None:
                continue
            left = centre - bar + j * bar
            top, bottom = sorted((y_of(value), y_of(base)))
            draw.rectangle((left + 2, top, left + bar - 2, max(bottom, top + 1)), fill=colour)
            ends = [y_of(value)]
            if interval is not None:
                middle = left + bar / 2
                a, b = y_of(interval[0]), y_of(interval[1])
                draw.line((middle, a, middle, b), fill=INK, width=2)
                draw.line((middle - 5, a, middle + 5, a), fill=INK, width=2)
                draw.line((middle - 5, b, middle + 5, b), fill=INK, width=2)
                ends += [a, b]
            text = f"{100 * value:.0f}%" if percent else f"{value:.0f}"
            draw.text((left + 2, _label_top(ends, below=value < base)), text, fill=INK, font=small)


def _label_top(ends: Sequence[float], *, below: bool) -> float:
    """Where a value label starts: past the far end of its bar and whisker (their screen ``y``s
    in ``ends``), so it never crosses them; under a bar that hangs below the base line."""
    return max(ends) + LABEL_GAP if below else min(ends) - LABEL_GAP - LABEL_HEIGHT


def _tick_step(span: float) -> float:
    """A round step (1, 2.5 or 5 times a power of ten) giving at most eight ticks. Up to 500,
    every such step divides 1500, so the Elo panel's base line always has its tick."""
    if span <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(span / 4))
    for factor in (1.0, 2.5, 5.0, 10.0):
        if span / (factor * power) <= 8:
            return factor * power
    return 10.0 * power
