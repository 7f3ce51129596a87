"""What each seat has perceived, kept by the environment as the game goes.

``SeatPerception`` follows one seat through a game: the event lines it perceived since its
previous action (its own actions, the messages the engine filed for it, and the public phase
changes), the speech it heard in its latest meeting, the number of players it knows to be
alive, and what it saw when it died. ``Perceptions`` keeps every seat's for ``raw_env``: as if
each seat took in what it perceived after every step (and let go of its pending events when it
acts), but lazily, so a step costs one check. Perception is a function of the game so far,
whoever observes whenever; ``raw_env.seat_view(agent)`` hands out a ``SeatView`` snapshot.
The server, the chat rendering and any other consumer render this one record.

Hidden information: everything here comes from the seat's own records (its location message,
the messages it received, its own actions), its own role, and facts every player can see
(timestep, phase, names, meetings). A dead seat perceives nothing more than the game's end: its
sight stays what it was when it died (the engine keeps filing messages for bodies, as the
reference does, and they are ignored here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from amongagents.actions import ActionKind
from amongagents.game import Game
from amongagents.records import Phase, SeenAction
from amongagents.text import clock_tag, observation_text, own_action_text
from amongus_marl.observations import text_observation

PhaseName = Literal["not_started", "task", "discussion", "voting", "game_over"]


@dataclass(frozen=True, slots=True)
class VisibleOther:
    """Another player (or a body) in the seat's room according to its location message."""

    name: str
    color: str
    dead: bool


@dataclass(frozen=True, slots=True)
class Sight:
    """Where the seat is, who it sees there, and its 7vik-layout prompt."""

    location: str
    visible: tuple[VisibleOther, ...]
    prompt: str


@dataclass(frozen=True, slots=True)
class SeatView:
    """A snapshot of one seat's perception (see the module docstring)."""

    seat: int
    events: tuple[str, ...]  # since the seat's previous action (or the game's start)
    chat: tuple[str, ...]  # speech heard in the latest meeting
    phase: PhaseName  # the phase as the seat last perceived it
    public_living: int  # players known alive as of the latest meeting the seat saw
    sight: Sight  # now, or as it was when the seat died
    dead_sight: bool  # ``sight`` is the seat's last sight (it is dead)


def phase_name(game: Game) -> PhaseName:
    if game.is_over:
        return "game_over"
    if game.phase is Phase.TASK:
        return "task"
    return "voting" if game.is_voting else "discussion"


def in_meeting(phase: PhaseName) -> bool:
    return phase == "discussion" or phase == "voting"


def phase_change_text(after: PhaseName, game: Game, *, before: PhaseName) -> str:
    """The public line announcing a phase change (a meeting's start and end are seen by all)."""
    t = game.timestep
    if after == "discussion":
        return f"Timestep {t}: a meeting was called; everyone gathers in the Cafeteria to discuss."
    if after == "voting" and not in_meeting(before):  # a game without discussion rounds
        return f"Timestep {t}: a meeting was called; everyone gathers in the Cafeteria to vote."
    if after == "voting":
        return f"Timestep {t}: the discussion is over; vote to eject a player."
    if after == "task":
        return f"Timestep {t}: the meeting is over; back to the task phase."
    return f"Game over: {game.win_reason}"


def sight_now(game: Game, seat: int) -> Sight:
    """The seat's location, the others in its latest location message, and its prompt."""
    info = game.location_info(seat)
    names, players = game.names, game.players
    visible = tuple(
        VisibleOther(names[other], players[other].color, dead)
        for other, dead in zip(info.occupants, info.dead, strict=True)
        if other != seat
    )
    return Sight(players[seat].location, visible, text_observation(game, seat))


