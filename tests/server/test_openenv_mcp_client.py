"""OpenEnv's own MCP client, ``openenv.core.mcp_client.MCPToolClient``, plays whole games.

By default it sends ``{"type": "list_tools"}`` and ``{"type": "call_tool", ...}`` as step
actions over ``/ws`` and reads OpenEnv's ``ListToolsObservation`` / ``CallToolObservation``
back; with ``use_production_mode`` it speaks JSON-RPC on ``/mcp`` with a session of its own.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from openenv.core.mcp_client import MCPToolClient

from openenv_facade.models import ACTION_TYPES
from tests.server.conftest import RANDOM_POLICIES, RunningServer
from tests.server.helpers import RawSession
from tests.server.test_mcp import arguments_for, rpc

MAX_CALLS = 2_000


def schemas_over_json_rpc(server: RunningServer) -> dict[str, Any]:
    with httpx.Client(base_url=server.base_url) as client:
        tools = rpc(client, "tools/list")["result"]["tools"]
    return {tool["name"]: tool["inputSchema"] for tool in tools}


def test_list_tools_needs_no_game_and_matches_tools_list(server: RunningServer) -> None:
    with MCPToolClient(base_url=server.base_url).sync() as env:
        tools = env.list_tools()
        assert [tool.name for tool in tools] == list(ACTION_TYPES)
        assert {tool.name: tool.input_schema for tool in tools} == schemas_over_json_rpc(server)
        assert all(tool.description for tool in tools)
        assert env.has_tool("vote") and not env.has_tool("reset")  # simulation control is no tool


@pytest.mark.parametrize("role", ["crewmate", "impostor"])
def test_a_whole_game_through_call_tool(server: RunningServer, role: str) -> None:
    with MCPToolClient(base_url=server.base_url).sync() as env:
        first = env.reset(seed=11, role=role, policies=RANDOM_POLICIES)
        assert not first.done
        names = {tool.name for tool in env.list_tools(use_cache=False)}
        envelope = _first_observation(env)
        calls = 0
        while not envelope["done"]:
            action = envelope["observation"]["legal_actions"][0]
            assert action["type"] in names
            played = env.call_tool(action["type"], **arguments_for(action))
            assert set(played) == {"observation", "reward", "done"}
            assert played["observation"]["error"] is None, played["observation"]["error"]
            envelope = played
            calls += 1
            assert calls < MAX_CALLS
        assert envelope["observation"]["phase"] == "game_over"
        assert envelope["reward"] in (-1.0, 1.0)
        assert envelope["observation"]["role"] == role
        # After the end a move is a call that cannot be made: the client raises the reason.
        with pytest.raises(RuntimeError, match="execution_error"):
            env.call_tool("talk", message="gg")


def _first_observation(env: Any) -> dict[str, Any]:
    """The seat's current observation, through a tool: a move the rules refuse now (voting
    outside a meeting, or walking during one) changes nothing and returns the observation."""
    probe = env.call_tool("vote", player="nobody")
    assert set(probe) == {"observation", "reward", "done"}
    assert probe["observation"]["error"], "the probe move was refused"
    envelope: dict[str, Any] = probe
    return envelope


def test_bad_calls_raise_and_change_nothing(server: RunningServer) -> None:
    with MCPToolClient(base_url=server.base_url).sync() as env:
        with pytest.raises(RuntimeError, match="execution_error"):
            env.call_tool("move", room="Admin")  # no game yet
        env.reset(seed=3, seat=0, policies=RANDOM_POLICIES)
        before = _first_observation(env)
        with pytest.raises(RuntimeError, match="tool_not_found"):
            env.call_tool("teleport", room="Admin")
        with pytest.raises(RuntimeError, match="invalid_args"):
            env.call_tool("move", room="Nowhere")
        with pytest.raises(RuntimeError, match="invalid_args"):
            env.call_tool("move", rooms="Admin")
        after = _first_observation(env)
        assert after["observation"]["timestep"] == before["observation"]["timestep"]
        assert after["observation"]["prompt"] == before["observation"]["prompt"]


@pytest.mark.parametrize(
    "action",
    [
        {"type": "call_tool", "tool_name": 5},
        {"type": "call_tool"},
        {"type": "call_tool", "tool_name": "move", "arguments": "Admin"},
        {"type": "call_tool", "tool_name": "move", "target": "Admin"},
        {"type": "list_tools", "tools": []},
    ],
)
def test_a_malformed_mcp_action_is_refused_like_any_malformed_step(
    server: RunningServer, action: dict[str, Any]
) -> None:
    with RawSession(server.ws_url) as session:
        session.reset(seed=3, seat=0)
        before = session.state()
        reply = session.step(action)
        assert reply["type"] == "error" and reply["data"]["code"] == "VALIDATION_ERROR"
        assert session.state() == before
        listed = session.step({"type": "list_tools", "metadata": {}})  # the session goes on
        assert [tool["name"] for tool in listed["data"]["observation"]["tools"]] == list(
            ACTION_TYPES
        )


def reset_session(server: RunningServer, session_id: str, **arguments: Any) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        reply = client.post("/reset", json={"session_id": session_id, **arguments})
    assert reply.status_code == 200, reply.text
    assert reply.json()["done"] is False


def test_production_mode_plays_a_whole_game_over_json_rpc(server: RunningServer) -> None:
    async def play() -> dict[str, Any]:
        client = MCPToolClient(base_url=server.base_url)
        client.use_production_mode = True
        try:
            tools = await client.list_tools()  # the client opens its session: a random game
            assert [tool.name for tool in tools] == list(ACTION_TYPES)
            # An unseeded game may end before the seat's first move (a seat killed at once never
            # acts), so the test restarts the client's own session with a seeded game.
            session = client._production_session_id
            reset_session(server, session, seed=11, role="crewmate", policies=RANDOM_POLICIES)
            result = await client.call_tool("vote", player="nobody")  # refused: the observation
            assert result["isError"] is True
            calls = 0
            while not result["structuredContent"]["done"]:
                action = result["structuredContent"]["observation"]["legal_actions"][0]
                result = await client.call_tool(action["type"], **arguments_for(action))
                assert result["isError"] is False
                calls += 1
                assert calls < MAX_CALLS
            assert client._production_session_id == session
            assert session in {slot.id for slot in server.registry}
            return {"result": result, "session": session}
        finally:
            await client.close()

    played = asyncio.run(play())
    final = played["result"]["structuredContent"]
    assert final["observation"]["phase"] == "game_over" and final["reward"] in (-1.0, 1.0)
    assert played["session"] not in {slot.id for slot in server.registry}, "closed on close()"
