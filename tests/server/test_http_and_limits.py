"""HTTP endpoints, session limits (capacity, idle expiry, body size) and settings."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import httpx
import pytest
import websockets.asyncio.client
from websockets.exceptions import ConnectionClosed

from openenv_facade.models import (
    AssistantMessage,
    ErrorData,
    GameAction,
    GameObservation,
    GameState,
    HttpErrorReply,
)
from openenv_facade.settings import ServerSettings
from tests.server.conftest import RANDOM_POLICIES, RunningServer, serve
from tests.server.helpers import RawSession, eventually, session_ids


def test_health_metadata_schema_and_docs() -> None:
    # A server of its own: the shared one may still hold earlier tests' games (shared games
    # wait for their clients until the session timeout).
    with serve(ServerSettings()) as server, httpx.Client(base_url=server.base_url) as client:
        assert client.get("/health").json() == {
            "status": "healthy",
            "sessions": 0,
            "max_sessions": server.settings.max_sessions,
        }
        metadata = client.get("/metadata").json()
        assert metadata["name"] == "amongus" and metadata["description"] and metadata["version"]
        schema = client.get("/schema").json()
        assert schema["action"] == GameAction.model_json_schema()
        assert schema["observation"] == GameObservation.model_json_schema()
        assert schema["state"] == GameState.model_json_schema()
        assert schema["action"]["additionalProperties"] is False
        assert schema["chat_action"] == AssistantMessage.model_json_schema()
        observation_fields = schema["observation"]["properties"]
        assert {"acting_seat", "seat_results", "messages", "tools"} <= set(observation_fields)
        openapi = client.get("/openapi.json").json()
        assert isinstance(openapi["info"]["version"], str)
        assert {"/reset", "/step", "/state", "/health", "/schema", "/metadata", "/mcp"} <= set(
            openapi["paths"]
        )
        components = openapi["components"]["schemas"]
        assert {"seats", "obs_mode"} <= set(components["HttpResetRequest"]["properties"])
        assert "AssistantMessage" in components  # /step takes a tool call too
        docs = client.get("/docs")
        assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_http_reset_is_a_one_off_game(server: RunningServer) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        before = session_ids(server)
        first = client.post("/reset", json={"seed": 4, "seat": 2, "policies": RANDOM_POLICIES})
        assert first.status_code == 200
        body = first.json()
        assert set(body) == {"observation", "reward", "done"} and body["observation"]["seat"] == 2
        assert (
            client.post("/reset", json={"seed": 4, "seat": 2, "policies": RANDOM_POLICIES}).json()
            == body
        )
        assert session_ids(server) <= before  # nothing kept
        assert client.post("/reset").status_code == 200  # no body: all defaults (heuristic players)
        assert client.get("/state").json() == GameState().model_dump()


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/reset", {"seed": 1, "bogus": 1}, 422),
        ("/reset", {"seed": -5}, 422),
        ("/reset", {"seat": 50, "policies": RANDOM_POLICIES}, 400),
        ("/reset", {"policies": {"impostor": "oracle"}}, 400),
        ("/reset", {"config": "twelve_member"}, 400),
        ("/step", {"action": {"type": "move", "target": "Admin"}}, 400),
        ("/step", {"action": {"type": "fly"}}, 422),
        ("/step", {"action": {"type": "move"}, "session_id": "0" * 32}, 404),
        ("/step", {}, 422),
    ],
)
def test_http_errors_are_clear(server: RunningServer, path: str, body: dict, status: int) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        response = client.post(path, json=body)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert detail
    if status in (400, 404):
        assert detail["message"] and detail["code"]
        HttpErrorReply.model_validate(response.json())  # as the OpenAPI document describes it
        documented = server.app.openapi()["paths"][path]["post"]["responses"]
        assert str(status) in documented


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/reset", '{"seed": 1e999}'),  # parses as infinity
        ("/reset", '{"config": {"num_players": 1e999}}'),
        ("/reset", '{"seed": NaN}'),
        ("/reset", '{"episode_id": "\\ud800"}'),  # a lone surrogate: JSON, but not text
        ("/reset", '{"config": {"\\udc00": 5}}'),
        ("/step", '{"action": {"type": "move", "target": "Admin"}, "timeout_s": -1e999}'),
        ("/step", '{"action": {"type": "talk", "target": "hi \\ud83d"}, "session_id": "x"}'),
    ],
)
def test_http_bodies_that_are_json_but_no_valid_request_get_422(
    server: RunningServer, path: str, body: str
) -> None:
    """FastAPI's 422 would echo the input, which cannot always be JSON again."""
    with httpx.Client(base_url=server.base_url) as client:
        response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    [issue, *_] = response.json()["detail"]
    assert issue["loc"][0] == "body" and issue["msg"] and issue["type"]


