"""The Among Us OpenEnv server: one client seat per session by default (several on request, or
seats of one game shared between connections), the other seats played by policies.

Run it with ``amongus serve`` (or ``python -m openenv_facade``); ``app`` is the ASGI application
for any other launcher (``openenv.yaml`` names it). ``create_app(settings)`` builds one with
explicit limits.

Endpoints
    ``/ws``          WebSocket: one connection is one session with its own game. Messages are
                     ``reset``, ``step``, ``state``, ``close`` and ``mcp``; replies are
                     ``observation``, ``state``, ``error`` and ``mcp`` (``openenv_facade.models``).
    ``POST /reset``  a one-off game's first observation, or (with ``session_id``) a new game in
                     an HTTP session.
    ``POST /step``   a move in an HTTP session (``session_id`` required: HTTP keeps no game
                     otherwise).
    ``GET /state``   an HTTP session's public state (no ``session_id``: an empty state).
    ``POST /mcp``    JSON-RPC 2.0: ``tools/list``, ``tools/call``, ``openenv/session/create``,
                     ``openenv/session/close`` (``openenv_facade.mcp``).
    ``GET /health``  liveness, with the sessions open and the cap.
    ``GET /metrics`` Prometheus text format (``openenv_facade.metrics``).
    ``GET /metadata``, ``/schema``, ``/docs``, ``/openapi.json``.
    ``GET /web``     the web page: play a seat, watch a bot-only game, replay a saved game
                     (``openenv_facade.web``; its views use the ``/ws`` messages ``spectate``,
                     ``spectate_step``, ``replay`` and ``replay_files``).

Errors never end a session: a bad frame gets an ``error`` reply (``INVALID_JSON``,
``UNKNOWN_TYPE``, ``VALIDATION_ERROR``, ``EXECUTION_ERROR``) and the game is unchanged. A move
the game does not allow is not a protocol error: the observation comes back unchanged with its
``error`` field set. Limits (``openenv_facade.settings``): at most ``max_sessions`` sessions
(``CAPACITY_REACHED``), sessions idle for ``session_timeout_s`` are closed, frames or bodies
over ``max_frame_bytes`` or nesting JSON deeper than ``max_json_depth`` are refused before
anything parses them, and slow or surplus connections are cut (``openenv_facade.transport``).
Bad requests are counted in ``/metrics``, never logged with their payload.

Game work runs on the event loop, not in a thread pool: it is pure Python holding the GIL, a
seat's turn takes a fraction of a millisecond, and a thread hop per message would only add
latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Annotated, Any, Final, TypeVar

from fastapi import Body, FastAPI, HTTPException, Query, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect

from openenv_facade import __version__
from openenv_facade.json_depth import nests_deeper_than, too_deep_message
from openenv_facade.mcp import McpDispatcher
from openenv_facade.metrics import METRICS_MEDIA_TYPE, ServerMetrics
from openenv_facade.models import (
    MCP_STEP_TYPES,
    AssistantMessage,
    CallToolStep,
    EnvironmentInfo,
    ErrorCode,
    ErrorData,
    GameAction,
    GameObservation,
    GameState,
    GameView,
    HealthReply,
    HttpErrorReply,
    HttpResetRequest,
    HttpStepRequest,
    JsonRpcRequest,
    JsonRpcResponse,
    ListToolsStep,
    ReplayParams,
    ResetParams,
    SchemaReply,
    SpectateParams,
    SpectateStepParams,
    StepReply,
    validation_issues,
)
from openenv_facade.registry import CapacityError, SessionRegistry, SessionSlot
from openenv_facade.session import SeatSession, SessionError, check_servable
from openenv_facade.settings import ServerSettings
from openenv_facade.shared_games import SharedGames, wants_shared
from openenv_facade.web import WEB_MESSAGE_TYPES, WebViews, add_web_routes, web_message_schemas

log = logging.getLogger("openenv_facade.server")

ENV_NAME: Final[str] = "amongus"
DESCRIPTION: Final[str] = (
    "Among Us on the Skeld (after the 7vik LLM-deception sandbox) as an OpenEnv environment: "
    "the client plays one seat, crewmate or impostor (or several, or shares a game with other "
    "clients), and scripted or random policies play the others. Observations carry the seat's "
    "7vik-layout prompt, its legal moves as ready-to-send actions (or chat messages and tools), "
    "and only what that seat may know."
)
API_GUIDE: Final[str] = """
## Playing over the WebSocket `/ws`

