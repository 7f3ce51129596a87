"""The web views' messages on the wire: ``spectate``, ``spectate_step``, ``replay`` and
``replay_files``, against a real server. Roles travel only in these whole-game views, and only
for a game of the asking connection's own: never for a game a seat is being played in."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from amongagents.game import Game
from amongagents.replay import read_jsonl, replay
from amongus_marl.env import raw_env
from openenv_facade.models import GameView, ReplayFiles, ReplayParams
from openenv_facade.spectator import spectator_game_seed
from tests.server.conftest import RANDOM_POLICIES, RunningServer
from tests.server.helpers import RawSession, play_out


def env_game(seed: int) -> Game:
    """The game ``raw_env.reset(seed=seed)`` deals: how the server starts a seat's game, and a
    spectator's from its engine seed."""
    env = raw_env(config="seven_member")
    env.reset(seed=seed)
    assert env.game is not None
    return env.game


def spectate(session: RawSession, **data: Any) -> dict[str, Any]:
    data.setdefault("policies", RANDOM_POLICIES)
    return session.send({"type": "spectate", "data": data})


def watch_to_the_end(session: RawSession) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    for _ in range(1000):
        reply = session.send({"type": "spectate_step", "data": {"steps": 50}})
        assert reply["type"] == "spectator", reply
        GameView.model_validate(reply["data"])
        frames += reply["data"]["frames"]
        if reply["data"]["winner_reason"] is not None:
            return frames
    raise AssertionError("the watched game did not end")


def test_a_spectator_sees_a_whole_bot_game_with_roles(web_server: RunningServer) -> None:
    with RawSession(web_server.ws_url) as session:
        start = spectate(session, seed=4)
        assert start["type"] == "spectator"
        view = GameView.model_validate(start["data"])
        assert view.seed == 4 and [f.step for f in view.frames] == [0]
        frames = watch_to_the_end(session)
    # The cast is the engine's deal for the spectator seed's engine seed.
    game = env_game(spectator_game_seed(4))
    assert [(m.color, m.role == "impostor") for m in view.cast] == [
        (p.color, p.is_impostor) for p in game.players
    ]
    # Frame by frame: one action each, by the seat whose turn it was, with its effect shown.
    previous = view.frames[0].model_dump()
    for frame in frames:
        assert frame["step"] == previous["step"] + 1
        assert frame["actor"] == previous["acting_seat"]
        if frame["action"].startswith("MOVE"):
            assert frame["action"].endswith(f" to {frame['players'][frame['actor']]['location']}")
        previous = frame
    assert frames[-1]["game_over"] and frames[-1]["acting_seat"] is None


def test_spectating_cannot_reach_a_seats_game(web_server: RunningServer) -> None:
    """A connection playing a seat that also spectates with the same seed watches a different
    game, and its seat's game is untouched."""
    rng = random.Random(3)
    with RawSession(web_server.ws_url) as player:
        first = player.reset(seed=9, role="crewmate")
        before = player.state()
        watched = spectate(player, seed=9)
        assert watched["type"] == "spectator"
        player.send({"type": "spectate_step", "data": {"steps": 40}})
        assert player.state() == before
        seat_game = env_game(9)
        assert (
            seat_game.names[first["data"]["observation"]["seat"]]
            == (first["data"]["observation"]["name"])
        )
        cast = watched["data"]["cast"]
        assert [(m["color"], m["role"]) for m in cast] != [
            (p.color, "impostor" if p.is_impostor else "crewmate") for p in seat_game.players
        ]
        # The seat plays on, and no payload of the seat's game names a role but its own.
        last = play_out(player, first, rng)
        assert last["data"]["done"] is True
    seat_frames = [f for f in player.frames if json.loads(f)["type"] == "observation"]
    assert all('"cast"' not in f for f in seat_frames)


