"""Environments for sessions, cheap to build and small to keep.

A fresh ``raw_env`` builds its spaces and action catalogue (about 120 KB for the seven-player
game, mostly gymnasium's ``Text`` spaces), and a server keeps one environment per open session.
Those parts depend only on the config and are never written after construction, so one template
environment per config holds them and every session's environment shares them. Everything else
in the template (including any attribute a later version of ``raw_env`` adds) is deep-copied, so
sessions share nothing they could write. ``tests/server/test_env_factory.py`` checks that a
shared-part environment plays exactly like a freshly constructed one.
"""

from __future__ import annotations

import copy
import random
from collections import OrderedDict
from typing import Final

from amongagents.config import GameConfig
from amongus_marl.env import raw_env

#: Attributes built by ``raw_env.__init__`` from the config alone and only read afterwards.
SHARED_PARTS: Final[frozenset[str]] = frozenset(
    {
        "observation_spaces",
        "action_spaces",
        "state_space",
        "catalogue",
        "possible_agents",
        "agent_name_mapping",
        "game_config",
        "reward_config",
        "_empty_mask",
    }
)
#: The server's observations are built from the engine; the policies get the text view.
OBS_MODE: Final[str] = "text"


class EnvFactory:
    """Builds ``raw_env``s that share their read-only parts with one template per config."""

    def __init__(self, max_templates: int = 16) -> None:
        self._templates: OrderedDict[GameConfig, raw_env] = OrderedDict()
        self._max_templates = max_templates

    def make(self, config: GameConfig) -> raw_env:
        template = self._templates.get(config)
        if template is None:
            template = raw_env(config=config, obs_mode=OBS_MODE)
            self._templates[config] = template
            if len(self._templates) > self._max_templates:
                self._templates.popitem(last=False)
        else:
            self._templates.move_to_end(config)
        env: raw_env = raw_env.__new__(raw_env)
        memo: dict[int, object] = {}
        env.__dict__.update(
            {
                name: value if name in SHARED_PARTS else copy.deepcopy(value, memo)
                for name, value in template.__dict__.items()
            }
        )
        # A copied seed stream would make every unseeded game of every session the same game.
        env._seed_source = random.Random()
        return env


#: The process-wide factory (templates are immutable, so sessions may share it).
ENV_FACTORY: Final[EnvFactory] = EnvFactory()
