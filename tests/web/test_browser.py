"""The web page in a real browser: play a whole game through its buttons, watch a bot game to
its end, scrub a replay. Every view is screenshotted and its pixels checked against the game:
each living player's marker shows that player's colour where the game says it stands."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from amongagents.replay import read_jsonl, replay, write_jsonl
from amongus_marl.rendering import COLOR_RGB
from tests.server.conftest import RunningServer

pytestmark = pytest.mark.timeout(120)

VIEWPORT = {"width": 1100, "height": 720}
#: How far a sampled marker pixel may be from the player's colour (per channel).
COLOUR_TOLERANCE = 40


class FrameLog:
    """Every WebSocket frame the page receives (and sends), parsed."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []

    def attach(self, page: Any) -> None:
        def watch(ws: Any) -> None:
            ws.on("framereceived", self._receive)
            ws.on("framesent", self._send)

        page.on("websocket", watch)

    def _receive(self, payload: str | bytes) -> None:
        self.received.append(json.loads(payload))

    def _send(self, payload: str | bytes) -> None:
        self.sent.append(json.loads(payload))

    def requests(self, *kinds: str) -> int:
        """How many requests of these types the page has sent."""
        return sum(frame["type"] in kinds for frame in self.sent)

    def types(self) -> set[str]:
        """The types of the replies, bar the replay folder's listing every page asks for."""
        return {frame["type"] for frame in self.received} - {"replay_files"}

    def last(self, kind: str) -> dict[str, Any]:
        return next(f["data"] for f in reversed(self.received) if f["type"] == kind)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [f["data"] for f in self.received if f["type"] == kind]


def open_page(browser: Any, server: RunningServer, **context: Any) -> tuple[Any, FrameLog]:
    page = browser.new_page(viewport=context.pop("viewport", VIEWPORT), **context)
    frames = FrameLog()
    frames.attach(page)
    page.goto(server.base_url + "/web")
    page.wait_for_selector("body[data-ready='true']", timeout=15_000)
    return page, frames


def markers(page: Any) -> list[dict[str, Any]]:
    """The players drawn on the map, with their circles' places on the screen."""
    found = []
    for marker in page.query_selector_all("#layer-players .player"):
        box = marker.query_selector("circle.disc").bounding_box()
        found.append(
            {
                "seat": int(marker.get_attribute("data-seat")),
                "name": marker.get_attribute("data-name"),
                "color": marker.get_attribute("data-color"),
                "room": marker.get_attribute("data-room"),
                "body": "body" in marker.get_attribute("class").split(),
                "impostor": "impostor" in marker.get_attribute("class").split(),
                "box": box,
            }
        )
    return found


def check_marker_pixels(screenshot: Path, drawn: list[dict[str, Any]]) -> None:
    """Each living player's disc has that player's colour on the screenshot."""
    image = Image.open(screenshot).convert("RGB")
    living = [m for m in drawn if not m["body"]]
    assert living, "no player is drawn"
    for marker in living:
        box = marker["box"]
        # Left of the centre: clear of the seat number printed in the middle.
        x = round(box["x"] + box["width"] * 0.22)
        y = round(box["y"] + box["height"] * 0.5)
        pixel = image.getpixel((x, y))
        expected = COLOR_RGB[marker["color"]]
        assert all(abs(a - b) <= COLOUR_TOLERANCE for a, b in zip(pixel, expected, strict=True)), (
            f"{marker['name']} at ({x}, {y}) shows {pixel}, expected about {expected}"
        )


ROOM_FILLS = ((0x3B, 0x42, 0x56), (0x4F, 0x5D, 0x85))  # a room; the seat's own room


def check_map_drawn(screenshot: Path, page: Any) -> None:
    """The rooms are painted: low in the Cafeteria (clear of labels and markers) the screenshot
    has a room's fill colour, and outside every room the background's."""
    image = Image.open(screenshot).convert("RGB")
    room = page.query_selector(".room[data-room='Cafeteria'] polygon").bounding_box()
    inside = image.getpixel(
        (round(room["x"] + room["width"] * 0.5), round(room["y"] + room["height"] * 0.9))
    )
    assert any(
        max(abs(a - b) for a, b in zip(inside, fill, strict=True)) <= 12 for fill in ROOM_FILLS
    ), f"the Cafeteria is painted {inside}"
    outside = image.getpixel((round(room["x"] - 20), round(room["y"] + 4)))
    assert max(abs(a - b) for a, b in zip(outside, (0x1E, 0x22, 0x30), strict=True)) <= 12, outside