@pytest.mark.parametrize(
    "data",
    [
        {"episode_id": "someone-elses-game"},
        {"session_id": "abc"},
        {"seat": 0},
        {"seed": -1},
        {"seed": "7"},
        {"config": "no_such_preset"},
        {"policies": {"impostor": "llm"}},
        {"config": {"max_timesteps": 100000}},
    ],
)
def test_bad_spectate_arguments_are_refused(web_server: RunningServer, data: Any) -> None:
    with RawSession(web_server.ws_url) as session:
        reply = session.send({"type": "spectate", "data": data})
        assert reply["type"] == "error"
        assert reply["data"]["code"] == "VALIDATION_ERROR"
        # Nothing is being watched: stepping says so.
        step = session.send({"type": "spectate_step"})
        assert step["type"] == "error" and "send spectate first" in step["data"]["message"]


@pytest.mark.parametrize("steps", [0, -1, 201, "3", None])
def test_bad_spectate_steps_change_nothing(web_server: RunningServer, steps: Any) -> None:
    with RawSession(web_server.ws_url) as session:
        spectate(session, seed=1)
        reply = session.send({"type": "spectate_step", "data": {"steps": steps}})
        assert reply["type"] == "error" and reply["data"]["code"] == "VALIDATION_ERROR"
        after = session.send({"type": "spectate_step", "data": {"steps": 1}})
        assert [f["step"] for f in after["data"]["frames"]] == [1]


def test_replay_of_an_uploaded_log_matches_the_engine(
    web_server: RunningServer, replay_folder: Path
) -> None:
    log = list(read_jsonl(replay_folder / "games.jsonl"))[0]
    with RawSession(web_server.ws_url) as session:
        reply = session.send({"type": "replay", "data": {"log": log}})
    assert reply["type"] == "replay"
    view = GameView.model_validate(reply["data"])
    assert len(view.frames) == len(log["steps"]) + 1
    assert view.winner_reason == log["winner_reason"]
    for upto in (0, 7, len(log["steps"]) // 2, len(log["steps"])):
        game = replay(log, upto=upto)
        frame = view.frames[upto]
        assert [p.location for p in frame.players] == [p.location for p in game.players]
        assert [p.alive for p in frame.players] == [p.alive for p in game.players]
        assert frame.acting_seat == (None if game.is_over else game.current_seat)
    assert [m.role == "impostor" for m in view.cast] == [
        p["identity"] == "Impostor" for p in log["players"]
    ]


def test_replay_shows_meetings_speech_and_ballots(
    web_server: RunningServer, replay_folder: Path
) -> None:
    logs = list(read_jsonl(replay_folder / "games.jsonl"))
    with RawSession(web_server.ws_url) as session:
        views = [session.send({"type": "replay", "data": {"log": log}})["data"] for log in logs]
    ballots = [
        (log, frame)
        for log, view in zip(logs, views, strict=True)
        for frame in view["frames"]
        if frame["actor"] is not None and frame["action"].startswith("VOTE")
    ]
    assert ballots, "the fixture games hold no vote"
    for log, frame in ballots:
        vote = frame["votes"][-1]
        assert vote["voter"] == frame["actor"]
        assert frame["action"] == f"VOTE {log['players'][vote['target']]['name']}"
    speeches = [
        frame
        for view in views
        for frame in view["frames"]
        if frame["actor"] is not None and frame["action"].startswith("SPEAK")
    ]
    for frame in speeches:
        assert frame["chat"][-1].split(": ", 2)[-1] in frame["action"]


def test_replay_folder_is_the_only_place_files_are_read(
    web_server: RunningServer, replay_folder: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.jsonl"
    outside.write_text('{"config": {}}\n')
    with RawSession(web_server.ws_url) as session:
        listing = session.send({"type": "replay_files"})
        assert listing["type"] == "replay_files"
        files = ReplayFiles.model_validate(listing["data"])
        assert files.enabled and [f.path for f in files.files] == ["games.jsonl"]
        good = session.send({"type": "replay", "data": {"path": "games.jsonl", "game": 1}})
        assert good["type"] == "replay" and good["data"]["games_in_file"] == 2
        for path in (
            str(outside),
            f"../{outside.parent.name}/secret.jsonl",
            "../" * 12 + "etc/passwd",
            "games.jsonl/..",
            "missing.jsonl",
        ):
            reply = session.send({"type": "replay", "data": {"path": path}})
            assert reply["type"] == "error", path
            assert reply["data"]["code"] == "VALIDATION_ERROR"
            assert "secret" not in json.dumps(reply).replace(path, "")
        out_of_range = session.send({"type": "replay", "data": {"path": "games.jsonl", "game": 2}})
        assert "holds 2 game(s)" in out_of_range["data"]["message"]


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"log": {}, "path": "games.jsonl"},
        {"log": {"config": "seven_member"}},
        {"log": {"config": {"num_players": 7}, "steps": "none"}},
        {"log": {"format": "x", "config": {}, "seed": 1, "steps": [{"player": 3}]}},
        {"path": 5},
    ],
)
def test_bad_replays_are_refused(web_server: RunningServer, data: Any) -> None:
    with RawSession(web_server.ws_url) as session:
        reply = session.send({"type": "replay", "data": data})
        assert reply["type"] == "error" and reply["data"]["code"] == "VALIDATION_ERROR", reply


