"""amongus_marl: Among Us on the Skeld for multi-agent RL and LLM research (PettingZoo AEC).

``from amongus_marl import env, raw_env``; ``env(config="five_member", obs_mode="text")``.
Importing the package registers ``amongus_v0`` with PettingZoo, so
``pettingzoo.make("aec", "amongus_v0")`` builds the same wrapped environment. The light
modules come with it: ``amongus_marl.replay`` (save and replay games) and
``amongus_marl.rendering`` (pictures and videos); evaluation, policies and the command line
are imported when used.
"""

from __future__ import annotations

from amongus_marl import rendering, replay
from amongus_marl.env import env, raw_env
from amongus_marl.rewards import RewardConfig

ENV_ID = "amongus_v0"


def _register() -> None:
    from pettingzoo import aec_registry, register

    if ENV_ID not in aec_registry:
        register("aec", ENV_ID, entry_point="amongus_marl.env:env")


_register()

__all__ = ["ENV_ID", "RewardConfig", "env", "raw_env", "rendering", "replay"]
