"""What a run reports as it goes: ``metrics.jsonl`` (every record), ``metrics.csv`` (one row per
iteration) and ``learning_curve.png`` (evaluation win rates with 95% intervals against env steps,
the heuristic's own rate in each cell as a dashed line), drawn with Pillow."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from PIL import Image, ImageDraw

from amongus_marl.evaluation.chart import _font

CURVE_FILE: Final[str] = "learning_curve.png"
JSONL_FILE: Final[str] = "metrics.jsonl"
CSV_FILE: Final[str] = "metrics.csv"
COLOURS: Final[tuple[str, ...]] = ("#c0392b", "#e67e22", "#2e6fb7", "#16a085", "#8e44ad", "#555")
INK: Final[str] = "#222222"
GRID: Final[str] = "#dddddd"


class MetricsLog:
    """Appends records to the JSONL file and iteration rows to the CSV file.

    ``kept``: the records a resumed run continues from (those its checkpoint covers). Both files
    are rewritten to hold exactly those, so rows a killed run wrote after its checkpoint are
    dropped rather than repeated; the CSV rows are the kept ``iteration`` records."""

    def __init__(self, folder: Path, kept: Sequence[Mapping[str, Any]] = ()) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.jsonl = folder / JSONL_FILE
        self.csv = folder / CSV_FILE
        self.jsonl.write_text("".join(_line(record) for record in kept), encoding="utf-8")
        self.records_written = len(kept)
        self._rows = [
            {key: value for key, value in record.items() if key != "kind"}
            for record in kept
            if record.get("kind") == "iteration"
        ]
        self._columns: list[str] | None = None
        self.csv.unlink(missing_ok=True)
        if self._rows:
            self._columns = _columns([], self._rows)
            self._write(self._rows, "w")

    def record(self, kind: str, data: Mapping[str, Any]) -> None:
        with self.jsonl.open("a", encoding="utf-8") as out:
            out.write(_line({"kind": kind, **data}))
        self.records_written += 1

    def row(self, data: Mapping[str, Any]) -> None:
        """One CSV row; columns are those of the rows so far (the file is rewritten when a new
        column appears, e.g. the first evaluation)."""
        self._rows.append(dict(data))
        columns = _columns(self._columns or [], [data])
        if columns != self._columns:
            self._columns = columns
            self._write(self._rows, "w")
        else:
            self._write([data], "a")

    def _write(self, rows: Sequence[Mapping[str, Any]], mode: str) -> None:
        with self.csv.open(mode, newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=self._columns or [])
            if mode == "w":
                writer.writeheader()
            writer.writerows(rows)


def _line(record: Mapping[str, Any]) -> str:
    return json.dumps(record, default=float) + "\n"


def _columns(known: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """``known`` and then every new key of ``rows``, in the order they first appear."""
    columns = list(known)
    for row in rows:
        columns += [key for key in row if key not in columns]
    return columns


def draw_curve(
    points: Mapping[str, Sequence[tuple[float, float, float, float]]],
    baselines: Mapping[str, float],
    path: Path,
    title: str = "",
) -> Path:
    """``points``: per cell, ``(env_steps, rate, low, high)``; ``baselines``: per cell, the
    heuristic's rate on the same seeds."""
    width, height, margin, legend = 900, 460, 60, 220
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font, small = _font(14), _font(11)
    left, top, right, bottom = margin, margin, width - legend, height - margin
    draw.text((margin, 16), title, fill=INK, font=font)
    xs = [p[0] for cell in points.values() for p in cell] or [1.0]
    x_max = max(max(xs), 1.0)

    def at(steps: float, rate: float) -> tuple[float, float]:
        return left + (right - left) * steps / x_max, bottom - (bottom - top) * rate

    for tick in range(0, 11, 2):
        _, y = at(0, tick / 10)
        draw.line((left, y, right, y), fill=GRID)
        draw.text((left - 34, y - 6), f"{tick * 10}%", fill=INK, font=small)
    for tick in range(0, 5):
        x, _ = at(x_max * tick / 4, 0)
        draw.text((x - 16, bottom + 6), _steps_label(x_max * tick / 4), fill=INK, font=small)
    draw.text((left + (right - left) // 2 - 30, bottom + 24), "env steps", fill=INK, font=small)
    draw.rectangle((left, top, right, bottom), outline=INK)
    for index, (cell, series) in enumerate(sorted(points.items())):
        colour = COLOURS[index % len(COLOURS)]
        previous = None
        for steps, rate, low, high in series:
            x, y = at(steps, rate)
            _, y_low = at(steps, low)
            _, y_high = at(steps, high)
            draw.line((x, y_low, x, y_high), fill=colour)
            draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=colour)
            if previous is not None:
                draw.line((*previous, x, y), fill=colour, width=2)
            previous = (x, y)
        if cell in baselines:
            _, y = at(0, baselines[cell])
            for start in range(int(left), int(right), 12):
                draw.line((start, y, min(start + 6, right), y), fill=colour)
        legend_y = top + 18 * index
        draw.rectangle((right + 14, legend_y + 3, right + 24, legend_y + 13), fill=colour)
        draw.text((right + 30, legend_y), cell, fill=INK, font=small)
    note_y = top + 18 * max(len(points), 1) + 10
    draw.text((right + 14, note_y), "dashed: heuristic in", fill=INK, font=small)
    draw.text((right + 14, note_y + 14), "the same cell; bars: 95%", fill=INK, font=small)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=True)
    return path


def _steps_label(steps: float) -> str:
    if steps >= 1e6:
        return f"{steps / 1e6:.1f}M"
    if steps >= 1e4:
        return f"{steps / 1e3:.0f}k"
    if steps >= 1e3:
        return f"{steps / 1e3:.1f}k"
    return f"{steps:.0f}"
