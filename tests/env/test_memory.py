"""Long runs must not grow: nothing of a game may survive the next reset."""

from __future__ import annotations

import gc
import tracemalloc

import pytest

import amongus_marl


def play_games(env, games: int, first_seed: int) -> None:
    for game in range(games):
        env.reset(seed=first_seed + game)
        for agent in env.agent_iter():
            observation, _, terminated, truncated, _ = env.last()
            if terminated or truncated:
                env.step(None)
            else:
                env.step(env.action_space(agent).sample(observation["action_mask"]))


@pytest.mark.slow
@pytest.mark.parametrize("obs_mode", ["vector", "text"])
def test_memory_does_not_grow_across_resets(obs_mode: str) -> None:
    env = amongus_marl.env(config="seven_member", obs_mode=obs_mode)
    for i, agent in enumerate(env.possible_agents):
        env.action_space(agent).seed(i)
    play_games(env, 20, first_seed=0)  # warm caches (action tables, interned actions)
    gc.collect()
    tracemalloc.start()
    try:
        play_games(env, 40, first_seed=1000)
        gc.collect()
        after_some = tracemalloc.get_traced_memory()[0]
        play_games(env, 120, first_seed=2000)
        gc.collect()
        after_more = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # Three times as many games may not leave more behind than one game's worth of state.
    assert after_more - after_some < 256 * 1024, (after_some, after_more)
