"""Real servers for the server tests: uvicorn on 127.0.0.1, a free port, in a thread, stopped
by the test. ``serve(settings)`` starts one with explicit limits; ``server`` is a shared one."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from openenv_facade.server import create_app
from openenv_facade.settings import ServerSettings
from openenv_facade.transport import uvicorn_config

#: Most tests use random policies for the other seats (fast); the default is the heuristic.
RANDOM_POLICIES: dict[str, str] = {"impostor": "random", "crewmate": "random"}


@dataclass
class RunningServer:
    base_url: str
    ws_url: str
    app: FastAPI
    settings: ServerSettings

    @property
    def registry(self) -> Any:
        return self.app.state.registry


@contextlib.contextmanager
def serve(settings: ServerSettings | None = None) -> Iterator[RunningServer]:
    settings = settings or ServerSettings(max_sessions=64, session_timeout_s=60.0)
    app = create_app(settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn_config(app, settings, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30  # usually milliseconds; CI machines are slow and loaded
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield RunningServer(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws", app, settings)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
def server() -> Iterator[RunningServer]:
    with serve() as running:
        yield running