class SeatPerception:
    """One seat's perception, updated after every step of the game (see the module docstring)."""

    __slots__ = (
        "seat",
        "events",
        "chat",
        "phase",
        "public_living",
        "last_sight",
        "_seen_observations",
        "_seen_actions",
    )

    def __init__(self, game: Game, seat: int) -> None:
        self.seat = seat
        # Event lines, or (own action?, record) rendered only when looked at: most are never read.
        self.events: list[str | tuple[bool, Any]] = []
        self.chat: list[str | tuple[bool, Any]] = []  # (own speech?, record) until rendered
        self.phase: PhaseName = phase_name(game)
        self.public_living = game.config.num_players
        self.last_sight: Sight | None = None
        # From the first record: whatever the game filed at its start is news at the first update.
        self._seen_observations = 0
        self._seen_actions = 0

    def begin_action(self) -> None:
        """The seat acts: what it perceived before is now behind it."""
        self.events = []

    def let_go(self, game: Game) -> None:
        """The seat acts: its pending records are behind it, never rendered as events; only the
        speech among them still joins its meeting's chat. (Records before the latest public
        change were taken in then, so the seat's phase is the game's.)"""
        self.events = []
        if self.last_sight is not None:
            return
        player = game.players[self.seat]
        history, records = player.action_history, player.observations
        if in_meeting(self.phase):
            for entry in history[self._seen_actions :]:
                if entry.action.kind is ActionKind.SPEAK:
                    self.chat.append((True, entry))
            for record in records[self._seen_observations :]:
                if isinstance(record, SeenAction) and record.action.kind is ActionKind.SPEAK:
                    self.chat.append((False, record))
        self._seen_actions = len(history)
        self._seen_observations = len(records)

    def update(self, game: Game, phase: PhaseName) -> None:
        """Take in what the last step let the seat perceive; ``phase`` is the game's phase now."""
        if self.last_sight is not None:  # the dead perceive nothing more, bar the game's end
            if phase == "game_over" and self.phase != "game_over":
                self.events.append(phase_change_text("game_over", game, before=self.phase))
                self.phase = "game_over"
            return
        player = game.players[self.seat]
        previous = self.phase
        if phase != previous:
            if in_meeting(phase) and not in_meeting(previous):
                self.chat = []
            if in_meeting(phase) or in_meeting(previous):
                # Everyone stands in the Cafeteria at a meeting and sees the vote; deaths in the
                # task phase stay secret.
                self.public_living = sum(p.alive for p in game.players)
        # Speech is filed only in meetings: records of a task phase need no scan for it.
        speech = in_meeting(previous) or in_meeting(phase)
        history = player.action_history
        if len(history) > self._seen_actions:
            new = history[self._seen_actions :]
            self.events.extend([(True, entry) for entry in new])
            if speech:
                self.chat.extend(
                    [(True, entry) for entry in new if entry.action.kind is ActionKind.SPEAK]
                )
            self._seen_actions = len(history)
        records = player.observations
        if len(records) > self._seen_observations:
            fresh = records[self._seen_observations :]
            self.events.extend([(False, record) for record in fresh])
            if speech:
                self.chat.extend(
                    [
                        (False, record)
                        for record in fresh
                        if isinstance(record, SeenAction) and record.action.kind is ActionKind.SPEAK
                    ]
                )
            self._seen_observations = len(records)
        if phase != previous:
            self.events.append(phase_change_text(phase, game, before=previous))
            self.phase = phase
        if not player.alive:
            self.last_sight = sight_now(game, self.seat)

    def pending_events(self, game: Game) -> tuple[str, ...]:
        """The event lines since the seat's previous action, rendered (each once: kept)."""
        names = game.names
        events = self.events
        for i, item in enumerate(events):
            if not isinstance(item, str):
                own, record = item
                events[i] = (
                    f"You: {own_action_text(record)}" if own else observation_text(record, names)
                )
        return tuple(events)  # type: ignore[arg-type]

    def chat_lines(self, game: Game) -> tuple[str, ...]:
        """The meeting's speech, rendered (each line once: kept)."""
        names = game.names
        chat = self.chat
        for i, item in enumerate(chat):
            if not isinstance(item, str):
                own, record = item
                chat[i] = (
                    _own_speech(record, names[self.seat])
                    if own
                    else observation_text(record, names)
                )
        return tuple(chat)  # type: ignore[arg-type]

    def view(self, game: Game) -> SeatView:
        dead = self.last_sight is not None
        sight = self.last_sight if self.last_sight is not None else sight_now(game, self.seat)
        return SeatView(
            self.seat,
            self.pending_events(game),
            self.chat_lines(game),
            self.phase,
            self.public_living,
            sight,
            dead,
        )


def _own_speech(entry: Any, name: str) -> str:
    """The seat's own speech as the others' messages show it (a chat line)."""
    clock = entry.clock
    return f"Timestep {clock.timestep}: {clock_tag(clock, own=False)} {name} {entry.action.text}"


class Perceptions:
    """Every seat's perception of one game, brought up to date lazily but exactly.

    Between two public changes (a phase change, a death) a seat only accumulates its own records
    in order, so its records are read when it is looked at or acts. At a public change every
    seat takes in its records first and then the change, as it would have step by step; that
    check is all a step costs."""

    __slots__ = ("game", "seats", "phase", "dead")

    def __init__(self, game: Game) -> None:
        self.game = game
        self.seats = [SeatPerception(game, seat) for seat in range(game.config.num_players)]
        self.phase = phase_name(game)
        self.dead = len(game.dead_seats)

    def after_step(self) -> None:
        game = self.game
        phase = phase_name(game)
        dead = len(game.dead_seats)
        if phase != self.phase or dead != self.dead:
            self.phase, self.dead = phase, dead
            for perception in self.seats:
                perception.update(game, phase)

    def begin_action(self, seat: int) -> None:
        """``seat`` acts: its records so far are taken in (its meeting chat keeps them), then
        its pending events are behind it."""
        self.seats[seat].let_go(self.game)

    def known_living(self, seat: int) -> int:
        perception = self.seats[seat]
        perception.update(self.game, self.phase)
        return perception.public_living

    def events(self, seat: int) -> tuple[str, ...]:
        perception = self.seats[seat]
        perception.update(self.game, self.phase)
        return perception.pending_events(self.game)

    def view(self, seat: int) -> SeatView:
        perception = self.seats[seat]
        perception.update(self.game, self.phase)
        return perception.view(self.game)
