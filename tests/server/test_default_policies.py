"""The default opponents: the heuristic policy plays every other seat."""

from __future__ import annotations

import random

from amongus_marl.policies import make_policy, registered_policies
from tests.server.conftest import RunningServer
from tests.server.helpers import RawSession


def test_heuristic_is_registered() -> None:
    assert "heuristic" in registered_policies()
    assert make_policy("heuristic").name == "heuristic"


def test_default_reset_plays_full_games_against_the_heuristic(server: RunningServer) -> None:
    rng = random.Random(0)
    outcomes = set()
    with RawSession(server.ws_url) as session:
        for seed in range(6):
            reply = session.send(
                {
                    "type": "reset",
                    "data": {"seed": seed, "role": "crewmate" if seed % 2 else "impostor"},
                }
            )
            while not reply["data"]["done"]:
                assert reply["type"] == "observation", reply
                reply = session.step(rng.choice(reply["data"]["observation"]["legal_actions"]))
            outcomes.add(reply["data"]["observation"]["game_status"])
    assert outcomes
