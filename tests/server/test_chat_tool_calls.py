"""Chat mode over the server: observations carry ``messages`` and ``tools``; a step may be an
assistant message with one tool call (over /ws and HTTP); a malformed call comes back as the
unchanged observation with ``error`` set."""

from __future__ import annotations

import json
import random
from typing import Any

import httpx
import pytest

from tests.server.conftest import RANDOM_POLICIES, RunningServer
from tests.server.helpers import RawSession
from tests.server.test_hidden_information import COLOR_WORD, ROLE_WORDS, strings, without_speech


def tool_call(name: str, arguments: dict[str, Any] | str) -> dict[str, Any]:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {
        "role": "assistant",
        "content": "my move",
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": name, "arguments": text}}
        ],
    }


def choose(tools: list[dict[str, Any]], rng: random.Random) -> dict[str, Any]:
    function = rng.choice(tools)["function"]
    arguments = {
        key: rng.choice(schema["enum"]) if "enum" in schema else "Where were you?"
        for key, schema in function["parameters"]["properties"].items()
    }
    return tool_call(function["name"], arguments)


@pytest.mark.parametrize("seats", [None, "all"])
def test_whole_games_played_with_tool_calls_over_ws(server: RunningServer, seats: Any) -> None:
    rng = random.Random(8)
    extra = {} if seats is None else {"seats": seats}
    with RawSession(server.ws_url) as session:
        reply = session.reset(seed=8, seat=None if seats else 1, obs_mode="chat", **extra)
        turns = 0
        while not reply["data"]["done"]:
            obs = reply["data"]["observation"]
            assert obs["messages"][0]["role"] == "system"
            assert obs["messages"][-1]["role"] == "user"
            assert obs["name"] in obs["messages"][0]["content"]
            reply = session.step(choose(obs["tools"], rng))
            assert reply["type"] == "observation", reply
            assert reply["data"]["observation"]["error"] is None
            turns += 1
        final = reply["data"]["observation"]
        assert turns > 5 and final["tools"] == []
        assert "Game over" in final["messages"][-1]["content"]
        assert reply["data"]["reward"] in (-1.0, 1.0)
        if seats == "all":
            assert {r["reward"] for r in final["seat_results"]} == {-1.0, 1.0}


@pytest.mark.parametrize(
    ("message", "words"),
    [
        (tool_call("teleport", {}), "unknown tool"),
        (tool_call("move", "{room: Admin"), "not valid JSON"),
        (tool_call("move", {"room": "Reactor"}), "not possible now"),
        (tool_call("vote", {"player": "Player 2: green"}), "not possible now"),
    ],
)
def test_malformed_tool_calls_change_nothing(
    server: RunningServer, message: dict[str, Any], words: str
) -> None:
    with RawSession(server.ws_url) as session:
        first = session.reset(seed=8, seat=0, obs_mode="chat")["data"]
        state = session.state()
        reply = session.step(message)["data"]
        assert words in reply["observation"]["error"]
        assert reply["observation"]["messages"] == first["observation"]["messages"]
        assert reply["observation"]["events"] == [] and reply["reward"] == 0.0
        assert session.state() == state


@pytest.mark.parametrize(
    "data",
    [
        {"role": "user", "tool_calls": []},
        {"role": "assistant", "tool_calls": [{"function": {"name": "move"}}]},
        {"role": "assistant", "tool_calls": []},
        {
            "role": "assistant",
            "tool_calls": [{"function": {"name": "move", "arguments": "{}"}}] * 2,
        },
    ],
)
def test_messages_off_the_schema_are_validation_errors(
    server: RunningServer, data: dict[str, Any]
) -> None:
    with RawSession(server.ws_url) as session:
        session.reset(seed=8, seat=0, obs_mode="chat")
        state = session.state()
        reply = session.step(data)
        assert reply["type"] == "error" and reply["data"]["code"] == "VALIDATION_ERROR"
        assert session.state() == state


def test_text_mode_sends_no_chat_fields_but_takes_tool_calls(server: RunningServer) -> None:
    with RawSession(server.ws_url) as session:
        obs = session.reset(seed=8, seat=0)["data"]["observation"]
        assert "messages" not in obs and "tools" not in obs
        room = next(a["target"] for a in obs["legal_actions"] if a["type"] == "move")
        moved = session.step(tool_call("move", {"room": room}))["data"]["observation"]
        assert moved["error"] is None and "messages" not in moved


def test_http_step_takes_a_tool_call(server: RunningServer) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        created = client.post(
            "/mcp",
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "openenv/session/create",
                "params": {"seed": 5, "seat": 0, "policies": RANDOM_POLICIES, "obs_mode": "chat"},
            },
        ).json()
        session_id = created["result"]["session_id"]
        reset = client.post(
            "/reset",
            json={
                "seed": 5,
                "seat": 0,
                "obs_mode": "chat",
                "session_id": session_id,
                "policies": RANDOM_POLICIES,
            },
        ).json()
        tools = reset["observation"]["tools"]
        move = next(t for t in tools if t["function"]["name"] == "move")
        room = move["function"]["parameters"]["properties"]["room"]["enum"][0]
        moved = client.post(
            "/step", json={"action": tool_call("move", {"room": room}), "session_id": session_id}
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["observation"]["error"] is None
        assert moved.json()["observation"]["messages"][-3]["role"] == "assistant"
        bad = client.post(
            "/step",
            json={"action": tool_call("move", {"room": "Nowhere"}), "session_id": session_id},
        )
        assert "not possible now" in bad.json()["observation"]["error"]
        close = {"jsonrpc": "2.0", "id": 2, "method": "openenv/session/close"}
        client.post("/mcp", json={**close, "params": {"session_id": session_id}})


@pytest.mark.parametrize("seed", range(6))
def test_chat_payloads_of_a_crewmate_hide_the_impostors(server: RunningServer, seed: int) -> None:
    """The hidden-information scan over chat games: no message or tool ties another player's
    colour to a role (speech aside: claims are not facts)."""
    rng = random.Random(seed)
    with RawSession(server.ws_url) as session:
        reply = session.reset(seed=seed, role="crewmate", obs_mode="chat")
        own = reply["data"]["observation"]["name"].split(": ")[1]
        while not reply["data"]["done"]:
            reply = session.step(choose(reply["data"]["observation"]["tools"], rng))
        checked = 0
        for frame in session.frames:
            for text in strings(json.loads(frame)):
                for line in text.splitlines():
                    fact = without_speech(line)
                    if ROLE_WORDS.search(fact):
                        named = {m.lower() for m in COLOR_WORD.findall(fact)}
                        assert named <= {own}, line
                        checked += 1
        assert checked > 0
