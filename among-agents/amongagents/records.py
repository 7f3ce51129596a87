"""Typed records of what happens in a game and what each player perceives.

Perception is routed through typed records rather than strings, so the text prompt and the
vector observation are two renderings of the same facts, and the hot path formats nothing.
The records are immutable named tuples: several are created on every action, and a named tuple
is the cheapest immutable record Python offers.
"""

from __future__ import annotations

import enum
from typing import Final, NamedTuple

from amongagents.actions import Action


class Phase(enum.StrEnum):
    TASK = "task"
    MEETING = "meeting"


class WinCode(enum.IntEnum):
    """The reference's result codes; 0 while the game is running."""

    ONGOING = 0
    IMPOSTORS_OUTNUMBER = 1
    IMPOSTORS_ELIMINATED = 2
    TASKS_COMPLETED = 3
    TIME_LIMIT = 4

    @property
    def impostors_win(self) -> bool:
        return self in (WinCode.IMPOSTORS_OUTNUMBER, WinCode.TIME_LIMIT)

    @property
    def crewmates_win(self) -> bool:
        return self in (WinCode.IMPOSTORS_ELIMINATED, WinCode.TASKS_COMPLETED)


#: The reference's printed reasons, typo included (evaluation code compares them).
WIN_REASONS: Final[dict[WinCode, str]] = {
    WinCode.ONGOING: "",
    WinCode.IMPOSTORS_OUTNUMBER: (
        "Impostors win! (Crewmates being outnumbered or tied to impostors))"
    ),
    WinCode.IMPOSTORS_ELIMINATED: "Crewmates win! (Impostors eliminated)",
    WinCode.TASKS_COMPLETED: "Crewmates win! (All task completed)",
    WinCode.TIME_LIMIT: "Impostors win! (Time limit reached)",
}


class Clock(NamedTuple):
    """When something happened: the timestep, the phase and, in meetings, the round number."""

    timestep: int
    phase: Phase
    round: int  # discussion_rounds - remaining rounds; 0 in the task phase


class SeenAction(NamedTuple):
    """A real-time message: ``actor`` was seen (or heard) taking ``action`` in ``room``."""

    clock: Clock
    actor: int
    action: Action
    room: str  # where the actor stood when acting (a mover's origin)


class MonitorEntry(NamedTuple):
    """One seat on the camera: the words the monitor shows, and the action they show."""

    seat: int
    text: str  # as the reference shows it: "enter Admin", "leave Admin", an action's text
    #: The action when the camera shows it as it is (its text is ``text``); None for a move,
    #: which shows only as "enter"/"leave" the watched room, and for a seat yet to act.
    action: Action | None
    leaving: bool = False  # seen walking out of the watched room


class MonitorReadout(NamedTuple):
    """What the Security monitor showed: per listed seat, what the camera saw it do."""

    room: str
    entries: tuple[MonitorEntry, ...]  # empty means no one was there
    clock: Clock  # when the monitor was watched


Observation = SeenAction | MonitorReadout


class OwnAction(NamedTuple):
    """An action-history entry; the clock is read after the action's effects (reference quirk)."""

    clock: Clock
    action: Action


class LocationInfo(NamedTuple):
    """A location message: the clock at the refresh, the room and who was there.

    ``occupants`` lists the living players and then the unreported bodies, each in seat order;
    ``dead`` marks which of them are bodies.
    """

    clock: Clock
    room: str
    occupants: tuple[int, ...]
    dead: tuple[bool, ...]
