"""Rendering: the ansi text view and the Skeld map picture show where everyone is, and an
episode's frames become an animated GIF."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from amongagents import Game
from amongagents.records import WinCode
from amongagents.skeld import CORRIDORS, MAP_SIZE, ROOM_POLYGONS, ROOMS, VENTS
from amongus_marl import rendering
from amongus_marl.rendering import (
    BACKGROUND,
    BODY_CORE,
    BODY_EDGE,
    COLOR_RGB,
    CORRIDOR,
    IMPOSTOR_RING,
    ROOM_FILL,
    STATUS_BOX,
    TASK_BAR,
    VENT,
    phase_line,
    player_markers,
    render_ansi,
    render_rgb,
    room_centre,
    save_video,
)
from tests.engine.helpers import config
from tests.env.helpers import act, cast_env, five_cast, take

WIDTH, HEIGHT = MAP_SIZE


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


def test_ansi_says_why_buttons_used_can_exceed_the_limit() -> None:
    """As in the reference, body reports use up emergency-button calls, so the count can pass
    the limit (3/2 after two reports and a button press); the view says why."""
    env = cast_env(five_cast(), render_mode="ansi")
    game = env.unwrapped.game
    assert "Buttons used: 0/2 (body reports count too; past the limit only reports call" in (
        env.render()
    )
    take(env, "KILL Player 2: blue")
    act(env, "player_2", "CALL MEETING using the emergency button at Cafeteria")  # the body's
    assert game.button_uses == 1
    assert "Buttons used: 1/2 (body reports count too;" in env.render()
    game.button_uses = 3  # where two more reports would take it
    assert "Buttons used: 3/2 (body reports count too; past the limit only reports call" in (
        render_ansi(game)
    )


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


def test_a_body_is_crossed_with_a_black_and_white_x() -> None:
    env = cast_env(five_cast(), render_mode="rgb_array")
    assert not shows(env.render(), "Cafeteria", BODY_CORE)
    take(env, "KILL Player 2: blue")
    picture = env.render()
    assert shows(picture, "Cafeteria", BODY_CORE) and shows(picture, "Cafeteria", BODY_EDGE)
    assert shows(picture, "Cafeteria", COLOR_RGB["blue"]), "the body keeps its colour"


def marker_box(picture: np.ndarray, marker: tuple[int, int, int], margin: int = 0) -> np.ndarray:
    x, y, radius = marker
    reach = radius + margin
    box: np.ndarray = picture[y - reach : y + reach + 1, x - reach : x + reach + 1]
    return box.reshape(-1, 3)


def has(pixels: np.ndarray, rgb: tuple[int, int, int]) -> bool:
    return bool((pixels == rgb).all(axis=1).any())


@pytest.mark.parametrize("colour", sorted(COLOR_RGB))
def test_a_body_shows_on_every_colour(colour: str) -> None:
    """The X has a black edge (seen on light colours) and a white core (seen on dark ones), and
    reaches past the disc, so a body is told from a living player whatever its colour."""
    cast = five_cast()
    for seat, setup in enumerate(cast):  # colours stay distinct: whoever wore it wears lime
        if seat != 1 and setup["color"] == colour:
            cast[seat] = {**setup, "color": "lime"}
    cast[1] = {**cast[1], "color": colour}
    env = cast_env(cast, render_mode="rgb_array")
    before = env.render()
    assert not has(marker_box(before, player_markers(env.game)[1], 4), BODY_CORE)
    take(env, f"KILL Player 2: {colour}")
    picture = env.render()
    marker = player_markers(env.game)[1]
    x, y, radius = marker
    assert tuple(picture[y, x - radius + 2]) == COLOR_RGB[colour], "the disc keeps its colour"
    box = marker_box(picture, marker, 3)
    assert has(box, BODY_EDGE) and has(box, BODY_CORE)
    corner = picture[y - radius - 2, x - radius - 2]  # the X's arm, past the disc
    assert tuple(corner) in {BODY_EDGE, BODY_CORE}


def test_pixels_at_rooms_corridors_vents_and_players() -> None:
    env = cast_env(five_cast(), render_mode="rgb_array")
    take(env, "MOVE from Cafeteria to Admin")  # Player 1: red
    picture = env.render()
    inside_a_room = np.zeros((HEIGHT, WIDTH), dtype=bool)
    for room in ROOMS:
        mask = Image.new("L", MAP_SIZE, 0)
        ImageDraw.Draw(mask).polygon(ROOM_POLYGONS[room], fill=1)
        inside_a_room |= np.asarray(mask, dtype=bool)
        assert has(room_pixels(picture, room), ROOM_FILL), room
    # Corridors: a grey band along every corridor, wherever it runs between rooms.
    for a, b in CORRIDORS:
        (xa, ya), (xb, yb) = room_centre(a), room_centre(b)
        points = [
            (round(xa + t * (xb - xa)), round(ya + t * (yb - ya))) for t in np.linspace(0, 1, 60)
        ]
        outside = [(x, y) for x, y in points if not inside_a_room[y, x]]
        assert outside, (a, b)
        assert all(tuple(picture[y, x]) == CORRIDOR for x, y in outside), (a, b)
    # Vents: a dashed orange line for each of the three vents that exist.
    assert len(VENTS) == 3
    for a, b in VENTS:
        (xa, ya), (xb, yb) = room_centre(a), room_centre(b)
        points = [
            (round(xa + t * (xb - xa)), round(ya + t * (yb - ya))) for t in np.linspace(0, 1, 80)
        ]
        colours = [tuple(picture[y, x]) for x, y in points if not inside_a_room[y, x]]
        assert colours.count(VENT) >= 3, (a, b)
    assert not (picture == VENT).all(axis=2)[~inside_a_room].all()
    # Players: each disc in its colour inside its room, with the player's number on it.
    markers = player_markers(env.game)
    assert set(markers) == set(range(5))
    for seat, (x, y, radius) in markers.items():
        player = env.game.players[seat]
        assert tuple(picture[y, x - radius + 2]) == COLOR_RGB[player.color]
        assert inside(player.location, x, y)
        disc = marker_box(picture, (x, y, radius - 3))
        assert len({tuple(p) for p in disc}) > 3, "a number is written on the disc"
    assert markers[0] != markers[1] and inside("Admin", *markers[0][:2])


def inside(room: str, x: int, y: int) -> bool:
    mask = Image.new("L", MAP_SIZE, 0)
    ImageDraw.Draw(mask).polygon(ROOM_POLYGONS[room], fill=1)
    return bool(mask.getpixel((x, y)))


def test_numbers_tell_apart_players_of_any_colour() -> None:
    """The number on a disc is the player's: two renders that differ only in who stands where
    differ inside the discs, though the colours sit in the same places."""
    env = cast_env(five_cast(), render_mode="rgb_array")
    markers = player_markers(env.game)
    picture = env.render()
    crops = {seat: marker_box(picture, (x, y, r - 3)) for seat, (x, y, r) in markers.items()}
    # Recolour the discs to one colour: the numbers still differ.
    flattened = {
        seat: (crop != COLOR_RGB[env.game.players[seat].color]).all(axis=1)
        for seat, crop in crops.items()
    }
    patterns = {tuple(mask.tolist()) for mask in flattened.values()}
    assert len(patterns) == 5


def test_reveal_roles_rings_the_impostors_only() -> None:
    env = cast_env(five_cast(), render_mode="rgb_array", reveal_roles=True)
    picture = env.render()
    for seat, marker in player_markers(env.game).items():
        ringed = has(marker_box(picture, marker, 3), IMPOSTOR_RING)
        assert ringed == env.game.players[seat].is_impostor, seat
    hidden = cast_env(five_cast(), render_mode="rgb_array").render()
    assert not (hidden == IMPOSTOR_RING).all(axis=2).any()
    text = cast_env(five_cast(), render_mode="ansi", reveal_roles=True).render()
    assert "Player 1: red [impostor]" in text and text.count("[impostor]") == 1
    assert "[impostor]" not in cast_env(five_cast(), render_mode="ansi").render()
    with pytest.raises(ValueError, match="reveal_roles"):
        cast_env(five_cast(), reveal_roles="yes")


def ink_gaps(band: np.ndarray) -> list[int]:
    """Widths of the runs of blank columns between inked ones, left to right."""
    inked = (band != BACKGROUND).any(axis=2).any(axis=0)
    gaps, run, seen = [], 0, False
    for column in inked:
        if column:
            if seen and run:
                gaps.append(run)
            run, seen = 0, True
        else:
            run += 1
    return gaps


def outnumbered_game() -> Game:
    """A game the impostor wins by killing, whose phase line is the longest there is."""
    game = Game("five_member", seed=0)
    while not game.is_over:
        legal = game.current_legal_actions
        kills = [a for a in legal if a.text.startswith("KILL")]
        game.step(kills[0] if kills else legal[-1])
    assert "outnumbered" in phase_line(game)
    return game


@pytest.mark.parametrize("game_over", [False, True])
def test_the_status_line_keeps_its_spaces_and_stays_inside_the_frame(game_over: bool) -> None:
    game = outnumbered_game() if game_over else Game("seven_member", seed=4)
    picture = render_rgb(game)
    left, top, right, bottom = STATUS_BOX
    lines = rendering._wrap(phase_line(game), rendering._font(13), right - left, 3)
    assert " ".join(lines) == phase_line(game), "nothing is cut"
    assert len(lines) == (2 if game_over else 1)
    for i, line in enumerate(lines):
        band = picture[top + 18 * i + 2 : top + 18 * i + 16, left:right]
        gaps = ink_gaps(band)
        assert sum(gap >= 3 for gap in gaps) == line.count(" "), line  # one gap a space
    # Nothing is drawn between the status box and Cafeteria, the nearest room.
    beyond = picture[top:bottom, right + 1 : 404]
    assert (beyond == BACKGROUND).all()


def test_a_status_line_too_long_for_three_lines_is_cut_visibly() -> None:
    font = rendering._font(13)
    lines = rendering._wrap("word " * 200, font, 300, 3)
    assert len(lines) == 3 and lines[-1].endswith(" …")
    assert all(rendering._spaced_length(line, font) <= 300 for line in lines)


def test_the_task_bar_is_labelled_and_filled_by_progress() -> None:
    game = Game("five_member", seed=0)
    picture = render_rgb(game)
    left, top, right, bottom = TASK_BAR
    label = picture[top - 2 : bottom + 2, 10 : left - 4]
    percent = picture[top - 2 : bottom + 2, right + 6 : right + 40]
    assert (label != BACKGROUND).any() and (percent != BACKGROUND).any()
    inside_bar = picture[top + 2 : bottom - 1, left + 2 : right - 1]
    assert (inside_bar == BACKGROUND).all(axis=2).all(), "no task done: the bar is empty"


def test_save_video_writes_an_animated_gif(tmp_path: Path) -> None:
    env = cast_env(five_cast(), render_mode="rgb_array")
    frames = [env.render()]
    for action in ("KILL Player 2: blue", "MOVE from Cafeteria to Admin"):
        take(env, action)
        frames.append(env.render())
    path = save_video(iter(frames), tmp_path / "episode.gif", fps=4)
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == len(frames)  # type: ignore[attr-defined]
        assert gif.info["duration"] == 250 and gif.info["loop"] == 0
        for index, frame in enumerate(frames):
            gif.seek(index)
            shown = np.asarray(gif.convert("RGB"))
            assert shown.shape == frame.shape
            if index == len(frames) - 1:  # the discs keep their exact colours
                for x, y, radius in player_markers(env.game).values():
                    assert tuple(shown[y, x - radius + 2]) == tuple(frame[y, x - radius + 2])
            assert np.abs(shown.astype(int) - frame.astype(int)).mean() < 2


@pytest.mark.parametrize(
    ("frames", "name", "says"),
    [
        ([], "a.gif", "at least one frame"),
        ([np.zeros((4, 4, 3), np.uint8)], "a.mp4", ".gif"),
        ([np.zeros((4, 4), np.uint8)], "a.gif", "uint8"),
        ([np.zeros((4, 4, 3), np.float32)], "a.gif", "uint8"),
        ([np.zeros((4, 4, 3), np.uint8), np.zeros((5, 4, 3), np.uint8)], "a.gif", "same size"),
    ],
)
def test_save_video_refuses_bad_input(
    tmp_path: Path, frames: list[np.ndarray], name: str, says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        save_video(frames, tmp_path / name)
    assert not (tmp_path / name).exists()


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
    left, top, _, bottom = TASK_BAR
    bar_start = render_rgb(game)[(top + bottom) // 2, left]  # filled whatever the ratio
    assert tuple(bar_start) == rendering.IMPOSTOR_BAR == (220, 30, 30)
