"""The default opponents: the heuristic policy plays every other seat."""

from __future__ import annotations

import random
from typing import Any

from amongagents.records import WIN_REASONS
from amongus_marl.policies import make_policy, registered_policies
from tests.server.conftest import RANDOM_POLICIES, RunningServer
from tests.server.helpers import RawSession


def test_heuristic_is_registered() -> None:
    assert "heuristic" in registered_policies()
    assert make_policy("heuristic").name == "heuristic"


def play(session: RawSession, reset: dict[str, Any], seed: int) -> list[dict[str, Any]]:
    """A whole game with random legal moves: every reply."""
    rng = random.Random(seed)
    replies = [session.send({"type": "reset", "data": reset})]
    while not replies[-1]["data"]["done"]:
        assert replies[-1]["type"] == "observation", replies[-1]
        legal = replies[-1]["data"]["observation"]["legal_actions"]
        replies.append(session.step(rng.choice(legal)))
    return replies


def test_default_reset_plays_full_games_against_the_heuristic(server: RunningServer) -> None:
    scripted = {"impostor": "heuristic", "crewmate": "heuristic"}
    with RawSession(server.ws_url) as session:
        for seed in range(6):
            reset = {"seed": seed, "role": "crewmate" if seed % 2 else "impostor"}
            by_default = play(session, reset, seed)
            assert by_default[-1]["data"]["observation"]["game_status"] in WIN_REASONS.values()
            # Leaving the policies out is choosing the heuristic for both roles ...
            assert by_default == play(session, {**reset, "policies": scripted}, seed)
            # ... which shows: random opponents play another game.
            assert by_default != play(session, {**reset, "policies": RANDOM_POLICIES}, seed)
