"""Edge cases of sessions: fresh games without a seed, replayable logs, over-long MCP arguments,
resets that fail part-way."""

from __future__ import annotations

import random

import httpx
import pytest

from amongagents.config import PRESETS
from amongagents.replay import replay
from amongus_marl.policies import base as policy_registry
from openenv_facade.models import GameAction, GameObservation, ResetParams
from openenv_facade.session import RequestError, SeatSession
from openenv_facade.settings import ServerSettings
from tests.server.conftest import RANDOM_POLICIES, RunningServer
from tests.server.helpers import session_ids


def fresh_game_seed() -> int:
    session = SeatSession(ServerSettings())
    session.reset(ResetParams(policies=RANDOM_POLICIES))
    assert session.game is not None
    return session.game.seed


def test_unseeded_games_of_different_sessions_are_different_games() -> None:
    # Sessions' environments are copies of one template: a copied seed stream would make every
    # unseeded game the same, and a second session would then reveal the first one's roles.
    seeds = {fresh_game_seed() for _ in range(5)}
    assert len(seeds) == 5


def test_a_session_game_replays_from_its_event_log() -> None:
    session = SeatSession(ServerSettings())
    observation = session.reset(ResetParams(seed=0, role="crewmate", policies=RANDOM_POLICIES))
    while not observation.done:
        monitor = [a for a in observation.legal_actions if a.type == "monitor"]
        action = monitor[0] if monitor else observation.legal_actions[0]
        observation = session.step(GameAction.model_validate(action.model_dump()))
    assert session.game is not None
    log = session.game.event_log()
    assert replay(log).event_log() == log


def test_an_over_long_tool_argument_is_a_json_rpc_error(server: RunningServer) -> None:
    def rpc(method: str, **params: object) -> dict:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        reply = httpx.post(f"{server.base_url}/mcp", json=body, timeout=10)
        assert reply.status_code == 200, reply.text
        return reply.json()

    session = rpc("openenv/session/create", seed=1, policies=RANDOM_POLICIES)["result"]
    try:
        for tool, argument in (("task", "task"), ("kill", "player"), ("vote", "player")):
            reply = rpc(
                "tools/call",
                session_id=session["session_id"],
                name=tool,
                arguments={argument: "x" * 5000},
            )
            assert reply["error"]["code"] == -32602, reply
    finally:
        rpc("openenv/session/close", session_id=session["session_id"])


def test_a_game_over_at_reset_pays_its_result_at_once() -> None:
    """One impostor against one crewmate: the impostors win before anyone moves, and the first
    observation (done) carries each side's result."""
    config = {**PRESETS["five_member"].to_dict(), "num_players": 2, "num_impostors": 1}
    for role, result in (("impostor", 1.0), ("crewmate", -1.0)):
        session = SeatSession(ServerSettings())
        first = session.reset(ResetParams(seed=4, role=role, config=config))
        assert first.done and first.game_status != "running"
        assert first.reward == result


def test_the_episode_id_given_is_the_episode_id_kept() -> None:
    session = SeatSession(ServerSettings())
    for given in ("", "run-7"):
        session.reset(ResetParams(episode_id=given, policies=RANDOM_POLICIES))
        assert session.state().episode_id == given
    session.reset(ResetParams(policies=RANDOM_POLICIES))
    assert session.state().episode_id  # none given: a fresh one


class _RefusingPolicy:
    """A policy that cannot play here (as ``llm`` cannot without a model): its reset fails."""

    name = "refusing"
    obs_mode = None

    def reset(self, seed: int | None = None) -> None:
        raise RuntimeError("no model configured")

    def act(self, observation: object, info: object, view: object) -> int:
        raise AssertionError("never asked to act")


def test_a_reset_whose_policy_cannot_play_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(policy_registry._REGISTRY, "refusing", _RefusingPolicy)
    session = SeatSession(ServerSettings(allowed_policies=("random", "refusing")))
    first = session.reset(ResetParams(seed=4, seat=0, policies=RANDOM_POLICIES))
    state, game = session.state(), session.game
    with pytest.raises(RequestError, match="'refusing' cannot play here: no model configured"):
        session.reset(
            ResetParams(seed=9, seat=1, policies={"impostor": "refusing", "crewmate": "random"})
        )
    assert session.state() == state and session.game is game
    assert session.observation().model_dump(exclude={"reward"}) == first.model_dump(
        exclude={"reward", "events"}
    ) | {"events": []}
    # The next move is still the client's seat's, in the same game.
    move = next(a for a in first.legal_actions if a.type == "move")
    played = session.step(move).events[0]
    assert played.startswith("You: ") and played.endswith(f"to {move.target}")


def test_an_http_session_whose_game_fails_to_start_is_not_kept(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_reset(self: SeatSession, params: ResetParams) -> GameObservation:
        raise RuntimeError("a bug")

    open_before = session_ids(server)
    monkeypatch.setattr(SeatSession, "reset", broken_reset)
    with httpx.Client(base_url=server.base_url) as client:
        body = {"jsonrpc": "2.0", "id": 1, "method": "openenv/session/create", "params": {}}
        reply = client.post("/mcp", json=body)
    # A JSON-RPC internal error (not a bare HTTP 500, not the bug's own words) ...
    assert reply.status_code == 200 and reply.json()["error"]["code"] == -32603
    assert "a bug" not in reply.text
    # ... and the session opened for the game that never started is closed again.
    assert session_ids(server) <= open_before


def test_without_discussion_rounds_the_seat_is_told_a_meeting_was_called_to_vote() -> None:
    config = {**PRESETS["five_member"].to_dict(), "discussion_rounds": 0}
    session = SeatSession(ServerSettings())
    rng = random.Random(0)
    told = 0
    for seed in range(20):
        observation = session.reset(
            ResetParams(seed=seed, seat=0, config=config, policies=RANDOM_POLICIES)
        )
        while not observation.done:
            for line in observation.events:
                assert "discussion is over" not in line  # there never was one
                told += line.endswith("everyone gathers in the Cafeteria to vote.")
            observation = session.step(rng.choice(observation.legal_actions))
    assert told > 0


def test_a_seat_killed_before_its_first_move_starts_with_the_finished_game() -> None:
    # Dead players' turns are skipped (RULES §3.4): a crewmate killed before it ever acts has no
    # move left, so the policies play the game out and the first observation is the last one.
    session = SeatSession(ServerSettings())
    for seed in range(400):
        observation = session.reset(ResetParams(seed=seed, seat=6))
        if observation.done:
            break
    else:
        pytest.fail("no game in 400 seeds ended before seat 6 moved")
    assert session.game is not None
    assert observation.phase == "game_over" and not observation.alive
    assert observation.legal_actions == [] and observation.reward in (-1.0, 1.0)
    assert observation.role == "crewmate"
    assert 6 not in {step["player"] for step in session.game.event_log()["steps"]}
