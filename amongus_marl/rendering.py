"""Pictures of a game: a text view (``ansi``/``human``), the Skeld map as an RGB array, and videos.

Rendering reads the engine's full state: it is for people watching a game, not an agent's view.
Roles stay hidden unless ``reveal_roles=True`` (for spectators), which marks the impostors.

The map (``render_rgb``, 980 x 561) shows the rooms, the corridors between them (grey bands) and
the three vents that exist (dashed orange lines, Electrical–Security–Medbay); each player as a
disc of its colour with its number (``Player 5: black`` is the black disc marked 5); a body as
its disc crossed by a black-and-white X that shows on every colour; the task bar with its label;
and the phase line, wrapped to stay inside the frame. ``save_video(frames, path)`` writes the
frames of an episode as an animated GIF.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path
from typing import Final

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from amongagents.game import Game
from amongagents.records import Phase
from amongagents.skeld import CORRIDORS, MAP_SIZE, ROOM_LABELS, ROOM_POLYGONS, ROOMS, VENTS

RECENT_EVENTS: Final[int] = 6
#: Why "Buttons used" can read 3/2: as in the reference, every meeting call counts against the
#: emergency-button budget, body reports included, and reports stay possible past it.
BUTTONS_NOTE: Final[str] = "(body reports count too; past the limit only reports call meetings)"
COLOR_RGB: Final[dict[str, tuple[int, int, int]]] = {
    "red": (197, 17, 17),
    "blue": (19, 46, 209),
    "green": (17, 127, 45),
    "pink": (237, 84, 186),
    "orange": (239, 125, 13),
    "yellow": (245, 245, 87),
    "black": (63, 71, 78),
    "white": (214, 224, 240),
    "purple": (107, 47, 187),
    "brown": (113, 73, 30),
    "cyan": (56, 254, 220),
    "lime": (80, 239, 57),
}
BACKGROUND: Final[tuple[int, int, int]] = (30, 30, 40)
ROOM_FILL: Final[tuple[int, int, int]] = (236, 236, 228)
ROOM_INK: Final[tuple[int, int, int]] = (0, 0, 0)
CORRIDOR: Final[tuple[int, int, int]] = (96, 100, 118)
VENT: Final[tuple[int, int, int]] = (240, 150, 30)
TEXT: Final[tuple[int, int, int]] = (235, 235, 235)
#: A body's X: a black stroke with a pure-white core, which nothing else on the map uses.
BODY_EDGE: Final[tuple[int, int, int]] = (0, 0, 0)
BODY_CORE: Final[tuple[int, int, int]] = (255, 255, 255)
IMPOSTOR_RING: Final[tuple[int, int, int]] = (255, 0, 110)
CREW_BAR: Final[tuple[int, int, int]] = (40, 200, 60)
IMPOSTOR_BAR: Final[tuple[int, int, int]] = (220, 30, 30)
#: The task bar's box (left, top, right, bottom) and the phase line's area, top left of the map.
TASK_BAR: Final[tuple[int, int, int, int]] = (60, 10, 260, 24)
STATUS_BOX: Final[tuple[int, int, int, int]] = (10, 30, 395, 88)
LEGEND: Final[tuple[int, int]] = (830, 470)  # the empty bottom-right corner
RADIUS: Final[int] = 9  # of a player's disc; smaller in a crowded room
CORRIDOR_WIDTH: Final[int] = 9
LABEL_HEIGHT: Final[int] = 22  # the room name's line at the top of each room


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has one bitmap size only
        return ImageFont.load_default()


def phase_line(game: Game) -> str:
    if game.is_over:
        return f"Game over at timestep {game.timestep}: {game.win_reason}"
    if game.phase is Phase.TASK:
        where = "task phase"
    elif game.is_voting:
        where = "meeting, voting"
    else:
        where = (
            f"meeting, discussion round {game.discussion_round + 1}/{game.config.discussion_rounds}"
        )
    actor = game.players[game.current_seat].name
    return f"Timestep {game.timestep}/{game.config.max_timesteps}, {where}; {actor} to act"


def render_ansi(game: Game, *, reveal_roles: bool = False) -> str:
    """Room occupancy, the phase, task progress and the latest actions, as plain text; with
    ``reveal_roles``, impostors are marked ``[impostor]``."""
    lines = [
        phase_line(game),
        f"Tasks done: {game.task_completion():.0%}   "
        f"Buttons used: {game.button_uses}/{game.config.max_num_buttons} {BUTTONS_NOTE}",
    ]

    def named(seat: int) -> str:
        impostor = reveal_roles and game.players[seat].is_impostor
        return game.names[seat] + (" [impostor]" if impostor else "")

    for room in ROOMS:
        living, bodies = game.occupants(room)
        if living or bodies:
            names = [named(s) for s in living] + [f"{named(s)} (body)" for s in bodies]
            lines.append(f"  {room:<15} {', '.join(names)}")
    lines.append("Recent actions:")
    for step in game.steps[-RECENT_EVENTS:]:
        lines.append(
            f"  t={step.timestep} {step.phase.value:<7} {game.names[step.seat]}: {step.action}"
        )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- the map
def room_centre(room: str) -> tuple[float, float]:
    """The mean of a room's outline vertices: where corridors and vents meet it."""
    polygon = ROOM_POLYGONS[room]
    return (
        sum(x for x, _ in polygon) / len(polygon),
        sum(y for _, y in polygon) / len(polygon),
    )


