"""Task table of the Skeld and the three ordered task pools.

A *task instance* is one (task name, room) pair. The reference creates the 39 instances in room
order and then in each room's listed order; that order fixes the pools' order, which in turn fixes
which instance a seeded draw picks.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, NamedTuple

from amongagents.skeld import ROOMS


class TaskType(enum.StrEnum):
    COMMON = "common"
    SHORT = "short"
    LONG = "long"


@dataclass(frozen=True, slots=True)
class TaskKind:
    """One entry of the task table: how many actions the task needs and which pool it belongs to."""

    name: str
    duration: int
    type: TaskType


TASK_KINDS: Final[Mapping[str, TaskKind]] = MappingProxyType(
    {
        kind.name: kind
        for kind in (
            TaskKind("Download Data", 1, TaskType.SHORT),
            TaskKind("Empty Garbage", 2, TaskType.LONG),
            TaskKind("Fix Wiring", 1, TaskType.COMMON),
            TaskKind("Accept Diverted Power", 1, TaskType.SHORT),
            TaskKind("Clear Asteroids", 2, TaskType.LONG),
            TaskKind("Chart Course", 1, TaskType.SHORT),
            TaskKind("Stabilize Steering", 1, TaskType.SHORT),
            TaskKind("Clean O2 Filter", 1, TaskType.SHORT),
            TaskKind("Empty Chute", 2, TaskType.LONG),
            TaskKind("Prime Shields", 1, TaskType.SHORT),
            TaskKind("Swipe Card", 1, TaskType.COMMON),
            TaskKind("Upload Data", 1, TaskType.SHORT),
            TaskKind("Calibrate Distributor", 1, TaskType.SHORT),
            TaskKind("Divert Power", 1, TaskType.SHORT),
            TaskKind("Align Engine Output", 2, TaskType.LONG),
            TaskKind("Fuel Engines", 2, TaskType.LONG),
            TaskKind("Start Reactor", 2, TaskType.LONG),
            TaskKind("Unlock Manifolds", 1, TaskType.SHORT),
            TaskKind("Inspect Sample", 2, TaskType.LONG),
            TaskKind("Submit Scan", 1, TaskType.SHORT),
        )
    }
)

_TASKS_BY_ROOM: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "Cafeteria": ("Download Data", "Empty Garbage", "Fix Wiring"),
        "Weapons": ("Accept Diverted Power", "Clear Asteroids", "Download Data"),
        "Navigation": (
            "Accept Diverted Power",
            "Chart Course",
            "Download Data",
            "Fix Wiring",
            "Stabilize Steering",
        ),
        "O2": ("Clean O2 Filter", "Empty Chute", "Accept Diverted Power"),
        "Shields": ("Accept Diverted Power", "Prime Shields"),
        "Communications": ("Accept Diverted Power", "Download Data"),
        "Storage": ("Empty Garbage", "Empty Chute"),
        "Admin": ("Fix Wiring", "Swipe Card", "Upload Data"),
        "Electrical": ("Calibrate Distributor", "Divert Power", "Download Data", "Fix Wiring"),
        "Lower Engine": ("Accept Diverted Power", "Align Engine Output", "Fuel Engines"),
        "Security": ("Accept Diverted Power", "Fix Wiring"),
        "Reactor": ("Start Reactor", "Unlock Manifolds"),
        "Upper Engine": ("Accept Diverted Power", "Align Engine Output", "Fuel Engines"),
        "Medbay": ("Inspect Sample", "Submit Scan"),
    }
)


class TaskSpot(NamedTuple):
    """A task instance's identity: which task, in which room. A named tuple, because set-up
    hashes these by the thousand and tuples hash fast."""

    name: str
    room: str

    @property
    def kind(self) -> TaskKind:
        return TASK_KINDS[self.name]

    @property
    def type(self) -> TaskType:
        return TASK_KINDS[self.name].type

    @property
    def duration(self) -> int:
        return TASK_KINDS[self.name].duration

    def text(self) -> str:
        """The reference's text form, e.g. ``short: Upload Data (Admin)``."""
        return f"{self.type.value}: {self.name} ({self.room})"


#: All 39 task instances in creation order.
TASK_SPOTS: Final[tuple[TaskSpot, ...]] = tuple(
    TaskSpot(name, room) for room in ROOMS for name in _TASKS_BY_ROOM[room]
)
TASK_SPOT_INDEX: Final[Mapping[TaskSpot, int]] = MappingProxyType(
    {spot: i for i, spot in enumerate(TASK_SPOTS)}
)
#: The draw pools, each in creation order.
TASK_POOLS: Final[Mapping[TaskType, tuple[TaskSpot, ...]]] = MappingProxyType(
    {t: tuple(spot for spot in TASK_SPOTS if spot.type is t) for t in TaskType}
)


def task_spot(name: str, room: str) -> TaskSpot:
    """Look up a task instance, with an error that lists what the room offers."""
    spot = TaskSpot(name, room)
    if spot not in TASK_SPOT_INDEX:
        offered = _TASKS_BY_ROOM.get(room)
        if offered is None:
            raise ValueError(f"unknown room {room!r}; rooms are {', '.join(ROOMS)}")
        raise ValueError(f"no task {name!r} in {room}; {room} has {', '.join(offered)}")
    return spot
