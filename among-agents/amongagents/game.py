"""The game: a steppable, seeded re-implementation of the 7vik Among Us engine.

There is no agent and no event loop here. The caller asks whose turn it is
(``current_seat``) and what is legal (``legal_actions``), then applies one action with ``step``.
The game walks the reference's turn structure by itself: task rounds in seat order that stop at a
meeting call, meetings of ``discussion_rounds`` speaking rounds plus one voting round, a timestep
per task round or whole meeting, and the win check between game steps only.

Randomness (colours, roles, tasks, the monitor's room when the caller does not name one) comes
from the game's own ``random.Random``, seeded at construction. Every chance outcome is written to
the event log, so a game replays to the identical state (``amongagents.replay``).
"""

from __future__ import annotations

import functools
import operator
import random
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, NamedTuple

from amongagents import actions as act
from amongagents.actions import Action, ActionKind
from amongagents.config import GameConfig, resolve_config
from amongagents.players import (  # noqa: F401 - Player and Task are re-exported for callers
    Dealer,
    Player,
    PlayerSetup,
    Scenario,
    Task,
    parse_scenario,
)
from amongagents.records import (
    WIN_REASONS,
    Clock,
    LocationInfo,
    MonitorEntry,
    MonitorReadout,
    OwnAction,
    Phase,
    SeenAction,
    WinCode,
)
from amongagents.skeld import CAFETERIA, CORRIDOR_NEIGHBOURS, ROOMS, SECURITY, VENT_NEIGHBOURS
from amongagents.tasks import TASK_SPOTS, TaskSpot

LOG_FORMAT = "amongagents-game/1"
#: What the camera reports for a player who has not acted yet.
IDLE_CAMERA_TEXT = "stand quietly and do nothing"


class IllegalActionError(ValueError):
    """The action is malformed or not legal now. The game is left exactly as it was."""


class GameOverError(RuntimeError):
    """An action was sent to a game that has already ended."""


class StepRecord(NamedTuple):
    """One entry of the event log: who acted, when, what, and the monitor room if any."""

    seat: int
    phase: Phase
    timestep: int
    action: str
    monitor_room: str | None
    #: True when the room was drawn by the game's RNG rather than chosen by the caller.
    monitor_by_chance: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "player": self.seat,
            "phase": self.phase.value,
            "timestep": self.timestep,
            "action": self.action,
            "monitor_room": self.monitor_room,
            "monitor_by_chance": self.monitor_by_chance,
        }