@lru_cache(maxsize=1)
def _room_masks() -> dict[str, Image.Image]:
    masks = {}
    for room in ROOMS:
        mask = Image.new("1", MAP_SIZE, 0)
        ImageDraw.Draw(mask).polygon(ROOM_POLYGONS[room], fill=1)
        masks[room] = mask
    return masks


@cache
def _slots(room: str, radius: int) -> tuple[tuple[int, int], ...]:
    """Disc centres that fit wholly inside ``room`` under its name, in reading order."""
    mask = _room_masks()[room]
    polygon = ROOM_POLYGONS[room]
    xs, ys = [x for x, _ in polygon], [y for _, y in polygon]
    pitch = 2 * radius + 8  # room for an impostor's ring or a body's X between discs
    slots = []
    for y in range(min(ys) + LABEL_HEIGHT + radius + 2, max(ys) - radius, pitch):
        for x in range(min(xs) + radius + 4, max(xs) - radius, pitch):
            corners = [
                (x + dx, y + dy) for dx in (-radius - 2, radius + 2) for dy in (-radius, radius)
            ]
            if all(mask.getpixel(corner) for corner in corners):
                slots.append((x, y))
    return tuple(slots)


def player_markers(game: Game) -> dict[int, tuple[int, int, int]]:
    """Where each player's disc is drawn: seat -> (x, y, radius). The living first, then the
    bodies, each in seat order; a crowded room gets smaller discs."""
    markers: dict[int, tuple[int, int, int]] = {}
    for room in ROOMS:
        living, bodies = game.occupants(room)
        seats = list(living) + list(bodies)
        if not seats:
            continue
        for radius in (RADIUS, 7, 5):
            slots = _slots(room, radius)
            if len(slots) >= len(seats):
                break
        if len(slots) < len(seats):  # more players than the room can show: overflow below it
            bottom = max(y for _, y in ROOM_POLYGONS[room]) + radius + 3
            left = min(x for x, _ in ROOM_POLYGONS[room])
            extra = len(seats) - len(slots)
            slots += tuple((left + radius + i * (2 * radius + 8), bottom) for i in range(extra))
        for seat, (x, y) in zip(seats, slots, strict=False):
            markers[seat] = (x, y, radius)
    return markers


