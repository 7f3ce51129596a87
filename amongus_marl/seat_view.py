"""What each seat has perceived, kept by the environment as the game goes.

``SeatPerception`` follows one seat through a game: the event lines it perceived since its
previous action (its own actions, the messages the engine filed for it, and the public phase
changes), the speech it heard in its latest meeting, the number of players it knows to be
alive, and what it saw when it died. ``raw_env`` updates every seat's perception after each
step and clears a seat's pending events when that seat acts, so perception is a function of the
game so far, whoever observes whenever; ``raw_env.seat_view(agent)`` hands out a ``SeatView``
snapshot. The server, the chat rendering and any other consumer render this one record.

Hidden information: everything here comes from the seat's own records (its location message,
the messages it received, its own actions), its own role, and facts every player can see
(timestep, phase, names, meetings). A dead seat perceives nothing more than the game's end: its
sight stays what it was when it died (the engine keeps filing messages for bodies, as the
reference does, and they are ignored here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
        self.events: list[str] = []
        self.chat: list[str] = []
        self.phase: PhaseName = phase_name(game)
        self.public_living = game.config.num_players
        self.last_sight: Sight | None = None
        # From the first record: whatever the game filed at its start is news at the first update.
        self._seen_observations = 0
        self._seen_actions = 0

    def begin_action(self) -> None:
        """The seat acts: what it perceived before is now behind it."""
        self.events = []

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
        history = player.action_history
        if len(history) > self._seen_actions:
            names = game.names
            for entry in history[self._seen_actions :]:
                self.events.append(f"You: {own_action_text(entry)}")
                if entry.action.kind is ActionKind.SPEAK:
                    clock = entry.clock
                    tag = clock_tag(clock, own=False)
                    self.chat.append(
                        f"Timestep {clock.timestep}: {tag} {names[self.seat]} {entry.action.text}"
                    )
            self._seen_actions = len(history)
        records = player.observations
        if len(records) > self._seen_observations:
            names = game.names
            for record in records[self._seen_observations :]:
                line = observation_text(record, names)
                self.events.append(line)
                if isinstance(record, SeenAction) and record.action.kind is ActionKind.SPEAK:
                    self.chat.append(line)
            self._seen_observations = len(records)
        if phase != previous:
            self.events.append(phase_change_text(phase, game, before=previous))
            self.phase = phase
        if not player.alive:
            self.last_sight = sight_now(game, self.seat)

    def view(self, game: Game) -> SeatView:
        dead = self.last_sight is not None
        sight = self.last_sight if self.last_sight is not None else sight_now(game, self.seat)
        return SeatView(
            self.seat,
            tuple(self.events),
            tuple(self.chat),
            self.phase,
            self.public_living,
            sight,
            dead,
        )


def perceptions(game: Game) -> list[SeatPerception]:
    """A fresh perception for every seat of a game that has not started."""
    return [SeatPerception(game, seat) for seat in range(game.config.num_players)]


def update_all(seats: list[SeatPerception], game: Game) -> None:
    """After a step: every seat takes in what it perceived."""
    phase = phase_name(game)
    for perception in seats:
        perception.update(game, phase)
