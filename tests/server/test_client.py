"""``AmongUsEnv``: async and sync use against a real server, errors, and no server imports."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import textwrap

import pytest

from openenv_facade.client import AmongUsEnv, AmongUsServerError, StepResult, websocket_url
from openenv_facade.models import GameAction, GameObservation, GameState
from openenv_facade.settings import ServerSettings
from tests.server.conftest import RANDOM_POLICIES, RunningServer, serve
from tests.server.helpers import RawSession, eventually


def test_async_client_plays_a_game(server: RunningServer) -> None:
    async def main() -> tuple[StepResult[GameObservation], GameState]:
        rng = random.Random(2)
        async with AmongUsEnv(server.base_url) as env:
            result = await env.reset(seed=3, role="crewmate", policies=RANDOM_POLICIES)
            assert (
                isinstance(result.observation, GameObservation)
                and result.observation.role == "crewmate"
            )
            while not result.done:
                result = await env.step(rng.choice(result.observation.legal_actions))
            return result, await env.state()

    result, state = asyncio.run(main())
    assert (
        result.reward in (1.0, -1.0)
        and result.observation.done
        and result.observation.reward == result.reward
    )
    assert state.game_over and state.step_count > 0


def test_sync_client_with_dicts_typed_actions_tools_and_errors(server: RunningServer) -> None:
    with AmongUsEnv(server.base_url).sync() as env:
        with pytest.raises(AmongUsServerError) as no_game:
            env.step(GameAction(type="talk"))
        assert no_game.value.code == "EXECUTION_ERROR" and isinstance(no_game.value, RuntimeError)
        result = env.reset(seed=5, seat=0, policies=RANDOM_POLICIES)
        refused = env.step({"type": "move", "target": "Narnia"})
        assert refused.observation.error and "Narnia" in refused.observation.error
        with pytest.raises(AmongUsServerError) as invalid:
            env.step({"type": "move", "target": "Admin", "bogus": 1})
        assert invalid.value.code == "VALIDATION_ERROR"
        tools = env.list_tools()
        assert {tool["name"] for tool in tools} >= {"move", "vote", "talk"}
        move = next(a for a in result.observation.legal_actions if a.type == "move")
        called = env.call_tool("move", room=move.target)
        assert called["isError"] is False
        # The seat's own move is its first event (later ones may take it elsewhere: a meeting).
        first = called["structuredContent"]["observation"]["events"][0]
        assert first.startswith("You: ") and first.endswith(f"to {move.target}")
        assert env.state().step_count == 1


def test_sync_client_works_inside_a_running_event_loop(server: RunningServer) -> None:
    async def inside() -> int:
        with AmongUsEnv(server.base_url).sync() as env:
            return env.reset(seed=1, seat=0, policies=RANDOM_POLICIES).observation.seat

    assert asyncio.run(inside()) == 0


def test_websocket_urls() -> None:
    assert websocket_url("http://h:1") == "ws://h:1/ws"
    assert websocket_url("https://h/prefix/") == "wss://h/prefix/ws"
    assert websocket_url("ws://h:2") == "ws://h:2/ws"
    assert websocket_url("h:3") == "ws://h:3/ws"


def test_connection_errors_are_clear() -> None:
    with pytest.raises(ConnectionError, match="cannot connect"):
        AmongUsEnv("http://127.0.0.1:9", connect_timeout_s=2).sync().connect()


def test_the_client_never_imports_server_code() -> None:
    code = textwrap.dedent(
        """
        import sys
        import openenv_facade.client
        loaded = {name.split(".")[0] for name in sys.modules} | set(sys.modules)
        forbidden = {"fastapi", "uvicorn", "starlette", "amongagents", "amongus_marl", "openenv",
                     "openenv_facade.server", "openenv_facade.session", "openenv_facade.mcp"}
        print(sorted(forbidden & loaded))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_a_reply_that_comes_too_late_is_never_taken_for_the_next_one() -> None:
    """After a timeout the client drops the connection: the late reply cannot answer the next
    request, which opens a fresh session."""
    from websockets.asyncio.server import ServerConnection, serve

    # The server's first reply, on any connection, comes well after the client's timeout; the
    # second must come well within it (the margins hold on a slow, loaded machine).
    delays = [2.0]

    async def slow_first_reply(ws: ServerConnection) -> None:
        async for message in ws:
            kind = json.loads(message)["type"]
            if delays:
                await asyncio.sleep(delays.pop())
            await ws.send(json.dumps({"type": "state", "data": {"answering": kind}}))

    async def main() -> None:
        async with serve(slow_first_reply, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            env = AmongUsEnv(f"http://127.0.0.1:{port}", message_timeout_s=1.0)
            with pytest.raises(TimeoutError, match="new session"):
                await env._request({"type": "first"}, "state")
            answer = await env._request({"type": "second"}, "state")
            assert answer == {"answering": "second"}
            await env.close()

    asyncio.run(main())


def test_a_session_the_server_ends_raises_its_reason_and_the_next_call_starts_afresh() -> None:
    with serve(ServerSettings(max_sessions=1, session_timeout_s=0.5)) as server:
        with AmongUsEnv(server.base_url).sync() as env:
            first = env.reset(seed=1, seat=0, policies=RANDOM_POLICIES)
            # The server closes the idle session, saying why.
            assert eventually(lambda: len(server.registry) == 0)
            with pytest.raises(AmongUsServerError) as expired:
                env.step(first.observation.legal_actions[0])
            assert expired.value.code == "SESSION_ERROR" and "without a message" in str(
                expired.value
            )
            again = env.reset(seed=1, seat=0, policies=RANDOM_POLICIES)
            assert again.observation == first.observation

        # The server notices that the client above has gone.
        assert eventually(lambda: len(server.registry) == 0)
        env = AmongUsEnv(server.base_url).sync()
        with RawSession(server.ws_url):  # takes the only session
            assert eventually(lambda: len(server.registry) == 1)
            with pytest.raises(AmongUsServerError) as full:
                env.reset(seed=1, policies=RANDOM_POLICIES)
            assert full.value.code == "CAPACITY_REACHED"
        assert eventually(lambda: len(server.registry) == 0)  # ... and that the raw one has
        with env:
            assert env.reset(seed=1, seat=0, policies=RANDOM_POLICIES).observation.seat == 0
