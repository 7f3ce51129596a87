"""Shared helpers for the engine tests: cast builders, a small driver and state snapshots.

Tests fix roles, colours and tasks with a scenario, then drive every seat with explicit 7vik
action strings. Seats that a test does not care about take an *idle* action: in the task phase
the first listed MOVE (so they shuttle between two rooms and never kill or call), in discussion
``SPEAK: ...``, and in the voting round a vote for the next living seat (every living player
then gets one vote, a tie, so nobody is ejected).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping
from typing import Any

from amongagents import PRESETS, Game, GameConfig, Player, information_block
from amongagents.actions import ActionKind
from amongagents.records import Phase, SeenAction
from amongagents.skeld import shortest_path

TaskPlace = tuple[str, str]  # (task name, room)

# Task instances used across the tests, by what they are.
FIX_WIRING_CAFETERIA: TaskPlace = ("Fix Wiring", "Cafeteria")
FIX_WIRING_ADMIN: TaskPlace = ("Fix Wiring", "Admin")
FIX_WIRING_ELECTRICAL: TaskPlace = ("Fix Wiring", "Electrical")
SWIPE_CARD_ADMIN: TaskPlace = ("Swipe Card", "Admin")
DOWNLOAD_DATA_CAFETERIA: TaskPlace = ("Download Data", "Cafeteria")
UPLOAD_DATA_ADMIN: TaskPlace = ("Upload Data", "Admin")
EMPTY_GARBAGE_CAFETERIA: TaskPlace = ("Empty Garbage", "Cafeteria")  # long: 2 actions
SUBMIT_SCAN_MEDBAY: TaskPlace = ("Submit Scan", "Medbay")

MAX_DRIVER_STEPS = 10_000


def config(base: str = "five_member", **overrides: int) -> GameConfig:
    """A preset with some keys changed."""
    return dataclasses.replace(PRESETS[base], **overrides)


def crewmate(color: str, *tasks: TaskPlace) -> dict[str, Any]:
    return {"color": color, "role": "Crewmate", "tasks": [list(t) for t in tasks]}


def impostor(color: str, *tasks: TaskPlace) -> dict[str, Any]:
    return {"color": color, "role": "Impostor", "tasks": [list(t) for t in tasks]}


def new_game(*seats: Mapping[str, Any], seed: int = 0, **overrides: int) -> Game:
    """A five-member-rules game whose cast is exactly ``seats`` (in seat order); config keys may
    be overridden. ``num_players`` and ``num_impostors`` follow from the cast.
    """
    impostors = sum(1 for s in seats if str(s.get("role", "")).lower() == "impostor")
    cfg = config("five_member", num_players=len(seats), num_impostors=impostors, **overrides)
    return Game(cfg, seed=seed, scenario=list(seats))


# ---------------------------------------------------------------------- action strings
def move(source: str, destination: str) -> str:
    return f"MOVE from {source} to {destination}"


def kill(game: Game, seat: int) -> str:
    return f"KILL {game.names[seat]}"


def vote(game: Game, seat: int) -> str:
    return f"VOTE {game.names[seat]}"


def legal_of_kind(game: Game, kind: ActionKind, seat: int | None = None) -> list[str]:
    return [a.text for a in game.legal_actions(seat) if a.kind is kind]


# ---------------------------------------------------------------------- driving
def play(game: Game, *actions: str) -> None:
    """Take ``actions`` in order, each by whichever seat is acting."""
    for action in actions:
        game.step(action)


def idle_action(game: Game) -> str:
    """The action of a seat the test does not care about (see the module docstring)."""
    if game.phase is Phase.TASK:
        return next(a.text for a in game.legal_actions() if a.kind is ActionKind.MOVE)
    if not game.is_voting:
        return "SPEAK: ..."
    living = [p.seat for p in game.players if p.alive]
    me = living.index(game.current_seat)
    return vote(game, living[(me + 1) % len(living)])


def idle_until(game: Game, seat: int) -> None:
    """Let the other seats idle until it is ``seat``'s turn."""
    for _ in range(MAX_DRIVER_STEPS):
        if game.current_seat == seat and not game.is_over:
            return
        if game.is_over:
            raise AssertionError(f"the game ended ({game.win_reason}) before seat {seat} acted")
        game.step(idle_action(game))
    raise AssertionError(f"seat {seat} never got a turn")


