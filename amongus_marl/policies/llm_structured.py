"""Structured output for LLM players: a JSON Schema per turn that only admits legal actions.

With structured output on, each request carries ``response_format`` with a JSON Schema built
from the seat's legal actions, and a server that honours it (llama.cpp's servers, vLLM and
OpenAI compile it into a grammar or constrained decoding) can only answer with a legal action.
The answer is one JSON object::

    {"memory": "...", "thinking": "...", "action": "<one of the enum>", "message": "..."}

``action`` is an ``enum``: every legal action's exact text, except two kinds whose text carries
a choice of the player's:

- SPEAK is offered as the bare word ``SPEAK``, and what is said goes into ``message`` (present
  only when SPEAK is legal). An enum cannot hold free text, and a ``pattern`` such as
  ``^SPEAK: .*$`` is not understood by every server's schema subset, while a plain string
  property is.
- VIEW MONITOR is offered once per room (``VIEW MONITOR Admin``, ...), so the room is chosen by
  the enum too.

``memory`` and ``thinking`` play the parts of the free-form answer's ``[Condensed Memory]`` and
``[Thinking Process]``, cut by ``maxLength`` so a small model cannot ramble until the token
limit; they come before ``action`` so the model writes its reasoning before it chooses.
Every property is required and no other is allowed (OpenAI's strict mode demands both).

Dialects (``response_format``'s shape):

``json_schema``
    ``{"type": "json_schema", "json_schema": {"name": ..., "strict": true, "schema": ...}}``:
    OpenAI, vLLM, and the C++ ``llama-server``.
``json_object``
    ``{"type": "json_object", "schema": ...}``: ``llama-cpp-python``'s server (the local model).

Reading the answer (``read_structured``) is tolerant as well: the JSON object may sit inside
code fences or text, and an ``action`` outside the enum (a server that ignored the schema) is
passed to the free-form matcher. An exact enum value counts as the match rule ``structured``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from amongagents.actions import DEFAULT_SPEECH, Action, ActionKind
from amongagents.skeld import ROOMS

DIALECTS: Final[tuple[str, ...]] = ("json_schema", "json_object")
SPEAK_CHOICE: Final[str] = "SPEAK"
MONITOR_CHOICE: Final[str] = "VIEW MONITOR"
#: Character limits of the free-text fields (a 135M model otherwise fills its token budget).
MEMORY_CHARS: Final[int] = 400
THINKING_CHARS: Final[int] = 300
MESSAGE_CHARS: Final[int] = 160
SCHEMA_NAME: Final[str] = "among_us_turn"


def action_choices(legal: Sequence[Action]) -> list[str]:
    """The values the schema's ``action`` enum allows, in listing order, without repeats."""
    choices: list[str] = []
    for action in legal:
        if action.kind is ActionKind.SPEAK:
            options = [SPEAK_CHOICE]
        elif action.kind is ActionKind.VIEW_MONITOR:
            options = [f"{MONITOR_CHOICE} {room}" for room in ROOMS]
        else:
            options = [action.text]
        choices.extend(option for option in options if option not in choices)
    return choices


def turn_schema(legal: Sequence[Action], reasoning: bool = True) -> dict[str, Any]:
    """The JSON Schema of one answer (see the module docstring); without ``reasoning`` (the
    compact prompt style) the answer is the action alone."""
    properties: dict[str, Any] = {}
    if reasoning:
        properties["memory"] = {"type": "string", "maxLength": MEMORY_CHARS}
        properties["thinking"] = {"type": "string", "maxLength": THINKING_CHARS}
    properties["action"] = {"type": "string", "enum": action_choices(legal)}
    if any(action.kind is ActionKind.SPEAK for action in legal):
        properties["message"] = {"type": "string", "maxLength": MESSAGE_CHARS}
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def response_format(
    legal: Sequence[Action], dialect: str, reasoning: bool = True
) -> dict[str, Any]:
    """The request's ``response_format`` for ``legal`` in ``dialect`` (see ``DIALECTS``)."""
    schema = turn_schema(legal, reasoning)
    if dialect == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": schema},
        }
    if dialect == "json_object":
        return {"type": "json_object", "schema": schema}
    raise ValueError(f"unknown structured-output dialect {dialect!r}; choose from {DIALECTS}")


def answer_format(reasoning: bool = True) -> str:
    """The system prompt's "How to answer" in structured mode (``reasoning``: with the memory
    and thinking fields)."""
    keys = (
        '"memory" (what to remember for the rest of the game: where players were, what they '
        'did, whom you suspect), "thinking" (brief reasoning), '
        if reasoning
        else ""
    )
    return (
        f"Answer with one JSON object with the keys {keys}"
        '"action" (one of the available actions, copied exactly) and, in meetings, "message". '
        'When you choose "SPEAK", "message" holds what you say; otherwise leave it empty. '
        'To watch a room on the security monitor, choose "VIEW MONITOR" followed by the room.'
    )


@dataclass(frozen=True, slots=True)
class StructuredReply:
    """A JSON answer's fields (``None``: absent or not a string)."""

    memory: str | None
    thinking: str | None
    action: str | None
    message: str | None
    cut: bool = False  # the object was cut off (by the token limit) and read field by field


_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


def read_structured(text: str) -> StructuredReply | None:
    """The fields of a JSON answer, or ``None`` when no JSON object can be read from ``text``.

    The object may be the whole answer, or sit inside code fences or prose (the first ``{`` to
    the last ``}``). An object cut off by the token limit (a long ``message``, typically) is
    read field by field: its complete string fields, and a last string cut short.
    """
    cut = False
    data = _load_object(text or "")
    if data is None:
        data = _cut_object(text or "")
        if data is None:
            return None
        cut = True

    def field(name: str) -> str | None:
        value = data.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None

    return StructuredReply(
        field("memory"), field("thinking"), field("action"), field("message"), cut
    )


#: A string field of a JSON object, closed or cut short at the end of the text.
_STRING_FIELD = re.compile(r'"(memory|thinking|action|message)"\s*:\s*"((?:[^"\\]|\\.)*)("?)')


def _cut_object(text: str) -> dict[str, str] | None:
    """The string fields of an object that does not parse, cut off (a brace inside a cut-off
    string does not close it); an ``action`` must be complete (a cut-off action names no enum
    value for sure)."""
    start = text.find("{")
    if start < 0:
        return None
    fields: dict[str, str] = {}
    for found in _STRING_FIELD.finditer(text, start):
        name, raw, closed = found.groups()
        if name == "action" and not closed:
            continue
        try:
            fields[name] = json.loads(f'"{raw}"', strict=False)
        except ValueError:  # a cut inside an escape sequence
            fields[name] = raw
    return fields or None


def _load_object(text: str) -> Mapping[str, Any] | None:
    candidates = [text.strip()]
    found = _OBJECT.search(text)
    if found:
        candidates.append(found.group(0))
    for candidate in candidates:
        try:
            # strict=False: a raw newline inside a string (some grammars let one through).
            data = json.loads(candidate, strict=False)
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    return None


def structured_action(reply: StructuredReply, legal: Sequence[Action]) -> str | None:
    """The action string for an ``action`` that is exactly one of the schema's choices, else
    ``None`` (the caller then tries the free-form matcher on it)."""
    if reply.action is None or reply.action not in action_choices(legal):
        return None
    if reply.action == SPEAK_CHOICE:
        message = " ".join((reply.message or "").split())
        return f"SPEAK: {message or DEFAULT_SPEECH}"
    return reply.action
