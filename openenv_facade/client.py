"""``AmongUsEnv``: the client of the Among Us OpenEnv server, after OpenEnv's ``EnvClient``.

Async by default, one WebSocket session per client; ``.sync()`` gives a blocking wrapper::

    async with AmongUsEnv("http://localhost:8000") as env:
        result = await env.reset(seed=7, role="crewmate")
        while not result.done:
            result = await env.step(result.observation.legal_actions[0])

    with AmongUsEnv("http://localhost:8000").sync() as env:
        result = env.reset(seed=7)
        result = env.step({"type": "move", "target": "Admin"})

An ``error`` reply raises ``AmongUsServerError`` (a ``RuntimeError``, as the OpenEnv client
raises); the session stays usable. When the server ends the session (idle expiry, capacity
reached) the call raises its error reply, or ``CONNECTION_CLOSED``, and the next call opens a new
session. This module uses only the wire models and ``websockets``,
never the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from openenv_facade.models import GameAction, GameObservation, GameState

T = TypeVar("T")
ObservationT = TypeVar("ObservationT")


@dataclass(frozen=True, slots=True)
class StepResult(Generic[ObservationT]):
    """One observation reply: the observation, the seat's reward since its last action, done."""

    observation: ObservationT
    reward: float | None = None
    done: bool = False


class AmongUsServerError(RuntimeError):
    """The server answered with an ``error`` reply (``code`` as in ``models.ErrorCode``)."""

    def __init__(self, message: str, code: str, data: Mapping[str, Any]) -> None:
        super().__init__(f"Server error: {message} (code: {code})")
        self.code = code
        self.server_message = message
        self.data = dict(data)


def websocket_url(base_url: str) -> str:
    """``http(s)://host:port[/prefix]`` (or ``ws(s)://``, or a bare ``host:port``) -> ``ws(s)://…/ws``."""
    url = base_url.rstrip("/")
    for http, ws in (("http://", "ws://"), ("https://", "wss://")):
        if url.startswith(http):
            url = ws + url[len(http) :]
    if not url.startswith(("ws://", "wss://")):
        url = "ws://" + url
    return url + "/ws"


