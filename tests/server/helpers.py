"""A minimal raw WebSocket session for the tests: frames in, parsed replies out."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import Any

from websockets.sync.client import ClientConnection, connect

from tests.server.conftest import RANDOM_POLICIES, RunningServer

#: How long a test waits for the server to do something on its own schedule (forget a closed
#: connection, expire an idle session): usually milliseconds, but CI machines are slow and loaded.
PATIENCE_S = 15.0


def eventually(condition: Callable[[], bool], timeout: float = PATIENCE_S) -> bool:
    """Whether ``condition`` holds within ``timeout`` seconds (polled). For what the server does
    after the client has seen its reply: a closed connection's session is forgotten when the
    server's handler gets round to it, not before the client sees the close."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def session_ids(server: RunningServer) -> set[str]:
    """The ids of the server's open sessions. Tests on the shared server compare these sets,
    not counts: sessions earlier tests left open may expire (and vanish) at any moment."""
    return {slot.id for slot in server.registry}


class RawSession:
    """One ``/ws`` connection speaking the protocol frame by frame."""

    def __init__(self, ws_url: str) -> None:
        self.ws: ClientConnection = connect(
            ws_url, max_size=None, compression=None, open_timeout=10
        ).__enter__()
        self.frames: list[str] = []  # every reply received, as sent by the server

    def send_raw(self, text: str | bytes) -> dict[str, Any]:
        self.ws.send(text)
        reply = self.ws.recv(timeout=30)
        assert isinstance(reply, str)
        self.frames.append(reply)
        parsed: dict[str, Any] = json.loads(reply)
        return parsed

    def send(self, message: dict[str, Any]) -> dict[str, Any]:
        return self.send_raw(json.dumps(message))

    def reset(self, **data: Any) -> dict[str, Any]:
        data.setdefault("policies", RANDOM_POLICIES)
        return self.send({"type": "reset", "data": data})

    def step(self, action: dict[str, Any]) -> dict[str, Any]:
        return self.send({"type": "step", "data": action})

    def state(self) -> dict[str, Any]:
        return self.send({"type": "state"})

    def close(self) -> None:
        try:
            self.ws.send(json.dumps({"type": "close"}))
        finally:
            self.ws.close()

    def __enter__(self) -> RawSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def play_out(
    session: RawSession, reply: dict[str, Any], rng: random.Random, limit: int = 5000
) -> dict[str, Any]:
    """Step random legal actions until the game ends; the last observation reply."""
    for _ in range(limit):
        assert reply["type"] == "observation", reply
        if reply["data"]["done"]:
            return reply
        legal = reply["data"]["observation"]["legal_actions"]
        assert legal, "a running game's observation must offer legal actions"
        reply = session.step(rng.choice(legal))
    raise AssertionError("the game did not end")
