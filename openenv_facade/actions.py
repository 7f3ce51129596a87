"""Translation between the wire's ``GameAction`` and the engine's actions, for one seat.

``legal_game_actions`` lists the seat's legal moves as ready-to-send ``GameAction``s and
``resolve`` turns a client's ``GameAction`` into something ``raw_env.step`` accepts (an engine
``Action`` or a 7vik string), raising ``IllegalActionError`` with a message that names only what
the seat may know (its own options, public names and rooms).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Final

from amongagents.actions import Action, ActionKind
from amongagents.game import Game, IllegalActionError
from amongagents.skeld import ROOMS
from openenv_facade.models import GameAction

_ROOM_BY_KEY: Final[dict[str, str]] = {room.lower(): room for room in ROOMS}


@lru_cache(maxsize=4096)
def wire_action(kind: str, target: str | None = None) -> GameAction:
    """A ready-to-send action (cached: the legal list of every turn reuses the same few)."""
    return GameAction(type=kind, target=target)  # type: ignore[arg-type]


_MONITOR_CHOICES: Final[tuple[GameAction, ...]] = tuple(
    wire_action("monitor", room) for room in ROOMS
)
_TALK: Final[GameAction] = wire_action("talk")
_REPORT: Final[GameAction] = wire_action("report")
_CALL_MEETING: Final[GameAction] = wire_action("call_meeting")
_REPORT_PREFIX: Final[str] = "REPORT DEAD BODY"

#: Which engine kinds each wire type may resolve to.
_KINDS: Final[dict[str, tuple[ActionKind, ...]]] = {
    "move": (ActionKind.MOVE,),
    "vent": (ActionKind.VENT,),
    "task": (ActionKind.COMPLETE_TASK, ActionKind.COMPLETE_FAKE_TASK),
    "kill": (ActionKind.KILL,),
    "report": (ActionKind.CALL_MEETING,),
    "call_meeting": (ActionKind.CALL_MEETING,),
    "talk": (ActionKind.SPEAK,),
    "vote": (ActionKind.VOTE,),
    "monitor": (ActionKind.VIEW_MONITOR,),
}


def legal_game_actions(game: Game, legal: list[Action]) -> list[GameAction]:
    """The seat's legal engine actions as wire actions (the monitor once per room)."""
    result: list[GameAction] = []
    seen: set[tuple[str | None, str | None]] = set()
    colors = [p.color for p in game.players]
    for action in legal:
        kind = action.kind
        if kind is ActionKind.MOVE:
            wire = wire_action("move", action.room)
        elif kind is ActionKind.VENT:
            wire = wire_action("vent", action.room)
        elif kind is ActionKind.CALL_MEETING:
            wire = _REPORT if action.text.startswith(_REPORT_PREFIX) else _CALL_MEETING
        elif kind is ActionKind.VOTE:
            wire = wire_action("vote", colors[action.target])  # type: ignore[index]
        elif kind is ActionKind.KILL:
            wire = wire_action("kill", colors[action.target])  # type: ignore[index]
        elif kind is ActionKind.SPEAK:
            wire = _TALK
        elif kind is ActionKind.VIEW_MONITOR:
            result.extend(_MONITOR_CHOICES)
            continue
        elif kind is ActionKind.COMPLETE_TASK or kind is ActionKind.COMPLETE_FAKE_TASK:
            wire = wire_action("task", action.task.name)  # type: ignore[union-attr]
        else:  # sabotage: never legal in this engine
            continue
        key = (wire.type, wire.target)
        if key not in seen:
            seen.add(key)
            result.append(wire)
    return result


def resolve(game: Game, seat: int, action: GameAction, body_visible: bool) -> Action | str:
    """The engine action (or 7vik string) that ``action`` names for ``seat`` now, or raise
    ``IllegalActionError``. ``body_visible``: the seat's location message shows a body."""
    if action.raw is not None:
        return action.raw
    legal = game.legal_actions(seat)
    kind = action.type
    assert kind is not None  # GameAction guarantees type or raw
    candidates = [a for a in legal if a.kind in _KINDS[kind]]
    if not candidates:
        available = sorted({str(w.type) for w in legal_game_actions(game, legal)})
        raise IllegalActionError(
            f"'{kind}' is not possible now; possible: {', '.join(available) or 'nothing'}"
        )
    return _RESOLVERS[kind](game, action, candidates, body_visible)


