"""Policies that play seats: ``random``, ``heuristic`` (scripted per role) and ``llm``."""

from amongus_marl.policies.base import (
    AgentView,
    Policy,
    make_policy,
    register_policy,
    registered_policies,
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
    "make_policy",
    "register_policy",
    "registered_policies",
]