def test_a_tampered_log_is_refused(web_server: RunningServer, replay_folder: Path) -> None:
    log = list(read_jsonl(replay_folder / "games.jsonl"))[0]
    log["steps"][5]["action"] = "KILL Player 1: nobody"
    with RawSession(web_server.ws_url) as session:
        reply = session.send({"type": "replay", "data": {"log": log}})
    assert reply["type"] == "error" and "step 5" in reply["data"]["message"]


def test_the_schema_documents_the_web_messages(web_server: RunningServer) -> None:
    schema = httpx.get(web_server.base_url + "/schema").json()["web_messages"]
    assert set(schema) >= {"spectate", "spectate_step", "replay", "replay_files", "replies"}
    assert "steps" in schema["spectate_step"]["properties"]
    assert "frames" in schema["replies"]["spectator"]["properties"]


def test_the_page_and_its_map_are_served(web_server: RunningServer) -> None:
    page = httpx.get(web_server.base_url + "/web")
    assert page.status_code == 200 and '<svg id="map"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    # No file outside the page's own assets is served.
    for name in ("app.js", "style.css"):
        assert httpx.get(f"{web_server.base_url}/web/{name}").status_code == 200
    for name in ("server.py", "..%2Fserver.py", "index.htm"):
        assert httpx.get(f"{web_server.base_url}/web/{name}").status_code == 404
    skeld = httpx.get(web_server.base_url + "/web/map.json").json()
    from amongagents.skeld import CORRIDORS, ROOMS, VENTS

    assert [room["name"] for room in skeld["rooms"]] == list(ROOMS)
    assert [tuple(pair) for pair in skeld["corridors"]] == list(CORRIDORS)
    assert [tuple(pair) for pair in skeld["vents"]] == list(VENTS)
    assert "heuristic" in skeld["policies"]


def test_a_closed_connection_drops_its_watched_game(web_server: RunningServer) -> None:
    web = web_server.app.state.web
    before = len(web)
    with RawSession(web_server.ws_url) as session:
        spectate(session, seed=2)
        assert len(web) == before + 1
    for _ in range(500):  # the server notices the close on its own schedule
        if len(web) == before:
            break
        time.sleep(0.01)
    assert len(web) == before


def test_a_link_out_of_the_replay_folder_is_neither_listed_nor_read(tmp_path: Path) -> None:
    from openenv_facade.session import RequestError
    from openenv_facade.settings import ServerSettings
    from openenv_facade.spectator import ReplayFolder

    folder = tmp_path / "replays"
    folder.mkdir()
    outside = tmp_path / "private.jsonl"
    outside.write_text("{}\n")
    (folder / "link.jsonl").symlink_to(outside)
    (folder / "own.jsonl").write_text("{}\n")
    replays = ReplayFolder(folder)
    assert [f.path for f in replays.files().files] == ["own.jsonl"]
    with pytest.raises(RequestError, match="not a .jsonl"):
        replays.load(ReplayParams(path="link.jsonl"), ServerSettings())