def _room(target: str | None, what: str) -> str:
    if target is None or not target.strip():
        raise IllegalActionError(f"{what} needs a target room")
    room = _ROOM_BY_KEY.get(target.strip().lower())
    if room is None:
        raise IllegalActionError(f"unknown room {target!r}; rooms are {', '.join(ROOMS)}")
    return room


def _by_room(
    game: Game, action: GameAction, candidates: list[Action], body_visible: bool
) -> Action:
    room = _room(action.target, f"'{action.type}'")
    for candidate in candidates:
        if candidate.room == room:
            return candidate
    options = ", ".join(c.room for c in candidates)  # type: ignore[misc]
    raise IllegalActionError(
        f"cannot {action.type} to {room} from here; you can {action.type} to: {options}"
    )


def _player_seat(game: Game, target: str | None, what: str) -> int:
    if target is None or not target.strip():
        raise IllegalActionError(f"{what} needs a target player (a colour or a name)")
    key = target.strip().lower()
    for p in game.players:
        if key == p.color or key == p.name.lower():
            return p.seat
    names = ", ".join(p.name for p in game.players)
    raise IllegalActionError(f"no player {target!r}; players are {names}")


def _by_player(
    game: Game, action: GameAction, candidates: list[Action], body_visible: bool
) -> Action:
    seat = _player_seat(game, action.target, f"'{action.type}'")
    for candidate in candidates:
        if candidate.target == seat:
            return candidate
    options = ", ".join(game.players[c.target].color for c in candidates)  # type: ignore[index]
    raise IllegalActionError(
        f"cannot {action.type} {game.players[seat].name} now; you can {action.type}: {options}"
    )


def _task(game: Game, action: GameAction, candidates: list[Action], body_visible: bool) -> Action:
    if action.target is None or not action.target.strip():
        names = {c.task.name for c in candidates}  # type: ignore[union-attr]
        if len(names) == 1:
            return candidates[0]
        raise IllegalActionError(
            f"'task' needs the task's name; here you can do: {', '.join(sorted(names))}"
        )
    key = action.target.strip().lower()
    for candidate in candidates:
        if candidate.task.name.lower() == key:  # type: ignore[union-attr]
            return candidate
    options = ", ".join(sorted({c.task.name for c in candidates}))  # type: ignore[union-attr]
    raise IllegalActionError(f"no task {action.target!r} to do here; you can do: {options}")


def _meeting(
    game: Game, action: GameAction, candidates: list[Action], body_visible: bool
) -> Action:
    if action.target is not None:
        raise IllegalActionError(f"'{action.type}' takes no target")
    if action.type == "report" and not body_visible:
        raise IllegalActionError(
            "there is no body here to report; 'call_meeting' presses the emergency button"
        )
    return candidates[0]


def _talk(game: Game, action: GameAction, candidates: list[Action], body_visible: bool) -> str:
    message = action.target if action.target is not None else "..."
    return f"SPEAK: {message}"


def _monitor(game: Game, action: GameAction, candidates: list[Action], body_visible: bool) -> str:
    if action.target is None:
        return "VIEW MONITOR"
    room = _room(action.target, "'monitor'")
    return f"VIEW MONITOR {room}"


_Resolver = Callable[[Game, GameAction, list[Action], bool], "Action | str"]
_RESOLVERS: Final[dict[str, _Resolver]] = {
    "move": _by_room,
    "vent": _by_room,
    "task": _task,
    "kill": _by_player,
    "report": _meeting,
    "call_meeting": _meeting,
    "talk": _talk,
    "vote": _by_player,
    "monitor": _monitor,
}