def test_play_a_whole_game_through_the_buttons(
    browser: Any, web_server: RunningServer, screenshot_dir: Path
) -> None:
    page, frames = open_page(browser, web_server)
    page.fill("#play-seed", "5")
    page.select_option("#play-role", "crewmate")
    page.select_option("#play-impostor", "random")
    page.select_option("#play-crewmate", "random")
    page.click("#play-new")
    page.wait_for_selector("#play-actions button.action")
    rng = random.Random(5)
    clicks = 0
    met = False
    shot = screenshot_dir / "web-play.png"
    while page.query_selector("#play-result") is None:
        observation = frames.last("observation")["observation"]
        drawn = markers(page)
        # The map shows the seat and exactly the players its observation shows, nothing more.
        expected = {observation["name"]} | {p["name"] for p in observation["visible_players"]}
        assert {m["name"] for m in drawn} == expected
        assert {m["room"] for m in drawn} == {observation["location"]}
        assert not any(m["impostor"] for m in drawn)
        company = page.inner_text("#play-company")  # the same company in words
        assert all(name in company for name in expected - {observation["name"]})
        # Screenshots of the first turn and of the first turn in a meeting (the README's).
        in_meeting = observation["phase"] in ("discussion", "voting")
        if clicks == 0 or (in_meeting and not met):
            page.screenshot(path=str(shot))
            check_marker_pixels(shot, drawn)
            check_map_drawn(shot, page)
            met = met or in_meeting
        received = len(frames.received)
        if page.is_visible("#play-talk"):
            page.fill("#play-speech", f"I was busy, message {clicks}")
            page.click("#play-say")
        else:
            buttons = page.query_selector_all("#play-actions button.action:not([disabled])")
            assert buttons, "it is the seat's turn but no move is offered"
            buttons[rng.randrange(len(buttons))].click()
        clicks += 1
        assert clicks < 400, "the game did not end"
        while len(frames.received) == received:
            page.wait_for_timeout(5)
        page.wait_for_function(
            "() => document.querySelector('#play-result') || "
            "document.querySelectorAll('#play-actions button.action:not([disabled])').length || "
            "!document.querySelector('#play-talk').hidden"
        )
    # Only the seat's observations crossed the wire; the roles of others never did.
    assert frames.types() == {"observation"}
    final = frames.last("observation")
    assert final["done"] is True
    assert page.inner_text("#play-result") == f"Game over: {final['observation']['game_status']}"
    assert clicks > 3
    page.close()


def test_watch_a_bot_game_to_its_end(
    browser: Any, web_server: RunningServer, screenshot_dir: Path
) -> None:
    page, frames = open_page(browser, web_server)
    page.click("#tab-watch")
    page.fill("#watch-seed", "21")
    page.select_option("#watch-speed", "64")
    page.click("#watch-start")
    page.wait_for_function(
        "() => Number((document.querySelector('.last-action') || {textContent: ''})"
        ".textContent.replace(/^Action (\\d+):.*$/s, '$1')) >= 40"
    )
    page.click("#watch-toggle")  # pause
    page.wait_for_function("() => !document.querySelector('#watch-toggle').disabled")
    # A request in flight when the pause came is still answered: wait for its reply (however
    # slow the machine), not for a fixed time.
    asked = ("spectate", "spectate_step")
    for _ in range(3000):
        if len(frames.of("spectator")) == frames.requests(*asked):
            break
        page.wait_for_timeout(10)  # the page's events reach the test while it waits
    requests = frames.requests(*asked)
    assert len(frames.of("spectator")) == requests, "a request of the watch was never answered"
    before = sum(len(view["frames"]) for view in frames.of("spectator")) - 1
    page.wait_for_timeout(1200)  # paused: nothing more is asked for
    assert frames.requests(*asked) == requests
    assert sum(len(view["frames"]) for view in frames.of("spectator")) == before + 1
    page.click("#watch-step")
    page.wait_for_function(
        "n => document.querySelector('.last-action').textContent.startsWith(`Action ${n}:`)",
        arg=before + 1,
    )
    frame = frames.last("spectator")["frames"][-1]
    assert frame["step"] == before + 1
    cast = frames.last("spectator")["cast"]
    shot = screenshot_dir / "web-watch.png"
    page.screenshot(path=str(shot))
    drawn = markers(page)
    for marker in drawn:
        where = frame["players"][marker["seat"]]
        assert marker["room"] == where["location"]
        assert marker["impostor"] == (cast[marker["seat"]]["role"] == "impostor")
    assert {m["seat"] for m in drawn if not m["body"]} == {
        seat for seat, p in enumerate(frame["players"]) if p["alive"]
    }
    check_marker_pixels(shot, drawn)
    check_map_drawn(shot, page)
    # Full speed to the end.
    page.select_option("#watch-speed", "64")
    page.click("#watch-toggle")
    page.wait_for_selector("#watch-details .game-over", timeout=60_000)
    last = frames.last("spectator")
    assert last["winner_reason"] and last["frames"][-1]["game_over"]
    assert page.inner_text("#watch-details .game-over") == f"Game over: {last['winner_reason']}"
    assert frames.types() == {"spectator"}
    page.close()