def act(game: Game, seat: int, action: str) -> None:
    """Idle the others until ``seat`` acts, then take ``action`` as that seat."""
    idle_until(game, seat)
    game.step(action)


def finish_round(game: Game) -> None:
    """Idle the remaining seats of the current round (task round, discussion or voting round)."""
    start = (game.timestep, game.phase, game.discussion_round)
    while not game.is_over and (game.timestep, game.phase, game.discussion_round) == start:
        game.step(idle_action(game))


def walk(game: Game, seat: int, room: str) -> None:
    """Walk ``seat`` to ``room`` along its reference path (venting where an impostor's path
    does), one hop per task round."""
    player = game.players[seat]
    path = shortest_path(player.location, room, impostor=player.is_impostor)
    for destination in path[1:]:
        idle_until(game, seat)
        hop = next(
            a
            for a in game.legal_actions()
            if a.kind in (ActionKind.MOVE, ActionKind.VENT) and a.room == destination
        )
        game.step(hop.text)


def hold_meeting(game: Game, votes: Mapping[int, int] | None = None) -> None:
    """Play a whole meeting: everyone speaks, then each living seat votes as ``votes`` says
    (voter seat -> target seat); seats not listed cast idle votes."""
    assert game.phase is Phase.MEETING, "no meeting is running"
    votes = votes or {}
    timestep = game.timestep
    while not game.is_over and game.phase is Phase.MEETING and game.timestep == timestep:
        seat = game.current_seat
        if game.is_voting and seat in votes:
            game.step(vote(game, votes[seat]))
        else:
            game.step(idle_action(game))


def play_randomly(game: Game, rng: random.Random, max_steps: int = MAX_DRIVER_STEPS) -> int:
    """Uniformly random legal actions (the monitor room left to the game) until the game ends."""
    steps = 0
    while not game.is_over:
        assert steps < max_steps, "the game did not end"
        legal = game.legal_actions()
        game.step(legal[rng.randrange(len(legal))])
        steps += 1
    return steps


# ---------------------------------------------------------------------- observing
def location_line(game: Game, seat: int) -> str:
    """The ``Players in <room>: ...`` line of ``seat``'s information block."""
    block = information_block(game, seat)
    return next(line for line in block.splitlines() if line.startswith("Players in "))


def seen_actions(game: Game, seat: int) -> list[SeenAction]:
    """The real-time action messages ``seat`` received (its monitor readouts left out)."""
    return [o for o in game.players[seat].observations if isinstance(o, SeenAction)]


def section(block: str, title: str) -> list[str]:
    """The lines of one block part (e.g. ``Observation history:``) up to its empty line."""
    lines = block.split("\n")
    start = lines.index(title) + 1
    end = lines.index("", start)
    return lines[start:end]


def mask_phase_instruction(block: str) -> str:
    """Replace the lines between ``Current phase:`` and the next empty line by one placeholder,
    as the parity set does (the instruction prose is each engine's own)."""
    out: list[str] = []
    lines = block.split("\n")
    i = 0
    while i < len(lines):
        out.append(lines[i])
        if lines[i].startswith("Current phase:"):
            out.append("<phase instruction>")
            i += 1
            while i < len(lines) and lines[i] != "":
                i += 1
            continue
        i += 1
    return "\n".join(out)


def snapshot(game: Game) -> dict[str, Any]:
    """Everything observable about a game, copied, for before/after equality checks."""
    return {
        "event_log": game.event_log(),
        "rng": game.rng.getstate(),
        "players": [_player_state(p) for p in game.players],
        "blocks": [information_block(game, p.seat) for p in game.players],
        "legal": game.legal_action_strings(),
        "current_seat": game.current_seat,
        "timestep": game.timestep,
        "phase": game.phase,
        "discussion_rounds_left": game.discussion_rounds_left,
        "button_uses": game.button_uses,
        "votes": dict(game.votes),
        "winner": game.winner,
        "important_events": [dict(e) for e in game.important_events],
        "task_completion": game.task_completion(),
    }


def _player_state(player: Player) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for f in dataclasses.fields(player):
        value = getattr(player, f.name)
        if f.name == "tasks":
            value = [(t.spot, t.remaining, t.owner) for t in value]
        elif isinstance(value, list):
            value = list(value)
        state[f.name] = value
    return state
