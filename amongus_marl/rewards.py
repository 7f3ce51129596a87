"""Reward settings: the sparse team reward, plus optional shaping terms (all off by default)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True, slots=True)
class RewardConfig:
    """Rewards of the environment.

    ``win``/``loss`` go to every member of the winning/losing team when the game ends, dead or
    alive. The shaping terms are paid when the event happens, to the agent responsible:
    ``task_progress`` per real task action of a crewmate, ``kill`` per kill to the impostor,
    ``vote_impostor`` to a crewmate whose vote helped eject an impostor and ``vote_crewmate`` to a
    crewmate whose vote helped eject a crewmate (set it negative to punish wrong ejections).
    ``illegal_action`` is the penalty of the opt-in ``illegal_action="penalize"`` mode.
    """

    win: float = 1.0
    loss: float = -1.0
    task_progress: float = 0.0
    kill: float = 0.0
    vote_impostor: float = 0.0
    vote_crewmate: float = 0.0
    illegal_action: float = -1.0

    def __post_init__(self) -> None:
        # Checked when built, not when first paid: a bad weight would otherwise surface only at
        # the end of a game, half-way through settling it.
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ValueError(
                    f"reward setting {f.name!r} must be a real number (int or float), got {value!r}"
                )
            if not math.isfinite(value):
                raise ValueError(f"reward setting {f.name!r} must be finite, got {value!r}")
            object.__setattr__(self, f.name, float(value))  # rewards are plain floats

    @classmethod
    def from_any(cls, value: RewardConfig | Mapping[str, Any] | None) -> RewardConfig:
        if value is None:
            return cls()
        if isinstance(value, RewardConfig):
            return value
        if not isinstance(value, Mapping):
            raise TypeError(
                "rewards must be a RewardConfig or a mapping of reward settings, "
                f"got {type(value).__name__}"
            )
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown reward setting(s) {unknown}; settings are {sorted(known)}")
        config = cls(**value)  # checks every value
        return cls(**{f.name: float(getattr(config, f.name)) for f in fields(cls)})
