"""amongus_marl: Among Us on the Skeld for multi-agent RL and LLM research.

``from amongus_marl import env, raw_env``; ``env(config="five_member", obs_mode="text")`` is the
PettingZoo AEC version, ``parallel_env(...)`` (same arguments) the Parallel version, and
``seat_env(seat=..., opponents=...)`` one seat against policies as a Gymnasium env.
Importing the package registers ``amongus_v0`` with PettingZoo in both registries, so
``pettingzoo.make("aec", "amongus_v0")`` and ``pettingzoo.make("parallel", "amongus_v0")`` build
the same environments, and ``SEAT_ENV_ID`` with Gymnasium (``gymnasium.make(SEAT_ENV_ID)``).
The light modules come with it: ``amongus_marl.replay`` (save and replay games) and
``amongus_marl.rendering`` (pictures and videos); evaluation, policies and the command line
are imported when used.
"""

from __future__ import annotations

from amongus_marl import rendering, replay
from amongus_marl.env import env, raw_env
from amongus_marl.parallel import parallel_env
from amongus_marl.rewards import RewardConfig
from amongus_marl.seat import SEAT_ENV_ID, seat_env

ENV_ID = "amongus_v0"


def _register() -> None:
    import gymnasium
    from pettingzoo import aec_registry, parallel_registry, register

    if ENV_ID not in aec_registry:
        register("aec", ENV_ID, entry_point="amongus_marl.env:env")
    if ENV_ID not in parallel_registry:
        register("parallel", ENV_ID, entry_point="amongus_marl.parallel:parallel_env")
    if SEAT_ENV_ID not in gymnasium.registry:
        gymnasium.register(id=SEAT_ENV_ID, entry_point="amongus_marl.seat:SeatEnv")


_register()

__all__ = [
    "ENV_ID",
    "SEAT_ENV_ID",
    "RewardConfig",
    "env",
    "parallel_env",
    "raw_env",
    "rendering",
    "replay",
    "seat_env",
]