One connection is one session with its own game. Send one JSON text frame per message:

- `{"type": "reset", "data": {"seed": 7, "role": "crewmate"}}` starts a game. Arguments: `seed`,
  `episode_id`, `seat` (index) or `role` (`impostor`/`crewmate`), `config` (preset name or
  config dict), `policies` (per role, e.g. `{"impostor": "heuristic", "crewmate": "random"}`).
- `{"type": "step", "data": {"type": "move", "target": "Admin"}}` plays a move: any entry of the
  observation's `legal_actions`, or `{"raw": "<7vik action string>"}`.
- `{"type": "step", "data": {"type": "list_tools"}}` and `{"type": "step", "data": {"type":
  "call_tool", "tool_name": "move", "arguments": {"room": "Admin"}}}` are OpenEnv's MCP actions
  (what its `MCPToolClient` sends), answered with `{"tools": [...]}` and
  `{"tool_name", "result", "error"}` observations.
- `{"type": "state"}`, `{"type": "close"}`, and `{"type": "mcp", "data": <JSON-RPC request>}`.

Several seats: `reset` with `seats` (indices, `"all"`, `"impostors"`, `"crewmates"`) holds them
all (each observation is the acting seat's, named by `acting_seat`; `seat_results` at the end).
Shared games: `reset` with `open_seats` creates one (`game_id`, `seat_tokens` in the reply);
other connections join with `{"game_id": ..., "token": ...}`; `{"type": "wait"}` returns the
seat's next turn. Chat: `reset` with `"obs_mode": "chat"` adds `messages` and `tools`, and a
`step` may be an assistant message with one tool call.

Replies: `{"type": "observation", "data": {"observation": {...}, "reward": r, "done": d}}`,
`{"type": "state", "data": {...}}`, `{"type": "mcp", "data": <JSON-RPC response>}`, or
`{"type": "error", "data": {"message": "...", "code": "..."}}` (the session stays open).
A move the game does not allow comes back as the unchanged observation with `error` set.

## HTTP

`POST /reset` returns a one-off game's first observation. Longer games over HTTP use a session:
create one with the JSON-RPC method `openenv/session/create` on `POST /mcp` (its params are
reset arguments), then pass its `session_id` to `/reset`, `/step` and `/state`. On `/mcp` the
seat's moves are MCP tools (`tools/list`, `tools/call`).

## The web page `/web`

A page to play a seat (over `reset`/`step`), watch a bot-only game, or replay a saved one. Its
whole-game views use four more messages: `{"type": "spectate", "data": {"seed": 7, "policies":
{...}}}` starts a game of the connection's own with every seat a policy, `{"type":
"spectate_step", "data": {"steps": 5}}` advances it (reply `spectator`: the cast with roles and
the new frames); `{"type": "replay", "data": {"log": {...}}}` (one `games.jsonl` line) or
`{"data": {"path": "games.jsonl", "game": 0}}` (under the server's `AMONGUS_REPLAY_DIR`)
replays a game (reply `replay`: every frame); `{"type": "replay_files"}` lists that folder.
Their schemas are under `web_messages` in `/schema`.

## Limits

Open sessions, idle time, message size and JSON nesting are capped (`AMONGUS_MAX_SESSIONS`,
`AMONGUS_SESSION_TIMEOUT_S`, `AMONGUS_MAX_FRAME_BYTES`, `AMONGUS_MAX_JSON_DEPTH`, or the
`amongus serve` flags). `GET /metrics` shows what the server is doing.
"""
MESSAGE_TYPES: Final[tuple[str, ...]] = (
    "reset",
    "step",
    "state",
    "close",
    "mcp",
    *WEB_MESSAGE_TYPES,
)
#: WebSocket close codes (RFC 6455): normal, and "try again later" when at capacity.
CLOSE_NORMAL: Final[int] = 1000
CLOSE_TRY_AGAIN_LATER: Final[int] = 1013


# ------------------------------------------------------------------------------------ frames
def observation_json(observation: GameObservation) -> str:
    """The body of an observation reply: ``{"observation": ..., "reward": ..., "done": ...}``."""
    # Multi-seat and chat fields travel only when the reset asked for them.
    fields = observation.model_dump_json(exclude=observation.wire_exclude())
    reward = "null" if observation.reward is None else json.dumps(observation.reward)
    done = "true" if observation.done else "false"
    return f'{{"observation":{fields},"reward":{reward},"done":{done}}}'


def observation_frame(observation: GameObservation) -> str:
    return f'{{"type":"observation","data":{observation_json(observation)}}}'


def state_frame(state: GameState) -> str:
    return f'{{"type":"state","data":{state.model_dump_json()}}}'


class ErrorFrame(str):
    """The text of an ``error`` reply, which also knows its code (for the error counts)."""

    code: ErrorCode


def error_frame(message: str, code: ErrorCode | str, **details: Any) -> ErrorFrame:
    """An ``error`` reply; ``details`` are ``ErrorData``'s optional fields."""
    data = ErrorData(message=message, code=ErrorCode(code), **details)
    frame = ErrorFrame(f'{{"type":"error","data":{data.model_dump_json(exclude_none=True)}}}')
    frame.code = data.code
    return frame


ModelT = TypeVar("ModelT", bound=BaseModel)


def _validated(model: type[ModelT], data: Any, what: str) -> ModelT | str:
    """``data`` as a ``model``, or the error frame that says why it is not one."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        return error_frame(
            _validation_message(what, exc),
            ErrorCode.VALIDATION_ERROR,
            errors=validation_issues(exc.errors()),
        )


def _validation_message(what: str, exc: ValidationError) -> str:
    first = exc.errors(include_url=False, include_context=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or what
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"invalid {what}: {where}: {first['msg']}{more}"


# --------------------------------------------------------------------------------- /ws protocol
class WireProtocol:
    """Turns one ``/ws`` text frame into its reply (pure: no I/O, so it is easy to test)."""

    def __init__(
        self,
        settings: ServerSettings,
        dispatcher: McpDispatcher,
        metrics: ServerMetrics,
        web: WebViews | None = None,
    ) -> None:
        self.settings = settings
        self.dispatcher = dispatcher
        self.metrics = metrics
        self.web = web if web is not None else WebViews(settings)
        self.shared = SharedGames(settings)
        self._handlers: dict[str, Callable[[SessionSlot, dict[str, Any]], str]] = {
            "reset": self._reset,
            "step": self._step,
            "state": self._state,
            "mcp": self._mcp,
            "spectate": self._spectate,
            "spectate_step": self._spectate_step,
            "replay": self._replay,
            "replay_files": self._replay_files,
        }

    def handle(self, slot: SessionSlot, text: str) -> str | None:
        """The reply to one frame; ``""`` when there is none to send (a JSON-RPC notification)
        and ``None`` for ``close`` (the connection then ends). Error replies are counted."""
        reply = self._reply(slot, text)
        if isinstance(reply, ErrorFrame):
            self.metrics.error("ws", reply.code)
        return reply

    def _reply(self, slot: SessionSlot, text: str) -> str | None:
        limit = self.settings.max_frame_bytes
        # A character is at most 4 bytes: only long texts need their size counted.
        size = len(text.encode("utf-8", "surrogatepass")) if len(text) > limit // 4 else 0
        if size > limit:
            return error_frame(
                f"message of {size} bytes exceeds this server's limit of {limit} bytes",
                ErrorCode.VALIDATION_ERROR,
            )
        if nests_deeper_than(text, self.settings.max_json_depth):
            return error_frame(
                too_deep_message(self.settings.max_json_depth), ErrorCode.INVALID_JSON
            )
        try:
            message = json.loads(text)
        except ValueError as exc:
            return error_frame(f"Invalid JSON: {exc}", ErrorCode.INVALID_JSON)
        if not isinstance(message, dict):
            return error_frame(
                "a message must be a JSON object with a 'type'", ErrorCode.VALIDATION_ERROR
            )
        kind = message.get("type")
        if kind == "close":
            return None
        handler = self._handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            return error_frame(
                f"Unknown message type: {kind!r}; types are {', '.join(MESSAGE_TYPES)}",
                ErrorCode.UNKNOWN_TYPE,
            )
        extra = sorted(set(message) - {"type", "data"})
        if extra:
            return error_frame(
                f"unknown message field(s) {extra}; a message has 'type' and 'data'",
                ErrorCode.VALIDATION_ERROR,
            )
        slot.touch()
        try:
            return handler(slot, message)
        except SessionError as exc:
            return error_frame(str(exc), exc.code)
        except Exception:  # a bug must not end the session, nor leak internals to the client
            self.metrics.internal_error(f"ws {kind} message", log)
            return error_frame(
                f"internal error while handling {kind!r}; the server log has details",
                ErrorCode.EXECUTION_ERROR,
            )

    async def handle_async(self, slot: SessionSlot, text: str) -> str | None:
        """``handle``, plus the messages of shared games (``openenv_facade.shared_games``):
        resets that create or join one, and a held seat's ``step``, ``wait`` and ``state``,
        whose replies wait for the seat's turn."""
        shared = self.shared
        holds = shared.holds(slot.id)
        if not holds and not any(
            key in text for key in ('"open_seats"', '"game_id"', '"token"', '"wait"')
        ):
            return self.handle(slot, text)  # the common case, parsed once
        limit = self.settings.max_frame_bytes
        if len(text.encode("utf-8", "surrogatepass")) > limit:
            return self.handle(slot, text)  # refused there, with the usual message
        try:
            message = json.loads(text)
        except (ValueError, RecursionError):
            return self.handle(slot, text)
        if not isinstance(message, dict) or set(message) - {"type", "data"}:
            return self.handle(slot, text)
        kind, data = message.get("type"), message.get("data")
        slot.touch()
        try:
            if kind == "reset" and isinstance(data, dict):
                params = _validated(ResetParams, data, "reset arguments")
                if isinstance(params, str):
                    return params
                if not wants_shared(params):
                    shared.leave(slot.id)  # a game of its own again
                    return self.handle(slot, text)
                if params.open_seats is not None:
                    return observation_frame(shared.create(slot.id, params))
                return observation_frame(shared.join(slot.id, params))
            if kind == "wait":
                if not holds:
                    return error_frame(
                        "wait is for a seat of a shared game (reset with open_seats, or join "
                        "one with game_id and token)",
                        ErrorCode.SESSION_ERROR,
                    )
                return observation_frame(await shared.wait(slot.id))
            if holds and kind == "step":
                if not isinstance(data, dict):
                    return error_frame(
                        "step 'data' must be an action object", ErrorCode.VALIDATION_ERROR
                    )
                return observation_frame(await shared.step(slot.id, data))
            if holds and kind == "state":
                return state_frame(shared.state(slot.id))
        except SessionError as exc:
            return error_frame(str(exc), exc.code)
        except ValidationError as exc:
            return error_frame(
                _validation_message("action", exc),
                ErrorCode.VALIDATION_ERROR,
                errors=validation_issues(exc.errors()),
            )
        return self.handle(slot, text)

    def _reset(self, slot: SessionSlot, message: dict[str, Any]) -> str:
        data = message.get("data")
        if data is None:
            data = {}
        if not isinstance(data, dict):
            return error_frame(
                "reset 'data' must be an object of reset arguments", ErrorCode.VALIDATION_ERROR
            )
        params = _validated(ResetParams, data, "reset arguments")
        if isinstance(params, str):
            return params
        return observation_frame(slot.session.reset(params))

    def _step(self, slot: SessionSlot, message: dict[str, Any]) -> str:
        data = message.get("data")
        if not isinstance(data, dict):
            return error_frame("step 'data' must be an action object", ErrorCode.VALIDATION_ERROR)
        if data.get("type") in MCP_STEP_TYPES:
            return self._mcp_step(slot, data)
        if "role" in data or "tool_calls" in data:  # an assistant message with a tool call
            assistant = _validated(AssistantMessage, data, "assistant message")
            if isinstance(assistant, str):
                return assistant
            return observation_frame(
                slot.session.step_tool_call(assistant.model_dump(exclude_none=True))
            )
        action = _validated(GameAction, data, "action")
        if isinstance(action, str):
            return action
        return observation_frame(slot.session.step(action))

    def _mcp_step(self, slot: SessionSlot, data: dict[str, Any]) -> str:
        """OpenEnv's MCP actions sent as steps, as its ``MCPToolClient`` sends them; answered as
        OpenEnv's MCP environments answer them (``McpDispatcher.list_tools_step`` and
        ``call_tool_step``)."""
        if data["type"] == "list_tools":
            listed = _validated(ListToolsStep, data, "list_tools action")
            if isinstance(listed, str):
                return listed
            reply = self.dispatcher.list_tools_step()
        else:
            call = _validated(CallToolStep, data, "call_tool action")
            if isinstance(call, str):
                return call
            reply = self.dispatcher.call_tool_step(slot, call.tool_name, call.arguments)
        return f'{{"type":"observation","data":{json.dumps(reply)}}}'

    def _state(self, slot: SessionSlot, message: dict[str, Any]) -> str:
        if message.get("data") not in (None, {}):
            return error_frame("a state message carries no data", ErrorCode.VALIDATION_ERROR)
        return state_frame(slot.session.state())

    def _mcp(self, slot: SessionSlot, message: dict[str, Any]) -> str:
        response = self.dispatcher.handle(message.get("data"), slot)
        return "" if response is None else json.dumps({"type": "mcp", "data": response})

    # The web page's whole-game views (``openenv_facade.web``): a game of the connection's own.
    def _spectate(self, slot: SessionSlot, message: dict[str, Any]) -> str:
        params = _validated(SpectateParams, _data_object(message), "spectate arguments")
        if isinstance(params, str):
            return params
        return _view_frame(self.web.spectate(slot.id, params))

    def _spectate_step(self, slot: SessionSlot, message: dict[str, Any]) -> str:
        params = _validated(SpectateStepParams, _data_object(message), "spectate_step arguments")
        if isinstance(params, str):
            return params
        return _view_frame(self.web.spectate_step(slot.id, params))

    def _replay(self, slot: SessionSlot, message: dict[str, Any]) -> str:
        params = _validated(ReplayParams, _data_object(message), "replay arguments")
        if isinstance(params, str):
            return params
        return _view_frame(self.web.replay(params))

    def _replay_files(self, slot: SessionSlot, message: dict[str, Any]) -> str:
        if message.get("data") not in (None, {}):
            return error_frame("a replay_files message carries no data", ErrorCode.VALIDATION_ERROR)
        return f'{{"type":"replay_files","data":{self.web.replay_files().model_dump_json()}}}'


def _data_object(message: dict[str, Any]) -> Any:
    data = message.get("data")
    return {} if data is None else data


def _view_frame(view: GameView) -> str:
    return f'{{"type":"{view.mode}","data":{view.model_dump_json()}}}'


# ------------------------------------------------------------------------------- HTTP errors
_HTTP_ERRORS: Final[dict[int, str]] = {
    400: "a request the game cannot serve (a bad config or seat; /step without a session_id), "
    "or a body whose JSON nests deeper than the server's limit",
    404: "unknown session_id (never created, closed, or expired)",
    408: "the request body did not arrive within the server's read timeout",
    409: "a move the session cannot take now (no game yet, or the game is over)",
    413: "request body over the server's limit",
}


#: The error code of an HTTP error raised without one (by FastAPI or Starlette themselves).
_STATUS_CODES: Final[dict[int, str]] = {
    400: ErrorCode.INVALID_JSON,  # a body that is not UTF-8
    404: "NOT_FOUND",  # no such route
    405: "METHOD_NOT_ALLOWED",
}


def _errors_of(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries of a route's error replies, all ``{"detail": {"message", "code"}}``."""
    return {
        status: {"model": HttpErrorReply, "description": _HTTP_ERRORS[status]}
        for status in statuses
    }


# ----------------------------------------------------------------------------- body-limit layer
class BodyLimits:
    """Refuses HTTP bodies over ``max_bytes`` bytes (413), whether or not they declare a length,
    and bodies nesting JSON deeper than ``max_depth`` levels (400), on every route alike but
    those in ``own_depth_check`` (``/mcp`` answers over-deep bodies itself, as JSON-RPC parse
    errors).

    The body is read (at most ``max_bytes`` of it) before the application sees the request, so
    an over-long or over-deep body never reaches a parser; ``on_refusal`` is told the error code
    of each refusal (the server counts them rather than logging a client's payload)."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        max_depth: int,
        read_timeout_s: float = 10.0,
        own_depth_check: frozenset[str] = frozenset(),
        on_refusal: Callable[[ErrorCode], None] = lambda code: None,
    ) -> None:
        self.app, self.max_bytes, self.max_depth = app, max_bytes, max_depth
        self.read_timeout_s = read_timeout_s
        self.own_depth_check, self.on_refusal = own_depth_check, on_refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_long = f"request body exceeds this server's limit of {self.max_bytes} bytes"
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(send, 413, too_long, ErrorCode.VALIDATION_ERROR)
                return
        chunks: list[bytes] = []
        received = 0
        try:
            async with asyncio.timeout(self.read_timeout_s):  # a body sent a byte at a time
                while True:
                    message = await receive()
                    if message["type"] != "http.request":  # the client went away
                        return
                    chunk = message.get("body", b"")
                    received += len(chunk)
                    if received > self.max_bytes:
                        await self._refuse(send, 413, too_long, ErrorCode.VALIDATION_ERROR)
                        return
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            message_text = f"request body not received within {self.read_timeout_s:g} s"
            await self._refuse(send, 408, message_text, ErrorCode.VALIDATION_ERROR)
            return
        body = b"".join(chunks)
        if scope["path"] not in self.own_depth_check and nests_deeper_than(body, self.max_depth):
            await self._refuse(send, 400, too_deep_message(self.max_depth), ErrorCode.INVALID_JSON)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: the disconnect, when it comes
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, status: int, message: str, code: ErrorCode) -> None:
        self.on_refusal(code)
        body = json.dumps({"detail": {"message": message, "code": code}}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})


# ------------------------------------------------------------------------------------------ app
def create_app(
    settings: ServerSettings | None = None, *, replay_dir: Path | None = None
) -> FastAPI:
    """The ASGI application, with its own session registry and limits. Settings offering a
    policy the server cannot play with raise ``ValueError``. ``replay_dir`` is the folder the
    web page may replay logs from (default: ``AMONGUS_REPLAY_DIR``, else none)."""
    settings = settings or ServerSettings.from_env()
    check_servable(settings.allowed_policies)
    metrics = ServerMetrics(lambda: len(registry), settings.max_sessions)
    registry = SessionRegistry(settings, metrics)
    dispatcher = McpDispatcher(registry, metrics)
    web = WebViews(settings, replay_dir)
    protocol = WireProtocol(settings, dispatcher, metrics, web)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        reaper = asyncio.create_task(_reap_http_sessions(registry, settings))
        try:
            yield
        finally:
            reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reaper
            protocol.shared.close()
            for slot in registry:
                registry.close(slot.id)

    app = FastAPI(
        title="Among Us (OpenEnv)",
        version=__version__,
        description=DESCRIPTION + "\n\n" + API_GUIDE,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.registry = registry
    app.state.metrics = metrics
    app.state.web = web
    app.add_middleware(
        BodyLimits,
        max_bytes=settings.max_frame_bytes,
        max_depth=settings.max_json_depth,
        read_timeout_s=settings.read_timeout_s,
        own_depth_check=frozenset({"/mcp"}),
        on_refusal=lambda code: metrics.error("http", code),
    )
    app.state.shared_games = protocol.shared

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        """FastAPI's 422, without the rejected input it would echo: ``1e999`` (infinity) or a
        lone surrogate escape is valid JSON in, but cannot be JSON out."""
        metrics.error("http", ErrorCode.VALIDATION_ERROR)
        return JSONResponse({"detail": validation_issues(exc.errors())}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """An ``HTTPException`` as the declared error model ``{"detail": {"message", "code"}}``,
        counted by its code. FastAPI raises some with a bare text (a body that is not UTF-8:
        "There was an error parsing the body"); they get the code their status means."""
        detail: Any = exc.detail  # our own raise a dict, Starlette's a text
        if not isinstance(detail, dict):
            detail = {"message": str(detail), "code": _STATUS_CODES.get(exc.status_code, "ERROR")}
        metrics.error("http", str(detail.get("code")))
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    def http_session(session_id: str) -> SessionSlot:
        slot = registry.get(session_id, "http")
        if slot is None:
            raise HTTPException(
                404,
                {"message": f"unknown session_id {session_id!r}", "code": ErrorCode.SESSION_ERROR},
            )
        slot.touch()
        return slot

    def run(call: Callable[[], GameObservation]) -> Response:
        try:
            observation = call()
        except SessionError as exc:
            status = 400 if exc.code is ErrorCode.VALIDATION_ERROR else 409
            raise HTTPException(status, {"message": str(exc), "code": exc.code}) from None
        return Response(observation_json(observation), media_type="application/json")

    @app.post(
        "/reset",
        response_model=StepReply,
        tags=["Environment Control"],
        summary="Start a game",
        responses=_errors_of(400, 404, 408, 413),
    )
    async def reset(request: Annotated[HttpResetRequest | None, Body()] = None) -> Response:
        """Without ``session_id``: a one-off game's first observation (HTTP keeps no game; play
        episodes over ``/ws``). With ``session_id`` (from ``openenv/session/create``): a new
        game in that HTTP session."""
        request = request or HttpResetRequest()
        params = ResetParams.model_validate(
            request.model_dump(exclude={"session_id"}, exclude_unset=True)
        )
        if request.session_id is None:
            return run(lambda: SeatSession(settings, metrics).reset(params))
        slot = http_session(request.session_id)
        return run(lambda: slot.session.reset(params))

    @app.post(
        "/step",
        response_model=StepReply,
        tags=["Environment Control"],
        summary="Play a move",
        responses=_errors_of(400, 404, 408, 409, 413),
    )
    async def step(request: HttpStepRequest) -> Response:
        """A move in an HTTP session (``session_id`` from ``openenv/session/create``). An
        action that does not fit the schema is answered with 422; a move the game does not allow
        now comes back as the unchanged observation with ``error`` set."""
        if request.session_id is None:
            raise HTTPException(
                400,
                {
                    "message": "HTTP /step needs a session_id: HTTP keeps no game between "
                    "requests. Play over the /ws WebSocket, or create an HTTP session with the "
                    "openenv/session/create JSON-RPC method on /mcp.",
                    "code": ErrorCode.SESSION_ERROR,
                },
            )
        slot = http_session(request.session_id)
        action = request.action
        if isinstance(action, AssistantMessage):
            message = action.model_dump(exclude_none=True)
            return run(lambda: slot.session.step_tool_call(message))
        return run(lambda: slot.session.step(action))

    @app.get(
        "/state",
        response_model=GameState,
        tags=["State Management"],
        summary="Public game state",
        responses=_errors_of(404),
    )
    async def state(session_id: str | None = Query(default=None, max_length=64)) -> GameState:
        """An HTTP session's public state; without ``session_id``, the state of no game."""
        if session_id is None:
            return GameState()
        return http_session(session_id).session.state()

    @app.get("/health", response_model=HealthReply, tags=["Health"])
    async def health() -> HealthReply:
        """The server answers; how many sessions are open, and how many it takes."""
        return HealthReply(
            status="healthy", sessions=len(registry), max_sessions=settings.max_sessions
        )

    @app.get(
        "/metrics",
        tags=["Health"],
        summary="Prometheus metrics",
        response_class=Response,
        responses={200: {"content": {METRICS_MEDIA_TYPE: {"schema": {"type": "string"}}}}},
    )
    async def prometheus_metrics() -> Response:
        """Sessions open and the cap, games started and finished, steps, illegal moves, errors
        by code, step latency and policy time, in the Prometheus text format."""
        return Response(metrics.render(), media_type=METRICS_MEDIA_TYPE)

    @app.get("/metadata", response_model=EnvironmentInfo, tags=["Environment Info"])
    async def metadata() -> EnvironmentInfo:
        return EnvironmentInfo(
            name=ENV_NAME,
            description=DESCRIPTION,
            version=__version__,
            author="amongus-marl",
            documentation_url="/docs",
        )

    schemas = SchemaReply(
        action=GameAction.model_json_schema(),
        chat_action=AssistantMessage.model_json_schema(),
        observation=GameObservation.model_json_schema(),
        state=GameState.model_json_schema(),
        web_messages=web_message_schemas(),
    )

    @app.get("/schema", response_model=SchemaReply, tags=["Schema"])
    async def schema() -> SchemaReply:
        return schemas

    @app.post(
        "/mcp",
        tags=["MCP"],
        summary="JSON-RPC 2.0 (MCP tools and OpenEnv sessions)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": JsonRpcRequest.model_json_schema()}},
            }
        },
        responses={
            200: {
                "description": "the JSON-RPC response: a result, or an error object (a body "
                "that is no JSON, or nests too deeply, gets a parse error)",
                "content": {"application/json": {"schema": JsonRpcResponse.model_json_schema()}},
            },
            202: {"description": "a notification (no id): carried out, never answered"},
            **_errors_of(408, 413),
        },
    )
    async def mcp(request: Request) -> Response:
        """``tools/list``, ``tools/call`` (``params.session_id`` names the HTTP session),
        ``openenv/session/create`` (params: reset arguments), ``openenv/session/close``. A
        notification (no ``id``) is accepted with 202 and no body."""
        body = await request.body()
        response = dispatcher.handle_text(body, None)
        if response is None:
            return Response(status_code=202)
        return JSONResponse(response)

    @app.websocket("/ws")
    async def websocket_session(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            slot = registry.open("ws")
        except CapacityError as exc:
            metrics.error("ws", ErrorCode.CAPACITY_REACHED)
            with contextlib.suppress(WebSocketDisconnect):
                await websocket.send_text(
                    error_frame(
                        str(exc),
                        ErrorCode.CAPACITY_REACHED,
                        active_sessions=exc.active,
                        max_sessions=exc.maximum,
                    )
                )
                await websocket.close(CLOSE_TRY_AGAIN_LATER)
            return
        try:
            await _serve_websocket(websocket, slot, protocol)
        finally:
            protocol.shared.leave(slot.id)
            registry.close(slot.id)
            web.forget(slot.id)

    add_web_routes(app, settings)
    return app


async def _serve_websocket(websocket: WebSocket, slot: SessionSlot, protocol: WireProtocol) -> None:
    """Answer the connection's frames until it closes, goes idle for the session timeout, or
    stops reading its replies for that long (its slot is then given up, not held forever)."""
    timeout = protocol.settings.session_timeout_s

    async def send(text: str) -> None:
        async with asyncio.timeout(timeout):
            await websocket.send_text(text)

    try:
        while True:
            try:
                async with asyncio.timeout(timeout):
                    message = await websocket.receive()
            except TimeoutError:
                await send(
                    error_frame(
                        f"session closed after {timeout:g} s without a message",
                        ErrorCode.SESSION_ERROR,
                    )
                )
                await websocket.close(CLOSE_NORMAL, "idle session expired")
                return
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                try:
                    text = (message.get("bytes") or b"").decode("utf-8")
                except UnicodeDecodeError:
                    protocol.metrics.error("ws", ErrorCode.INVALID_JSON)
                    await send(
                        error_frame(
                            "Invalid JSON: a binary frame must be UTF-8 text",
                            ErrorCode.INVALID_JSON,
                        )
                    )
                    continue
            reply = await protocol.handle_async(slot, text)
            if reply is None:
                await websocket.close(CLOSE_NORMAL)
                return
            if reply:
                await send(reply)
    except WebSocketDisconnect:
        return
    except TimeoutError:  # a reply could not be delivered in time: the client is not reading
        log.info("closed session %s: its client stopped reading replies", slot.id)


async def _reap_http_sessions(registry: SessionRegistry, settings: ServerSettings) -> None:
    """Close HTTP sessions idle longer than the timeout (a WebSocket session times itself out)."""
    interval = min(max(settings.session_timeout_s / 4, 0.05), 30.0)
    while True:
        await asyncio.sleep(interval)
        for session_id in registry.expire_idle("http"):
            log.info("closed idle HTTP session %s", session_id)


def __getattr__(name: str) -> Any:
    # ``app`` (the ASGI application of openenv.yaml and of ``uvicorn openenv_facade.server:app``)
    # is built on first use, so importing this module reads no environment variables.
    if name == "app":
        application = globals()["app"] = create_app()
        return application
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
