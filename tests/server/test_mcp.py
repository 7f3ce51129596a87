"""/mcp: JSON-RPC 2.0 over HTTP and over a /ws session; the seat's moves as tools."""

from __future__ import annotations

import json
import random
from typing import Any

import httpx
import pytest

from amongagents.skeld import ROOMS
from openenv_facade.models import ACTION_TYPES
from openenv_facade.settings import ServerSettings
from tests.server.conftest import RANDOM_POLICIES, RunningServer, serve
from tests.server.helpers import RawSession, eventually, session_ids

ARGUMENT_OF = {
    "move": "room",
    "vent": "room",
    "monitor": "room",
    "kill": "player",
    "vote": "player",
    "task": "task",
    "talk": "message",
}


def rpc(
    client: httpx.Client, method: str, params: dict[str, Any] | None = None, rpc_id: int = 1
) -> dict[str, Any]:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": rpc_id, "method": method}
    if params is not None:
        body["params"] = params
    response = client.post("/mcp", json=body)
    assert response.status_code == 200
    reply: dict[str, Any] = response.json()
    return reply


def arguments_for(action: dict[str, Any]) -> dict[str, Any]:
    key = ARGUMENT_OF.get(action["type"])
    return {key: action["target"]} if key and action.get("target") is not None else {}


def test_tools_are_the_seats_moves_with_schemas(server: RunningServer) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        reply = rpc(client, "tools/list")
    tools = {tool["name"]: tool for tool in reply["result"]["tools"]}
    assert set(tools) == set(ACTION_TYPES)
    assert not set(tools) & {"reset", "step", "state", "close"}
    for tool in tools.values():
        schema = tool["inputSchema"]
        assert schema["type"] == "object" and tool["description"]
        assert schema.get("additionalProperties") is False
    assert tools["move"]["inputSchema"]["properties"]["room"]["enum"] == list(ROOMS)
    assert tools["move"]["inputSchema"]["required"] == ["room"]
    assert "player" in tools["vote"]["inputSchema"]["required"]


def test_initialize_and_ping(server: RunningServer) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        init = rpc(client, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {}})[
            "result"
        ]
        assert init["capabilities"]["tools"] is not None and init["serverInfo"]["name"] == "amongus"
        assert rpc(client, "ping")["result"] == {}


def test_http_session_plays_a_full_game_with_tool_calls(server: RunningServer) -> None:
    rng = random.Random(4)
    with httpx.Client(base_url=server.base_url) as client:
        created = rpc(
            client, "openenv/session/create", {"seed": 5, "seat": 0, "policies": RANDOM_POLICIES}
        )["result"]
        session_id = created["session_id"]
        observation = created["observation"]
        done = created["done"]
        calls = 0
        while not done:
            action = rng.choice(observation["legal_actions"])
            result = rpc(
                client,
                "tools/call",
                {
                    "name": action["type"],
                    "arguments": arguments_for(action),
                    "session_id": session_id,
                },
                calls,
            )["result"]
            assert result["isError"] is False, result
            assert (
                result["content"][0]["type"] == "text"
                and observation["name"] in result["content"][0]["text"]
            )
            observation, done = (
                result["structuredContent"]["observation"],
                result["structuredContent"]["done"],
            )
            calls += 1
        assert calls > 0
        state = client.get("/state", params={"session_id": session_id}).json()
        assert state["game_over"] and state["step_count"] == calls
        # a new game in the same HTTP session, then plain HTTP steps
        first = client.post(
            "/reset",
            json={"session_id": session_id, "seed": 9, "seat": 0, "policies": RANDOM_POLICIES},
        )
        assert first.status_code == 200 and not first.json()["done"]
        move = first.json()["observation"]["legal_actions"][0]
        stepped = client.post("/step", json={"session_id": session_id, "action": move})
        assert stepped.status_code == 200 and stepped.json()["observation"]["error"] is None
        closed = rpc(client, "openenv/session/close", {"session_id": session_id})["result"]
        assert closed == {"session_id": session_id, "closed": True}
        assert client.get("/state", params={"session_id": session_id}).status_code == 404
        again = rpc(client, "openenv/session/close", {"session_id": session_id})
        assert again["error"]["code"] == -32602


