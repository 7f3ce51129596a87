"""``random``: a uniformly random legal action, from the policy's own seeded generator."""

from __future__ import annotations

import random
from typing import Any

from amongus_marl.policies.base import AgentView, register_policy


class RandomPolicy:
    """Uniform over the legal catalogue entries (speech acts and monitor rooms included)."""

    name = "random"
    obs_mode: str | None = None  # the legal entries of the AgentView are all it needs

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self._rng.seed(seed)

    def act(self, observation: Any, info: dict[str, Any], view: AgentView) -> int:
        choices = sorted(view.table)
        return choices[self._rng.randrange(len(choices))]


register_policy("random", RandomPolicy)