class Game:
    """One game of Among Us on the Skeld, advanced one action at a time."""

    def __init__(
        self,
        config: GameConfig | Mapping[str, Any] | str | None = None,
        *,
        seed: int | None = None,
        scenario: Scenario | None = None,
    ) -> None:
        self.config: GameConfig = resolve_config(config)
        self.seed: int = secrets.randbits(63) if seed is None else integer_seed(seed)
        self.rng = random.Random(self.seed)
        #: The caller's scenario, normalised (kept so a replay can rebuild the same set-up draws).
        self.scenario: list[PlayerSetup] | None = (
            None if scenario is None else parse_scenario(scenario, self.config.num_players)
        )
        self.timestep = 0
        self.phase = Phase.TASK
        self.discussion_rounds_left = self.config.discussion_rounds
        self.button_uses = 0
        self.votes: dict[int, int] = {}  # voter seat -> target seat, in voting order
        #: Seats in the order they died (killed or ejected); the dead set only ever grows.
        self.dead_seats: list[int] = []
        #: Seats voted out, in order (the rest of ``dead_seats`` were killed).
        self.ejected_seats: list[int] = []
        #: Bodies lying unreported anywhere on the map (a meeting call reports them all).
        self.unreported_bodies = 0
        self.winner = WinCode.ONGOING
        self.steps: list[StepRecord] = []
        #: The reference's important-activity log (never shown to players).
        self.important_events: list[dict[str, Any]] = []
        #: Clock stamped on the latest location messages (they go stale between refreshes).
        self._location_clock = self._clock = Clock(0, Phase.TASK, 0)
        self.players: tuple[Player, ...] = Dealer(self.config, self.rng).deal(self.scenario)
        self._crew_tasks: list[Task] = [
            task for p in self.players if not p.is_impostor for task in p.tasks
        ]
        self.names: tuple[str, ...] = tuple(p.name for p in self.players)
        self._build_seat_actions()
        self.current_seat = 0
        self._legal_cache: tuple[Action, ...] | None = None
        self._check_win()

    def _build_seat_actions(self) -> None:
        """Look up the per-game actions (their text names players) once, to reuse every turn."""
        names = self.names
        self._vote_actions = [_vote_action(i, name) for i, name in enumerate(names)]
        self._kill_actions = [_kill_action(i, name) for i, name in enumerate(names)]
        self._task_actions = [
            [(_FAKE_TASK_ACTIONS if p.is_impostor else _TASK_ACTIONS)[t.spot] for t in p.tasks]
            for p in self.players
        ]

    # ------------------------------------------------------------------ queries
    @property
    def is_over(self) -> bool:
        return self.winner is not WinCode.ONGOING

    @property
    def win_reason(self) -> str:
        return WIN_REASONS[self.winner]

    @property
    def discussion_round(self) -> int:
        """The meeting round number the reference prints: 0..R-1 to discuss, R to vote."""
        return self.config.discussion_rounds - self.discussion_rounds_left

    @property
    def is_voting(self) -> bool:
        return self.phase is Phase.MEETING and self.discussion_rounds_left == 0

    @property
    def clock(self) -> Clock:
        """Now, as stamped on messages (cached: it changes only between rounds and phases)."""
        clock = self._clock
        if (
            clock.timestep != self.timestep
            or clock.phase is not self.phase
            or (self.phase is Phase.MEETING and clock.round != self.discussion_round)
        ):
            round_ = self.discussion_round if self.phase is Phase.MEETING else 0
            clock = self._clock = Clock(self.timestep, self.phase, round_)
        return clock

    def legal_actions(self, seat: int | None = None) -> list[Action]:
        """The legal actions of ``seat`` (default: the acting seat), in the reference's order.

        Only the acting seat can act; other seats' lists say what they could do if it were their
        turn now (the reference recomputes every player's list at each turn).
        """
        if seat is not None:
            self._check_seat(seat)
        if self.is_over:
            return []
        if seat is None or seat == self.current_seat:
            return list(self.current_legal_actions)
        return self._compute_legal(seat)

    def _check_seat(self, seat: int) -> None:
        # A negative index would silently name a seat counted from the end.
        if not 0 <= seat < len(self.players):
            raise IndexError(f"seat {seat} is out of range: seats are 0..{len(self.players) - 1}")

    @property
    def current_legal_actions(self) -> tuple[Action, ...]:
        """The acting seat's legal actions as an immutable tuple, computed once per turn."""
        if self._legal_cache is None:
            self._legal_cache = (
                () if self.is_over else tuple(self._compute_legal(self.current_seat))
            )
        return self._legal_cache

    def legal_action_strings(self, seat: int | None = None) -> list[str]:
        return [a.text for a in self.legal_actions(seat)]

    def _compute_legal(self, seat: int) -> list[Action]:
        p = self.players[seat]
        if not p.alive:
            return []
        room = p.location
        in_task_phase = self.phase is Phase.TASK
        legal: list[Action] = []
        if in_task_phase:
            legal.extend(_MOVE_ACTIONS[room])
            if (room == CAFETERIA and self.button_uses < self.config.max_num_buttons) or (
                self.unreported_bodies and self._body_in(room)
            ):
                legal.append(_CALL_MEETING_ACTIONS[room])
        elif self.discussion_rounds_left == 0:
            legal.extend(self._vote_actions[q.seat] for q in self.players if q.alive and q is not p)
        else:
            legal.append(act.SPEAK_DEFAULT)
        if room == SECURITY:
            legal.append(act.VIEW_MONITOR)
        if not in_task_phase:
            return legal
        task_actions = self._task_actions[seat]
        if p.is_impostor:
            legal.extend(_VENT_ACTIONS[room])
            if p.kill_cooldown == 0:
                legal.extend(
                    self._kill_actions[q.seat]
                    for q in self.players
                    if q.alive and not q.is_impostor and q.location == room
                )
        for i, task in enumerate(p.tasks):
            if task.spot.room == room and task.remaining > 0:
                legal.append(task_actions[i])
        return legal

    def _body_in(self, room: str) -> bool:
        for q in self.players:
            if not q.alive and not q.reported_death and q.location == room:
                return True
        return False

    def occupants(self, room: str) -> tuple[list[int], list[int]]:
        """Seats in ``room`` now: (living players, unreported bodies), each in seat order."""
        living: list[int] = []
        bodies: list[int] = []
        for q in self.players:
            if q.location == room:
                if q.alive:
                    living.append(q.seat)
                elif not q.reported_death:
                    bodies.append(q.seat)
        return living, bodies

    def location_info(self, seat: int) -> LocationInfo:
        """The player's latest location message (possibly stale, exactly as in the reference)."""
        self._check_seat(seat)
        p = self.players[seat]
        if p.frozen_location_info is not None:
            return p.frozen_location_info
        return self._location_message(p.location)

    def _location_message(self, room: str) -> LocationInfo:
        living, bodies = self.occupants(room)
        return LocationInfo(
            self._location_clock,
            room,
            tuple(living + bodies),
            (False,) * len(living) + (True,) * len(bodies),
        )

    def task_completion(self) -> float:
        """Share of living crewmates' tasks completed (the reference's task bar)."""
        total = done = 0
        for task in self._crew_tasks:
            if self.players[task.owner].alive:  # type: ignore[index]
                total += 1
                done += task.remaining <= 0
        return done / total if total else 0.0

    # ------------------------------------------------------------------ acting
    def resolve(self, action: Action | str, seat: int | None = None) -> Action:
        """Turn a caller's action into the legal ``Action`` it names, or raise.

        Strings are matched exactly against the legal strings; ``SPEAK: <anything>`` carries its
        message and ``VIEW MONITOR <room>`` names the watched room. ``Action`` objects are matched
        by kind and text, with free SPEAK messages and monitor rooms.
        """
        legal: Sequence[Action]
        if seat is None or seat == self.current_seat:
            legal = self.current_legal_actions
        else:
            legal = self.legal_actions(seat)
        if isinstance(action, str):
            return self._resolve_text(action, legal)
        if not isinstance(action, Action):
            raise IllegalActionError(
                f"an action must be an Action or a 7vik action string, got {type(action).__name__}"
            )
        for candidate in legal:
            if candidate is action:
                return action
        _check_fields(action)
        for candidate in legal:
            if candidate.kind is not action.kind:
                continue
            if action.kind is ActionKind.SPEAK:
                return act.speak(_clean_message(action.message))
            if action.kind is ActionKind.VIEW_MONITOR:
                return act.view_monitor(_check_room(action.room))
            if candidate.text == action.text:
                return candidate
        raise self._illegal(action.text, legal)

    def _resolve_text(self, text: str, legal: Sequence[Action]) -> Action:
        stripped = text.strip()
        for candidate in legal:
            if candidate.text == stripped:
                return candidate
        kinds = {a.kind for a in legal}
        if ActionKind.SPEAK in kinds and stripped.startswith("SPEAK:"):
            return act.speak(_clean_message(stripped[len("SPEAK:") :]))
        if ActionKind.VIEW_MONITOR in kinds and stripped.startswith("VIEW MONITOR"):
            return act.view_monitor(_check_room(stripped[len("VIEW MONITOR") :].strip() or None))
        raise self._illegal(text, legal)

    def _illegal(self, text: str, legal: Sequence[Action]) -> IllegalActionError:
        who = self.players[self.current_seat].name if not self.is_over else "nobody"
        options = "; ".join(a.text for a in legal) or "none"
        return IllegalActionError(f"{text!r} is not a legal action for {who} now. Legal: {options}")

    def step(self, action: Action | str) -> None:
        """Apply the acting seat's action, then advance to the next turn (or end the game)."""
        if self.is_over:
            raise GameOverError(f"the game is over: {self.win_reason}")
        chosen = self.resolve(action)
        seat = self.current_seat
        p = self.players[seat]
        by_chance = False
        if chosen.kind is ActionKind.VIEW_MONITOR and chosen.room is None:
            chosen = act.view_monitor(self.rng.choice(ROOMS))
            by_chance = True
        self.steps.append(
            StepRecord(
                seat,
                self.phase,
                self.timestep,
                chosen.text,
                chosen.room if chosen.kind is ActionKind.VIEW_MONITOR else None,
                by_chance,
            )
        )
        if p.is_impostor and p.kill_cooldown > 0:
            p.kill_cooldown -= 1
        p.last_action = chosen
        phase_before = self.phase
        self._broadcast(p, chosen)
        if chosen.kind is ActionKind.COMPLETE_TASK or chosen.kind is ActionKind.KILL:
            self._record_important(p, chosen)
        _EFFECTS[chosen.kind](self, p, chosen)
        clock = self.clock
        p.action_history.append(OwnAction(clock, chosen))
        self._location_clock = clock
        self._legal_cache = None
        self._advance(
            seat, meeting_called=phase_before is Phase.TASK and self.phase is Phase.MEETING
        )

    def _broadcast(self, actor: Player, action: Action) -> None:
        """Real-time messages: everyone else in the room left and the room entered hears it."""
        source = actor.location
        kind = action.kind
        destination = action.room if kind is ActionKind.MOVE or kind is ActionKind.VENT else source
        message: SeenAction | None = None
        rooms = (source, destination)
        for q in self.players:
            if q.location in rooms and q is not actor:
                if message is None:
                    message = SeenAction(self.clock, actor.seat, action, source)
                q.observations.append(message)

    def _record_important(self, actor: Player, action: Action) -> None:
        if action.kind is ActionKind.COMPLETE_TASK:
            self.important_events.append(self._activity(actor, action.text))
        elif action.kind is ActionKind.KILL:
            living, _ = self.occupants(actor.location)
            witnesses = [self.players[s].name for s in living]
            self.important_events.append(
                self._activity(
                    actor, f"{action.text}|||Location: {actor.location}, Witness: {witnesses!r}"
                )
            )

    def _activity(self, actor: Player, text: str) -> dict[str, Any]:
        entry: dict[str, Any] = {"timestep": self.timestep, "phase": self.phase.value}
        if self.phase is Phase.MEETING:
            entry["round"] = self.discussion_round
        entry.update(action=text, player=actor.name)
        return entry

    # effects, dispatched by kind through _EFFECTS
    def _move(self, p: Player, action: Action) -> None:
        p.location = action.room  # type: ignore[assignment]

    def _call_meeting(self, p: Player, action: Action) -> None:
        self.phase = Phase.MEETING
        self.button_uses += 1
        bodies = [q for q in self.players if not q.alive and not q.reported_death]
        # Reported bodies get no more location messages: keep the last one they received.
        for q in bodies:
            q.frozen_location_info = self._location_message(q.location)
        for q in bodies:
            q.reported_death = True
        self.unreported_bodies = 0

    def _vote(self, p: Player, action: Action) -> None:
        self.votes[p.seat] = action.target  # type: ignore[assignment]

    def _no_effect(self, p: Player, action: Action) -> None:
        pass

    def _view_monitor(self, p: Player, action: Action) -> None:
        p.observations.append(self._monitor_readout(action.room))  # type: ignore[arg-type]

    def _monitor_readout(self, room: str) -> MonitorReadout:
        living, _ = self.occupants(room)
        if not living:
            return MonitorReadout(room, (), self.clock)
        entries: list[MonitorEntry] = []
        for q in self.players:
            record = q.last_action
            if q.alive and q.location == room:
                if record is None:
                    entries.append(MonitorEntry(q.seat, IDLE_CAMERA_TEXT, None))
                elif record.kind is ActionKind.MOVE:
                    entries.append(MonitorEntry(q.seat, f"enter {record.room}", None))
                else:
                    entries.append(MonitorEntry(q.seat, record.text, record))
            elif (
                record is not None
                and record.kind is ActionKind.MOVE
                and _move_origin(record) == room
            ):
                entries.append(MonitorEntry(q.seat, f"leave {room}", None, leaving=True))
        return MonitorReadout(room, tuple(entries), self.clock)

    def _complete_task(self, p: Player, action: Action) -> None:
        self._own_task(p, action).remaining -= 1

    def _complete_fake_task(self, p: Player, action: Action) -> None:
        self._own_task(p, action).remaining -= 2

    def _own_task(self, p: Player, action: Action) -> Task:
        for task in p.tasks:
            if task.spot == action.task and task.remaining > 0:
                return task
        raise AssertionError("a legal task action names an unfinished task of the actor")

    def _kill(self, p: Player, action: Action) -> None:
        self.players[action.target].alive = False  # type: ignore[index]
        self.dead_seats.append(action.target)  # type: ignore[arg-type]
        self.unreported_bodies += 1
        p.kill_cooldown = self.config.kill_cooldown

    # ------------------------------------------------------------------ turn structure
    def _advance(self, seat: int, *, meeting_called: bool) -> None:
        """Hand the turn on: next living seat, or close the round (and maybe the game step)."""
        if not meeting_called:
            nxt = self._next_living(seat + 1)
            if nxt is not None:
                self.current_seat = nxt
                return
            if self.phase is Phase.MEETING:
                if self.discussion_rounds_left > 0:
                    self.discussion_rounds_left -= 1
                    if self.discussion_rounds_left == 0:
                        self.votes = {}
                    self.current_seat = self._first_living()
                    return
                self._vote_out()
        self._end_game_step()

    def _end_game_step(self) -> None:
        self.timestep += 1
        if self._check_win():
            return
        if self.phase is Phase.MEETING:
            self._start_meeting()
        self.current_seat = self._first_living()

    def _start_meeting(self) -> None:
        for q in self.players:
            q.location = CAFETERIA
        self._location_clock = self.clock
        if self.discussion_rounds_left == 0:  # no discussion configured: straight to the vote
            self.votes = {}

    def _vote_out(self) -> None:
        tally: dict[int, int] = {}
        for target in self.votes.values():
            tally[target] = tally.get(target, 0) + 1
        ballots = [
            f"{self.players[v].name} voted for {self.players[t].name}"
            for v, t in self.votes.items()
        ]
        top = max(tally.values(), default=0)
        leaders = [seat for seat, count in tally.items() if count == top]
        if len(leaders) == 1:
            ejected = self.players[leaders[0]]
            ejected.alive = False
            self.dead_seats.append(ejected.seat)
            self.ejected_seats.append(ejected.seat)
            self.unreported_bodies += 1  # the ejected lie in Cafeteria, unreported
            text = f"{ejected.name} was voted out! Detailed vote info:{ballots!r}"
        else:
            text = f"No one was voted out. Detailed vote info:{ballots!r}"
        self.important_events.append(
            {
                "timestep": self.timestep,
                "phase": "meeting",
                "round": self.config.discussion_rounds,
                "action": text,
                "player": "all players",
            }
        )
        self.phase = Phase.TASK
        self.discussion_rounds_left = self.config.discussion_rounds
        self._location_clock = self.clock

    def _next_living(self, start: int) -> int | None:
        players = self.players
        for i in range(start, len(players)):
            if players[i].alive:
                return i
        return None

    def _first_living(self) -> int:
        seat = self._next_living(0)
        assert seat is not None, "a running game always has living players"
        return seat

    def _check_win(self) -> bool:
        impostors = crewmates = 0
        for q in self.players:
            if q.alive:
                if q.is_impostor:
                    impostors += 1
                else:
                    crewmates += 1
        if impostors >= crewmates:
            self.winner = WinCode.IMPOSTORS_OUTNUMBER
        elif impostors == 0:
            self.winner = WinCode.IMPOSTORS_ELIMINATED
        elif self.task_completion() == 1.0:
            self.winner = WinCode.TASKS_COMPLETED
        elif self.timestep >= self.config.max_timesteps:
            self.winner = WinCode.TIME_LIMIT
        if self.winner is not WinCode.ONGOING:
            self._legal_cache = ()
            return True
        return False

    # ------------------------------------------------------------------ event log
    def event_log(self) -> dict[str, Any]:
        """A JSON-serialisable record of the game from which ``replay`` rebuilds it exactly.

        Its ``config``, ``players``, ``steps`` and ``winner`` fields follow the layout of the
        reference games in the parity set, so both kinds of log replay the same way.
        """
        return {
            "format": LOG_FORMAT,
            "config": self.config.to_dict(),
            "seed": self.seed,
            "scenario": None if self.scenario is None else [s.to_dict() for s in self.scenario],
            "players": [
                {
                    "name": p.name,
                    "color": p.color,
                    "identity": p.identity,
                    "tasks": [[t.spot.name, t.spot.room] for t in p.tasks],
                }
                for p in self.players
            ],
            "steps": [s.to_dict() for s in self.steps],
            "winner": int(self.winner),
            "winner_reason": self.win_reason,
        }

    # ------------------------------------------------------------------ convenience
    def impostor_seats(self) -> list[int]:
        return [p.seat for p in self.players if p.is_impostor]

    def iter_living(self) -> Iterable[Player]:
        return (p for p in self.players if p.alive)


