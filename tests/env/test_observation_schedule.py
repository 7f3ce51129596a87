"""A vector observation is a function of the game so far, never of when anyone looked.

The reference play observes every agent after the reset and after every step. The same actions
are then played again under other schedules: no observation until the end, the acting agent
only (PettingZoo's loop), random subsets, a deep copy or a pickle taken mid-game and stepped on
its own, and the game's log replayed through a fresh environment (to any point, or whole). Every
observation any of them takes must equal the reference's at the same step, feature for feature:
offline RL from logs, tree search on copies and frame skipping all rely on it.
"""

from __future__ import annotations

import copy
import pickle
from functools import cache
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import amongus_marl
from amongagents.game import Game
from amongus_marl.replay import replay_through_env
from tests.env.helpers import PRESET_NAMES, snapshot

Vectors = tuple[dict[str, np.ndarray], ...]  # per step (0 = after the reset): agent -> vector

SEEDS = st.integers(0, 2**31)
PRESETS = st.sampled_from(PRESET_NAMES)


def observe_all(env: Any) -> dict[str, np.ndarray]:
    return {agent: env.observe(agent)["observation"] for agent in env.possible_agents}


@cache
def reference_play(preset: str, seed: int) -> tuple[tuple[int, ...], Vectors, dict[str, Any]]:
    """Random legal play observing every agent after the reset and after every step: the
    actions (catalogue indices), every observation, and the game's log."""
    env = amongus_marl.raw_env(config=preset)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    actions: list[int] = []
    seen = [observe_all(env)]
    while not env.game.is_over:
        legal = np.flatnonzero(env.action_mask(env.agent_selection))
        actions.append(int(legal[rng.integers(len(legal))]))
        env.step(actions[-1])
        seen.append(observe_all(env))
    return tuple(actions), tuple(seen), env.event_log()


def assert_same(vector: np.ndarray, expected: np.ndarray, step: int, agent: str, how: str) -> None:
    differing = np.flatnonzero(vector != expected)
    assert differing.size == 0, (
        f"{how}: after step {step}, {agent}'s features {differing.tolist()} differ from the "
        "every-turn observation"
    )


def fresh(preset: str, seed: int) -> Any:
    env = amongus_marl.raw_env(config=preset)
    env.reset(seed=seed)
    return env


def play_on(env: Any, actions: tuple[int, ...], reference: Vectors, start: int, look: Any) -> None:
    """Step ``env`` through ``actions[start:]``; ``look(step, agent, env)`` says whether to
    observe ``agent`` after that step (for ``step == start``: before stepping on)."""
    for step in range(start, len(actions) + 1):
        if step > start:
            env.step(actions[step - 1])
        for agent in env.possible_agents:
            if look(step, agent, env):
                vector = env.observe(agent)["observation"]
                assert_same(vector, reference[step][agent], step, agent, "schedule")


@settings(max_examples=12, deadline=None)
@given(preset=PRESETS, seed=SEEDS)
def test_observing_only_at_the_end_sees_what_every_turn_observing_sees(
    preset: str, seed: int
) -> None:
    actions, reference, _ = reference_play(preset, seed)
    env = fresh(preset, seed)
    play_on(env, actions, reference, 0, lambda step, agent, env: step == len(actions))


@settings(max_examples=12, deadline=None)
@given(preset=PRESETS, seed=SEEDS)
def test_observing_only_the_acting_agent_sees_what_every_turn_observing_sees(
    preset: str, seed: int
) -> None:
    """PettingZoo's loop: ``last()`` at each turn observes the acting agent alone."""
    actions, reference, _ = reference_play(preset, seed)
    env = fresh(preset, seed)
    play_on(env, actions, reference, 0, lambda step, agent, env: agent == env.agent_selection)


@settings(max_examples=20, deadline=None)
@given(
    preset=PRESETS,
    seed=SEEDS,
    share=st.sampled_from([0.02, 0.15, 0.5]),
    schedule=st.integers(0, 2**31),
)
def test_observing_random_subsets_sees_what_every_turn_observing_sees(
    preset: str, seed: int, share: float, schedule: int
) -> None:
    """Frame skipping and sparse logging: each agent observed at random steps."""
    actions, reference, _ = reference_play(preset, seed)
    rng = np.random.default_rng(schedule)
    env = fresh(preset, seed)
    play_on(env, actions, reference, 0, lambda step, agent, env: rng.random() < share)


@settings(max_examples=20, deadline=None)
@given(
    preset=PRESETS,
    seed=SEEDS,
    cut=st.floats(0.0, 1.0),
    how=st.sampled_from(["deepcopy", "pickle"]),
    looked_before=st.booleans(),
    share=st.sampled_from([0.0, 0.1, 1.0]),
)
def test_a_copy_taken_mid_game_observes_what_every_turn_observing_sees(
    preset: str, seed: int, cut: float, how: str, looked_before: bool, share: float
) -> None:
    """Tree search and worker processes: a copy stepped on its own, observed sparsely or not
    at all until the end, must see what the original would have."""
    actions, reference, _ = reference_play(preset, seed)
    k = int(cut * len(actions))
    env = fresh(preset, seed)
    play_on(env, actions[:k], reference, 0, lambda step, agent, env: looked_before)
    clone = copy.deepcopy(env) if how == "deepcopy" else pickle.loads(pickle.dumps(env))
    rng = np.random.default_rng(seed)
    end = len(actions)
    play_on(
        clone, actions, reference, k, lambda step, agent, env: step == end or rng.random() < share
    )


@settings(max_examples=12, deadline=None)
@given(preset=PRESETS, seed=SEEDS, cut=st.floats(0.0, 1.0))
def test_a_log_replayed_through_the_environment_observes_what_live_play_observed(
    preset: str, seed: int, cut: float
) -> None:
    """Offline RL from logs: the log cut at any step (and whole) replays to the same vectors."""
    actions, reference, log = reference_play(preset, seed)
    k = int(cut * len(actions))
    prefix = {key: value for key, value in log.items() if key != "winner"}
    prefix["steps"] = log["steps"][:k]
    for steps, partial in ((k, prefix), (len(actions), log)):
        env = replay_through_env(amongus_marl.env(config=preset), partial)
        for agent, vector in observe_all(env.unwrapped).items():
            assert_same(vector, reference[steps][agent], steps, agent, "replay")


def test_a_game_already_under_way_is_refused_and_changes_nothing() -> None:
    """Its agents' memories of the earlier turns were never formed: adopting it would give
    vectors that live play never shows."""
    env = fresh("five_member", 1)
    env.step(int(np.flatnonzero(env.action_mask(env.agent_selection))[0]))
    before = snapshot(env)
    game = Game("five_member", seed=2)
    game.step(game.current_legal_actions[0])
    with pytest.raises(ValueError, match="under way"):
        env.reset_from_game(game)
    assert snapshot(env) == before
