"""Several seats, one client: a game held whole by one connection plays exactly like the
single-seat games of each of its seats.

A full game is played over /ws holding every seat (random legal moves). Then, for each seat, a
single-seat session replays the same game (same seed; the other seats play the recorded moves
through a scripted policy) and every observation it receives must equal the one the multi-seat
session gave that seat, the end of the game included.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from amongus_marl.agent_view import AgentView
from amongus_marl.policies import register_policy
from openenv_facade.settings import ServerSettings
from tests.server.conftest import RANDOM_POLICIES, RunningServer, serve
from tests.server.helpers import RawSession

SCRIPT_POLICIES = {"impostor": "script", "crewmate": "script"}


class ScriptPolicy:
    """Plays the moves of a recorded game: the step number picks the move."""

    name = "script"
    obs_mode: str | None = None
    moves: list[str] = []  # set by the test before a replay

    def reset(self, seed: int | None = None) -> None:
        pass

    def act(self, observation: Any, info: dict[str, Any], view: AgentView) -> str:
        return ScriptPolicy.moves[len(view.game.steps)]


register_policy("script", ScriptPolicy)


@pytest.fixture(scope="module")
def script_server() -> Iterator[RunningServer]:
    settings = ServerSettings(
        max_sessions=16,
        session_timeout_s=60.0,
        allowed_policies=("random", "heuristic", "script"),
    )
    with serve(settings) as running:
        yield running


def _observation(reply: dict[str, Any]) -> dict[str, Any]:
    assert reply["type"] == "observation", reply
    data = reply["data"]
    return {**data["observation"], "reward": data["reward"], "done": data["done"]}


def _play_all_seats(
    session: RawSession, seed: int, rng: random.Random
) -> tuple[dict[int, list[dict[str, Any]]], dict[int, list[dict[str, Any]]], dict[str, Any]]:
    """Per seat: the observations it got and the moves it sent; and the final observation."""
    seen: dict[int, list[dict[str, Any]]] = {}
    sent: dict[int, list[dict[str, Any]]] = {}
    obs = _observation(session.reset(seed=seed, seats="all", policies=RANDOM_POLICIES))
    for _ in range(5000):
        if obs["done"]:
            return seen, sent, obs
        seat = obs["acting_seat"]
        assert seat == obs["seat"]
        seen.setdefault(seat, []).append(obs)
        move = rng.choice(obs["legal_actions"])
        sent.setdefault(seat, []).append(move)
        obs = _observation(session.step(move))
    raise AssertionError("the game did not end")


def _recorded_moves(server: RunningServer) -> list[str]:
    (slot,) = list(server.registry)  # the test's own server holds the one session
    return [step.action for step in slot.session.env.game.steps]


@pytest.mark.parametrize("seed", [3, 41])
def test_all_seats_equal_single_seat_replays(script_server: RunningServer, seed: int) -> None:
    with RawSession(script_server.ws_url) as session:
        seen, sent, final = _play_all_seats(session, seed, random.Random(seed))
        ScriptPolicy.moves = _recorded_moves(script_server)
    assert final["acting_seat"] is None
    results = {r["seat"]: r for r in final["seat_results"]}
    assert sorted(results) == list(range(7))
    assert sum(r["won"] for r in results.values()) in (2, 5)  # one whole team won
    compared = 0
    for seat in range(7):
        with RawSession(script_server.ws_url) as single:
            obs = _observation(single.reset(seed=seed, seat=seat, policies=SCRIPT_POLICIES))
            for expected, move in zip(seen.get(seat, []), sent.get(seat, []), strict=True):
                assert "acting_seat" not in obs and "seat_results" not in obs
                assert obs == {
                    k: v for k, v in expected.items() if k not in ("acting_seat", "seat_results")
                }
                compared += 1
                obs = _observation(single.step(move))
            assert obs["done"], f"seat {seat}'s replay did not end with the recorded moves"
        result = results[seat]
        assert result["reward"] == obs["reward"]
        assert result["events"] == obs["events"]
        assert result["alive"] == obs["alive"]
        assert result["role"] == obs["role"]
        assert result["won"] == (obs["reward"] > 0)
        if seat == final["seat"]:
            assert {k: v for k, v in final.items() if k not in ("acting_seat", "seat_results")} == (
                obs
            )
    assert compared == sum(len(observations) for observations in seen.values()) > 20


@pytest.mark.parametrize("group", ["impostors", "crewmates"])
def test_role_groups_hold_their_seats_and_policies_play_the_rest(
    server: RunningServer, group: str
) -> None:
    with RawSession(server.ws_url) as session:
        obs = _observation(session.reset(seed=5, seats=group))
        state = session.state()["data"]
        held = state["seats"]
        assert len(held) == (2 if group == "impostors" else 5)
        rng = random.Random(5)
        acted: set[int] = set()
        while not obs["done"]:
            assert obs["acting_seat"] in held
            assert obs["role"] == group[:-1]
            acted.add(obs["acting_seat"])
            obs = _observation(session.step(rng.choice(obs["legal_actions"])))
        assert acted <= set(held)
        assert [r["seat"] for r in obs["seat_results"]] == held
        assert all(r["role"] == group[:-1] for r in obs["seat_results"])


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"seats": [0, 0]}, "repeat"),
        ({"seats": [0, 9]}, "out of range"),
        ({"seats": []}, "at least one"),
        ({"seats": "all", "seat": 1}, "not both"),
        ({"seats": "all", "role": "impostor"}, "not both"),
        ({"seats": "everyone"}, "seats"),
        ({"seats": [True]}, "seats"),
    ],
)
def test_bad_seats_are_clear_errors_that_change_nothing(
    server: RunningServer, data: dict[str, Any], words: str
) -> None:
    with RawSession(server.ws_url) as session:
        before = session.reset(seed=9, seat=2)
        state = session.state()
        reply = session.send({"type": "reset", "data": {"seed": 1, **data}})
        assert reply["type"] == "error"
        assert words in reply["data"]["message"]
        assert session.state() == state
        assert (
            session.send(
                {"type": "reset", "data": {"seed": 9, "seat": 2, "policies": RANDOM_POLICIES}}
            )
            == before
        )
