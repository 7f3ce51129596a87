"""Policies that play seats: ``random``, ``heuristic`` (scripted per role), ``llm``, and
``checkpoint:PATH`` (a trained network, loaded with torch when first named)."""

from amongus_marl.policies.base import (
    AgentView,
    Policy,
    is_known_policy,
    make_policy,
    register_policy,
    register_policy_prefix,
    registered_policies,
    registered_prefixes,
)
from amongus_marl.policies.heuristic import HeuristicPolicy, HeuristicTuning
from amongus_marl.policies.llm import LLMPolicy
from amongus_marl.policies.random_policy import RandomPolicy

__all__ = [
    "AgentView",
    "HeuristicPolicy",
    "HeuristicTuning",
    "LLMPolicy",
    "Policy",
    "RandomPolicy",
    "is_known_policy",
    "make_policy",
    "register_policy",
    "register_policy_prefix",
    "registered_policies",
    "registered_prefixes",
]
