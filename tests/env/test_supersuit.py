"""SuperSuit's observation and reward wrappers over the environment (``mask_in_info=True``).

SuperSuit's observation wrappers transform a plain Box observation, so the mask travels in the
info. Each wrapper must run whole games to the end with random legal actions taken from
``info["action_mask"]``, and its observations must match its own declared space.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import supersuit as ss

from amongus_marl import RewardConfig
from amongus_marl import env as make_env
from tests.env.helpers import MAX_AGENT_STEPS, PRESET_NAMES

STACK = 3
DELAY = 2
CLIP = 0.5
GAMES = 3

Wrapper = Callable[[Any], Any]

WRAPPERS: dict[str, Wrapper] = {
    "dtype_v0": lambda env: ss.dtype_v0(env, np.float64),
    "flatten_v0": ss.flatten_v0,
    "frame_stack_v1": lambda env: ss.frame_stack_v1(env, STACK),
    "normalize_obs_v0": lambda env: ss.normalize_obs_v0(env, env_min=-1.0, env_max=1.0),
    "pad_observations_v0": ss.pad_observations_v0,
    "agent_indicator_v0": ss.agent_indicator_v0,
    "clip_reward_v0": lambda env: ss.clip_reward_v0(env, lower_bound=-CLIP, upper_bound=CLIP),
    "delay_observations_v0": lambda env: ss.delay_observations_v0(env, DELAY),
}


def expected_shape(name: str, base: tuple[int, ...], players: int) -> tuple[int, ...]:
    """What each wrapper does to the environment's 1-D observation."""
    (length,) = base
    if name == "frame_stack_v1":
        return (length * STACK,)
    if name == "agent_indicator_v0":
        return (length + players,)  # one-hot of the agent's name, appended
    return base


def run_games(env: Any, seed: int) -> tuple[list[tuple[str, np.ndarray]], list[float]]:
    """Play ``GAMES`` whole games; return every (agent, observation) that ``last`` gave and
    every per-step reward the wrapper handed out."""
    rng = np.random.default_rng(seed)
    seen = []
    step_rewards: list[float] = []
    for game in range(GAMES):
        env.reset(seed=seed + game)
        for agent in env.agent_iter(MAX_AGENT_STEPS):
            observation, reward, terminated, truncated, info = env.last()
            seen.append((agent, observation))
            if terminated or truncated:
                env.step(None)
            else:
                env.step(int(rng.choice(np.flatnonzero(info["action_mask"]))))
            step_rewards.extend(env.rewards.values())
        assert not env.agents, "the game did not end"
    return seen, step_rewards


@pytest.mark.parametrize("preset", PRESET_NAMES)
@pytest.mark.parametrize("name", list(WRAPPERS))
def test_supersuit_wrapper_plays_whole_games(name: str, preset: str) -> None:
    # Shaping terms make intermediate rewards, so clip_reward has something to clip mid-game.
    rewards = RewardConfig(task_progress=0.75, kill=0.75, vote_impostor=0.75, vote_crewmate=-0.75)
    base = make_env(config=preset, mask_in_info=True, rewards=rewards)
    wrapped = WRAPPERS[name](base)
    players = len(base.possible_agents)
    base_shape = base.observation_space("player_0").shape

    seen, step_rewards = run_games(wrapped, seed=11)

    space = wrapped.observation_space("player_0")
    assert space.shape == expected_shape(name, base_shape, players)
    for agent, observation in seen:
        assert observation.shape == space.shape
        assert observation.dtype == space.dtype
        assert wrapped.observation_space(agent).contains(observation), (
            f"{name}: an observation left its space"
        )
    if name == "dtype_v0":
        assert space.dtype == np.float64
    if name == "clip_reward_v0":
        # Each step's rewards are clipped; what ``last`` reports is their sum since the agent's
        # previous turn, which SuperSuit does not clip.
        assert all(-CLIP <= reward <= CLIP for reward in step_rewards)
        assert any(abs(reward) == CLIP for reward in step_rewards), (
            "the end-of-game +1/-1 is clipped"
        )


def test_agent_indicator_marks_the_observing_agent() -> None:
    env = ss.agent_indicator_v0(make_env(config="five_member", mask_in_info=True))
    env.reset(seed=0)
    for seat, agent in enumerate(env.possible_agents):
        indicator = env.observe(agent)[-5:]
        assert indicator.tolist() == [1.0 if i == seat else 0.0 for i in range(5)]


def test_delay_observations_shows_zeros_before_the_first_real_observation() -> None:
    env = ss.delay_observations_v0(make_env(config="five_member", mask_in_info=True), DELAY)
    env.reset(seed=0)
    observation, *_ = env.last()
    assert not observation.any(), "a delayed observation starts as all zeros"