#: Each ``Action`` field's allowed types, checked for actions the caller built itself: a
#: dataclass does not enforce its annotations, and a wrong type would otherwise surface as an
#: AttributeError deep inside resolution (``message=5``) instead of an illegal action.
_FIELD_TYPES: Final[tuple[tuple[str, type | tuple[type, ...]], ...]] = (
    ("text", str),
    ("room", (str, type(None))),
    ("target", (int, type(None))),
    ("task", (TaskSpot, type(None))),
    ("message", (str, type(None))),
)


def _check_fields(action: Action) -> None:
    """Raise ``IllegalActionError`` unless every field of ``action`` has its declared type."""
    if not isinstance(action.kind, ActionKind):
        raise IllegalActionError(
            f"an Action's kind must be an ActionKind, got {type(action.kind).__name__}"
        )
    for name, allowed in _FIELD_TYPES:
        value = getattr(action, name)
        if not isinstance(value, allowed) or isinstance(value, bool):
            raise IllegalActionError(
                f"an Action's {name} must be {_type_names(allowed)}, got {type(value).__name__}"
            )


def _type_names(allowed: type | tuple[type, ...]) -> str:
    kinds = allowed if isinstance(allowed, tuple) else (allowed,)
    return " or ".join("None" if kind is type(None) else kind.__name__ for kind in kinds)


