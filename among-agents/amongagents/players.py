"""Players, their tasks, and dealing a game: colours, roles and tasks drawn as the reference does.

The draws follow the reference's order (colours, then roles, then a common-task set copied to
every seat, then per-seat short and long tasks, impostors drawing and discarding theirs), from
the game's own RNG. A scenario fixes any of a seat's colour, role and tasks; the rest is drawn.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from amongagents.actions import Action
from amongagents.config import COLORS, ConfigError, GameConfig
from amongagents.records import LocationInfo, Observation, OwnAction
from amongagents.skeld import CAFETERIA
from amongagents.tasks import TASK_POOLS, TaskSpot, TaskType, task_spot

IMPOSTOR = "Impostor"
CREWMATE = "Crewmate"


@dataclass(slots=True, eq=False)
class Task:
    """A task instance with its progress. Shared between owners exactly as in the reference."""

    spot: TaskSpot
    remaining: int
    owner: int | None = None
    duration: int = field(init=False)

    def __post_init__(self) -> None:
        self.duration = self.spot.duration

    @property
    def completed(self) -> bool:
        return self.remaining <= 0

    @property
    def progress(self) -> float:
        """Fraction done, in [0, 1] (a fake task overshoots; it is clipped)."""
        done = self.duration - self.remaining
        return 1.0 if done >= self.duration else done / self.duration


@dataclass(slots=True, eq=False)
class Player:
    """One seat. Read it, never write it: the game owns every field."""

    seat: int
    color: str
    is_impostor: bool
    tasks: list[Task]
    location: str = CAFETERIA
    alive: bool = True
    reported_death: bool = False
    kill_cooldown: int = 0
    #: Real-time messages and own monitor readouts, in arrival order.
    observations: list[Observation] = field(default_factory=list)
    #: Own actions, stamped after their effects.
    action_history: list[OwnAction] = field(default_factory=list)
    #: The camera's record: this player's most recent action (None before the first).
    last_action: Action | None = None
    #: Once a body is reported it stops receiving location messages; its last one is frozen here.
    frozen_location_info: LocationInfo | None = None

    @property
    def name(self) -> str:
        return f"Player {self.seat + 1}: {self.color}"

    @property
    def identity(self) -> str:
        return IMPOSTOR if self.is_impostor else CREWMATE


@dataclass(frozen=True, slots=True)
class PlayerSetup:
    """A seat's fixed set-up for scenarios and replays; ``None`` fields are drawn at random."""

    color: str | None = None
    role: str | None = None  # "Impostor" or "Crewmate", any case
    tasks: tuple[tuple[str, str], ...] | None = None  # (task name, room) in assignment order

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> PlayerSetup:
        """A seat's set-up from its scenario or log entry; anything malformed is a
        ``ConfigError`` that says what is wrong."""
        if not isinstance(values, Mapping):
            raise ConfigError(
                f"a scenario player must be a mapping such as {{'role': 'Impostor'}}, "
                f"got {values!r}"
            )
        allowed = {"color", "role", "identity", "tasks", "name"}
        unknown = sorted(set(values) - allowed)
        if unknown:
            raise ConfigError(
                f"unknown scenario player key(s) {unknown}; allowed: {sorted(allowed)}"
            )
        color = values.get("color")
        role = values.get("role", values.get("identity"))
        for key, value in (("color", color), ("role", role)):
            if value is not None and not isinstance(value, str):
                raise ConfigError(f"a scenario player's {key} must be a string, got {value!r}")
        return cls(color=color, role=role, tasks=_task_pairs(values.get("tasks")))

    def to_dict(self) -> dict[str, Any]:
        return {
            "color": self.color,
            "role": self.role,
            "tasks": None if self.tasks is None else [list(t) for t in self.tasks],
        }


Scenario = Sequence[PlayerSetup | Mapping[str, Any]]


