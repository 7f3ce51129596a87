"""MCP tools for the seat's moves, and the JSON-RPC 2.0 dispatcher behind ``/mcp``.

The tools are the moves a seat can make (move, vent, task, kill, report, call_meeting, talk,
vote, monitor), each with a JSON Schema for its arguments. Calling one plays that move for the
session's seat, exactly like a ``step`` with the matching ``GameAction``, and returns the
resulting observation. Simulation control (reset, step, state, close) is never a tool.

Methods: ``initialize``, ``ping``, ``tools/list``, ``tools/call``, and OpenEnv's
``openenv/session/create`` (a new session, whose game starts at once; its params are reset
arguments; on a ``/ws`` connection, which is its own session, the game restarts with them) and
``openenv/session/close``. Over HTTP a ``tools/call`` names its session with
``params.session_id``; on a ``/ws`` connection the connection's own session is used.

OpenEnv's ``MCPToolClient`` by default sends the tools as step actions on ``/ws``
(``{"type": "list_tools"}``, ``{"type": "call_tool", "tool_name", "arguments"}``); they are
answered here too, as OpenEnv's MCP environments answer them (``list_tools_step``,
``call_tool_step``).

A valid request without an ``id`` is a JSON-RPC notification: it is carried out (MCP clients
send ``notifications/initialized``, which needs nothing) and never answered. A payload that is no
valid request is answered with an error even without an ``id`` (whose ``id`` is then null).

Errors follow JSON-RPC: a malformed request, an unknown method or tool, or arguments that do not
fit the tool's schema get an error object and change nothing. A well-formed move the game does
not allow now is a tool-level failure: the result has ``isError: true`` and the observation's
``error`` says why (the game is unchanged, as for a ``step``).
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from pydantic import BaseModel, ValidationError

from amongagents.skeld import ROOMS
from openenv_facade.json_depth import nests_deeper_than, too_deep_message
from openenv_facade.models import (
    GameAction,
    GameObservation,
    JsonRpcError,
    JsonRpcRequest,
    KillArguments,
    MonitorArguments,
    MoveArguments,
    NoArguments,
    ResetParams,
    TalkArguments,
    TaskArguments,
    VentArguments,
    VoteArguments,
    is_unicode_text,
    validation_issues,
)
from openenv_facade.registry import CapacityError, SessionRegistry, SessionSlot
from openenv_facade.session import RequestError, SessionError

if TYPE_CHECKING:
    from openenv_facade.metrics import ServerMetrics

log = logging.getLogger("openenv_facade.mcp")

PROTOCOL_VERSION: Final[str] = "2025-06-18"
SIMULATION_CONTROL: Final[frozenset[str]] = frozenset({"reset", "step", "state", "close"})

PARSE_ERROR: Final[int] = -32700
INVALID_REQUEST: Final[int] = -32600
METHOD_NOT_FOUND: Final[int] = -32601
INVALID_PARAMS: Final[int] = -32602
INTERNAL_ERROR: Final[int] = -32603
SERVER_ERROR: Final[int] = -32000
#: The codes' names, as the error counts of ``/metrics`` label them.
ERROR_NAMES: Final[dict[int, str]] = {
    PARSE_ERROR: "PARSE_ERROR",
    INVALID_REQUEST: "INVALID_REQUEST",
    METHOD_NOT_FOUND: "METHOD_NOT_FOUND",
    INVALID_PARAMS: "INVALID_PARAMS",
    INTERNAL_ERROR: "INTERNAL_ERROR",
    SERVER_ERROR: "SERVER_ERROR",
}


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


# ------------------------------------------------------------------------------------------ tools
@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    description: str
    arguments: type[BaseModel]
    to_action: Callable[[Any], GameAction]

    def input_schema(self) -> dict[str, Any]:
        schema = self.arguments.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        for field in ("room",):
            prop = schema.get("properties", {}).get(field)
            if prop is None:
                continue
            if "anyOf" in prop:  # optional room: the string branch names the rooms
                for branch in prop["anyOf"]:
                    if branch.get("type") == "string":
                        branch["enum"] = list(ROOMS)
            else:
                prop["enum"] = list(ROOMS)
        return schema

    def spec(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "inputSchema": self.input_schema(),
        }


TOOLS: Final[tuple[Tool, ...]] = (
    Tool(
        "move",
        "Walk to an adjacent room (task phase).",
        MoveArguments,
        lambda a: GameAction(type="move", target=a.room),
    ),
    Tool(
        "vent",
        "Travel through a vent to a connected room (impostors, task phase).",
        VentArguments,
        lambda a: GameAction(type="vent", target=a.room),
    ),
    Tool(
        "task",
        "Work on one of your tasks in this room (impostors fake theirs).",
        TaskArguments,
        lambda a: GameAction(type="task", target=a.task),
    ),
    Tool(
        "kill",
        "Kill a crewmate in your room (impostors, when the kill cooldown is over).",
        KillArguments,
        lambda a: GameAction(type="kill", target=a.player),
    ),
    Tool(
        "report",
        "Report a body in your room, which starts a meeting.",
        NoArguments,
        lambda a: GameAction(type="report"),
    ),
    Tool(
        "call_meeting",
        "Press the emergency button (Cafeteria) or report a body here; starts a meeting.",
        NoArguments,
        lambda a: GameAction(type="call_meeting"),
    ),
    Tool(
        "talk",
        "Say something in a meeting's discussion round.",
        TalkArguments,
        lambda a: GameAction(type="talk", target=a.message),
    ),
    Tool(
        "vote",
        "Vote to eject a living player (meeting, voting round).",
        VoteArguments,
        lambda a: GameAction(type="vote", target=a.player),
    ),
    Tool(
        "monitor",
        "Watch a room on the Security monitor (from Security).",
        MonitorArguments,
        lambda a: GameAction(type="monitor", target=a.room),
    ),
)
TOOLS_BY_NAME: Final[dict[str, Tool]] = {tool.name: tool for tool in TOOLS}
assert not SIMULATION_CONTROL & set(TOOLS_BY_NAME), "simulation control must never be a tool"
_TOOL_SPECS: Final[list[dict[str, Any]]] = [tool.spec() for tool in TOOLS]


def tool_specs() -> list[dict[str, Any]]:
    return copy.deepcopy(_TOOL_SPECS)  # a copy callers may change


# ------------------------------------------------------------------------------------- rendering
def observation_payload(observation: GameObservation) -> dict[str, Any]:
    """The wire form of an observation: ``{"observation", "reward", "done"}``."""
    return {
        "observation": observation.model_dump(mode="json", exclude=observation.wire_exclude()),
        "reward": observation.reward,
        "done": observation.done,
    }


ENVELOPE_FIELDS: Final[set[str]] = {"reward", "done", "metadata"}


def observation_text(observation: GameObservation) -> str:
    """The observation as one text, for an LLM reading a tool result."""
    parts: list[str] = []
    if observation.error:
        parts.append(f"Your action was refused (nothing changed): {observation.error}")
    if observation.events:
        parts.append(
            "Since your last action:\n" + "\n".join(f"- {line}" for line in observation.events)
        )
    if observation.done:
        parts.append(
            f"The game is over: {observation.game_status} Your reward: {observation.reward}."
        )
    parts.append(observation.prompt)
    return "\n\n".join(parts)


def tool_result(observation: GameObservation) -> dict[str, Any]:
    return {
        "content": [{"type": "text", "text": observation_text(observation)}],
        "structuredContent": observation_payload(observation),
        "isError": observation.error is not None,
    }


# ------------------------------------------------------------------------------------ dispatcher
class McpDispatcher:
    """Answers JSON-RPC requests for HTTP ``/mcp`` (``slot`` None) or for one ``/ws`` session."""

    def __init__(self, registry: SessionRegistry, metrics: ServerMetrics | None = None) -> None:
        self.registry = registry
        self.metrics = metrics
        self._methods: dict[str, Callable[[JsonRpcRequest, SessionSlot | None], Any]] = {
            "initialize": self._initialize,
            "ping": lambda request, slot: {},
            "notifications/initialized": lambda request, slot: {},
            "tools/list": self._tools_list,
            "tools/call": self._tools_call,
            "openenv/session/create": self._session_create,
            "openenv/session/close": self._session_close,
        }

    def handle_text(self, text: str | bytes, slot: SessionSlot | None) -> dict[str, Any] | None:
        """The response to one JSON-RPC text, or ``None`` for a notification."""
        limit = self.registry.settings.max_json_depth
        if nests_deeper_than(text, limit):
            message = f"Parse error: {too_deep_message(limit)}"
            return self._counted(error_response(None, PARSE_ERROR, message))
        try:
            payload = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            return self._counted(error_response(None, PARSE_ERROR, f"Parse error: {exc}"))
        return self.handle(payload, slot)

    def handle(self, payload: Any, slot: SessionSlot | None) -> dict[str, Any] | None:
        """The response to one decoded JSON-RPC payload, or ``None`` for a notification (a valid
        request without ``id``: carried out, never answered, even with an error). A payload that
        is no valid request is always answered, with ``id`` null when it has none."""
        if isinstance(payload, list):
            return self._counted(
                error_response(
                    None, INVALID_REQUEST, "Invalid Request: batch requests are not supported"
                )
            )
        try:
            request = JsonRpcRequest.model_validate(payload)
        except ValidationError as exc:
            return self._counted(
                error_response(
                    _request_id(payload),
                    INVALID_REQUEST,
                    "Invalid Request",
                    validation_issues(exc.errors()),
                )
            )
        response = self._counted(self._respond(request, slot))
        return None if "id" not in payload else response

    def _counted(self, response: dict[str, Any]) -> dict[str, Any]:
        """``response``, its error (if it is one) counted by name."""
        error = response.get("error")
        if error is not None and self.metrics is not None:
            self.metrics.error("mcp", ERROR_NAMES.get(error["code"], str(error["code"])))
        return response

    def _respond(self, request: JsonRpcRequest, slot: SessionSlot | None) -> dict[str, Any]:
        method = self._methods.get(request.method)
        if method is None:
            return error_response(
                request.id,
                METHOD_NOT_FOUND,
                f"Method not found: {request.method!r}; methods: {', '.join(self._methods)}",
            )
        try:
            result = method(request, slot)
        except RpcError as exc:
            return error_response(request.id, exc.code, exc.message, exc.data)
        except Exception:  # a bug must not leak internals, nor become a bare HTTP 500
            where = f"JSON-RPC method {request.method!r}"
            if self.metrics is not None:
                self.metrics.internal_error(where, log)
            else:
                log.exception("internal error in %s", where)
            return error_response(
                request.id, INTERNAL_ERROR, "Internal error; the server log has details"
            )
        return {"jsonrpc": "2.0", "id": request.id, "result": result}

    # -------------------------------------------------------------------------- methods
    def _initialize(self, request: JsonRpcRequest, slot: SessionSlot | None) -> dict[str, Any]:
        return {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {"tools": {"listChanged": False}},
            "serverInfo": {"name": "amongus", "version": _version()},
        }

    def _tools_list(self, request: JsonRpcRequest, slot: SessionSlot | None) -> dict[str, Any]:
        session_id = request.params.get("session_id")
        if session_id is not None and slot is None:
            self._http_slot(session_id)  # an unknown session is an error; a known one is touched
        return {"tools": tool_specs()}

    def _tools_call(self, request: JsonRpcRequest, slot: SessionSlot | None) -> dict[str, Any]:
        params = request.params
        unknown = sorted(set(params) - {"name", "arguments", "session_id", "_meta"})
        if unknown:
            raise RpcError(INVALID_PARAMS, f"Invalid params: unknown key(s) {unknown}")
        action = self._tool_action(params.get("name"), params.get("arguments", {}))
        target = self._call_slot(params.get("session_id"), slot)
        return tool_result(self._play(target, action))

    def _tool_action(self, name: Any, arguments: Any) -> GameAction:
        """The move a tool call stands for; a ``RpcError`` (``INVALID_PARAMS``) when the tool is
        unknown or its arguments do not fit its schema."""
        tool = TOOLS_BY_NAME.get(name) if isinstance(name, str) else None
        if tool is None:
            raise RpcError(
                INVALID_PARAMS, f"Unknown tool {name!r}; tools: {', '.join(TOOLS_BY_NAME)}"
            )
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            raise RpcError(INVALID_PARAMS, "Invalid params: 'arguments' must be an object")
        try:
            parsed = tool.arguments.model_validate(arguments)
        except ValidationError as exc:
            raise RpcError(
                INVALID_PARAMS,
                f"Invalid arguments for tool {tool.name!r}",
                validation_issues(exc.errors()),
            ) from None
        room = getattr(parsed, "room", None)
        if room is not None and room not in ROOMS:  # the schema's enum, which pydantic cannot see
            raise RpcError(
                INVALID_PARAMS,
                f"Invalid arguments for tool {tool.name!r}: room {room!r} is not one of "
                + ", ".join(ROOMS),
                [{"loc": ["room"], "msg": "not a room of the Skeld", "type": "enum"}],
            )
        try:
            return tool.to_action(parsed)
        except ValidationError as exc:  # arguments the tool accepts but no GameAction could carry
            raise RpcError(
                INVALID_PARAMS,
                f"Invalid arguments for tool {tool.name!r}",
                validation_issues(exc.errors()),
            ) from None

    @staticmethod
    def _play(target: SessionSlot, action: GameAction) -> GameObservation:
        try:
            observation = target.session.step(action)
        except SessionError as exc:
            raise RpcError(SERVER_ERROR, str(exc), {"code": exc.code}) from None
        target.touch()
        return observation

    # ------------------------------------------------------ OpenEnv's MCP actions, as steps
    def list_tools_step(self) -> dict[str, Any]:
        """The reply to a ``list_tools`` step: OpenEnv's ``ListToolsObservation`` (the tools,
        each with ``input_schema``), which needs no game. Discovery is no move: reward none,
        not done."""
        tools = [
            {"name": tool.name, "description": tool.description, "input_schema": schema}
            for tool, schema in zip(
                TOOLS, (spec["inputSchema"] for spec in tool_specs()), strict=True
            )
        ]
        return {"observation": {"tools": tools}, "reward": None, "done": False}

    def call_tool_step(
        self, slot: SessionSlot, tool_name: str, arguments: dict[str, Any]
    ) -> dict[str, Any]:
        """The reply to a ``call_tool`` step: OpenEnv's ``CallToolObservation``. A move played
        (or refused by the rules, ``is_error`` true, the game unchanged) has its ``result`` in
        the shape of FastMCP's ``CallToolResult``, whose ``data`` (the observation envelope) is
        what ``MCPToolClient.call_tool`` returns; reward and done are the game's. A call that
        could not be made (unknown tool, bad arguments, no game or a finished one) has
        ``error`` (``tool_not_found``, ``invalid_args``, ``execution_error``) instead, which the
        client raises, and changes nothing."""
        try:
            observation = self._play(slot, self._tool_action(tool_name, arguments))
        except RpcError as exc:
            if exc.code != INVALID_PARAMS:
                kind = "execution_error"
            elif tool_name not in TOOLS_BY_NAME:
                kind = "tool_not_found"
            else:
                kind = "invalid_args"
            error = {"error_type": kind, "message": exc.message}
            return {
                "observation": {"tool_name": tool_name, "result": None, "error": error},
                "reward": None,
                "done": False,
            }
        payload = observation_payload(observation)
        result = {
            "content": [{"type": "text", "text": observation_text(observation)}],
            "structured_content": payload,
            "meta": None,
            "data": payload,
            "is_error": observation.error is not None,
        }
        return {
            "observation": {"tool_name": tool_name, "result": result, "error": None},
            "reward": observation.reward,
            "done": observation.done,
        }

    def _session_create(self, request: JsonRpcRequest, slot: SessionSlot | None) -> dict[str, Any]:
        """A session whose game starts at once with the params as reset arguments. Over
        ``/ws`` the connection is the session: its game restarts with them."""
        try:
            params = ResetParams.model_validate(request.params)
        except ValidationError as exc:
            raise RpcError(
                INVALID_PARAMS, "Invalid params: reset arguments", validation_issues(exc.errors())
            ) from None
        if slot is not None:
            return {"session_id": slot.id, **observation_payload(self._reset(slot, params))}
        try:
            created = self.registry.open("http")
        except CapacityError as exc:
            raise RpcError(SERVER_ERROR, str(exc), exc.data()) from None
        try:
            observation = self._reset(created, params)
        except BaseException:
            self.registry.close(created.id)  # a session whose game never started is no session
            raise
        return {"session_id": created.id, **observation_payload(observation)}

    @staticmethod
    def _reset(slot: SessionSlot, params: ResetParams) -> GameObservation:
        try:
            return slot.session.reset(params)
        except RequestError as exc:
            raise RpcError(INVALID_PARAMS, str(exc), {"code": exc.code}) from None

    def _session_close(self, request: JsonRpcRequest, slot: SessionSlot | None) -> dict[str, Any]:
        session_id = request.params.get("session_id")
        if not isinstance(session_id, str) or not session_id:
            raise RpcError(INVALID_PARAMS, "Invalid params: 'session_id' is required")
        if slot is not None and session_id == slot.id:
            raise RpcError(
                INVALID_REQUEST,
                "a WebSocket's own session closes with a 'close' message, not over MCP",
            )
        self._http_slot(session_id)
        self.registry.close(session_id)
        return {"session_id": session_id, "closed": True}

    # -------------------------------------------------------------------------- helpers
    def _http_slot(self, session_id: Any) -> SessionSlot:
        found = self.registry.get(session_id, "http") if isinstance(session_id, str) else None
        if found is None:
            raise RpcError(INVALID_PARAMS, f"Unknown session_id: {session_id!r}")
        found.touch()
        return found

    def _call_slot(self, session_id: Any, slot: SessionSlot | None) -> SessionSlot:
        if slot is not None:
            if session_id is not None and session_id != slot.id:
                raise RpcError(
                    INVALID_PARAMS, "on a WebSocket, tools act for the connection's own session"
                )
            return slot
        if session_id is None:
            raise RpcError(
                INVALID_PARAMS,
                "tools/call over HTTP needs params.session_id (from openenv/session/create)",
            )
        return self._http_slot(session_id)


def error_response(request_id: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    error = JsonRpcError(code=code, message=message, data=data)
    return {"jsonrpc": "2.0", "id": request_id, "error": error.model_dump(exclude_none=True)}


def _request_id(payload: Any) -> str | int | None:
    """The id to answer an invalid request with: its own when it is one a reply can carry."""
    if isinstance(payload, dict):
        value = payload.get("id")
        if isinstance(value, (str, int)) and not isinstance(value, bool) and is_unicode_text(value):
            return value
    return None


def _version() -> str:
    from openenv_facade import __version__

    return __version__
