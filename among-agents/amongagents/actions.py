"""Action kinds and actions, with the reference's exact string forms.

An ``Action`` carries both the structured meaning (kind, room, target seat, task) and its 7vik
string form, so a legal-action list serves RL agents (by index or kind) and LLM agents (by text)
alike. The game builds its actions once and reuses the same objects, which keeps legality checks
on the hot path to identity comparisons.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from amongagents.skeld import CAFETERIA
from amongagents.tasks import TaskSpot


class ActionKind(enum.IntEnum):
    """Action kinds, in the order the reference concatenates them into a legal-action list."""

    MOVE = 0
    CALL_MEETING = 1
    VOTE = 2
    SPEAK = 3
    VIEW_MONITOR = 4
    COMPLETE_TASK = 5
    SABOTAGE = 6
    VENT = 7
    KILL = 8
    COMPLETE_FAKE_TASK = 9


DEFAULT_SPEECH: Final[str] = "..."
TASK_OBSERVER_TEXT: Final[str] = "Seemingly doing task"
EMERGENCY_BUTTON_TEXT: Final[str] = f"CALL MEETING using the emergency button at {CAFETERIA}"


@dataclass(frozen=True, slots=True)
class Action:
    """One concrete action.

    ``room`` is the destination of MOVE/VENT, the caller's room for CALL MEETING and the watched
    room of VIEW MONITOR (``None``: the game's RNG picks one). ``target`` is the seat voted for or
    killed. ``message`` is what SPEAK says.
    """

    kind: ActionKind
    text: str
    room: str | None = None
    target: int | None = None
    task: TaskSpot | None = None
    message: str | None = None

    @property
    def observer_text(self) -> str:
        """What other players see: task actions are disguised, everything else shows as is."""
        if self.kind is ActionKind.COMPLETE_TASK or self.kind is ActionKind.COMPLETE_FAKE_TASK:
            return TASK_OBSERVER_TEXT
        return self.text

    def __str__(self) -> str:
        return self.text


def move(source: str, destination: str) -> Action:
    return Action(ActionKind.MOVE, f"MOVE from {source} to {destination}", room=destination)


def vent(source: str, destination: str) -> Action:
    return Action(ActionKind.VENT, f"VENT from {source} to {destination}", room=destination)


def call_meeting(room: str) -> Action:
    """In Cafeteria a call always reads as the emergency button, even when a body is the reason."""
    text = EMERGENCY_BUTTON_TEXT if room == CAFETERIA else f"REPORT DEAD BODY at {room}"
    return Action(ActionKind.CALL_MEETING, text, room=room)


def vote(target: int, target_name: str) -> Action:
    return Action(ActionKind.VOTE, f"VOTE {target_name}", target=target)


def kill(target: int, target_name: str) -> Action:
    return Action(ActionKind.KILL, f"KILL {target_name}", target=target)


def speak(message: str = DEFAULT_SPEECH) -> Action:
    return Action(ActionKind.SPEAK, f"SPEAK: {message}", message=message)


def view_monitor(room: str | None = None) -> Action:
    return Action(ActionKind.VIEW_MONITOR, "VIEW MONITOR", room=room)


def complete_task(task: TaskSpot) -> Action:
    return Action(ActionKind.COMPLETE_TASK, f"COMPLETE TASK - {task.name}", task=task)


def complete_fake_task(task: TaskSpot) -> Action:
    return Action(ActionKind.COMPLETE_FAKE_TASK, f"COMPLETE FAKE TASK - {task.name}", task=task)


SPEAK_DEFAULT: Final[Action] = speak()
VIEW_MONITOR: Final[Action] = view_monitor()