def test_a_refused_move_is_a_tool_error_and_changes_nothing(server: RunningServer) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        created = rpc(
            client,
            "openenv/session/create",
            {"seed": 5, "seat": 0, "role": "crewmate", "policies": RANDOM_POLICIES},
        )
        session_id = created["result"]["session_id"]
        state = client.get("/state", params={"session_id": session_id}).json()
        result = rpc(
            client,
            "tools/call",
            {"name": "kill", "arguments": {"player": "red"}, "session_id": session_id},
        )
        assert result["result"]["isError"] is True
        assert result["result"]["structuredContent"]["observation"]["error"]
        assert client.get("/state", params={"session_id": session_id}).json() == state
        rpc(client, "openenv/session/close", {"session_id": session_id})


BAD_REQUESTS: list[tuple[str, int]] = [
    ("{nope", -32700),
    ("[" * 2_000 + "]" * 2_000, -32700),  # small, but too deep for the parser
    ("[]", -32600),
    ('[{"jsonrpc": "2.0", "method": "ping", "id": 1}]', -32600),
    ("{}", -32600),
    ('{"jsonrpc": "1.0", "method": "ping", "id": 1}', -32600),
    ('{"jsonrpc": "2.0", "id": 1}', -32600),
    ('{"jsonrpc": "2.0", "method": "ping", "params": [1], "id": 1}', -32600),
    ('{"jsonrpc": "2.0", "method": "ping", "id": 1, "extra": 1}', -32600),
    ('{"jsonrpc": "2.0", "method": "reset", "id": 1}', -32601),
    ('{"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "step"}, "id": 1}', -32602),
    ('{"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "reset"}, "id": 1}', -32602),
    (  # over HTTP a tools/call must name its session
        '{"jsonrpc": "2.0", "method": "tools/call", "id": 1,'
        ' "params": {"name": "move", "arguments": {"room": "Admin"}}}',
        -32602,
    ),
]


@pytest.mark.parametrize(("body", "code"), BAD_REQUESTS)
def test_bad_json_rpc_over_http_gets_an_error_object(
    server: RunningServer, body: str, code: int
) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        response = client.post("/mcp", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200
    reply = response.json()
    assert reply["jsonrpc"] == "2.0" and "result" not in reply
    assert reply["error"]["code"] == code and reply["error"]["message"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"name": "move", "arguments": {"room": "Atlantis"}}, -32602),
        ({"name": "move", "arguments": {}}, -32602),
        ({"name": "move", "arguments": {"room": "Admin", "speed": 3}}, -32602),
        ({"name": "move", "arguments": "Admin"}, -32602),
        ({"name": "fly", "arguments": {}}, -32602),
        ({"arguments": {}}, -32602),
        ({"name": "move", "arguments": {"room": "Admin"}, "session_id": "not-mine"}, -32602),
        ({"name": "move", "arguments": {"room": "Admin"}, "bogus": 1}, -32602),
    ],
)
def test_bad_tool_calls_over_ws_change_nothing(
    server: RunningServer, params: dict[str, Any], code: int
) -> None:
    with RawSession(server.ws_url) as session:
        session.reset(seed=3, seat=0)
        state = session.state()
        reply = session.send(
            {
                "type": "mcp",
                "data": {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params},
            }
        )
        assert reply["type"] == "mcp" and reply["data"]["error"]["code"] == code
        assert reply["data"]["id"] == 7
        assert session.state() == state


def test_tool_calls_over_ws_equal_steps(server: RunningServer) -> None:
    """A tool call and the matching step message lead to the same game."""
    rng = random.Random(1)
    with RawSession(server.ws_url) as by_tool, RawSession(server.ws_url) as by_step:
        a = by_tool.reset(seed=77, seat=0)["data"]
        b = by_step.reset(seed=77, seat=0)["data"]
        assert a == b
        rpc_id = 0
        while not a["done"]:
            action = rng.choice(a["observation"]["legal_actions"])
            rpc_id += 1
            reply = by_tool.send(
                {
                    "type": "mcp",
                    "data": {
                        "jsonrpc": "2.0",
                        "id": rpc_id,
                        "method": "tools/call",
                        "params": {"name": action["type"], "arguments": arguments_for(action)},
                    },
                }
            )
            a = reply["data"]["result"]["structuredContent"]
            b = by_step.step(action)["data"]
            assert a == b
        assert by_tool.state()["data"]["step_count"] == rpc_id