def _clean_message(message: str | None) -> str:
    """Speech is one line (a newline would break the prompt layout); empty speech is ``...``."""
    text = " ".join((message or "").split())
    return text or act.DEFAULT_SPEECH


def _check_room(room: str | None) -> str | None:
    if room is None:
        return None
    for known in ROOMS:
        if known.lower() == room.lower():
            return known
    raise IllegalActionError(f"unknown room {room!r} to watch; rooms are {', '.join(ROOMS)}")


def _move_origin(action: Action) -> str:
    return action.text[len("MOVE from ") : action.text.index(" to ")]


_MOVE_ACTIONS = {
    room: tuple(act.move(room, n) for n in CORRIDOR_NEIGHBOURS[room]) for room in ROOMS
}
_VENT_ACTIONS = {room: tuple(act.vent(room, n) for n in VENT_NEIGHBOURS[room]) for room in ROOMS}
_CALL_MEETING_ACTIONS = {room: act.call_meeting(room) for room in ROOMS}
_TASK_ACTIONS = {spot: act.complete_task(spot) for spot in TASK_SPOTS}
_FAKE_TASK_ACTIONS = {spot: act.complete_fake_task(spot) for spot in TASK_SPOTS}


@functools.lru_cache(maxsize=256)
def _vote_action(seat: int, name: str) -> Action:
    return act.vote(seat, name)


