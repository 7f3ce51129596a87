"""``AgentView``: what the seat to act may see when choosing, as the environment hands it over.

It lives apart from the policies so that the environment, which builds it, does not import
them (nor the LLM player's HTTP client); ``amongus_marl.policies`` re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from amongagents.actions import Action
from amongagents.game import Game


@dataclass(frozen=True, slots=True)
class AgentView:
    """What one seat may see when choosing: its own player record, the legal actions, the
    catalogue mask and table, and the game's public facts. ``game`` is present so that helper
    code can read public state (map, names, config, timestep); a policy must not read other
    players' hidden fields (roles, tasks) from it."""

    seat: int
    game: Game
    legal: tuple[Action, ...]
    mask: np.ndarray
    table: dict[int, Action]  # catalogue index -> legal action
