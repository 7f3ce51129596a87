"""Pictures of a game: a text view (``ansi``/``human``) and the Skeld map as an RGB array.

Rendering reads the engine's full state: it is for people watching a game, not an agent's view.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

import numpy as np
from PIL import Image, ImageDraw

from amongagents.game import Game
from amongagents.records import Phase
from amongagents.skeld import MAP_SIZE, ROOM_LABELS, ROOM_POLYGONS, ROOMS

RECENT_EVENTS: Final[int] = 6
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
DISC, GAP = 15, 5


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


def render_ansi(game: Game) -> str:
    """Room occupancy, the phase, task progress and the latest actions, as plain text."""
    lines = [
        phase_line(game),
        f"Tasks done: {game.task_completion():.0%}   "
        f"Buttons used: {game.button_uses}/{game.config.max_num_buttons}",
    ]
    for room in ROOMS:
        living, bodies = game.occupants(room)
        if living or bodies:
            names = [game.names[s] for s in living] + [f"{game.names[s]} (body)" for s in bodies]
            lines.append(f"  {room:<15} {', '.join(names)}")
    lines.append("Recent actions:")
    for step in game.steps[-RECENT_EVENTS:]:
        lines.append(
            f"  t={step.timestep} {step.phase.value:<7} {game.names[step.seat]}: {step.action}"
        )
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=1)
def _map_background() -> Image.Image:
    image = Image.new("RGB", MAP_SIZE, (30, 30, 40))
    draw = ImageDraw.Draw(image)
    for room in ROOMS:
        polygon = ROOM_POLYGONS[room]
        draw.polygon(polygon, fill=(255, 255, 255), outline=(0, 0, 0))
        xs, ys = [x for x, _ in polygon], [y for _, y in polygon]
        label = ROOM_LABELS[room]
        width = draw.textlength(label)
        draw.text(((min(xs) + max(xs) - width) / 2, min(ys) + 10), label, fill=(0, 0, 0))
    return image


def render_rgb(game: Game) -> np.ndarray:
    """The Skeld map with each living player as a disc of its colour and bodies crossed out."""
    image = _map_background().copy()
    draw = ImageDraw.Draw(image)
    for room in ROOMS:
        living, bodies = game.occupants(room)
        if not living and not bodies:
            continue
        polygon = ROOM_POLYGONS[room]
        xs, ys = [x for x, _ in polygon], [y for _, y in polygon]
        x, y = min(xs) + 5, min(ys) + (max(ys) - min(ys)) // 3
        for seat in living + bodies:
            color = COLOR_RGB[game.players[seat].color]
            draw.ellipse((x, y, x + DISC, y + DISC), fill=color, outline=(0, 0, 0))
            if seat in bodies:
                draw.line((x, y, x + DISC, y + DISC), fill=(255, 0, 0), width=3)
            x += DISC + GAP
            if x > max(xs) - 20:
                x, y = min(xs) + 5, y + DISC + GAP
    ratio = game.task_completion()
    bar_color = (220, 30, 30) if game.winner.impostors_win else (40, 200, 60)
    draw.rectangle((10, 10, 210, 24), outline=(255, 255, 255))
    draw.rectangle((10, 10, 10 + int(200 * ratio), 24), fill=bar_color)
    draw.text((10, 28), phase_line(game), fill=(255, 255, 255))
    return np.asarray(image, dtype=np.uint8).copy()


__all__ = ["render_ansi", "render_rgb"]