def test_an_http_reset_whose_episode_id_is_no_text_changes_nothing(server: RunningServer) -> None:
    """Refused before the game is touched (it used to start the new game, then fail to reply)."""
    with httpx.Client(base_url=server.base_url) as client:
        created = client.post(
            "/mcp",
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "openenv/session/create",
                "params": {"seed": 5, "seat": 0, "policies": RANDOM_POLICIES},
            },
        ).json()
        session_id = created["result"]["session_id"]
        moved = client.post(
            "/step", json={"action": {"type": "move", "target": "Admin"}, "session_id": session_id}
        )
        assert moved.status_code == 200 and moved.json()["observation"]["error"] is None
        state = client.get("/state", params={"session_id": session_id}).json()
        body = f'{{"seed": 6, "episode_id": "\\ud800", "session_id": "{session_id}"}}'
        response = client.post("/reset", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 422
        assert client.get("/state", params={"session_id": session_id}).json() == state
        close = {"jsonrpc": "2.0", "id": 2, "method": "openenv/session/close"}
        client.post("/mcp", json={**close, "params": {"session_id": session_id}})


def test_http_bodies_over_the_limit_are_refused() -> None:
    with (
        serve(ServerSettings(max_frame_bytes=2048)) as server,
        httpx.Client(base_url=server.base_url) as client,
    ):
        big = {"seed": 1, "episode_id": "x" * 200, "config": {f"k{i}": i for i in range(400)}}
        response = client.post("/reset", json=big)
        assert response.status_code == 413 and "2048" in response.json()["detail"]["message"]

        def chunks():  # no Content-Length: the limit is counted while reading
            yield b'{"jsonrpc": "2.0", "method": "ping", "id": 1, "params": {"pad": "'
            for _ in range(10):
                yield b"y" * 512
            yield b'"}}'

        for route in ("/mcp", "/reset", "/step"):
            response = client.post(
                route, content=chunks(), headers={"content-type": "application/json"}
            )
            assert response.status_code == 413, route
            assert "2048" in response.json()["detail"]["message"]
        assert client.get("/health").status_code == 200
        assert client.post("/reset", json={"seed": 1}).status_code == 200


def test_capacity_is_reported_and_freed() -> None:
    with serve(ServerSettings(max_sessions=2)) as server:
        first, second = RawSession(server.ws_url), RawSession(server.ws_url)
        first.reset(seed=1)
        second.reset(seed=2)
        third = RawSession(server.ws_url)
        refusal = json.loads(third.ws.recv(timeout=5))
        assert refusal["type"] == "error" and refusal["data"]["code"] == "CAPACITY_REACHED"
        assert refusal["data"]["max_sessions"] == 2
        ErrorData.model_validate(refusal["data"])  # the published model describes it
        with pytest.raises(ConnectionClosed) as closed:
            third.ws.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
        third.ws.close()
        first.close()
        assert eventually(lambda: len(server.registry) == 1), "the closed session kept its slot"
        with RawSession(server.ws_url) as fourth:
            assert fourth.reset(seed=4)["type"] == "observation"
        second.close()


def test_idle_websocket_sessions_expire() -> None:
    # The margins are wide: the client's next message must reach the server well within the
    # timeout even on a slow, loaded machine (the server shares this process and its GIL).
    with serve(ServerSettings(session_timeout_s=1.5)) as server:
        session = RawSession(server.ws_url)
        session.reset(seed=1)
        for _ in range(2):  # 2 x 0.9 s: longer than the timeout, but never idle that long
            time.sleep(0.9)
            assert session.state()["type"] == "state"  # activity keeps it open
        notice = json.loads(session.ws.recv(timeout=10))
        assert notice["type"] == "error" and notice["data"]["code"] == "SESSION_ERROR"
        assert "without a message" in notice["data"]["message"]
        with pytest.raises(ConnectionClosed):
            session.ws.recv(timeout=10)
        session.ws.close()
        assert eventually(lambda: len(server.registry) == 0)


def test_a_client_that_stops_reading_replies_gives_its_slot_up() -> None:
    """Pipelined requests whose replies are never read fill the socket buffers: the server's
    send then waits, and must not wait longer than the session timeout."""

    async def stop_reading_then_let_another_in(ws_url: str) -> dict[str, Any]:
        stuck = await websockets.asyncio.client.connect(ws_url, max_queue=1, compression=None)
        stuck.transport.pause_reading()
        reset = json.dumps({"type": "reset", "data": {"config": "seven_member", "seed": 1}})
        for _ in range(4000):
            await stuck.send(reset)
        # The server answers resets until the socket buffers fill (seconds of work on a busy
        # machine), then gives the slot up one session timeout later: ask until it has, while
        # the stuck client stays connected.
        deadline = asyncio.get_running_loop().time() + 60
        reply: dict[str, Any] = {}
        while reply.get("type") != "observation" and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(1.0)
            # Refused at capacity, the connection is closed before (or as) the reset is sent.
            with contextlib.suppress(ConnectionClosed):
                async with websockets.asyncio.client.connect(ws_url, compression=None) as other:
                    await other.send(reset)
                    reply = json.loads(await asyncio.wait_for(other.recv(), 10))
        stuck.transport.abort()
        return reply

    with serve(ServerSettings(max_sessions=1, session_timeout_s=0.5)) as server:
        reply = asyncio.run(stop_reading_then_let_another_in(server.ws_url))
    assert reply["type"] == "observation", reply  # not CAPACITY_REACHED: the slot was given up


def test_settings_come_from_the_environment_and_flags() -> None:
    env = {
        "AMONGUS_MAX_SESSIONS": "9",
        "AMONGUS_SESSION_TIMEOUT_S": "12.5",
        "AMONGUS_MAX_FRAME_BYTES": "4096",
        "AMONGUS_ALLOWED_POLICIES": "random",
    }
    settings = ServerSettings.from_env(env)
    assert (settings.max_sessions, settings.session_timeout_s, settings.max_frame_bytes) == (
        9,
        12.5,
        4096,
    )
    assert settings.allowed_policies == ("random",)
    assert ServerSettings.from_env(env, max_sessions=3, max_frame_bytes=None).max_sessions == 3
    assert ServerSettings.from_env({}) == ServerSettings()
    with pytest.raises(ValueError, match="AMONGUS_MAX_SESSIONS"):
        ServerSettings.from_env({"AMONGUS_MAX_SESSIONS": "many"})
    with pytest.raises(ValueError, match="max_sessions"):
        ServerSettings.from_env({"AMONGUS_MAX_SESSIONS": "0"})


def test_policies_outside_the_servers_offer_are_refused() -> None:
    with (
        serve(ServerSettings(allowed_policies=("random",))) as server,
        RawSession(server.ws_url) as session,
    ):
        reply = session.send(
            {"type": "reset", "data": {"policies": {"impostor": "heuristic", "crewmate": "random"}}}
        )
        assert (
            reply["data"]["code"] == "VALIDATION_ERROR"
            and "not offered" in reply["data"]["message"]
        )
        assert session.reset(seed=1)["type"] == "observation"
        # A role the reset leaves out gets a policy the server offers, not one it refuses.
        for data in ({"seed": 1}, {"seed": 1, "policies": {"impostor": "random"}}):
            assert session.send({"type": "reset", "data": data})["type"] == "observation"


def test_the_default_policy_is_heuristic_when_offered() -> None:
    assert ServerSettings().default_policy == "heuristic"
    assert ServerSettings(allowed_policies=("random",)).default_policy == "random"


def test_frames_beyond_the_transport_cap_close_the_connection() -> None:
    """Frames up to 16x the limit get an error reply (see the frame tests); beyond the
    transport's own cap the connection is closed with 1009 (message too big)."""
    settings = ServerSettings(max_frame_bytes=1024)
    with serve(settings) as server:
        session = RawSession(server.ws_url)
        reply = session.send_raw(json.dumps({"type": "state", "pad": "x" * 20_000}))
        assert reply["data"]["code"] == "VALIDATION_ERROR"
        session.ws.send("x" * (settings.transport_max_bytes + 1))
        with pytest.raises(ConnectionClosed) as closed:
            session.ws.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
        session.ws.close()
