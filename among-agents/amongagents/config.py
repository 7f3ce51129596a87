"""Game configuration: the reference presets and validation of any config dict with their keys.

A config is the reference's flat dict of nine integers. ``GameConfig`` holds it immutably and
checks each value against the range the rules can actually play, so a bad config fails when it
is built, naming the key, rather than deep inside a game.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from numbers import Integral
from types import MappingProxyType
from typing import Any, Final

from amongagents.tasks import TASK_POOLS, TaskType

#: The reference's colour population, in sampling order (so at most 12 players).
COLORS: Final[tuple[str, ...]] = (
    "red",
    "blue",
    "green",
    "pink",
    "orange",
    "yellow",
    "black",
    "white",
    "purple",
    "brown",
    "cyan",
    "lime",
)
MAX_PLAYERS: Final[int] = len(COLORS)


class ConfigError(ValueError):
    """A game config (or scenario) that the rules cannot play."""


@dataclass(frozen=True, slots=True)
class GameConfig:
    """The nine rule parameters of a game, with the reference's key names."""

    num_players: int = 7
    num_impostors: int = 2
    num_common_tasks: int = 1
    num_short_tasks: int = 1
    num_long_tasks: int = 1
    discussion_rounds: int = 3
    max_num_buttons: int = 2
    kill_cooldown: int = 3
    max_timesteps: int = 50

    def __post_init__(self) -> None:
        for field in fields(self):  # plain ints: numpy integers from a sweep are integers too
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, Integral):
                raise ConfigError(f"config key {field.name!r} must be an integer, got {value!r}")
            object.__setattr__(self, field.name, int(value))
        for key, (low, high) in _ranges(self).items():
            value = getattr(self, key)
            if not low <= value <= high:
                raise ConfigError(
                    f"config key {key!r} is {value}; allowed range is {low}..{high}"
                    + _range_reason(key, self)
                )

    @property
    def num_crewmates(self) -> int:
        return self.num_players - self.num_impostors

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> GameConfig:
        """Build from a reference-style dict; every key is required and no other key is allowed."""
        if not isinstance(values, Mapping):
            raise ConfigError(
                f"config must be a dict or a preset name, got {type(values).__name__}"
            )
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError(f"unknown config key(s) {unknown}; the keys are {known}")
        missing = [key for key in known if key not in values]
        if missing:
            raise ConfigError(f"config is missing key(s) {missing}")
        return cls(**{key: values[key] for key in known})

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def _ranges(config: GameConfig) -> dict[str, tuple[int, int]]:
    """Allowed range of every key, some depending on the others (checked in this order)."""
    players, impostors = config.num_players, config.num_impostors
    crewmates = max(players - impostors, 1)
    return {
        "num_players": (2, MAX_PLAYERS),
        "num_impostors": (1, players - 1),
        "num_common_tasks": (0, 10),
        # Every seat draws from the instances no crewmate holds yet (impostors draw too, and
        # discard theirs), so after all crewmates have drawn one candidate must remain.
        "num_short_tasks": (0, _pool_limit(TaskType.SHORT, crewmates)),
        "num_long_tasks": (0, _pool_limit(TaskType.LONG, crewmates)),
        "discussion_rounds": (0, 20),
        "max_num_buttons": (0, 1000),
        "kill_cooldown": (0, 1000),
        "max_timesteps": (1, 10_000),
    }


def _pool_limit(task_type: TaskType, crewmates: int) -> int:
    return (len(TASK_POOLS[task_type]) - 1) // crewmates


def _range_reason(key: str, config: GameConfig) -> str:
    if key in ("num_short_tasks", "num_long_tasks"):
        pool = "short" if key == "num_short_tasks" else "long"
        return (
            f" with {config.num_players - config.num_impostors} crewmates sharing the "
            f"{len(TASK_POOLS[TaskType(pool)])} {pool} task instances"
        )
    if key == "num_impostors":
        return " (at least one crewmate is needed)"
    return ""


#: The reference presets, by the names this project uses. ``GameConfig``'s defaults are the
#: seven-member game; the others differ from it only where the reference's presets do.
_SEVEN = GameConfig()
_FIVE = replace(_SEVEN, num_players=5, num_impostors=1, num_long_tasks=0)
PRESETS: Final[Mapping[str, GameConfig]] = MappingProxyType(
    {
        # "SAMPLE_FIVE_MEMBER_GAME" has three players, despite its name.
        "sample_five_member": replace(_FIVE, num_players=3, kill_cooldown=1, max_timesteps=5),
        "five_member": _FIVE,
        "seven_member": _SEVEN,
    }
)
SEVEN_MEMBER_GAME: Final[GameConfig] = PRESETS["seven_member"]
FIVE_MEMBER_GAME: Final[GameConfig] = PRESETS["five_member"]


def resolve_config(config: str | Mapping[str, Any] | GameConfig | None) -> GameConfig:
    """Accept a preset name, a reference-style dict or a ``GameConfig`` (None: seven-member)."""
    if config is None:
        return SEVEN_MEMBER_GAME
    if isinstance(config, GameConfig):
        return config
    if isinstance(config, str):
        key = config.lower().replace("-", "_").removesuffix("_game")
        if key not in PRESETS:
            raise ConfigError(f"unknown preset {config!r}; presets are {sorted(PRESETS)}")
        return PRESETS[key]
    return GameConfig.from_dict(config)
