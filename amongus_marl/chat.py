"""A seat's view as Chat Completions messages, its moves as OpenAI-style tools.

The chat rendering of a seat is one ``system`` message (the rules, the map, the seat's role and
goals, all generated from the game's config and map, so they cannot disagree with the engine),
then per turn one ``user`` message (what the seat perceived since its previous action, and its
7vik-layout prompt), the ``assistant`` message with the tool call the seat made, and a ``tool``
message acknowledging it. The list is ready to send to any Chat Completions API.

Tools: one per kind of move (``move``, ``vent``, ``task``, ``kill``, ``report``,
``call_meeting``, ``talk``, ``vote``, ``monitor``), offered only when legal, with JSON-Schema
arguments whose legal targets are ``enum``s. ``action_of_tool_call`` turns an assistant message
(or one tool call) back into an engine action, or raises ``IllegalActionError`` with a message
naming only the seat's own options: a malformed call changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from amongagents.actions import Action, ActionKind
from amongagents.game import Game, IllegalActionError
from amongagents.skeld import CORRIDOR_NEIGHBOURS, ROOMS, VENT_NEIGHBOURS

Message = dict[str, Any]
TOOL_NAMES: Final[tuple[str, ...]] = (
    "move",
    "vent",
    "task",
    "kill",
    "report",
    "call_meeting",
    "talk",
    "vote",
    "monitor",
)
_REPORT_PREFIX: Final[str] = "REPORT DEAD BODY"
_DESCRIPTIONS: Final[dict[str, str]] = {
    "move": "Walk to an adjacent room.",
    "vent": "Travel through a vent to a connected room (impostors only).",
    "task": "Work on one of your tasks in this room (an impostor only pretends to).",
    "kill": "Kill a crewmate in your room (impostors only, when the cooldown allows).",
    "report": "Report the dead body in your room; everyone gathers for a meeting.",
    "call_meeting": "Press the emergency button in the Cafeteria; everyone gathers for a meeting.",
    "talk": "Say something to everyone in the meeting.",
    "vote": "Vote to eject a player at the end of the meeting.",
    "monitor": "Watch a room on the Security monitor.",
}
_ARGUMENT: Final[dict[str, tuple[str, str]]] = {  # tool -> (argument, description)
    "move": ("room", "the room to walk to"),
    "vent": ("room", "the room to vent to"),
    "task": ("task", "the task to work on"),
    "kill": ("player", "the player to kill"),
    "vote": ("player", "the player to eject"),
    "monitor": ("room", "the room to watch"),
    "talk": ("message", "what to say"),
}


# ------------------------------------------------------------------------------------ messages
def system_message(game: Game, seat: int) -> Message:
    """The rules, the map, and the seat's role and goals, from the game's config and map."""
    config, me = game.config, game.players[seat]
    rooms = "\n".join(
        f"- {room}: corridors to {', '.join(CORRIDOR_NEIGHBOURS[room])}"
        + (f"; vents to {', '.join(VENT_NEIGHBOURS[room])}" if VENT_NEIGHBOURS.get(room) else "")
        for room in ROOMS
    )
    if me.is_impostor:
        mates = [game.names[s] for s in game.impostor_seats() if s != seat]
        role = (
            "You are an IMPOSTOR. Kill crewmates without being caught: the impostors win when "
            "they are as many as the living crewmates, or when the time runs out. You may vent "
            f"and fake tasks; after a kill you must wait {config.kill_cooldown} timesteps to "
            "kill again." + (f" Your fellow impostors: {', '.join(mates)}." if mates else "")
        )
    else:
        role = (
            "You are a CREWMATE. Complete your tasks and find the impostors: the crew wins when "
            "every task is done or every impostor has been voted out."
        )
    content = (
        f"You are {me.name} in a game of Among Us on the Skeld with {config.num_players} "
        f"players, {config.num_impostors} of them impostors.\n\n"
        f"{role}\n\n"
        "Rules: players act in turns, one action each per timestep. A dead body can be "
        "reported, or the emergency button pressed in the Cafeteria "
        f"({config.max_num_buttons} uses per game), to call a meeting: everyone gathers, "
        f"speaks for {config.discussion_rounds} round(s), then votes; the player with the most "
        "votes is ejected (a tie ejects no one). The game ends after "
        f"{config.max_timesteps} timesteps.\n\n"
        f"The map:\n{rooms}\n\n"
        "Each turn you get what you perceived since your previous action and your situation. "
        "Answer with exactly one tool call."
    )
    return {"role": "system", "content": content}


def turn_message(events: Sequence[str], prompt: str) -> Message:
    """The ``user`` message of one of the seat's turns (or of the game's end)."""
    parts = []
    if events:
        parts.append("Since your previous action:\n" + "\n".join(f"- {e}" for e in events))
    parts.append(prompt)
    return {"role": "user", "content": "\n\n".join(parts)}


def assistant_message(game: Game, action: Action, call_id: str) -> list[Message]:
    """The seat's move as an assistant message with its tool call, and the tool's answer."""
    name, arguments = tool_call_of(game, action)
    return [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(arguments)},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "content": f"done: {action.text}"},
    ]


def tool_call_of(game: Game, action: Action) -> tuple[str, dict[str, str]]:
    """The tool name and arguments that name ``action``."""
    kind = action.kind
    if kind is ActionKind.MOVE:
        return "move", {"room": str(action.room)}
    if kind is ActionKind.VENT:
        return "vent", {"room": str(action.room)}
    if kind is ActionKind.COMPLETE_TASK or kind is ActionKind.COMPLETE_FAKE_TASK:
        assert action.task is not None
        return "task", {"task": action.task.name}
    if kind is ActionKind.KILL:
        return "kill", {"player": game.names[action.target]}  # type: ignore[index]
    if kind is ActionKind.VOTE:
        return "vote", {"player": game.names[action.target]}  # type: ignore[index]
    if kind is ActionKind.CALL_MEETING:
        return ("report" if action.text.startswith(_REPORT_PREFIX) else "call_meeting"), {}
    if kind is ActionKind.SPEAK:
        return "talk", {"message": action.message or action.text.removeprefix("SPEAK: ")}
    if kind is ActionKind.VIEW_MONITOR:
        return "monitor", ({"room": action.room} if action.room else {})
    raise ValueError(f"no tool names {action.text!r}")


# --------------------------------------------------------------------------------------- tools
def _choices(game: Game, legal: Sequence[Action]) -> dict[str, list[str]]:
    """Tool name -> the legal values of its argument (empty for tools without one)."""
    choices: dict[str, list[str]] = {}
    for action in legal:
        kind = action.kind
        if kind is ActionKind.VIEW_MONITOR:
            choices["monitor"] = list(ROOMS)
            continue
        if kind is ActionKind.SPEAK:
            choices.setdefault("talk", [])
            continue
        if kind is ActionKind.SABOTAGE:
            continue
        name, arguments = tool_call_of(game, action)
        values = choices.setdefault(name, [])
        for value in arguments.values():
            if value not in values:
                values.append(value)
    return {name: choices[name] for name in TOOL_NAMES if name in choices}


def tool_definitions(game: Game, legal: Sequence[Action]) -> list[dict[str, Any]]:
    """The seat's legal moves as OpenAI-style tool definitions (legal targets as enums)."""
    tools = []
    for name, values in _choices(game, legal).items():
        properties: dict[str, Any] = {}
        required: list[str] = []
        if name in _ARGUMENT:
            argument, description = _ARGUMENT[name]
            schema: dict[str, Any] = {"type": "string", "description": description}
            if name == "talk":
                schema["maxLength"] = 500
            else:
                schema["enum"] = values
            properties[argument] = schema
            required.append(argument)
        tools.append(
            {
                "type": "function",
                "function": {
                    "name": name,
                    "description": _DESCRIPTIONS[name],
                    "parameters": {
                        "type": "object",
                        "properties": properties,
                        "required": required,
                        "additionalProperties": False,
                    },
                },
            }
        )
    return tools