@lru_cache(maxsize=1)
def _map_background() -> Image.Image:
    image = Image.new("RGB", MAP_SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    for a, b in CORRIDORS:  # under the rooms, which hide the ends
        draw.line((room_centre(a), room_centre(b)), fill=CORRIDOR, width=CORRIDOR_WIDTH)
    for a, b in VENTS:
        _dashed_line(draw, room_centre(a), room_centre(b), VENT, width=3)
    font = _font(12)
    for room in ROOMS:
        polygon = ROOM_POLYGONS[room]
        draw.polygon(polygon, fill=ROOM_FILL, outline=ROOM_INK)
        xs, ys = [x for x, _ in polygon], [y for _, y in polygon]
        label = ROOM_LABELS[room]
        width = _spaced_length(label, font)
        _draw_spaced(draw, ((min(xs) + max(xs) - width) / 2, min(ys) + 3), label, font, ROOM_INK)
    for a, b in VENTS:  # a vent's mouth in each room it joins
        for room in (a, b):
            x, y = room_centre(room)
            draw.rectangle((x - 6, y + 24, x + 6, y + 30), fill=VENT, outline=ROOM_INK)
    _legend(draw)
    return image


def _legend(draw: ImageDraw.ImageDraw) -> None:
    """What the lines and marks mean, in the empty bottom-right corner."""
    font = _font(12)
    x, y = LEGEND
    draw.line((x, y + 7, x + 24, y + 7), fill=CORRIDOR, width=CORRIDOR_WIDTH)
    _draw_spaced(draw, (x + 32, y), "corridor", font, TEXT)
    _dashed_line(draw, (x, y + 27), (x + 24, y + 27), VENT, width=3)
    _draw_spaced(draw, (x + 32, y + 20), "vent", font, TEXT)
    _body_cross(draw, x + 12, y + 47, 6)
    _draw_spaced(draw, (x + 32, y + 40), "body", font, TEXT)


def render_rgb(game: Game, *, reveal_roles: bool = False) -> np.ndarray:
    """The Skeld map with every player in its room (see the module docstring), as an
    ``(561, 980, 3)`` uint8 array; ``reveal_roles`` rings the impostors."""
    image = _map_background().copy()
    draw = ImageDraw.Draw(image)
    for seat, (x, y, radius) in player_markers(game).items():
        player = game.players[seat]
        colour = COLOR_RGB[player.color]
        if reveal_roles and player.is_impostor:
            ring = radius + 4
            draw.ellipse((x - ring, y - ring, x + ring, y + ring), outline=IMPOSTOR_RING, width=3)
        draw.ellipse(
            (x - radius, y - radius, x + radius, y + radius), fill=colour, outline=ROOM_INK
        )
        if not player.alive:  # crossed out, its middle cleared again for the number
            _body_cross(draw, x, y, radius)
            inner = radius - 3
            draw.ellipse((x - inner, y - inner, x + inner, y + inner), fill=colour)
        _draw_number(draw, x, y, radius, str(seat + 1), colour)
    _task_bar(draw, game)
    font = _font(13)
    for i, line in enumerate(_wrap(phase_line(game), font, STATUS_BOX[2] - STATUS_BOX[0], 3)):
        _draw_spaced(draw, (STATUS_BOX[0], STATUS_BOX[1] + 18 * i), line, font, TEXT)
    if reveal_roles:
        x, y = LEGEND
        draw.ellipse((x + 4, y + 60, x + 20, y + 76), outline=IMPOSTOR_RING, width=3)
        _draw_spaced(draw, (x + 32, y + 60), "impostor", _font(12), TEXT)
    return np.asarray(image, dtype=np.uint8).copy()


def _task_bar(draw: ImageDraw.ImageDraw, game: Game) -> None:
    """The crew's task progress, labelled; red once the impostors have won."""
    font = _font(13)
    left, top, right, bottom = TASK_BAR
    ratio = game.task_completion()
    colour = IMPOSTOR_BAR if game.winner.impostors_win else CREW_BAR
    _draw_spaced(draw, (10, top - 1), "Tasks", font, TEXT)
    draw.rectangle(TASK_BAR, outline=TEXT)
    draw.rectangle((left, top, left + int((right - left) * ratio), bottom), fill=colour)
    _draw_spaced(draw, (right + 8, top - 1), f"{ratio:.0%}", font, TEXT)


def _draw_number(
    draw: ImageDraw.ImageDraw,
    x: int,
    y: int,
    radius: int,
    number: str,
    colour: tuple[int, int, int],
) -> None:
    """The player's number on its disc, in whichever of black or light grey reads on it."""
    font = _font(11 if radius >= RADIUS else 9)
    light = (0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]) > 140
    ink = (0, 0, 0) if light else (240, 240, 240)
    width = draw.textlength(number, font=font)
    left, top, _, bottom = font.getbbox(number)
    draw.text(
        (x - width / 2 - left, y - (top + bottom) / 2),
        number,
        fill=ink,
        font=font,
    )


def _body_cross(draw: ImageDraw.ImageDraw, x: int, y: int, radius: int) -> None:
    """An X reaching past the disc: its black edge shows on light colours and on the room, its
    white core on dark colours."""
    reach = radius + 3
    for width, colour in ((5, BODY_EDGE), (2, BODY_CORE)):
        draw.line((x - reach, y - reach, x + reach, y + reach), fill=colour, width=width)
        draw.line((x - reach, y + reach, x + reach, y - reach), fill=colour, width=width)


