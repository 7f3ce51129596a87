"""Training libraries over the Parallel version, each playing whole games: SuperSuit's vector envs
(one process and two), TorchRL's ``PettingZooWrapper`` with masks, and the parameter-sharing
MaskablePPO example."""

from __future__ import annotations

import multiprocessing
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import supersuit as ss

from amongus_marl import parallel_env
from tests.scripts import load_script

GAMES = 3
PLAYERS = 5  # five_member


def load_example() -> ModuleType:
    return load_script("examples/ppo_parameter_sharing.py")


def supersuit_vector_env(num_cpus: int) -> Any:
    env = ss.pettingzoo_env_to_vec_env_v1(parallel_env(config="five_member", mask_in_info=True))
    return ss.concat_vec_envs_v1(env, GAMES, num_cpus=num_cpus, base_class="gymnasium")


def reset_infos(vec: Any, infos: list[Any]) -> list[dict[str, Any]]:
    """SuperSuit's multi-process env returns its reset infos packed per worker."""
    if len(infos) == vec.num_envs:
        return infos
    from supersuit.vector.multiproc_vec import decompress_info

    return list(decompress_info(vec.num_envs, vec.idx_starts, infos))


def play_vector(vec: Any, games_each: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Step with random legal actions until every game slot has finished ``games_each`` games;
    every (observations, rewards, terminations) the vector env returned."""
    rng = np.random.default_rng(0)
    observations, infos = vec.reset(seed=0)
    infos = reset_infos(vec, infos)
    finished = np.zeros(GAMES, dtype=int)
    trace = []
    for _ in range(5_000):
        actions = np.array([int(rng.choice(np.flatnonzero(info["action_mask"]))) for info in infos])
        observations, rewards, terminations, truncations, infos = vec.step(actions)
        assert observations.shape == (GAMES * PLAYERS, *vec.observation_space.shape)
        assert not truncations.any()
        trace.append((observations, rewards, terminations))
        per_game = terminations.reshape(GAMES, PLAYERS)
        # A game ends for all its seats at once: every seat, the dead too, gets its +1/-1.
        assert np.all(per_game.all(axis=1) == per_game.any(axis=1))
        ended = per_game.all(axis=1)
        assert np.all(np.abs(rewards.reshape(GAMES, PLAYERS)[ended]) == 1.0)
        finished += ended
        if (finished >= games_each).all():
            return trace
    raise AssertionError(f"the games did not end: {finished}")


@pytest.mark.parametrize("num_cpus", [0, 2])
def test_supersuit_vector_env_plays_whole_games(num_cpus: int) -> None:
    vec = supersuit_vector_env(num_cpus)
    try:
        assert vec.num_envs == GAMES * PLAYERS
        trace = play_vector(vec, games_each=2)
        for observations, _, _ in trace:
            assert all(vec.observation_space.contains(row) for row in observations)
    finally:
        vec.close()
    assert not multiprocessing.active_children(), "SuperSuit's workers outlived close()"


def test_supersuit_with_two_processes_replays_the_same_games_from_the_same_seed() -> None:
    runs = []
    for _ in range(2):
        vec = supersuit_vector_env(num_cpus=2)
        try:
            runs.append(play_vector(vec, games_each=1))
        finally:
            vec.close()
    one, two = runs
    assert len(one) == len(two)
    for (obs_a, rew_a, term_a), (obs_b, rew_b, term_b) in zip(one, two, strict=True):
        assert np.array_equal(obs_a, obs_b)
        assert np.array_equal(rew_a, rew_b) and np.array_equal(term_a, term_b)


def test_torchrl_pettingzoo_wrapper_rolls_out_whole_games_with_masks() -> None:
    torch = pytest.importorskip("torch")
    from torchrl.envs.libs.pettingzoo import PettingZooWrapper

    torch.set_num_threads(1)
    base = parallel_env(config="five_member")
    env = PettingZooWrapper(env=base, use_mask=True, categorical_actions=True, seed=0)
    assert list(env.group_map) == ["player"]  # one group: every seat shares the specs
    noop = base.noop
    for game in range(GAMES):
        rollout = env.rollout(max_steps=5_000, break_when_any_done=True)
        actions = rollout["player", "action"]
        masks = rollout["player", "action_mask"]
        # Every action was legal: the acting seat's pick from its mask, NOOP for the others.
        assert masks.gather(-1, actions.unsqueeze(-1)).all()
        acting = actions != noop
        assert (acting.sum(-1) == 1).all(), "exactly one seat acts per step"
        done = rollout["next", "done"].squeeze(-1)
        assert done[-1] and not done[:-1].any(), "the rollout ran to the end of the game"
        assert base.game.is_over and not base.agents
        final = rollout["next", "player", "reward"][-1].squeeze(-1)
        assert set(final.tolist()) <= {1.0, -1.0} and len(set(final.tolist())) == 2
        assert len(base.game.event_log()["steps"]) == len(actions), f"game {game}"
    env.close()


def test_the_parameter_sharing_example_trains_and_stops_its_workers() -> None:
    pytest.importorskip("torch")
    example = load_example()
    model = example.train(iterations=2, games=2, num_cpus=2, n_steps=48, seed=0)
    assert model.num_timesteps == 2 * 48 * 2 * PLAYERS
    assert len(model.ep_info_buffer) >= PLAYERS, "at least one whole game was played"
    assert not multiprocessing.active_children()
