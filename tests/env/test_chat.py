"""``obs_mode="chat"``: the seat's view as Chat Completions messages, its legal moves as
OpenAI-style tools, and assistant tool calls accepted by ``step`` (a malformed call is a clear
error that changes nothing)."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest
from pettingzoo.test import api_test

from amongagents.game import IllegalActionError
from amongus_marl.env import raw_env


def call(name: str, arguments: Any = None, *, raw: str | None = None) -> dict[str, Any]:
    text = raw if raw is not None else json.dumps(arguments or {})
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_x", "type": "function", "function": {"name": name, "arguments": text}}
        ],
    }


def random_tool_call(tools: list[dict[str, Any]], rng: random.Random) -> dict[str, Any]:
    function = rng.choice(tools)["function"]
    arguments = {}
    for key, schema in function["parameters"]["properties"].items():
        arguments[key] = rng.choice(schema["enum"]) if "enum" in schema else "I saw nothing."
    return call(function["name"], arguments)


@pytest.mark.parametrize("seed", range(6))
def test_whole_games_are_played_with_tool_calls(seed: int) -> None:
    env = raw_env(obs_mode="chat")
    env.reset(seed=seed)
    rng = random.Random(seed)
    turns = 0
    while not env.game.is_over:  # type: ignore[union-attr]
        agent = env.agent_selection
        messages = env.observe(agent)["observation"]
        assert messages[0]["role"] == "system" and messages[-1]["role"] == "user"
        tools = env.chat_tools(agent)
        assert tools and all(t["type"] == "function" for t in tools)
        env.step(random_tool_call(tools, rng))
        turns += 1
    assert turns > 10
    for agent in env.possible_agents:
        messages = env.chat_messages(agent)
        assert messages[-1]["role"] == "user" and "Game over" in messages[-1]["content"]
        for i, message in enumerate(messages):
            if message["role"] == "assistant":
                (tool_call,) = message["tool_calls"]
                reply = messages[i + 1]
                assert reply["role"] == "tool" and reply["tool_call_id"] == tool_call["id"]
                json.loads(tool_call["function"]["arguments"])
        assert json.loads(json.dumps(messages)) == messages  # ready to send as JSON


def test_tools_offer_exactly_the_legal_targets() -> None:
    env = raw_env(obs_mode="chat")
    env.reset(seed=3)
    game = env.game
    assert game is not None
    tools = {t["function"]["name"]: t["function"] for t in env.chat_tools()}
    rooms = sorted(a.room for a in game.current_legal_actions if a.text.startswith("MOVE"))
    assert sorted(tools["move"]["parameters"]["properties"]["room"]["enum"]) == rooms
    assert env.chat_tools(env.possible_agents[(game.current_seat + 1) % 7]) == []
    for room in rooms:  # every offered target is accepted
        twin = copy.deepcopy(env)
        twin.step(call("move", {"room": room}))
        assert twin.game.players[game.current_seat].location == room  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("message", "words"),
    [
        (call("fly", {"room": "Admin"}), "unknown tool"),
        (call("kill", {"player": "Player 2: green"}), "not possible now"),
        (call("move", raw="{not json"), "not valid JSON"),
        (call("move", raw="[1, 2]"), "JSON object"),
        (call("move", {"room": "Reactor"}), "not possible now"),
        (call("move", {}), "needs 'room'"),
        (call("move", {"room": 3}), "needs 'room'"),
        (call("move", {"room": "Admin", "speed": 2}), "unknown"),
        ({"role": "assistant", "content": "I move", "tool_calls": []}, "no tool_calls"),
        ({"role": "assistant", "content": "I move"}, "no tool_calls"),
        (
            {"role": "assistant", "tool_calls": call("move", {"room": "Admin"})["tool_calls"] * 2},
            "one move per turn",
        ),
        ({"role": "assistant", "tool_calls": ["move"]}, "must be an object"),
    ],
)
def test_malformed_tool_calls_are_clear_errors_that_change_nothing(
    message: dict[str, Any], words: str
) -> None:
    env = raw_env(obs_mode="chat")
    env.reset(seed=3)
    before = (env.event_log(), env.chat_messages(env.agent_selection), env.agent_selection)
    with pytest.raises(IllegalActionError, match=words):
        env.step(message)
    assert (env.event_log(), env.chat_messages(env.agent_selection), env.agent_selection) == before


def test_system_message_tells_a_crewmate_nothing_of_the_others() -> None:
    env = raw_env(obs_mode="chat")
    env.reset(seed=4)
    game = env.game
    assert game is not None
    for seat, player in enumerate(game.players):
        system = env.chat_messages(env.possible_agents[seat])[0]["content"]
        others = [game.names[s] for s in range(7) if s != seat]
        named = [name for name in others if name in system]
        if player.is_impostor:
            assert "IMPOSTOR" in system
            assert named == [game.names[s] for s in game.impostor_seats() if s != seat]
        else:
            assert "CREWMATE" in system and named == []
        assert f"{game.config.max_timesteps} timesteps" in system


def test_other_modes_keep_no_transcripts_unless_asked() -> None:
    env = raw_env(obs_mode="text")
    env.reset(seed=1)
    with pytest.raises(RuntimeError, match="chat transcripts"):
        env.chat_messages("player_0")
    env.keep_chat_transcripts = True
    env.reset(seed=1)
    assert env.chat_messages("player_0")[0]["role"] == "system"
    env.step(
        call(
            "move",
            {
                "room": env.chat_tools()[0]["function"]["parameters"]["properties"]["room"]["enum"][
                    0
                ]
            },
        )
    )


def test_pettingzoo_api_test_in_chat_mode() -> None:
    api_test(raw_env(obs_mode="chat"), num_cycles=50)