def test_mcp_over_ws_needs_a_game_and_keeps_its_session(server: RunningServer) -> None:
    with RawSession(server.ws_url) as session:
        call = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "talk", "arguments": {}},
        }
        reply = session.send({"type": "mcp", "data": call})
        assert (
            reply["data"]["error"]["code"] == -32000
            and "reset" in reply["data"]["error"]["message"]
        )
        own = session.send(
            {"type": "mcp", "data": {"jsonrpc": "2.0", "id": 2, "method": "openenv/session/create"}}
        )
        own_id = own["data"]["result"]["session_id"]
        refused = session.send(
            {
                "type": "mcp",
                "data": {
                    "jsonrpc": "2.0",
                    "id": 3,
                    "method": "openenv/session/close",
                    "params": {"session_id": own_id},
                },
            }
        )
        assert refused["data"]["error"]["code"] == -32600
        assert (
            session.send({"type": "mcp", "data": "not an object"})["data"]["error"]["code"]
            == -32600
        )
        listed = session.send(
            {"type": "mcp", "data": {"jsonrpc": "2.0", "id": 4, "method": "tools/list"}}
        )
        assert len(listed["data"]["result"]["tools"]) == len(ACTION_TYPES)


def test_notifications_are_carried_out_and_never_answered(server: RunningServer) -> None:
    """JSON-RPC: a request without an id gets no response, not even an error."""
    with httpx.Client(base_url=server.base_url) as client:
        for method in ("notifications/initialized", "ping", "no/such/method"):
            response = client.post("/mcp", json={"jsonrpc": "2.0", "method": method})
            assert (response.status_code, response.content) == (202, b"")
    with RawSession(server.ws_url) as session:
        first = session.reset(seed=3, seat=0)["data"]["observation"]
        move = next(a for a in first["legal_actions"] if a["type"] == "move")
        call = {
            "jsonrpc": "2.0",
            "method": "tools/call",
            "params": {"name": "move", "arguments": {"room": move["target"]}},
        }
        session.ws.send(json.dumps({"type": "mcp", "data": call}))  # no reply to wait for
        # The next reply is the state's, and it shows the notified move was played.
        assert session.state()["data"]["step_count"] == 1


def test_http_tool_calls_need_a_known_session(server: RunningServer) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        no_session = rpc(client, "tools/call", {"name": "talk", "arguments": {}})
        assert (
            no_session["error"]["code"] == -32602 and "session_id" in no_session["error"]["message"]
        )
        unknown = rpc(
            client, "tools/call", {"name": "talk", "arguments": {}, "session_id": "f" * 32}
        )
        assert unknown["error"]["code"] == -32602
        bad_reset = rpc(client, "openenv/session/create", {"seat": 99})
        assert bad_reset["error"]["code"] == -32602


def test_http_sessions_count_towards_capacity_and_expire() -> None:
    # The timeout leaves the three creates below seconds to happen before the first session
    # could expire, even on a slow machine; then the test waits for the reaper.
    with (
        serve(ServerSettings(max_sessions=2, session_timeout_s=2.0)) as server,
        httpx.Client(base_url=server.base_url) as client,
    ):
        ids = [
            rpc(client, "openenv/session/create", {"seed": seed, "policies": RANDOM_POLICIES})[
                "result"
            ]["session_id"]
            for seed in range(2)
        ]
        full = rpc(client, "openenv/session/create", {"seed": 2, "policies": RANDOM_POLICIES})
        assert (
            full["error"]["code"] == -32000 and full["error"]["data"]["code"] == "CAPACITY_REACHED"
        )
        assert set(ids) == session_ids(server)
        # Both idle past the timeout: the reaper closes them.
        assert eventually(lambda: len(server.registry) == 0, timeout=30)
        assert client.get("/state", params={"session_id": ids[0]}).status_code == 404
        assert (
            "session_id"
            in rpc(client, "openenv/session/create", {"policies": RANDOM_POLICIES})["result"]
        )


