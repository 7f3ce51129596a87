"""Structured output: the schema sent with each turn and the reading of JSON answers, against
the scripted server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from amongagents.actions import Action, ActionKind, move, speak, view_monitor, vote
from amongagents.skeld import ROOMS
from amongus_marl.policies.llm import LLMPolicy
from amongus_marl.policies.llm_prompts import compact_examples
from amongus_marl.policies.llm_structured import (
    action_choices,
    read_structured,
    response_format,
    turn_schema,
)
from tests.llm.helpers import first_turn, read_log
from tests.llm.server import Answer, ScriptedServer, available_actions


def test_the_action_enum_lists_legal_actions_speech_as_a_word_and_the_monitor_per_room():
    legal = [move("Cafeteria", "Admin"), speak(), view_monitor(), vote(2, "Player 3: blue")]
    choices = action_choices(legal)
    assert choices[:2] == ["MOVE from Cafeteria to Admin", "SPEAK"]
    assert choices[2:-1] == [f"VIEW MONITOR {room}" for room in ROOMS]
    assert choices[-1] == "VOTE Player 3: blue"
    schema = turn_schema(legal)
    assert schema["properties"]["action"]["enum"] == choices
    assert schema["required"] == ["memory", "thinking", "action", "message"]
    assert schema["additionalProperties"] is False


def test_without_speech_there_is_no_message_field():
    schema = turn_schema([move("Cafeteria", "Admin")])
    assert "message" not in schema["properties"]
    assert schema["required"] == ["memory", "thinking", "action"]


def test_the_two_dialects_wrap_the_same_schema():
    legal = [move("Cafeteria", "Admin")]
    assert response_format(legal, "json_schema") == {
        "type": "json_schema",
        "json_schema": {"name": "among_us_turn", "strict": True, "schema": turn_schema(legal)},
    }
    assert response_format(legal, "json_object") == {
        "type": "json_object",
        "schema": turn_schema(legal),
    }
    with pytest.raises(ValueError, match="dialect"):
        response_format(legal, "yaml")


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ('{"memory": "m", "thinking": "t", "action": "KILL x"}', "KILL x"),
        ('```json\n{"action": "KILL x"}\n```', "KILL x"),
        ('Sure! {"action": "KILL x", "memory": 3} Done.', "KILL x"),
    ],
)
def test_json_answers_are_read_inside_fences_and_prose(text, action):
    reply = read_structured(text)
    assert reply is not None and reply.action == action


@pytest.mark.parametrize("text", ["", "KILL x", '{"action": "KILL', "[1, 2]"])
def test_what_is_no_json_object_reads_as_none(text):
    assert read_structured(text) is None


def test_an_unknown_dialect_is_refused():
    with pytest.raises(ValueError, match="structured_output"):
        LLMPolicy("m", api_key="k", structured_output="xml")


def _enum(body: dict[str, Any]) -> list[str]:
    schema = body["response_format"]["schema"]
    return list(schema["properties"]["action"]["enum"])


def test_each_turn_sends_its_legal_actions_as_the_enum_and_takes_an_exact_choice(
    llm_server: ScriptedServer, make_llm, tmp_path
):
    def choose_last(body: dict[str, Any]) -> str:
        return json.dumps({"memory": "saw Red", "thinking": "go", "action": _enum(body)[-1]})

    llm_server.responder = choose_last
    policy: LLMPolicy = make_llm(structured_output="json_object", log_dir=tmp_path)
    env, observation, info, view = first_turn(seed=3)
    policy.reset(3)
    action = policy.act(observation, info, view)

    body = llm_server.completions[-1]
    listed = available_actions(body)
    assert _enum(body) == action_choices(view.legal)
    assert set(listed) - {"VIEW MONITOR"} <= set(_enum(body))
    assert action == _enum(body)[-1]
    assert policy.matches == {"structured": 1} and policy.fallbacks == 0
    assert '"action"' in body["messages"][0]["content"]  # the system prompt asks for JSON
    (record,) = next(iter(read_log(tmp_path).values()))
    assert record["match"] == "structured" and record["parsed"]["json"] is True
    # The memory carries over to the next turn's prompt.
    env.step(action)
    while env.unwrapped.agent_view().seat != view.seat:
        env.step(env.unwrapped.agent_view().legal[0].text)
    observation, _, _, _, info = env.last()
    policy.act(observation, info, env.unwrapped.agent_view())
    assert "Memory: saw Red" in llm_server.completions[-1]["messages"][-1]["content"]


def test_the_openai_dialect_is_sent_as_json_schema(llm_server: ScriptedServer, make_llm):
    policy: LLMPolicy = make_llm(structured_output="json_schema")
    _, observation, info, view = first_turn(seed=3)
    policy.reset(3)
    policy.act(observation, info, view)
    sent = llm_server.completions[-1]["response_format"]
    assert sent["type"] == "json_schema" and sent["json_schema"]["strict"] is True
    assert sent["json_schema"]["schema"] == turn_schema(view.legal)


def test_free_form_play_sends_no_response_format(llm_server: ScriptedServer, make_llm):
    policy: LLMPolicy = make_llm()
    _, observation, info, view = first_turn(seed=3)
    policy.reset(3)
    policy.act(observation, info, view)
    assert "response_format" not in llm_server.completions[-1]


def _discussion_view(seed: int = 0) -> tuple[Any, Any, dict[str, Any], Any]:
    """A seat's first turn of a meeting's discussion (the first seat calls one)."""
    env, observation, info, view = first_turn(seed=seed)
    for _ in range(200):
        view = env.unwrapped.agent_view()
        kinds = {a.kind for a in view.legal}
        if kinds == {ActionKind.SPEAK}:
            observation, _, _, _, info = env.last()
            return env, observation, info, view
        meeting = [a for a in view.legal if a.kind is ActionKind.CALL_MEETING]
        env.step((meeting or view.legal)[0].text)
    raise AssertionError("no discussion round reached")


def test_speech_comes_from_the_message_field(llm_server: ScriptedServer, make_llm):
    env, observation, info, view = _discussion_view()
    answer = {"memory": "", "thinking": "", "action": "SPEAK", "message": " Blue  ok "}
    llm_server.push(Answer(json.dumps(answer)))
    policy: LLMPolicy = make_llm(structured_output="json_object")
    policy.reset(0)
    assert policy.act(observation, info, view) == "SPEAK: Blue ok"
    assert _enum(llm_server.completions[-1]) == ["SPEAK"]
    assert policy.matches == {"structured": 1}


@pytest.mark.parametrize(
    ("answer", "how", "reason"),
    [
        ("not json at all %%%", None, "no [Action] section"),
        ('{"memory": "m", "thinking": "t"}', None, "has no action"),
        ('{"action": "DANCE wildly"}', None, "JSON answer's action"),
    ],
)
def test_bad_json_falls_back_and_is_counted(
    llm_server: ScriptedServer, make_llm, tmp_path, answer, how, reason
):
    llm_server.push(Answer(answer))
    policy: LLMPolicy = make_llm(structured_output="json_object", log_dir=tmp_path)
    _, observation, info, view = first_turn(seed=3)
    policy.reset(3)
    action = policy.act(observation, info, view)
    assert action in {a.text for a in view.legal}
    assert (policy.decisions, policy.fallbacks) == (1, 1)
    assert policy.matches == {}
    (record,) = next(iter(read_log(tmp_path).values()))
    assert record["fallback"] is True and reason in record["fallback_reason"]


def test_an_action_outside_the_enum_still_goes_through_the_tolerant_matcher(
    llm_server: ScriptedServer, make_llm
):
    _, observation, info, view = first_turn(seed=3)
    target: Action = next(a for a in view.legal if a.kind is ActionKind.MOVE)
    llm_server.push(Answer(json.dumps({"action": target.text.lower() + "."})))
    policy: LLMPolicy = make_llm(structured_output="json_object")
    policy.reset(3)
    assert policy.act(observation, info, view) == target.text
    assert policy.fallbacks == 0 and "structured" not in policy.matches


def test_the_compact_style_asks_for_the_action_alone(llm_server: ScriptedServer, make_llm):
    def choose_first(body: dict[str, Any]) -> str:
        return json.dumps({"action": _enum(body)[0]})

    llm_server.responder = choose_first
    policy: LLMPolicy = make_llm(structured_output="json_object", prompt_style="compact")
    _, observation, info, view = first_turn(seed=3)
    policy.reset(3)
    assert policy.act(observation, info, view) == action_choices(view.legal)[0]
    body = llm_server.completions[-1]
    assert body["response_format"]["schema"] == turn_schema(view.legal, reasoning=False)
    assert "memory" not in body["response_format"]["schema"]["properties"]
    assert body["messages"][-1]["content"].endswith("Your action, one line from the list above:")
    assert policy.matches == {"structured": 1}
    with pytest.raises(ValueError, match="prompt_style"):
        LLMPolicy("m", api_key="k", prompt_style="tiny")


def test_the_compact_free_form_chat_shows_the_format_on_a_made_up_turn_first(
    llm_server: ScriptedServer, make_llm, tmp_path
):
    _, observation, info, view = first_turn(seed=3)
    target = view.legal[-1].text
    llm_server.push(Answer(target), Answer(json.dumps({"action": target})))
    free: LLMPolicy = make_llm(prompt_style="compact", log_dir=tmp_path)
    free.reset(3)
    assert free.act(observation, info, view) == target
    roles = [m["role"] for m in llm_server.completions[-1]["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    examples = compact_examples(view.game)
    assert examples and llm_server.completions[-1]["messages"][1:3] == examples
    (record,) = next(iter(read_log(tmp_path).values()))
    assert record["prompt"]["examples"] == examples
    # Structured output answers in JSON: a one-line example would contradict its format.
    structured: LLMPolicy = make_llm(prompt_style="compact", structured_output="json_object")
    structured.reset(3)
    assert structured.act(observation, info, view) == target
    roles = [m["role"] for m in llm_server.completions[-1]["messages"]]
    assert roles == ["system", "user"]


def test_a_raw_newline_inside_a_json_string_is_read():
    reply = read_structured('{"action": "SPEAK", "message": "one\ntwo"}')
    assert reply is not None and reply.message == "one\ntwo"


def test_an_object_cut_off_by_the_token_limit_is_read_field_by_field():
    reply = read_structured('{ "action": "SPEAK", "message": "I saw Blue vent in Ad')
    assert reply is not None and reply.cut
    assert (reply.action, reply.message) == ("SPEAK", "I saw Blue vent in Ad")
    # An action cut short is no action.
    cut_action = read_structured('{"memory": "m", "action": "KILL Play')
    assert cut_action is not None and cut_action.action is None and cut_action.memory == "m"
    assert read_structured("{ nothing here") is None


def test_a_brace_inside_a_cut_off_message_does_not_hide_the_action():
    reply = read_structured('{ "action": "SPEAK", "message": "Your actions: [1. short] }\n{\n  ty')
    assert reply is not None and reply.cut and reply.action == "SPEAK"
    assert reply.message is not None and reply.message.startswith("Your actions: [1. short] }")