def _dashed_line(
    draw: ImageDraw.ImageDraw,
    start: tuple[float, float],
    end: tuple[float, float],
    colour: tuple[int, int, int],
    *,
    width: int,
    dash: float = 8.0,
) -> None:
    (x0, y0), (x1, y1) = start, end
    length = max(1.0, ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5)
    steps = int(length // dash)
    for i in range(0, steps, 2):
        a, b = i * dash / length, min(1.0, (i + 1) * dash / length)
        draw.line(
            (x0 + a * (x1 - x0), y0 + a * (y1 - y0), x0 + b * (x1 - x0), y0 + b * (y1 - y0)),
            fill=colour,
            width=width,
        )


# ---------------------------------------------------------------------- text
def _space(font: ImageFont.ImageFont | ImageFont.FreeTypeFont) -> float:
    """A word gap that shows: Pillow's default font has 2–3 pixel spaces at these sizes, too
    narrow to tell words apart, so words are set apart by at least 0.4 of the font size."""
    size = getattr(font, "size", 10)
    return max(float(font.getlength(" ")), 0.4 * size)


def _spaced_length(text: str, font: ImageFont.ImageFont | ImageFont.FreeTypeFont) -> float:
    words = text.split(" ")
    return sum(float(font.getlength(w)) for w in words) + _space(font) * (len(words) - 1)


def _draw_spaced(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    font: ImageFont.ImageFont | ImageFont.FreeTypeFont,
    fill: tuple[int, int, int],
) -> None:
    """``text`` drawn word by word with visible gaps (see ``_space``)."""
    x, y = xy
    for word in text.split(" "):
        if word:
            draw.text((x, y), word, fill=fill, font=font)
        x += float(font.getlength(word)) + _space(font)


def _wrap(
    text: str, font: ImageFont.ImageFont | ImageFont.FreeTypeFont, width: float, max_lines: int
) -> list[str]:
    """``text`` broken into lines no wider than ``width``; past ``max_lines``, cut with '…'."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and _spaced_length(f"{lines[-1]} {word}", font) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        while lines[-1] and _spaced_length(lines[-1] + " …", font) > width:
            lines[-1] = lines[-1][:-1]
        lines[-1] = lines[-1].rstrip() + " …"
    return lines


# ---------------------------------------------------------------------- videos
def save_video(
    frames: Iterable[np.ndarray],
    path: str | Path,
    *,
    fps: float = 2.0,
) -> Path:
    """Write ``frames`` (``render_rgb`` arrays, or any equal-sized ``(H, W, 3)`` uint8 arrays)
    as an animated GIF that loops, ``fps`` frames a second, and return the path.

    ``frames`` may be a generator; at least one frame is needed. All frames share one palette
    that holds the map's colours exactly (a GIF has 256 colours at most; the rest of a frame's
    colours, anti-aliased text edges mostly, go to the nearest of the frames' commonest).
    """
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"save_video writes animated GIFs: name a .gif file, got {path.name!r}")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps!r}")
    images = [_as_image(frame, i) for i, frame in enumerate(frames)]
    if not images:
        raise ValueError("save_video needs at least one frame")
    if len({image.size for image in images}) > 1:
        raise ValueError("every frame must have the same size")
    # One palette for every frame: then each frame after the first stores only the region that
    # changed, which keeps an episode's GIF small, and a colour never flickers between frames.
    palette = _shared_palette(images)
    indexed = [image.quantize(palette=palette, dither=Image.Dither.NONE) for image in images]
    path.parent.mkdir(parents=True, exist_ok=True)
    indexed[0].save(
        path,
        format="GIF",
        save_all=True,
        append_images=indexed[1:],
        duration=round(1000 / fps),
        loop=0,
        optimize=False,  # keep the shared palette: remapping it per frame is slow and gains little
    )
    return path


def _shared_palette(images: list[Image.Image], samples: int = 12) -> Image.Image:
    """A 256-colour palette for all ``images``: the map's own colours exactly, then the colours
    most common in a few frames spread over the episode (text edges, mostly)."""
    fixed = [
        BACKGROUND, ROOM_FILL, ROOM_INK, CORRIDOR, VENT, TEXT, BODY_EDGE, BODY_CORE,
        IMPOSTOR_RING, CREW_BAR, IMPOSTOR_BAR, (240, 240, 240), *COLOR_RGB.values(),
    ]  # fmt: skip
    step = max(1, len(images) // samples)
    pixels = np.concatenate([np.asarray(image).reshape(-1, 3) for image in images[::step]])
    packed = (pixels[:, 0].astype(np.int32) << 16) | (pixels[:, 1].astype(np.int32) << 8)
    packed |= pixels[:, 2]
    values, counts = np.unique(packed, return_counts=True)
    colours = list(dict.fromkeys(fixed))
    for value in values[np.argsort(-counts, kind="stable")]:
        if len(colours) == 256:
            break
        colour = (int(value) >> 16, (int(value) >> 8) & 255, int(value) & 255)
        if colour not in colours:
            colours.append(colour)
    colours += [(0, 0, 0)] * (256 - len(colours))
    palette = Image.new("P", (1, 1))
    palette.putpalette([channel for colour in colours for channel in colour])
    return palette


def _as_image(frame: np.ndarray, index: int) -> Image.Image:
    array = np.asarray(frame)
    if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
        raise ValueError(
            f"frame {index} must be an (H, W, 3) uint8 array, got shape {array.shape} "
            f"and dtype {array.dtype}"
        )
    return Image.fromarray(array)


__all__ = ["player_markers", "render_ansi", "render_rgb", "save_video"]