@functools.lru_cache(maxsize=256)
def _kill_action(seat: int, name: str) -> Action:
    return act.kill(seat, name)


_EFFECTS = {
    ActionKind.MOVE: Game._move,
    ActionKind.VENT: Game._move,
    ActionKind.CALL_MEETING: Game._call_meeting,
    ActionKind.VOTE: Game._vote,
    ActionKind.SPEAK: Game._no_effect,
    ActionKind.VIEW_MONITOR: Game._view_monitor,
    ActionKind.COMPLETE_TASK: Game._complete_task,
    ActionKind.COMPLETE_FAKE_TASK: Game._complete_fake_task,
    ActionKind.KILL: Game._kill,
    ActionKind.SABOTAGE: Game._no_effect,
}


def integer_seed(seed: Any) -> int:
    """``seed`` as a Python int: any non-negative integer (numpy's too), never a float or a bool.

    Negative seeds are refused, as Gymnasium refuses them: ``random.Random`` seeds with the
    absolute value, so ``-s`` would silently replay the game of ``s``."""
    if isinstance(seed, bool):
        raise TypeError("a seed must be an integer, not a bool")
    try:
        value = operator.index(seed)
    except TypeError:
        raise TypeError(f"a seed must be an integer, got {type(seed).__name__}") from None
    if value < 0:
        raise ValueError(f"a seed must be a non-negative integer, got {value}")
    return value
