"""Self-play training of an ``impostor`` and a ``crewmate`` policy with Ray RLlib (PPO).

The trainer is a leaf: nothing else in the project imports this package, and importing it costs
no Ray or torch import (they load when training starts). A trained run comes back into the rest
of the project only as a policy, ``checkpoint:PATH`` (``amongus_marl.policies.checkpoint``).

``amongus train --help`` on the command line; in Python::

    from amongus_marl.training import TrainSettings, train
    result = train(TrainSettings(config="five_member", minutes=5, output="runs/five"))
    result.checkpoint  # a folder: make_policy(f"checkpoint:{result.checkpoint}")

Modules: ``settings`` (what a run is), ``roles`` (who plays which seat in an episode, the
snapshot pool), ``env`` (the RLlib ``MultiAgentEnv`` naming agents by role), ``module`` (the
action-masking PPO module), ``trainer`` (the loop, evaluation, checkpoints), ``resume``
(what a checkpoint keeps to continue a run, and the check that a folder holds the same run),
``progress`` (metrics files and the learning-curve PNG), ``cli`` (``amongus train``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["TrainResult", "TrainSettings", "train"]


def __getattr__(name: str) -> Any:
    # Lazily, so that ``amongus --help`` (which imports ``training.cli``) imports no Ray.
    if name == "TrainSettings":
        from amongus_marl.training.settings import TrainSettings

        return TrainSettings
    if name in ("train", "TrainResult"):
        from amongus_marl.training import trainer

        return getattr(trainer, name)
    raise AttributeError(name)