def test_tool_results_are_json_serialisable_text_and_structure(server: RunningServer) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        created = rpc(
            client, "openenv/session/create", {"seed": 2, "seat": 0, "policies": RANDOM_POLICIES}
        )["result"]
        action = created["observation"]["legal_actions"][0]
        result = rpc(
            client,
            "tools/call",
            {
                "name": action["type"],
                "arguments": arguments_for(action),
                "session_id": created["session_id"],
            },
        )["result"]
        json.dumps(result)
        assert set(result["structuredContent"]) == {"observation", "reward", "done"}
        rpc(client, "openenv/session/close", {"session_id": created["session_id"]})


@pytest.mark.parametrize(
    "payload",
    [
        {"jsonrpc": "2.0", "method": 1, "params": "bar"},  # JSON-RPC 2.0's own example
        {"method": "tools/list"},  # no "jsonrpc"
        {"jsonrpc": "1.0", "method": "ping"},
    ],
)
def test_an_invalid_request_without_id_is_answered_with_a_null_id(
    server: RunningServer, payload: dict[str, Any]
) -> None:
    """Only a valid request without an id is a notification; anything else gets -32600."""
    with httpx.Client(base_url=server.base_url) as client:
        reply = client.post("/mcp", json=payload).json()
    assert reply["error"]["code"] == -32600 and reply["id"] is None
    with RawSession(server.ws_url) as session:
        frame = session.send({"type": "mcp", "data": payload})
    assert frame["data"]["error"]["code"] == -32600 and frame["data"]["id"] is None


def test_session_create_over_ws_starts_the_connections_game_with_its_params(
    server: RunningServer,
) -> None:
    def create(params: dict[str, Any]) -> dict[str, Any]:
        request = {"jsonrpc": "2.0", "id": 1, "method": "openenv/session/create", "params": params}
        reply: dict[str, Any] = session.send({"type": "mcp", "data": request})["data"]
        return reply

    with RawSession(server.ws_url) as session:
        bad = create({"seed": "bogus", "seat": -5, "foo": 1})
        assert bad["error"]["code"] == -32602
        assert session.state()["data"]["phase"] == "not_started"
        created = create({"seed": 4, "seat": 2, "policies": RANDOM_POLICIES})["result"]
        assert created["observation"]["seat"] == 2
        state = session.state()["data"]
        assert state["phase"] != "not_started" and state["seat"] == 2
        # The same game a reset message with those arguments starts.
        again = session.reset(seed=4, seat=2)["data"]
        assert again["observation"] == created["observation"]


def test_a_request_whose_id_is_not_text_is_refused_and_changes_nothing(
    server: RunningServer,
) -> None:
    """``"\\ud800"`` is valid JSON but not text: no reply could carry it back, so the request
    is refused (answered with a null id) before anything is done."""
    with httpx.Client(base_url=server.base_url) as client:
        created = rpc(
            client,
            "openenv/session/create",
            {"seed": 5, "seat": 0, "policies": RANDOM_POLICIES},
        )
        session_id = created["result"]["session_id"]
        state = client.get("/state", params={"session_id": session_id}).json()
        sessions = session_ids(server)
        move = json.dumps({"room": "Admin"})  # legal for seat 0 at the start
        for body in (
            '{"jsonrpc": "2.0", "id": "\\ud800", "method": "tools/call", "params": {"name": '
            f'"move", "arguments": {move}, "session_id": "{session_id}"}}}}',
            '{"jsonrpc": "2.0", "id": "\\ud800", "method": "openenv/session/create"}',
            '{"jsonrpc": "2.0", "id": 3, "method": "openenv/session/create", '
            '"params": {"episode_id": "\\udfff"}}',
        ):
            response = client.post(
                "/mcp", content=body, headers={"content-type": "application/json"}
            )
            assert response.status_code == 200, response.text
            reply = response.json()
            assert "result" not in reply and reply["error"]["code"] in (-32600, -32602)
            assert reply["id"] in (None, 3)
        assert client.get("/state", params={"session_id": session_id}).json() == state
        assert session_ids(server) <= sessions, "a refused create still opened a session"
        rpc(client, "openenv/session/close", {"session_id": session_id})
