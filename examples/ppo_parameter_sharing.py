"""Parameter-sharing masked PPO on the Parallel API: every seat of several games plays one policy.

SuperSuit turns ``amongus_marl.parallel_env`` into a vector environment (one entry per seat of
each game: ``pettingzoo_env_to_vec_env_v1`` then ``concat_vec_envs_v1``), and sb3-contrib's
``MaskablePPO`` trains one policy on all of them. The masks travel in the infos
(``mask_in_info=True``, as SuperSuit's vector env needs a plain Box observation);
``InfoActionMasks`` hands them to MaskablePPO, which asks the vector env for ``action_masks``.
A waiting seat has only ``NOOP`` legal: its steps carry no policy gradient (one legal action)
but still fill the batches and train the value function.

    python examples/ppo_parameter_sharing.py --iterations 50 --games 8 --num-cpus 2

Needs the project's train dependencies (torch) and sb3-contrib (in the test dependencies).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import supersuit as ss
import torch
from sb3_contrib import MaskablePPO
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper, VecMonitor

from amongus_marl import parallel_env


class InfoActionMasks(VecEnvWrapper):
    """Over SuperSuit's SB3 vector env: remembers the action masks of the latest infos and answers
    MaskablePPO's ``env_method("action_masks")`` with them. It also takes SB3's ``seed`` to the
    next reset, which SuperSuit's multi-process vector env cannot take directly."""

    def __init__(self, venv: VecEnv) -> None:
        super().__init__(venv)
        self._masks: list[np.ndarray] = []
        self._seed: int | None = None

    def seed(self, seed: int | None = None) -> list[int | None]:
        self._seed = seed
        return [seed] * self.num_envs

    def reset(self) -> Any:
        observations, infos = self.venv.venv.reset(seed=self._seed)  # SuperSuit's own reset
        self._seed = None
        self.reset_infos = _unpacked(infos, self.venv.venv)
        self._remember(self.reset_infos)
        return observations

    def step_wait(self) -> Any:
        observations, rewards, dones, infos = self.venv.step_wait()
        self._remember(infos)
        return observations, rewards, dones, infos

    def _remember(self, infos: list[dict[str, Any]]) -> None:
        self._masks = [np.asarray(info["action_mask"], dtype=bool) for info in infos]

    def env_method(
        self, method_name: str, *args: Any, indices: Any = None, **kwargs: Any
    ) -> list[Any]:
        if method_name == "action_masks":
            return list(self._masks)
        return self.venv.env_method(method_name, *args, indices=indices, **kwargs)

    def has_attr(self, attr_name: str) -> bool:
        return attr_name == "action_masks" or self.venv.has_attr(attr_name)


def _unpacked(infos: list[Any], supersuit_vec: Any) -> list[dict[str, Any]]:
    """One reset info per vector entry. SuperSuit's multi-process vector env returns them still
    packed per worker (as its workers send them), so they are unpacked here."""
    if len(infos) == supersuit_vec.num_envs and all(isinstance(info, dict) for info in infos):
        return list(infos)
    from supersuit.vector.multiproc_vec import decompress_info

    return list(decompress_info(supersuit_vec.num_envs, supersuit_vec.idx_starts, infos))


def make_vector_env(games: int, num_cpus: int, config: str = "five_member") -> VecEnv:
    """``games`` games of ``config`` as one SB3 vector env of ``games * players`` seats."""
    env = ss.pettingzoo_env_to_vec_env_v1(parallel_env(config=config, mask_in_info=True))
    vec = ss.concat_vec_envs_v1(env, games, num_cpus=num_cpus, base_class="stable_baselines3")
    return VecMonitor(InfoActionMasks(vec))


def train(
    iterations: int, games: int, num_cpus: int, n_steps: int = 128, seed: int = 0
) -> MaskablePPO:
    """Train for ``iterations`` PPO updates; each gathers ``n_steps`` steps of every seat."""
    torch.set_num_threads(1)
    vec = make_vector_env(games, num_cpus)
    try:
        model = MaskablePPO(
            "MlpPolicy",
            vec,
            n_steps=n_steps,
            batch_size=256,
            n_epochs=4,
            gamma=0.995,
            seed=seed,
            verbose=0,
        )
        model.learn(total_timesteps=iterations * n_steps * vec.num_envs)
    finally:
        vec.close()  # stops SuperSuit's worker processes
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20, help="PPO updates")
    parser.add_argument("--games", type=int, default=4, help="games played side by side")
    parser.add_argument("--num-cpus", type=int, default=0, help="SuperSuit worker processes")
    parser.add_argument("--n-steps", type=int, default=128, help="steps per seat per update")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", help="where to save the trained model (a .zip)")
    args = parser.parse_args()
    model = train(args.iterations, args.games, args.num_cpus, args.n_steps, args.seed)
    episodes = list(model.ep_info_buffer)
    if episodes:
        returns = [episode["r"] for episode in episodes]
        print(
            f"{model.num_timesteps} seat-steps; last {len(returns)} seat-episodes: mean return "
            f"{np.mean(returns):+.3f} (+1 a win, -1 a loss)"
        )
    if args.save:
        model.save(args.save)


if __name__ == "__main__":
    main()
