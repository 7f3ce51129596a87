"""amongagents: the rules engine of Among Us on the Skeld, after the 7vik LLM-deception sandbox.

Pure and deterministic: no agents, no event loop, no global RNG; the rules never print or touch
files. Drive a ``Game`` by asking ``current_seat`` and ``legal_actions()`` and calling
``step(action)``. Only what is asked for does I/O: ``replay.write_jsonl``/``read_jsonl`` read
and write the log files they are given, and ``python -m amongagents.demo`` prints a game.
"""

from amongagents.actions import Action, ActionKind
from amongagents.config import (
    COLORS,
    FIVE_MEMBER_GAME,
    PRESETS,
    SEVEN_MEMBER_GAME,
    ConfigError,
    GameConfig,
    resolve_config,
)
from amongagents.game import Game, GameOverError, IllegalActionError, StepRecord
from amongagents.players import CREWMATE, IMPOSTOR, Player, PlayerSetup, Task
from amongagents.records import (
    Clock,
    LocationInfo,
    MonitorEntry,
    MonitorReadout,
    OwnAction,
    Phase,
    SeenAction,
    WinCode,
)
from amongagents.text import information_block

__all__ = [
    "COLORS",
    "CREWMATE",
    "FIVE_MEMBER_GAME",
    "IMPOSTOR",
    "PRESETS",
    "SEVEN_MEMBER_GAME",
    "Action",
    "ActionKind",
    "Clock",
    "ConfigError",
    "Game",
    "GameConfig",
    "GameOverError",
    "IllegalActionError",
    "LocationInfo",
    "MonitorEntry",
    "MonitorReadout",
    "OwnAction",
    "Phase",
    "Player",
    "PlayerSetup",
    "SeenAction",
    "StepRecord",
    "Task",
    "WinCode",
    "information_block",
    "resolve_config",
]
