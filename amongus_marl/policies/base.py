"""The policy interface and the registry that builds policies by name.

A policy plays one seat at a time: it sees that agent's observation and info, and returns an
action (a catalogue index, or a 7vik action string). It may keep per-game state, cleared by
``reset``. Policies that need more than the agent's observation get it through ``AgentView``,
which exposes only what that seat may legitimately know (never hidden roles).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from amongus_marl.agent_view import AgentView

__all__ = [
    "AgentView",
    "Policy",
    "PolicyFactory",
    "make_policy",
    "register_policy",
    "registered_policies",
]


@runtime_checkable
class Policy(Protocol):
    """Chooses actions for one or more seats of a game.

    ``obs_mode`` says which observation ``act`` reads: ``"vector"``, ``"text"``, or ``None`` when
    the ``AgentView`` is all it needs (drivers then skip building an observation).
    """

    name: str
    obs_mode: str | None

    def reset(self, seed: int | None = None) -> None:
        """Forget everything about the previous game; reseed if a seed is given."""

    def act(self, observation: Any, info: dict[str, Any], view: AgentView) -> int | str:
        """The action for the seat in ``view``: a catalogue index or a 7vik action string."""


PolicyFactory = Callable[..., Policy]
_REGISTRY: dict[str, PolicyFactory] = {}


def register_policy(name: str, factory: PolicyFactory) -> None:
    """Make ``make_policy(name, ...)`` build policies with ``factory``."""
    _REGISTRY[name] = factory


def make_policy(spec: str | Policy, **kwargs: Any) -> Policy:
    """A policy from a registered name (``random``, ``heuristic``, ...) or a ready object."""
    if not isinstance(spec, str):
        if not isinstance(spec, Policy):
            raise TypeError(f"{spec!r} is neither a policy name nor a Policy")
        return spec
    if spec not in _REGISTRY:
        raise ValueError(f"unknown policy {spec!r}; registered: {sorted(_REGISTRY)}")
    return _REGISTRY[spec](**kwargs)


def registered_policies() -> list[str]:
    return sorted(_REGISTRY)
