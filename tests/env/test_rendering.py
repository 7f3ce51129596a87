"""Rendering: the ansi text view and the Skeld map picture show where everyone is."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from amongagents import Game
from amongagents.records import WinCode
from amongagents.skeld import MAP_SIZE, ROOM_POLYGONS
from amongus_marl.rendering import COLOR_RGB, render_rgb
from tests.engine.helpers import config
from tests.env.helpers import act, cast_env, five_cast, take

WIDTH, HEIGHT = MAP_SIZE
BODY_LINE = (255, 0, 0)


def room_pixels(picture: np.ndarray, room: str) -> np.ndarray:
    """The RGB pixels inside the room's outline, as an (N, 3) array."""
    mask = Image.new("L", MAP_SIZE, 0)
    ImageDraw.Draw(mask).polygon(ROOM_POLYGONS[room], fill=1)
    inside: np.ndarray = picture[np.asarray(mask, dtype=bool)]
    return inside


def shows(picture: np.ndarray, room: str, rgb: tuple[int, int, int]) -> bool:
    return bool((room_pixels(picture, room) == rgb).all(axis=1).any())


def test_ansi_shows_the_phase_and_who_is_in_each_room() -> None:
    env = cast_env(five_cast(), render_mode="ansi")
    text = env.render()
    assert isinstance(text, str)
    lines = text.splitlines()
    assert lines[0] == "Timestep 0/50, task phase; Player 1: red to act"
    everyone = "Player 1: red, Player 2: blue, Player 3: green, Player 4: pink, Player 5: orange"
    assert any(line.split() == ["Cafeteria", *everyone.split()] for line in lines)


def test_ansi_follows_moves_meetings_and_bodies() -> None:
    env = cast_env(five_cast(), render_mode="ansi")
    take(env, "KILL Player 2: blue")
    act(env, "player_2", "MOVE from Cafeteria to Admin")
    lines = env.render().splitlines()
    assert any(line.split()[:1] == ["Admin"] and "Player 3: green" in line for line in lines)
    assert any(
        line.split()[:1] == ["Cafeteria"] and "Player 2: blue (body)" in line for line in lines
    )
    idle = env.render()
    take(env, "MOVE from Cafeteria to Admin")
    assert env.render() != idle
    assert "KILL Player 2: blue" in env.render(), "recent actions are listed"


def test_rgb_array_is_the_map_as_uint8_height_by_width_by_3() -> None:
    env = cast_env(five_cast(), render_mode="rgb_array")
    picture = env.render()
    assert picture.dtype == np.uint8
    assert picture.shape == (HEIGHT, WIDTH, 3) == (561, 980, 3)


def test_each_player_is_drawn_in_its_colour_in_its_room() -> None:
    env = cast_env(five_cast(), render_mode="rgb_array")
    picture = env.render()
    for seat in five_cast():
        assert shows(picture, "Cafeteria", COLOR_RGB[seat["color"]]), seat["color"]
        assert not shows(picture, "Admin", COLOR_RGB[seat["color"]]), seat["color"]
    take(env, "MOVE from Cafeteria to Admin")  # Player 1: red
    picture = env.render()
    assert shows(picture, "Admin", COLOR_RGB["red"])
    assert not shows(picture, "Cafeteria", COLOR_RGB["red"])
    assert shows(picture, "Cafeteria", COLOR_RGB["blue"])


def test_a_body_is_crossed_with_a_red_line() -> None:
    env = cast_env(five_cast(), render_mode="rgb_array")
    assert not shows(env.render(), "Cafeteria", BODY_LINE)
    take(env, "KILL Player 2: blue")
    picture = env.render()
    assert shows(picture, "Cafeteria", BODY_LINE)
    assert shows(picture, "Cafeteria", COLOR_RGB["blue"]), "the body keeps its colour"


@pytest.mark.parametrize("render_mode", [None, "human"])
def test_render_returns_nothing_without_a_picture_mode(
    render_mode: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    env = cast_env(five_cast(), render_mode=render_mode)
    assert env.render() is None
    printed = capsys.readouterr().out
    assert ("Timestep 0/50" in printed) == (render_mode == "human")


def test_human_mode_shows_the_starting_position_at_reset(
    capsys: pytest.CaptureFixture[str],
) -> None:
    cast_env(five_cast(), render_mode="human")  # reset, no step
    assert "Timestep 0/50" in capsys.readouterr().out


def test_the_task_bar_is_red_for_every_impostor_win() -> None:
    """A time-limit win is the impostors' too (RULES §7), not only outnumbering the crew."""
    game = Game(config("five_member", max_timesteps=1), seed=0)
    while not game.is_over:
        game.step(game.current_legal_actions[0])
    assert game.winner is WinCode.TIME_LIMIT
    bar_start = render_rgb(game)[17, 10]  # the bar's first column, filled whatever the ratio
    assert tuple(bar_start) == (220, 30, 30)
