"""Deeply nested JSON: refused up front with a clear error on every route and frame, never a 500,
never a traceback in the log, and never a change to the game."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from websockets.sync.client import connect

from openenv_facade.json_depth import nests_deeper_than
from openenv_facade.models import is_unicode_text
from openenv_facade.settings import ServerSettings
from tests.server.conftest import RANDOM_POLICIES, RunningServer, serve
from tests.server.helpers import RawSession

LIMIT = ServerSettings().max_json_depth
DEPTHS = [10, LIMIT, LIMIT + 1, 100, 321, 900, 2_000, 10_000]
#: Loggers the server and uvicorn write to; a traceback per request would land in one of them.
LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "openenv_facade")


def nested(depth: int, leaf: str = "0", *, objects: bool = False) -> str:
    """``depth`` arrays (or objects) inside each other around ``leaf``."""
    if objects:
        return '{"a":' * depth + leaf + "}" * depth
    return "[" * depth + leaf + "]" * depth


def test_the_depth_scanner_counts_brackets_outside_strings_only() -> None:
    assert nests_deeper_than(nested(33), 32)
    assert not nests_deeper_than(nested(32), 32)
    assert nests_deeper_than(nested(33, objects=True).encode(), 32)
    quoted = json.dumps(["[" * 100, {"k": "{" * 100 + '\\"['}])
    assert not nests_deeper_than(quoted, 2)
    assert nests_deeper_than(quoted, 1)
    assert not nests_deeper_than(b"\xff[[\xfe]]", 2)  # not UTF-8: still measured
    assert nests_deeper_than(nested(100_000), 32)  # no recursion, whatever the depth


def test_unicode_text_check_walks_any_depth_without_recursion() -> None:
    deep: object = "ok"
    for _ in range(100_000):
        deep = [deep]
    assert is_unicode_text(deep)
    assert not is_unicode_text({"a": [[{"b": "\ud800"}]]})


@pytest.fixture
def server_log() -> Iterator[io.StringIO]:
    """Everything the server logs while the test runs, at every level."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    loggers = [logging.getLogger(name) for name in LOGGERS]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield stream
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def _http_bodies(depth: int) -> dict[str, str]:
    """A body per POST route, ``depth`` levels deep in the place a client controls."""
    return {
        "/reset": f'{{"config": {nested(depth - 1, "1", objects=True)}}}',
        "/step": f'{{"session_id": "x", "action": {{"metadata": {nested(depth - 2)}}}}}',
        "/mcp": '{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": '
        f"{nested(depth - 1, '1', objects=True)}}}",
    }


@pytest.mark.parametrize("depth", DEPTHS)
def test_http_routes_refuse_over_deep_bodies_with_a_4xx_naming_the_limit(
    server: RunningServer, depth: int
) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        for path, body in _http_bodies(depth).items():
            reply = client.post(path, content=body, headers={"content-type": "application/json"})
            assert reply.status_code < 500, (path, depth, reply.text[:200])
            if path == "/mcp" and depth > LIMIT:  # JSON-RPC: a parse error object
                error = reply.json()["error"]
                assert error["code"] == -32700 and str(LIMIT) in error["message"]
            elif depth > LIMIT:
                assert reply.status_code == 400, (path, depth)
                detail = reply.json()["detail"]
                assert detail["code"] == "INVALID_JSON"
                assert str(LIMIT) in detail["message"]
            else:
                assert "nested" not in reply.text, (path, depth)


@pytest.mark.parametrize("depth", DEPTHS)
def test_websocket_frames_nested_too_deep_get_an_error_and_change_nothing(
    server: RunningServer, depth: int
) -> None:
    with RawSession(server.ws_url) as session:
        first = session.reset(seed=3)
        before = session.state()
        frames = {
            "frame": nested(depth, objects=True),
            "step": '{"type": "step", "data": {"raw": "x", "metadata": ' + nested(depth - 2) + "}}",
            "mcp": '{"type": "mcp", "data": {"jsonrpc": "2.0", "id": 1, "method": "tools/call",'
            ' "params": {"name": "talk", "arguments": '
            + nested(depth - 3, '"hi"', objects=True)
            + "}}}",
        }
        for name, frame in frames.items():
            reply = session.send_raw(frame)
            if depth > LIMIT:
                assert reply["type"] == "error", (name, depth)
                assert reply["data"]["code"] == "INVALID_JSON"
                assert str(LIMIT) in reply["data"]["message"]
            else:
                assert "nested" not in json.dumps(reply), (name, depth)
        assert session.state() == before
        assert first["type"] == "observation"


def test_a_flood_of_deep_requests_leaves_the_log_small(server_log: io.StringIO) -> None:
    with serve(ServerSettings(max_sessions=8, session_timeout_s=60.0)) as running:
        with httpx.Client(base_url=running.base_url, timeout=30) as client:
            for depth in (321, 900, 5_000):
                for path, body in _http_bodies(depth).items():
                    reply = client.post(path, content=body)
                    assert reply.status_code == (200 if path == "/mcp" else 400)
        with connect(running.ws_url, max_size=None, compression=None) as ws:
            ws.send(json.dumps({"type": "reset", "data": {"policies": RANDOM_POLICIES}}))
            ws.recv(timeout=30)
            for _ in range(200):
                ws.send(nested(900))
                assert json.loads(ws.recv(timeout=30))["type"] == "error"
    log = server_log.getvalue()
    assert "Traceback" not in log
    assert "[[[[" not in log and '{"a":{"a"' not in log
    assert len(log) < 4_000, log[:2_000]
