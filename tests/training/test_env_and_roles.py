"""The role-named multi-agent environment and the seat assignment, without Ray running."""

from __future__ import annotations

import random
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from amongagents.config import resolve_config
from amongus_marl.training.env import RoleNamedEnv, role_of
from amongus_marl.training.roles import LEARNER, SeatAssigner

FIVE = resolve_config("five_member")


def make_env(impostor: str = "self", crewmate: str = "self", **extra: Any) -> RoleNamedEnv:
    config = {
        "config": FIVE,
        "modes": {"impostor": impostor, "crewmate": crewmate},
        "hidden": (8,),
        **extra,
    }
    return RoleNamedEnv(config)


def test_importing_the_project_and_its_cli_loads_neither_torch_nor_ray() -> None:
    probe = (
        "import sys, amongus_marl, amongus_marl.policies, amongus_marl.training, "
        "amongus_marl.training.settings; "
        "from amongus_marl.cli import build_parser; build_parser(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'ray')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"


def play_episode(env: RoleNamedEnv, seed: int) -> tuple[list[dict[str, float]], dict[str, bool]]:
    """A whole episode with random legal actions; every step's rewards and the terminations."""
    rng = random.Random(seed)
    observations, _ = env.reset(seed=seed)
    steps: list[dict[str, float]] = []
    while True:
        assert len(observations) == 1, "one agent acts at a time"
        ((agent, observation),) = observations.items()
        assert env.observation_spaces[agent].contains(observation)
        legal = np.flatnonzero(observation["action_mask"])
        assert len(legal) > 0
        observations, rewards, terminated, truncated, _ = env.step({agent: int(rng.choice(legal))})
        assert agent in rewards, "the acting agent is rewarded every step"
        for following in observations:
            assert following in rewards, "so is the agent that acts next"
        assert truncated == {"__all__": False}
        steps.append(rewards)
        if terminated["__all__"]:
            return steps, terminated


@pytest.mark.parametrize("seed", range(4))
def test_self_play_episode_names_agents_by_role_and_pays_the_teams(seed: int) -> None:
    env = make_env()
    steps, terminated = play_episode(env, seed)
    game = env.env.game
    assert game is not None and game.is_over
    # Agents are named by the role the game drew for their seat.
    for seat, agent in enumerate(env._seat_agent):
        assert role_of(agent) == ("impostor" if game.players[seat].is_impostor else "crewmate")
    totals: dict[str, float] = {}
    for rewards in steps:
        for agent, reward in rewards.items():
            totals[agent] = totals.get(agent, 0.0) + reward
    impostors_won = game.winner.impostors_win
    for agent in terminated:
        if agent == "__all__":
            continue
        won = (role_of(agent) == "impostor") == impostors_won
        assert totals[agent] == (1.0 if won else -1.0), agent
    # Every agent that acted is terminated at the end, the dead included.
    assert {a for a in terminated if a != "__all__"} == env._started


def test_fixed_opponents_are_played_inside_the_environment() -> None:
    env = make_env(impostor="heuristic", crewmate="self")
    for seed in range(3):
        steps, terminated = play_episode(env, seed)
        assert all(role_of(a) == "crewmate" for rewards in steps for a in rewards)
        assert all(role_of(a) == "crewmate" for a in terminated if a != "__all__")
    outcomes = env.pop_outcomes()
    assert len(outcomes) == 3 and all(o["learner_roles"] == ["crewmate"] for o in outcomes)
    assert env.pop_outcomes() == []


def test_the_pool_puts_one_role_in_focus_and_fills_the_rest_from_the_pool() -> None:
    from amongus_marl.policies.checkpoint import NetworkSpec

    assigner = SeatAssigner({"impostor": "pool", "crewmate": "pool"}, NetworkSpec(10, 5, (4,)), 5)
    rng = random.Random(0)
    seen: set[str] = set()
    learned_crew_sizes: set[int] = set()
    for _ in range(400):
        impostor_seats = [False] * 5
        impostor_seats[rng.randrange(5)] = True
        controllers = assigner.assign(impostor_seats, rng)
        seen.update(controllers)
        impostor = next(c for c, imp in zip(controllers, impostor_seats, strict=True) if imp)
        crew = [c for c, imp in zip(controllers, impostor_seats, strict=True) if not imp]
        assert LEARNER in controllers
        assert len(set(crew) - {LEARNER}) <= 1, "one pool member kind per role and episode"
        if impostor == LEARNER:  # impostor in focus: a whole crew from the pool
            assert LEARNER not in crew
        else:  # crew in focus: 1..4 learned crewmates, the impostor from the pool
            learned_crew_sizes.add(crew.count(LEARNER))
    assert seen == {LEARNER, "heuristic", "random"}
    assert learned_crew_sizes == {1, 2, 3, 4}


def test_fixed_and_self_roles_are_not_pooled() -> None:
    from amongus_marl.policies.checkpoint import NetworkSpec

    assigner = SeatAssigner({"impostor": "random", "crewmate": "self"}, NetworkSpec(10, 5, (4,)), 5)
    controllers = assigner.assign([True, False, False, False, False], random.Random(1))
    assert controllers == ["random", LEARNER, LEARNER, LEARNER, LEARNER]


def test_snapshots_join_the_pool_and_play_seats() -> None:
    from amongus_marl.policies.checkpoint import build_policy_network, state_dict_arrays
    from amongus_marl.training.roles import Snapshot

    env = make_env(impostor="pool", crewmate="pool")
    weights = {
        role: state_dict_arrays(build_policy_network(env.network_spec))
        for role in ("impostor", "crewmate")
    }
    env.set_snapshots([Snapshot("snapshot_1", weights)])
    assert "snapshot_1" in env.assigner.pool_members("crewmate")
    played_by = set()
    for seed in range(12):
        play_episode(env, seed)
        played_by.update(o for outcome in env.pop_outcomes() for o in outcome["others"].values())
    assert "snapshot_1" in played_by


def test_an_action_for_the_wrong_agent_is_refused() -> None:
    env = make_env()
    observations, _ = env.reset(seed=1)
    (agent,) = observations
    other = next(a for a in env.possible_agents if a != agent)
    with pytest.raises(ValueError, match="expected an action for"):
        env.step({other: 0})


def test_bad_settings_are_refused_before_ray_starts(tmp_path: Any) -> None:
    from amongus_marl.training.settings import TrainSettings

    with pytest.raises(ValueError, match="nothing to learn"):
        TrainSettings(impostor="heuristic", crewmate="random", iterations=1)
    with pytest.raises(ValueError, match="neither a learning mode"):
        TrainSettings(impostor="nobody", iterations=1)
    with pytest.raises(ValueError, match="give a budget"):
        TrainSettings()
    with pytest.raises(ValueError, match="minibatch_size"):
        TrainSettings(iterations=1, train_batch_size=100, minibatch_size=200)
    with pytest.raises(ValueError, match="iterations must be positive"):
        TrainSettings(iterations=0)


def test_max_learned_crewmates_one_keeps_learned_crewmates_apart() -> None:
    from amongus_marl.policies.checkpoint import NetworkSpec

    assigner = SeatAssigner(
        {"impostor": "pool", "crewmate": "pool"}, NetworkSpec(10, 5, (4,)), 5, 1
    )
    rng = random.Random(2)
    crew_focus = 0
    for _ in range(200):
        controllers = assigner.assign([False, False, True, False, False], rng)
        crew = controllers[:2] + controllers[3:]
        if controllers[2] != LEARNER:
            crew_focus += 1
            assert crew.count(LEARNER) == 1
    assert crew_focus > 50