class Dealer:
    """Deals the seats of one game from its config and RNG."""

    def __init__(self, config: GameConfig, rng: random.Random) -> None:
        self.config = config
        self.rng = rng

    def deal(self, scenario: list[PlayerSetup] | None) -> tuple[Player, ...]:
        n = self.config.num_players
        setups = [PlayerSetup() for _ in range(n)] if scenario is None else list(scenario)
        colors = self._draw_colors(setups)
        impostor = self._draw_roles(setups)
        tasks = self._draw_tasks(setups, impostor)
        players = tuple(
            Player(seat=i, color=colors[i], is_impostor=impostor[i], tasks=tasks[i])
            for i in range(n)
        )
        for p in players:
            for task in p.tasks:
                task.owner = p.seat
        return players

    def _draw_colors(self, setups: list[PlayerSetup]) -> list[str]:
        given = [s.color for s in setups if s.color is not None]
        for color in given:
            if color not in COLORS:
                raise ConfigError(f"unknown colour {color!r}; colours are {', '.join(COLORS)}")
        if len(set(given)) != len(given):
            raise ConfigError(f"scenario colours must be distinct, got {given}")
        free = [c for c in COLORS if c not in given]
        self.rng.shuffle(free)
        drawn = iter(free)
        return [s.color if s.color is not None else next(drawn) for s in setups]

    def _draw_roles(self, setups: list[PlayerSetup]) -> list[bool]:
        roles: list[bool | None] = []
        for s in setups:
            if s.role is None:
                roles.append(None)
            elif s.role.lower() in ("impostor", "crewmate"):
                roles.append(s.role.lower() == "impostor")
            else:
                raise ConfigError(f"unknown role {s.role!r}; roles are 'Impostor' and 'Crewmate'")
        open_seats = [i for i, r in enumerate(roles) if r is None]
        missing = self.config.num_impostors - sum(1 for r in roles if r)
        if not 0 <= missing <= len(open_seats):
            raise ConfigError(
                f"scenario roles give {sum(1 for r in roles if r)} impostor(s) with "
                f"{len(open_seats)} seat(s) open, but num_impostors is {self.config.num_impostors}"
            )
        fill = [True] * missing + [False] * (len(open_seats) - missing)
        self.rng.shuffle(fill)
        for seat, is_impostor in zip(open_seats, fill, strict=True):
            roles[seat] = is_impostor
        return [bool(r) for r in roles]

    def _draw_tasks(self, setups: list[PlayerSetup], impostor: list[bool]) -> list[list[Task]]:
        """Draw tasks as the reference does: one common set copied per player, then per seat
        shorts and longs drawn with replacement from the instances no crewmate holds yet
        (impostors draw too, and discard theirs)."""
        shared: dict[TaskSpot, Task] = {}  # short and long instances are shared between owners
        config = self.config
        commons: list[TaskSpot] = []
        if any(s.tasks is None for s in setups):
            pool = TASK_POOLS[TaskType.COMMON]
            commons = [self.rng.choice(pool) for _ in range(config.num_common_tasks)]
        given = [None if s.tasks is None else _scenario_spots(s.tasks) for s in setups]
        taken: set[TaskSpot] = set()  # short and long instances crewmates already hold
        for spots, is_impostor in zip(given, impostor, strict=True):
            if spots is None or is_impostor:
                continue
            held = {spot for spot in spots if spot.type is not TaskType.COMMON}
            for spot in held & taken:
                raise ConfigError(
                    f"the scenario gives the {spot.type.value} task {spot.name!r} in {spot.room} "
                    "to two crewmates; short and long tasks are exclusive across crewmates"
                )
            taken |= held
        result: list[list[Task]] = []
        for spots_given, is_impostor in zip(given, impostor, strict=True):
            if spots_given is not None:
                spots = spots_given
            else:
                drawn = [
                    self._draw_from_pool(TaskType.SHORT, config.num_short_tasks, taken),
                    self._draw_from_pool(TaskType.LONG, config.num_long_tasks, taken),
                ]
                spots = list(commons) if is_impostor else commons + drawn[0] + drawn[1]
                if not is_impostor:
                    taken.update(drawn[0] + drawn[1])
            result.append(self._task_objects(spots, is_impostor, shared))
        return result

    def _draw_from_pool(
        self, task_type: TaskType, count: int, taken: set[TaskSpot]
    ) -> list[TaskSpot]:
        if count == 0:
            return []
        candidates = [spot for spot in TASK_POOLS[task_type] if spot not in taken]
        if not candidates:
            raise ConfigError(
                f"the {task_type.value} task pool ran out; lower num_{task_type.value}_tasks"
            )
        return [self.rng.choice(candidates) for _ in range(count)]

    @staticmethod
    def _task_objects(
        spots: list[TaskSpot], is_impostor: bool, shared: dict[TaskSpot, Task]
    ) -> list[Task]:
        """Common tasks (and all of an impostor's) are private copies; shorts and longs are shared.
        A spot listed twice for one player is the same object, so doing it once advances both."""
        own: dict[TaskSpot, Task] = {}
        tasks = []
        for spot in spots:
            if is_impostor or spot.type is TaskType.COMMON:
                task = own.setdefault(spot, Task(spot, spot.duration))
            else:
                task = shared.setdefault(spot, Task(spot, spot.duration))
            tasks.append(task)
        return tasks


def _task_pairs(tasks: Any) -> tuple[tuple[str, str], ...] | None:
    if tasks is None:
        return None
    if isinstance(tasks, (str, bytes)) or not isinstance(tasks, Sequence):
        raise ConfigError(
            f"a scenario player's tasks must be a list of [name, room], got {tasks!r}"
        )
    pairs = []
    for task in tasks:
        if (
            isinstance(task, (str, bytes))
            or not isinstance(task, Sequence)
            or len(task) != 2
            or not all(isinstance(part, str) for part in task)
        ):
            raise ConfigError(f"a scenario task must be [name, room] (two strings), got {task!r}")
        pairs.append((task[0], task[1]))
    return tuple(pairs)


def parse_scenario(scenario: Scenario, num_players: int) -> list[PlayerSetup]:
    if isinstance(scenario, Mapping):
        scenario = scenario.get("players", ())
    if isinstance(scenario, (str, bytes)) or not isinstance(scenario, Sequence):
        raise ConfigError(
            f"a scenario is a list of players (one mapping per seat), got {scenario!r}"
        )
    setups = [s if isinstance(s, PlayerSetup) else PlayerSetup.from_dict(s) for s in scenario]
    if len(setups) != num_players:
        raise ConfigError(f"scenario lists {len(setups)} players but num_players is {num_players}")
    return setups


def _scenario_spots(tasks: Sequence[tuple[str, str]]) -> list[TaskSpot]:
    try:
        return [task_spot(name, room) for name, room in tasks]
    except ValueError as error:
        raise ConfigError(f"bad scenario task: {error}") from None