# ----------------------------------------------------------------------------------- tool calls
def action_of_tool_call(game: Game, message: Mapping[str, Any]) -> Action | str:
    """The engine action (or 7vik string) an assistant message's single tool call names for the
    seat to act, or ``IllegalActionError``. Accepts the message, or one tool call
    (``{"function": {"name", "arguments"}}`` or ``{"name", "arguments"}``)."""
    call = _single_call(message)
    function = call.get("function", call)
    if not isinstance(function, Mapping):
        raise IllegalActionError("a tool call's 'function' must be an object")
    name = function.get("name")
    raw_arguments = function.get("arguments", "{}")
    if not isinstance(name, str):
        raise IllegalActionError("a tool call needs a 'name' (string)")
    if isinstance(raw_arguments, str):
        try:
            arguments = json.loads(raw_arguments) if raw_arguments.strip() else {}
        except ValueError as exc:
            raise IllegalActionError(
                f"the arguments of tool {name!r} are not valid JSON: {exc}"
            ) from None
    else:
        arguments = raw_arguments
    if not isinstance(arguments, Mapping):
        raise IllegalActionError(f"the arguments of tool {name!r} must be a JSON object")
    legal = game.current_legal_actions
    choices = _choices(game, legal)
    if name not in choices:
        known = "unknown tool" if name not in TOOL_NAMES else "not possible now"
        raise IllegalActionError(
            f"tool {name!r}: {known}; possible now: {', '.join(choices) or 'nothing'}"
        )
    expected = {_ARGUMENT[name][0]} if name in _ARGUMENT else set()
    extra = sorted(set(arguments) - expected)
    if extra:
        raise IllegalActionError(
            f"tool {name!r} takes {sorted(expected) or 'no arguments'}, got unknown {extra}"
        )
    if not expected:
        return next(a for a in legal if tool_call_of(game, a)[0] == name)
    argument = next(iter(expected))
    value = arguments.get(argument)
    if not isinstance(value, str):
        raise IllegalActionError(f"tool {name!r} needs {argument!r} (a string)")
    if name == "talk":
        return f"SPEAK: {value}"
    if value not in choices[name]:
        raise IllegalActionError(
            f"tool {name!r}: {argument} {value!r} is not possible now; "
            f"choose from {', '.join(choices[name])}"
        )
    if name == "monitor":
        return f"VIEW MONITOR {value}"
    for action in legal:
        if action.kind is not ActionKind.SPEAK and tool_call_of(game, action) == (
            name,
            {argument: value},
        ):
            return action
    raise IllegalActionError(f"tool {name!r} with {argument} {value!r} is not possible now")


def _single_call(message: Mapping[str, Any]) -> Mapping[str, Any]:
    if "tool_calls" in message or message.get("role") == "assistant":
        calls = message.get("tool_calls")
        if not isinstance(calls, list) or not calls:
            raise IllegalActionError(
                "the assistant message has no tool_calls: answer with exactly one tool call"
            )
        if len(calls) != 1:
            raise IllegalActionError(
                f"the assistant message has {len(calls)} tool calls: one move per turn"
            )
        call = calls[0]
        if not isinstance(call, Mapping):
            raise IllegalActionError("a tool call must be an object")
        return call
    return message
