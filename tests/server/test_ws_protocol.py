"""The /ws protocol against a real server: messages, reset arguments, full games, bad input."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from openenv_facade.models import (
    ACTION_TYPES,
    OPTIONAL_FIELDS,
    ErrorData,
    GameObservation,
    GameState,
)
from tests.server.conftest import RANDOM_POLICIES, RunningServer
from tests.server.helpers import RawSession, eventually, play_out, session_ids

# The multi-seat and chat fields travel only when a reset asks for them.
OBSERVATION_FIELDS = (
    set(GameObservation.model_fields) - {"reward", "done", "metadata"} - set(OPTIONAL_FIELDS)
)


def observation(reply: dict[str, Any]) -> dict[str, Any]:
    assert reply["type"] == "observation", reply
    fields: dict[str, Any] = reply["data"]["observation"]
    return fields


# ------------------------------------------------------------------------------- message shapes
def test_reset_step_state_close_round_trip(server: RunningServer) -> None:
    with RawSession(server.ws_url) as session:
        reply = session.reset(seed=11, seat=0, episode_id="round-trip")
        assert set(reply["data"]) == {"observation", "reward", "done"}
        obs = observation(reply)
        assert set(obs) == OBSERVATION_FIELDS  # reward, done and metadata travel outside it
        assert reply["data"]["done"] is False and reply["data"]["reward"] == 0.0
        assert obs["game_status"] == "running" and obs["error"] is None and obs["phase"] == "task"
        assert obs["prompt"].startswith(f"You are {obs['name']}")
        assert obs["legal_actions"] and all(a["type"] in ACTION_TYPES for a in obs["legal_actions"])

        state = session.state()
        assert state["type"] == "state"
        GameState.model_validate(state["data"])
        assert state["data"]["episode_id"] == "round-trip" and state["data"]["step_count"] == 0
        assert state["data"]["seat"] == obs["seat"]

        move = next(a for a in obs["legal_actions"] if a["type"] == "move")
        after = observation(session.step(move))
        assert after["error"] is None
        assert session.state()["data"]["step_count"] == 1
        assert any(line.startswith("You: ") and move["target"] in line for line in after["events"])
        GameObservation.model_validate({**after, "reward": 0.0, "done": False})


def test_close_ends_the_session(server: RunningServer) -> None:
    before = session_ids(server)
    session = RawSession(server.ws_url)
    session.reset(seed=1)
    (own,) = session_ids(server) - before  # the session of this connection
    session.ws.send(json.dumps({"type": "close"}))
    with pytest.raises(ConnectionClosed):  # the server closes the connection without a reply
        session.ws.recv(timeout=5)
    session.ws.close()
    assert eventually(lambda: own not in session_ids(server)), "the session outlived its close"


def test_full_games_end_with_done_and_a_team_reward(server: RunningServer) -> None:
    rng = random.Random(5)
    with RawSession(server.ws_url) as session:
        for seed in range(6):
            last = play_out(session, session.reset(seed=seed), rng)
            obs = observation(last)
            assert last["data"]["reward"] in (1.0, -1.0)
            assert obs["phase"] == "game_over" and obs["legal_actions"] == []
            assert obs["game_status"] != "running"
            assert obs["events"][-1].startswith("Game over: ")


def test_a_dead_seat_plays_out_the_game_and_is_told_done(server: RunningServer) -> None:
    rng = random.Random(0)
    deaths = 0
    with RawSession(server.ws_url) as session:
        for seed in range(40):
            reply = session.reset(seed=seed, role="crewmate")
            while not reply["data"]["done"]:
                reply = session.step(rng.choice(observation(reply)["legal_actions"]))
                if not observation(reply)["alive"]:
                    assert reply["data"]["done"], "a seat that died must get the final observation"
            deaths += not observation(reply)["alive"]
    assert deaths > 0, "no crewmate seat died in 40 random games"


# ------------------------------------------------------------------------------ reset arguments
def test_the_same_seed_gives_the_same_game(server: RunningServer) -> None:
    def play(seed: int) -> list[str]:
        rng = random.Random(99)
        with RawSession(server.ws_url) as session:
            play_out(session, session.reset(seed=seed), rng)
            return [json.loads(f)["data"]["observation"]["prompt"] for f in session.frames]

    assert play(21) == play(21)
    assert play(21) != play(22)


def test_seat_and_role_choose_the_clients_seat(server: RunningServer) -> None:
    with RawSession(server.ws_url) as session:
        assert observation(session.reset(seed=4, seat=3))["seat"] == 3
        for role in ("impostor", "crewmate"):
            seats = {observation(session.reset(seed=s, role=role))["seat"] for s in range(12)}
            roles = {observation(session.reset(seed=s, role=role))["role"] for s in range(12)}
            assert roles == {role} and len(seats) > 1
        pinned = observation(session.reset(seed=4, seat=0, role="impostor"))
        assert (pinned["seat"], pinned["role"]) == (0, "impostor")
        # with neither, the game's seeded generator picks the seat: reproducible, and it varies
        picks = [observation(session.reset(seed=s))["seat"] for s in range(10)]
        assert picks == [observation(session.reset(seed=s))["seat"] for s in range(10)]
        assert len(set(picks)) > 1


def test_config_presets_and_dicts(server: RunningServer) -> None:
    with RawSession(server.ws_url) as session:
        five = observation(session.reset(seed=1, config="five_member"))
        assert session.state()["data"]["num_players"] == 5 and five["seat"] < 5
        config = {
            "num_players": 4,
            "num_impostors": 1,
            "num_common_tasks": 1,
            "num_short_tasks": 1,
            "num_long_tasks": 0,
            "discussion_rounds": 1,
            "max_num_buttons": 1,
            "kill_cooldown": 2,
            "max_timesteps": 20,
        }
        session.reset(seed=1, config=config)
        state = session.state()["data"]
        assert (state["num_players"], state["max_timesteps"]) == (4, 20)
        play_out(session, session.reset(seed=2, config=config), random.Random(1))


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"seed": 1, "colour": "red"}, "colour"),
        ({"seed": -1}, "seed"),
        ({"seat": 7}, "seat 7 is out of range"),
        ({"seat": "two"}, "seat"),
        ({"role": "captain"}, "role"),
        ({"config": "nine_member"}, "unknown preset"),
        ({"config": {"num_players": 5}}, "missing key"),
        ({"config": {**{"num_players": 7}, "max_timesteps": 100_000}}, "config"),
        ({"policies": {"impostor": "mastermind"}}, "mastermind"),
        ({"policies": {"crewmate": "random", "ghost": "random"}}, "ghost"),
        ({"episode_id": "x" * 300}, "episode_id"),
        ({"episode_id": "\ud800"}, "lone surrogate"),  # JSON's grammar allows it; not text
        ({"config": {"\udfff": 5}}, "lone surrogate"),
    ],
)
def test_invalid_reset_arguments_get_a_clear_error_and_change_nothing(
    server: RunningServer, data: dict[str, Any], needle: str
) -> None:
    with RawSession(server.ws_url) as session:
        first = session.reset(seed=8, seat=0)
        state = session.state()
        reply = session.send({"type": "reset", "data": {"policies": RANDOM_POLICIES, **data}})
        assert reply["type"] == "error" and reply["data"]["code"] == "VALIDATION_ERROR"
        assert needle in reply["data"]["message"] or needle in json.dumps(reply["data"])
        assert session.state() == state
        # the session is still usable and the game continues where it was
        legal = observation(first)["legal_actions"]
        assert observation(session.step(legal[0]))["error"] is None


def test_timesteps_limit_of_the_server(server: RunningServer) -> None:
    config = {
        "num_players": 5,
        "num_impostors": 1,
        "num_common_tasks": 1,
        "num_short_tasks": 1,
        "num_long_tasks": 0,
        "discussion_rounds": 1,
        "max_num_buttons": 1,
        "kill_cooldown": 2,
        "max_timesteps": server.settings.max_timesteps + 1,
    }
    with RawSession(server.ws_url) as session:
        reply = session.send({"type": "reset", "data": {"config": config}})
        assert reply["data"]["code"] == "VALIDATION_ERROR" and "limit" in reply["data"]["message"]


# ----------------------------------------------------------------------------------- bad input
def test_protocol_errors_keep_the_session_usable(server: RunningServer) -> None:
    with RawSession(server.ws_url) as session:
        reply = session.step({"type": "move", "target": "Admin"})
        assert (reply["type"], reply["data"]["code"]) == ("error", "EXECUTION_ERROR")
        assert "reset" in reply["data"]["message"]
        first = session.reset(seed=3, seat=0)
        state = session.state()
        cases = [
            ("{not json", "INVALID_JSON"),
            ("[" * 2_000 + "]" * 2_000, "INVALID_JSON"),  # small, but too deep for the parser
            ("[1, 2]", "VALIDATION_ERROR"),
            ('"reset"', "VALIDATION_ERROR"),
            (json.dumps({"data": {}}), "UNKNOWN_TYPE"),
            (json.dumps({"type": "teleport"}), "UNKNOWN_TYPE"),
            (json.dumps({"type": 5}), "UNKNOWN_TYPE"),
            (json.dumps({"type": "step"}), "VALIDATION_ERROR"),
            (json.dumps({"type": "step", "data": "move"}), "VALIDATION_ERROR"),
            (
                json.dumps({"type": "step", "data": {"type": "fly", "target": "Admin"}}),
                "VALIDATION_ERROR",
            ),
            (
                json.dumps(
                    {"type": "step", "data": {"type": "move", "target": "Admin", "speed": 2}}
                ),
                "VALIDATION_ERROR",
            ),
            (json.dumps({"type": "step", "data": {}}), "VALIDATION_ERROR"),
            (
                json.dumps(
                    {
                        "type": "step",
                        "data": {"type": "move", "raw": "MOVE from Cafeteria to Admin"},
                    }
                ),
                "VALIDATION_ERROR",
            ),
            (
                json.dumps({"type": "step", "data": {"type": "move"}, "extra": 1}),
                "VALIDATION_ERROR",
            ),
            (json.dumps({"type": "state", "data": {"x": 1}}), "VALIDATION_ERROR"),
            (json.dumps({"type": "reset", "data": [1]}), "VALIDATION_ERROR"),
            # No coercion: true is not seat 1, "7" is not 7.
            (json.dumps({"type": "reset", "data": {"seat": True}}), "VALIDATION_ERROR"),
            (json.dumps({"type": "reset", "data": {"seed": "7"}}), "VALIDATION_ERROR"),
            (
                json.dumps({"type": "reset", "data": {"config": {"num_players": 7.0}}}),
                "VALIDATION_ERROR",
            ),
        ]
        for text, code in cases:
            reply = session.send_raw(text)
            assert reply["type"] == "error", text
            assert reply["data"]["code"] == code, (text, reply)
            assert reply["data"]["message"]
            ErrorData.model_validate(reply["data"])  # the published model describes every one
        assert session.state() == state
        assert observation(session.step(observation(first)["legal_actions"][0]))["error"] is None


def test_binary_frames_are_read_as_text(server: RunningServer) -> None:
    with RawSession(server.ws_url) as session:
        assert (
            session.send_raw(json.dumps({"type": "reset", "data": {"seed": 1}}).encode())["type"]
            == "observation"
        )
        assert session.send_raw(b"\xff\xfe")["data"]["code"] == "INVALID_JSON"
        assert session.state()["type"] == "state"


def test_oversized_frames_are_refused_and_the_session_continues(server: RunningServer) -> None:
    limit = server.settings.max_frame_bytes
    with RawSession(server.ws_url) as session:
        session.reset(seed=2, seat=0)
        state = session.state()
        big = json.dumps({"type": "step", "data": {"type": "talk", "target": "x" * limit}})
        reply = session.send_raw(big)
        assert (
            reply["data"]["code"] == "VALIDATION_ERROR" and str(limit) in reply["data"]["message"]
        )
        multibyte = json.dumps(
            {"type": "state", "pad": "é" * (limit // 2 + 10)}, ensure_ascii=False
        )
        assert session.send_raw(multibyte)["data"]["message"].startswith("message of")
        assert session.state() == state


def test_illegal_moves_come_back_as_the_observation_error_and_change_nothing(
    server: RunningServer,
) -> None:
    with RawSession(server.ws_url) as session:
        obs = observation(session.reset(seed=6, seat=0, role="crewmate"))  # seat 0 acts first
        state = session.state()
        attempts = [
            {"type": "move", "target": "Atlantis"},
            {"type": "move", "target": "Reactor"},  # not adjacent to the Cafeteria
            {"type": "move"},
            {"type": "kill", "target": "red"},
            {"type": "vent", "target": "Admin"},
            {"type": "vote", "target": "red"},
            {"type": "talk", "target": "hello"},
            {"type": "report"},
            {"type": "task", "target": "Juggle"},
            {"type": "monitor", "target": "Admin"},
            {"raw": "MOVE from Cafeteria to Reactor"},
            {"raw": "DANCE"},
        ]
        for action in attempts:
            reply = session.step(action)
            again = observation(reply)
            assert again["error"], action
            assert reply["data"]["reward"] == 0.0 and again["events"] == []
            for name in ("location", "legal_actions", "prompt", "tasks", "seat"):
                assert again[name] == obs[name], (action, name)
            assert session.state() == state


def test_case_insensitive_targets_and_raw_actions_are_accepted(server: RunningServer) -> None:
    with RawSession(server.ws_url) as session:
        obs = observation(session.reset(seed=6, seat=0))
        move = next(a for a in obs["legal_actions"] if a["type"] == "move")
        assert (
            observation(session.step({"type": "move", "target": move["target"].upper()}))["error"]
            is None
        )
        obs = observation(session.reset(seed=6, seat=0))
        raw = f"MOVE from {obs['location']} to {move['target']}"
        assert observation(session.step({"raw": raw}))["error"] is None


def test_sessions_never_share_state(server: RunningServer) -> None:
    def solo(seed: int) -> list[str]:
        rng = random.Random(seed)
        with RawSession(server.ws_url) as session:
            play_out(session, session.reset(seed=seed), rng)
            return session.frames

    expected = {seed: solo(seed) for seed in (31, 32)}
    sessions = {seed: RawSession(server.ws_url) for seed in (31, 32)}
    rngs = {seed: random.Random(seed) for seed in (31, 32)}
    replies = {seed: sessions[seed].reset(seed=seed) for seed in (31, 32)}
    while not all(r["data"]["done"] for r in replies.values()):
        for seed, session in sessions.items():  # interleave the two games move by move
            if not replies[seed]["data"]["done"]:
                replies[seed] = session.step(
                    rngs[seed].choice(observation(replies[seed])["legal_actions"])
                )
    for seed, session in sessions.items():
        session.close()
        strip = [{**json.loads(f)["data"]["observation"]} for f in session.frames]
        want = [{**json.loads(f)["data"]["observation"]} for f in expected[seed]]
        assert strip == want
