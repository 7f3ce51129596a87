"""Slow clients (headers or bodies sent a byte at a time) and surplus connections are bounded:
raw sockets on 127.0.0.1, a bounded number of them, against a real server."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import httpx

from openenv_facade.settings import ServerSettings
from tests.server.conftest import RunningServer, serve

READ_TIMEOUT = 0.5
SLOW_CLIENTS = 20
#: The longest a test waits for the server to drop slow clients (many read timeouts).
PATIENCE = 15.0


def address(server: RunningServer) -> tuple[str, int]:
    host, port = server.base_url.removeprefix("http://").split(":")
    return host, int(port)


@contextmanager
def raw_sockets(server: RunningServer, count: int) -> Iterator[list[socket.socket]]:
    with ExitStack() as stack:
        sockets = []
        for _ in range(count):
            sock = stack.enter_context(socket.create_connection(address(server), timeout=5))
            sockets.append(sock)
        yield sockets


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has closed ``sock`` (reads end, or the connection was reset)."""
    sock.setblocking(False)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)


def trickle_until_dropped(sockets: list[socket.socket], payload: bytes) -> float:
    """Send ``payload`` a byte at a time on every socket, round robin, until the server has
    closed all of them; the seconds that took (fails after ``PATIENCE``)."""
    start = time.monotonic()
    open_sockets = list(sockets)
    position = 0
    while open_sockets:
        assert time.monotonic() - start < PATIENCE, (
            f"{len(open_sockets)} of {len(sockets)} slow clients still open after {PATIENCE} s"
        )
        byte = payload[position % len(payload) : position % len(payload) + 1]
        position += 1
        for sock in list(open_sockets):
            try:
                sock.sendall(byte)
            except OSError:
                open_sockets.remove(sock)
                continue
            if closed_by_server(sock):
                open_sockets.remove(sock)
        time.sleep(0.05)
    return time.monotonic() - start


def test_clients_sending_headers_a_byte_at_a_time_are_dropped() -> None:
    settings = ServerSettings(max_sessions=4, read_timeout_s=READ_TIMEOUT)
    with serve(settings) as server, raw_sockets(server, SLOW_CLIENTS) as sockets:
        header = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 10_000
        trickle_until_dropped(sockets, header)
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            assert client.get("/health").json()["status"] == "healthy"


def test_clients_sending_a_body_a_byte_at_a_time_get_408() -> None:
    settings = ServerSettings(max_sessions=4, read_timeout_s=READ_TIMEOUT)
    with serve(settings) as server, raw_sockets(server, 3) as sockets:
        for sock in sockets:
            sock.sendall(
                b"POST /reset HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
                b"content-length: 1000\r\n\r\n{"
            )
        time.sleep(READ_TIMEOUT * 3)
        for sock in sockets:
            sock.settimeout(10)
            assert sock.recv(4096).startswith(b"HTTP/1.1 408 ")


def test_connections_past_the_limit_are_refused_at_once() -> None:
    settings = ServerSettings(max_sessions=2, max_connections=6, read_timeout_s=30.0)
    with serve(settings) as server, raw_sockets(server, 6) as held:
        time.sleep(0.2)
        assert not any(closed_by_server(sock) for sock in held)
        with socket.create_connection(address(server), timeout=5) as surplus:
            surplus.settimeout(10)
            reply = surplus.recv(4096)
        assert reply.startswith(b"HTTP/1.1 503 ")
        for sock in held:
            sock.close()
        deadline = time.monotonic() + PATIENCE
        while True:  # the held connections' slots come back once they are gone
            try:
                reply_ok = httpx.get(f"{server.base_url}/health", timeout=5).status_code == 200
            except httpx.HTTPError:
                reply_ok = False
            if reply_ok:
                break
            assert time.monotonic() < deadline
            time.sleep(0.05)