class AmongUsEnv:
    """An async client for one seat in one game at a time (one WebSocket session)."""

    def __init__(
        self,
        base_url: str = "http://localhost:8000",
        connect_timeout_s: float = 10.0,
        message_timeout_s: float = 60.0,
        max_message_size_mb: float = 16.0,
    ) -> None:
        self.url = websocket_url(base_url)
        self._connect_timeout = connect_timeout_s
        self._message_timeout = message_timeout_s
        self._max_size = int(max_message_size_mb * 1024 * 1024)
        self._ws: ClientConnection | None = None
        self._rpc_id = 0

    # ------------------------------------------------------------------ connection
    async def connect(self) -> AmongUsEnv:
        """Open the session's connection if there is none. A connection the server has closed
        (idle expiry, capacity) is dropped: its last error reply, if unread, is raised, and the
        next call opens a new session."""
        ws = self._ws
        if ws is not None and ws.state is not State.OPEN:
            self._ws = None
            error = await _pending_error(ws)
            if error is not None:
                raise error
        if self._ws is None:
            try:
                self._ws = await connect(
                    self.url,
                    open_timeout=self._connect_timeout,
                    max_size=self._max_size,
                    compression=None,
                )
            except Exception as exc:
                raise ConnectionError(f"cannot connect to {self.url}: {exc}") from exc
        return self

    async def close(self) -> None:
        """End the session (the server forgets the game) and close the connection."""
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(Exception):  # already gone: nothing to tell the server
                await ws.send(json.dumps({"type": "close"}))
            await ws.close()

    async def __aenter__(self) -> AmongUsEnv:
        return await self.connect()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def sync(self) -> SyncAmongUsEnv:
        """A blocking wrapper around this client."""
        return SyncAmongUsEnv(self)

    # ------------------------------------------------------------------ the protocol
    async def reset(self, **kwargs: Any) -> StepResult[GameObservation]:
        """Start a game; arguments: seed, episode_id, seat or role (or seats), config, policies,
        obs_mode; open_seats and turn_deadline_s create a shared game, game_id with token joins
        one."""
        return self._result(await self._request({"type": "reset", "data": kwargs}, "observation"))

    async def step(self, action: GameAction | Mapping[str, Any]) -> StepResult[GameObservation]:
        """Play one move (or an assistant message with one tool call) for the seat; the reply
        comes when it (or, holding several, a held seat) is to act again."""
        data = (
            action.model_dump(exclude_none=True, exclude_defaults=True)
            if isinstance(action, GameAction)
            else dict(action)
        )
        return self._result(await self._request({"type": "step", "data": data}, "observation"))

    async def state(self) -> GameState:
        return GameState.model_validate(await self._request({"type": "state"}, "state"))

    async def wait(self) -> StepResult[GameObservation]:
        """A shared game's seat: the observation of its next turn (or of the game's end)."""
        return self._result(await self._request({"type": "wait"}, "observation"))

    async def list_tools(self) -> list[dict[str, Any]]:
        """The MCP tools (the seat's moves, with JSON Schemas for their arguments)."""
        return list((await self._rpc("tools/list", {}))["tools"])

    async def call_tool(self, name: str, **arguments: Any) -> dict[str, Any]:
        """Play a move as an MCP tool call; returns the MCP result (``structuredContent`` holds
        the observation reply)."""
        return dict(await self._rpc("tools/call", {"name": name, "arguments": arguments}))

    # ------------------------------------------------------------------ internals
    async def _rpc(self, method: str, params: dict[str, Any]) -> Any:
        self._rpc_id += 1
        request = {"jsonrpc": "2.0", "id": self._rpc_id, "method": method, "params": params}
        response = await self._request({"type": "mcp", "data": request}, "mcp")
        if "error" in response:
            error = response["error"]
            raise AmongUsServerError(
                error.get("message", "JSON-RPC error"), str(error.get("code")), error
            )
        return response["result"]

    async def _request(self, message: dict[str, Any], expected: str) -> dict[str, Any]:
        await self.connect()
        ws = self._ws
        assert ws is not None
        try:
            await ws.send(json.dumps(message))
            text = await asyncio.wait_for(ws.recv(), self._message_timeout)
        except ConnectionClosed as exc:
            self._ws = None  # the game is gone with the connection; the next call opens another
            error = await _pending_error(ws)
            if error is not None:
                raise error from None
            raise AmongUsServerError(
                f"the server closed the connection ({exc}); the session and its game are gone "
                "(the next call opens a new session)",
                "CONNECTION_CLOSED",
                {},
            ) from None
        except (TimeoutError, asyncio.CancelledError) as exc:
            # A reply may still come, and would then be read as the answer to the next
            # request: this connection can no longer be trusted, so drop it (and its game).
            self._ws = None
            with contextlib.suppress(Exception):
                await ws.close()
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise TimeoutError(
                f"no reply from {self.url} within {self._message_timeout:g} s; the session is "
                "closed and its game lost (the next call opens a new session)"
            ) from None
        reply = json.loads(text)
        kind = reply.get("type")
        data = reply.get("data") or {}
        if kind == "error":
            raise _server_error(data)
        if kind != expected:
            raise AmongUsServerError(
                f"expected a {expected!r} reply, got {kind!r}", "PROTOCOL_ERROR", reply
            )
        return dict(data)

    @staticmethod
    def _result(data: dict[str, Any]) -> StepResult[GameObservation]:
        reward, done = data.get("reward"), bool(data.get("done", False))
        observation = GameObservation.model_validate(
            {**data.get("observation", {}), "reward": reward, "done": done}
        )
        return StepResult(observation, reward, done)


def _server_error(data: Mapping[str, Any]) -> AmongUsServerError:
    return AmongUsServerError(
        data.get("message", "unknown error"), data.get("code", "UNKNOWN"), data
    )


async def _pending_error(ws: ClientConnection) -> AmongUsServerError | None:
    """The error reply a closed connection received but nobody read (the server says why it
    closes a session before closing it), if any."""
    with contextlib.suppress(Exception):
        reply = json.loads(await asyncio.wait_for(ws.recv(), 1.0))
        if isinstance(reply, dict) and reply.get("type") == "error":
            return _server_error(reply.get("data") or {})
    return None


class SyncAmongUsEnv:
    """The blocking face of an ``AmongUsEnv``: its coroutines run on a private event-loop thread,
    so it also works where an event loop is already running (notebooks)."""

    def __init__(self, client: AmongUsEnv) -> None:
        self.async_client = client
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="AmongUsEnv", daemon=True
        )
        self._thread.start()

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._loop.is_closed():
            coroutine.close()
            raise RuntimeError("this client is closed")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def connect(self) -> SyncAmongUsEnv:
        self._run(self.async_client.connect())
        return self

    def reset(self, **kwargs: Any) -> StepResult[GameObservation]:
        return self._run(self.async_client.reset(**kwargs))

    def step(self, action: GameAction | Mapping[str, Any]) -> StepResult[GameObservation]:
        return self._run(self.async_client.step(action))

    def state(self) -> GameState:
        return self._run(self.async_client.state())

    def wait(self) -> StepResult[GameObservation]:
        return self._run(self.async_client.wait())

    def list_tools(self) -> list[dict[str, Any]]:
        return self._run(self.async_client.list_tools())

    def call_tool(self, name: str, **arguments: Any) -> dict[str, Any]:
        return self._run(self.async_client.call_tool(name, **arguments))

    def close(self) -> None:
        if self._loop.is_closed():
            return
        try:
            self._run(self.async_client.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            self._loop.close()

    def __enter__(self) -> SyncAmongUsEnv:
        return self.connect()

    def __exit__(self, *exc_info: object) -> None:
        self.close()
