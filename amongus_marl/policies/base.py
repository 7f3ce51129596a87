"""The policy interface and the registry that builds policies by name.

A policy plays one seat at a time: it sees that agent's observation and info, and returns an
action (a catalogue index, or a 7vik action string). It may keep per-game state, cleared by
``reset``. Policies that need more than the agent's observation get it through ``AgentView``,
which exposes only what that seat may legitimately know (never hidden roles).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from amongus_marl.agent_view import AgentView

__all__ = [
    "AgentView",
    "Policy",
    "PolicyFactory",
    "is_known_policy",
    "make_policy",
    "register_policy",
    "register_policy_prefix",
    "registered_policies",
    "registered_prefixes",
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
#: Policy families named ``prefix:ARGUMENT`` (``checkpoint:PATH``). A factory may be given as
#: ``"module:function"``, imported on first use, so that naming the family costs no import (a
#: checkpoint needs torch, which ``import amongus_marl`` must never import).
_PREFIXES: dict[str, PolicyFactory | str] = {
    "checkpoint": "amongus_marl.policies.checkpoint:load_checkpoint_policy",
}


def register_policy(name: str, factory: PolicyFactory) -> None:
    """Make ``make_policy(name, ...)`` build policies with ``factory``."""
    _REGISTRY[name] = factory


def register_policy_prefix(prefix: str, factory: PolicyFactory | str) -> None:
    """Make ``make_policy("prefix:ARGUMENT", ...)`` call ``factory(ARGUMENT, ...)``.

    ``factory`` may be a ``"module:function"`` string, imported when first used.
    """
    if not prefix or ":" in prefix:
        raise ValueError(f"a policy prefix is a non-empty name without ':', got {prefix!r}")
    _PREFIXES[prefix] = factory


def is_known_policy(name: str) -> bool:
    """Whether ``make_policy(name)`` knows what ``name`` means: a registered name, or
    ``prefix:ARGUMENT`` of a registered prefix (the argument itself is checked when built)."""
    if name in _REGISTRY:
        return True
    prefix, colon, argument = name.partition(":")
    return bool(colon) and bool(argument) and prefix in _PREFIXES


def make_policy(spec: str | Policy, **kwargs: Any) -> Policy:
    """A policy from a registered name (``random``, ``heuristic``, ...), a prefixed name
    (``checkpoint:PATH``) or a ready object."""
    if not isinstance(spec, str):
        if not isinstance(spec, Policy):
            raise TypeError(f"{spec!r} is neither a policy name nor a Policy")
        return spec
    if spec in _REGISTRY:
        return _REGISTRY[spec](**kwargs)
    prefix, colon, argument = spec.partition(":")
    if colon and prefix in _PREFIXES:
        if not argument:
            raise ValueError(f"policy {spec!r} names no {prefix} after '{prefix}:'")
        return _prefix_factory(prefix)(argument, **kwargs)
    raise ValueError(
        f"unknown policy {spec!r}; registered: {sorted(_REGISTRY)}"
        f" (and {', '.join(p + ':...' for p in sorted(_PREFIXES))})"
    )


def _prefix_factory(prefix: str) -> PolicyFactory:
    factory = _PREFIXES[prefix]
    if isinstance(factory, str):
        module_name, _, function = factory.partition(":")
        factory = getattr(importlib.import_module(module_name), function)
        _PREFIXES[prefix] = factory
    return factory


def registered_policies() -> list[str]:
    """The registered names (prefixed families such as ``checkpoint:PATH`` are not listed)."""
    return sorted(_REGISTRY)


def registered_prefixes() -> list[str]:
    return sorted(_PREFIXES)