def test_scrub_a_replay(
    browser: Any,
    web_server: RunningServer,
    replay_folder: Path,
    screenshot_dir: Path,
    tmp_path: Path,
) -> None:
    logs = list(read_jsonl(replay_folder / "games.jsonl"))
    packed = tmp_path / "games.jsonl.gz"  # as amongus play --log-dir writes it
    write_jsonl(logs, packed)
    page, frames = open_page(browser, web_server)
    page.click("#tab-replay")
    # Upload the second game of the file.
    page.set_input_files("#replay-file", str(packed))
    page.fill("#replay-game", "1")
    page.click("#replay-load")
    page.wait_for_function("() => !document.querySelector('#replay-timeline').disabled")
    log = logs[1]
    assert page.get_attribute("#replay-timeline", "max") == str(len(log["steps"]))
    for position in (3, len(log["steps"]) // 2, len(log["steps"])):
        page.eval_on_selector(
            "#replay-timeline",
            "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }",
            str(position),
        )
        game = replay(log, upto=position)  # the engine's own account of that moment
        drawn = markers(page)
        for marker in drawn:
            player = game.players[marker["seat"]]
            assert marker["room"] == player.location
            assert marker["impostor"] == player.is_impostor
        assert {m["seat"] for m in drawn if not m["body"]} == {
            p.seat for p in game.players if p.alive
        }
        assert page.inner_text("#replay-position") == f"{position} / {len(log['steps'])}"
        if position == len(log["steps"]) // 2:
            shot = screenshot_dir / "web-replay.png"
            page.screenshot(path=str(shot))
            check_marker_pixels(shot, drawn)
            check_map_drawn(shot, page)
    assert page.inner_text("#replay-details .game-over") == f"Game over: {log['winner_reason']}"
    # The keyboard steps back through the timeline.
    page.focus("#replay-prev")
    page.keyboard.press("Enter")
    assert page.inner_text("#replay-position") == f"{len(log['steps']) - 1} / {len(log['steps'])}"
    # The server's folder offers the same file.
    page.select_option("#replay-path", "games.jsonl")
    page.fill("#replay-server-game", "0")
    page.click("#replay-server-load")
    page.wait_for_function(
        "n => document.querySelector('#replay-timeline').max === String(n)",
        arg=len(logs[0]["steps"]),
    )
    assert frames.types() == {"replay"}
    # A log the engine cannot replay is refused with the reason, and the shown game stays.
    tampered = dict(logs[0], steps=[dict(step) for step in logs[0]["steps"]])
    tampered["steps"][5]["action"] = "KILL Player 1: nobody"
    page.set_input_files(
        "#replay-file",
        files=[
            {
                "name": "tampered.jsonl",
                "mimeType": "application/json",
                "buffer": (json.dumps(tampered) + "\n").encode(),
            }
        ],
    )
    page.fill("#replay-game", "0")
    page.click("#replay-load")
    page.wait_for_function(
        "() => document.querySelector('#status').textContent.startsWith('Error')"
    )
    assert "step 5" in page.inner_text("#status")
    assert page.get_attribute("#replay-timeline", "max") == str(len(logs[0]["steps"]))
    page.close()


def test_phone_width_and_keyboard(browser: Any, web_server: RunningServer) -> None:
    page, _ = open_page(browser, web_server, viewport={"width": 390, "height": 800})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px screen"
    assert page.query_selector("#map").bounding_box()["width"] <= 390
    # Every room is named in the DOM (screen readers, tests).
    names = page.eval_on_selector_all(".room title", "nodes => nodes.map(n => n.textContent)")
    assert "Upper Engine" in names and len(names) == 14
    # The tabs work from the keyboard.
    page.focus("#tab-watch")
    page.keyboard.press("Enter")
    assert page.is_visible("#panel-watch") and not page.is_visible("#panel-play")
    page.close()
