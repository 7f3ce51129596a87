"""The policy against a real scripted Chat Completions server: answers good and bad, timeouts,
429 and 5xx retries, preflight errors and the shared concurrency cap. No mocked HTTP and no
wall-clock assertions: waits are checked through what the policy logged it would wait."""

from __future__ import annotations

import asyncio
import random

import pytest

from amongagents.game import Game
from amongus_marl.policies.base import make_policy
from amongus_marl.policies.llm import LLMPolicy
from amongus_marl.policies.llm_client import (
    ConcurrencyLimiter,
    LLMConfigError,
    LLMUnavailableError,
    backoff_delay,
    parse_retry_after,
)
from tests.llm.helpers import RECORD_KEYS, first_turn, read_log, user_messages
from tests.llm.server import (
    API_KEY,
    MODEL,
    Answer,
    Delay,
    NotJson,
    ScriptedServer,
    Shaped,
    Status,
    Trickle,
    unused_port,
    well_formed,
)


def good(action: str, memory: str = "mem", thinking: str = "think") -> Answer:
    return Answer(well_formed(memory, thinking, action))


# ---------------------------------------------------------------------- answers
def test_a_well_formed_answer_is_played_and_the_request_is_standard(llm_server, make_llm, tmp_path):
    env, observation, info, view = first_turn()
    wanted = view.legal[1].text
    llm_server.push(good(wanted))
    policy = make_llm(log_dir=tmp_path, temperature=0.3, max_tokens=200)
    assert policy.act(observation, info, view) == wanted
    env.step(wanted)
    body = llm_server.completions[-1]
    assert body["model"] == MODEL and body["temperature"] == 0.3 and body["max_tokens"] == 200
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert (policy.decisions, policy.fallbacks, policy.fallback_rate) == (1, 0, 0.0)
    assert (policy.prompt_tokens, policy.completion_tokens) == (100, 20)


def test_memory_and_thinking_carry_over_to_the_seats_next_turn(llm_server, make_llm):
    env, observation, info, view = first_turn(config="sample_five_member", seed=4)
    policy = make_llm()
    me = view.seat
    llm_server.push(good(view.legal[0].text, memory="blue went to Admin", thinking="follow blue"))
    env.step(policy.act(observation, info, view))
    while env.unwrapped.game.current_seat != me:
        env.step(env.unwrapped.legal_actions()[0])
    observation, _, _, _, info = env.last()
    llm_server.push(good(env.unwrapped.legal_actions()[0]))
    policy.act(observation, info, env.unwrapped.agent_view())
    first, second = user_messages(llm_server)
    assert first.startswith("Summarization: No thinking yet")
    assert "Memory: Nothing remembered yet" in first
    assert second.startswith("Summarization: follow blue\n\n")
    assert "\n\nMemory: blue went to Admin\n\n" in second
    assert observation["observation"].strip() in second


MALFORMED = [
    pytest.param(Answer("I would rather not say."), "unusable answer", id="no-sections"),
    pytest.param(
        Answer(well_formed("m", "t", "DANCE on the table")), "unusable answer", id="wrong-action"
    ),
    pytest.param(Answer("%%% ### ~~~"), "unusable answer", id="garbage"),
    pytest.param(Answer(""), "unusable answer", id="empty"),
    pytest.param(NotJson(), "request failed", id="not-json"),
    pytest.param(Status(400), "request failed", id="bad-request"),
]


@pytest.mark.parametrize(("step", "reason"), MALFORMED)
def test_an_unusable_answer_falls_back_to_a_legal_action_and_is_counted(
    llm_server, make_llm, tmp_path, step, reason
):
    env, observation, info, view = first_turn()
    llm_server.push(step)
    policy = make_llm(log_dir=tmp_path)
    action = policy.act(observation, info, view)
    assert action in [a.text for a in view.legal]
    env.step(action)  # the environment accepts it
    assert (policy.decisions, policy.fallbacks, policy.fallback_rate) == (1, 1, 1.0)
    assert policy.fallback_reasons == {reason: 1}
    [records] = read_log(tmp_path).values()
    assert set(records[0]) >= RECORD_KEYS
    assert records[0]["fallback"] is True and records[0]["fallback_reason"].startswith(reason)
    assert records[0]["action"] == action
    assert len(llm_server.completions) == 1  # answers that arrived are not asked again


def test_fallbacks_are_seeded():
    def fallback_moves(seed: int) -> list[str]:
        with ScriptedServer(lambda body: "garbage") as server:
            policy = LLMPolicy(MODEL, base_url=server.base_url, api_key=API_KEY, seed=seed)
            env, _, _, _ = first_turn(seed=9)
            moves = []
            for _ in range(6):
                observation, _, _, _, info = env.last()
                moves.append(policy.act(observation, info, env.unwrapped.agent_view()))
                env.step(moves[-1])
            policy.close()
            return moves

    assert fallback_moves(1) == fallback_moves(1)


def test_a_bad_answer_keeps_the_previous_memory(llm_server, make_llm):
    env, observation, info, view = first_turn(config="sample_five_member", seed=4)
    policy = make_llm()
    me = view.seat
    llm_server.push(good(view.legal[0].text, memory="remember this"), Answer("garbage"))
    for _ in range(2):
        env.step(policy.act(observation, info, env.unwrapped.agent_view()))
        while env.unwrapped.game.current_seat != me:
            env.step(env.unwrapped.legal_actions()[0])
        observation, _, _, _, info = env.last()
    llm_server.push(good(env.unwrapped.legal_actions()[0]))
    policy.act(observation, info, env.unwrapped.agent_view())
    assert "Memory: remember this" in user_messages(llm_server)[2]


# ---------------------------------------------------------------------- retries
def test_a_timeout_is_retried(llm_server, make_llm, tmp_path):
    _, observation, info, view = first_turn()
    wanted = view.legal[0].text
    # The delayed answer comes a second after the timeout; the preflight and the retry must
    # each come within it, which a slow, loaded machine does with a second to spare.
    llm_server.push(Delay(2.0, good(wanted)), good(wanted))
    policy = make_llm(timeout=1.0, log_dir=tmp_path)
    assert policy.act(observation, info, view) == wanted
    assert policy.fallbacks == 0
    [records] = read_log(tmp_path).values()
    [retry] = records[0]["retries"]
    assert retry["reason"].startswith("timed out after 1s")
    assert records[0]["attempts"] == 2


def test_a_request_that_always_times_out_falls_back(llm_server, make_llm, tmp_path):
    _, observation, info, view = first_turn()
    llm_server.push(Delay(1.0, good("x")), Delay(1.0, good("x")))
    policy = make_llm(timeout=0.3, retries=1, log_dir=tmp_path)
    action = policy.act(observation, info, view)
    assert action in [a.text for a in view.legal]
    assert (policy.fallbacks, policy.requests_failed) == (1, 1)
    [records] = read_log(tmp_path).values()
    assert set(records[0]) >= RECORD_KEYS
    assert records[0]["raw_response"] is None and records[0]["attempts"] == 2
    assert "timed out" in records[0]["error"]


def test_the_timeout_bounds_the_whole_request_not_each_read(llm_server, make_llm, tmp_path):
    _, observation, info, view = first_turn()
    wanted = view.legal[0].text
    # Every byte comes well within the timeout, the whole reply far beyond it (hundreds of
    # bytes); the retry comes within it, with a second to spare on a slow machine.
    llm_server.push(Trickle(0.02, good(wanted)), good(wanted))
    policy = make_llm(timeout=1.0, log_dir=tmp_path)
    assert policy.act(observation, info, view) == wanted
    [records] = read_log(tmp_path).values()
    [retry] = records[0]["retries"]
    assert retry["reason"].startswith("timed out after 1s")


@pytest.mark.parametrize(
    "payload",
    [
        {"choices": [{"message": "hi"}]},  # a message that is no object
        ["not", "a", "completion"],
        {"choices": []},
    ],
)
def test_a_reply_that_is_no_completion_is_a_failed_request(llm_server, make_llm, payload):
    _, observation, info, view = first_turn()
    llm_server.push(Shaped(payload))
    policy = make_llm(retries=0)
    action = policy.act(observation, info, view)
    assert action in [a.text for a in view.legal]
    assert (policy.fallbacks, policy.requests_failed) == (1, 1)


def test_429_waits_as_long_as_retry_after_says(llm_server, make_llm, tmp_path):
    _, observation, info, view = first_turn()
    wanted = view.legal[0].text
    llm_server.push(Status(429, {"Retry-After": "1"}), good(wanted))
    policy = make_llm(log_dir=tmp_path)
    assert policy.act(observation, info, view) == wanted
    [records] = read_log(tmp_path).values()
    [retry] = records[0]["retries"]
    assert retry["reason"].startswith("HTTP 429")
    assert retry["retry_after"] == 1.0
    assert 1.0 <= retry["delay"] <= 1.0 + policy._client.backoff_base / 2


def test_5xx_is_retried_with_seeded_exponential_backoff(llm_server, make_llm, tmp_path):
    _, observation, info, view = first_turn()
    wanted = view.legal[0].text
    llm_server.push(Status(500), Status(503), good(wanted))
    policy = make_llm(log_dir=tmp_path, seed=7, backoff_base=0.02, backoff_max=1.0)
    assert policy.act(observation, info, view) == wanted
    [records] = read_log(tmp_path).values()
    delays = [retry["delay"] for retry in records[0]["retries"]]
    rng = random.Random(7)
    assert delays == [round(backoff_delay(k, 0.02, 1.0, rng), 4) for k in range(2)]
    assert [retry["reason"][:8] for retry in records[0]["retries"]] == ["HTTP 500", "HTTP 503"]
    assert policy.fallbacks == 0 and policy.retries_made == 2


def test_a_retry_after_beyond_the_limit_gives_up_at_once(llm_server, make_llm):
    _, observation, info, view = first_turn()
    llm_server.push(Status(429, {"Retry-After": "3600"}))
    policy = make_llm(max_retry_after=60)
    policy.act(observation, info, view)
    assert policy.fallback_reasons == {"request failed": 1}
    assert len(llm_server.completions) == 1


def test_an_endpoint_that_keeps_failing_stops_the_game(llm_server, make_llm):
    env, observation, info, view = first_turn()
    llm_server.push(Status(500), Status(500))
    policy = make_llm(retries=0, max_consecutive_errors=2)
    env.step(policy.act(observation, info, view))
    observation, _, _, _, info = env.last()
    with pytest.raises(LLMUnavailableError, match="2 LLM requests in a row failed"):
        policy.act(observation, info, env.unwrapped.agent_view())


def test_failures_in_a_row_are_counted_across_games(llm_server, make_llm):
    """Short games must not reset the count, or a dead endpoint never stops a run."""
    llm_server.push(Status(500), Status(500))
    policy = make_llm(retries=0, max_consecutive_errors=2)
    policy.reset(seed=1)
    _, observation, info, view = first_turn(seed=1)
    policy.act(observation, info, view)
    policy.reset(seed=2)  # the next game
    _, observation, info, view = first_turn(seed=2)
    with pytest.raises(LLMUnavailableError, match="2 LLM requests in a row failed"):
        policy.act(observation, info, view)


def test_a_success_ends_the_run_of_failures(llm_server, make_llm):
    env, observation, info, view = first_turn()
    llm_server.push(Status(500), good(view.legal[0].text), Status(500))
    policy = make_llm(retries=0, max_consecutive_errors=2)
    for _ in range(3):
        env.step(policy.act(observation, info, view))
        observation, _, _, _, info = env.last()
        view = env.unwrapped.agent_view()
    assert policy.requests_failed == 2 and policy.fallbacks == 2


@pytest.mark.parametrize("usage", [{"prompt_tokens": "n/a", "completion_tokens": [3]}, {}])
def test_usage_fields_that_are_no_counts_count_nothing(llm_server, make_llm, usage):
    _, observation, info, view = first_turn()
    wanted = view.legal[0].text
    payload = {
        "choices": [{"message": {"role": "assistant", "content": f"[Action]: {wanted}"}}],
        "usage": usage,
    }
    llm_server.push(Shaped(payload))
    policy = make_llm(retries=0)
    assert policy.act(observation, info, view) == wanted
    assert (policy.prompt_tokens, policy.completion_tokens, policy.fallbacks) == (0, 0, 0)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_forms(headers, seconds):
    assert parse_retry_after(headers) == seconds


# ---------------------------------------------------------------------- preflight
def test_the_preflight_lists_models_once(llm_server, make_llm):
    policy = make_llm()
    assert policy.check() == {MODEL: "models"}
    policy.reset(1)
    policy.reset(2)
    assert llm_server.model_listings == 1
    assert not llm_server.completions  # the listing was enough


def test_the_preflight_probes_a_completion_when_there_is_no_listing(make_llm, llm_server):
    llm_server.models_status = 404
    assert make_llm().check() == {MODEL: "completion"}
    assert llm_server.completions[0]["max_tokens"] == 1


def test_an_unknown_model_is_reported_before_the_game(make_llm):
    with pytest.raises(
        LLMConfigError, match=r"does not serve model 'no-such-model'.*It lists: scripted-model"
    ):
        make_llm(model="no-such-model").reset(0)


def test_a_missing_key_is_reported_before_any_request(llm_server, make_llm, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    policy = make_llm(api_key=None)
    with pytest.raises(LLMConfigError, match="no API key.*OPENAI_API_KEY"):
        policy.reset(0)
    assert llm_server.model_listings == 0 and not llm_server.completions


def test_a_rejected_key_is_reported(make_llm):
    with pytest.raises(LLMConfigError, match="rejected the API key"):
        make_llm(api_key="wrong").check()


def test_a_missing_model_is_reported(make_llm):
    with pytest.raises(LLMConfigError, match="--impostor-model and/or --crewmate-model"):
        make_llm(model=None).check()


def test_a_role_without_a_model_is_reported_on_its_first_turn(make_llm):
    _, observation, info, view = first_turn()
    role = view.game.players[view.seat].identity.lower()
    other = "crewmate" if role == "impostor" else "impostor"
    policy = make_llm(model=None, **{f"{other}_model": MODEL})
    assert policy.check() == {MODEL: "models"}
    with pytest.raises(LLMConfigError, match=f"--{role}-model"):
        policy.act(observation, info, view)


def test_an_unreachable_endpoint_is_reported_before_the_first_game():
    policy = LLMPolicy(
        MODEL, base_url=f"http://127.0.0.1:{unused_port()}/v1", api_key=API_KEY, backoff_base=0.01
    )
    env, _, _, _ = first_turn()
    with pytest.raises(LLMUnavailableError, match="unreachable"):
        policy.reset(0)
    assert env.unwrapped.game.steps == []  # nothing was played
    policy.close()


def test_the_endpoint_and_key_default_to_the_environment(llm_server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    policy = make_policy("llm", model=MODEL)
    assert isinstance(policy, LLMPolicy) and policy.base_url == llm_server.base_url
    assert policy.check() == {MODEL: "models"}
    assert API_KEY not in repr(policy)
    policy.close()


# ---------------------------------------------------------------------- concurrency
def test_the_limiter_caps_requests_in_flight_across_policies_and_games(llm_server):
    llm_server.delay = 0.5
    limiter = ConcurrencyLimiter(2)
    policies = [
        LLMPolicy(MODEL, base_url=llm_server.base_url, api_key=API_KEY, limiter=limiter, seed=s)
        for s in range(2)
    ]
    turns = [first_turn(seed=s) for s in range(6)]

    async def play() -> list[str]:
        try:
            return await asyncio.gather(
                *(
                    policies[i % 2].act_async(obs, info, view)
                    for i, (_, obs, info, view) in enumerate(turns)
                )
            )
        finally:
            for policy in policies:
                await policy.aclose()

    actions = asyncio.run(play())
    assert all(
        action in [a.text for a in view.legal]
        for action, (_, _, _, view) in zip(actions, turns, strict=True)
    )
    assert len(llm_server.completions) == 6
    assert llm_server.peak_in_flight == 2


def test_policies_of_one_endpoint_share_a_limiter_by_default(llm_server):
    first = LLMPolicy("a", base_url=llm_server.base_url, api_key=API_KEY, concurrency=3)
    second = LLMPolicy("b", base_url=llm_server.base_url + "/", api_key=API_KEY, concurrency=3)
    other = LLMPolicy("c", base_url=llm_server.base_url, api_key=API_KEY, concurrency=4)
    assert first.limiter is second.limiter and first.limiter is not other.limiter


def test_sync_act_works_inside_a_running_event_loop(llm_server, make_llm):
    _, observation, info, view = first_turn()
    wanted = view.legal[2].text
    llm_server.push(good(wanted))
    policy = make_llm()

    async def from_a_coroutine() -> str:
        return policy.act(observation, info, view)

    assert asyncio.run(from_a_coroutine()) == wanted


def test_memory_is_kept_per_game(llm_server, make_llm):
    policy = make_llm()
    games = [first_turn(seed=s) for s in (1, 2)]
    (env_a, obs_a, info_a, view_a), (env_b, obs_b, info_b, view_b) = games
    llm_server.push(
        good(view_a.legal[0].text, memory="game A"), good(view_b.legal[0].text, memory="game B")
    )
    policy.act(obs_a, info_a, view_a)
    policy.act(obs_b, info_b, view_b)
    states = {game_of(env): policy._games[game_of(env)] for env in (env_a, env_b)}
    assert [state.seats[0].memory for state in states.values()] == ["game A", "game B"]


def game_of(env) -> Game:
    return env.unwrapped.game


def test_each_request_carries_a_sampling_seed_of_its_decision(llm_server, make_llm, tmp_path):
    # The seed depends on the policy seed, the game and where the decision is, so a seeded run
    # asks a server that honours it for the same samples again.
    def seeds_of_first_turn(policy_seed: int, game_seed: int) -> int:
        env, observation, info, view = first_turn(seed=game_seed)
        llm_server.push(good(view.legal[0].text))
        make_llm(seed=policy_seed, log_dir=tmp_path).act(observation, info, view)
        seed = llm_server.completions[-1]["seed"]
        assert isinstance(seed, int) and 0 <= seed < 2**31
        return seed

    first = seeds_of_first_turn(0, 0)
    assert seeds_of_first_turn(0, 0) == first
    assert seeds_of_first_turn(1, 0) != first
    assert seeds_of_first_turn(0, 1) != first
    logged = [r["sampling_seed"] for records in read_log(tmp_path).values() for r in records]
    sent = [body["seed"] for body in llm_server.completions[-4:]]
    assert sorted(logged) == sorted(sent)


def test_a_seed_in_extra_body_wins(llm_server, make_llm):
    env, observation, info, view = first_turn()
    llm_server.push(good(view.legal[0].text))
    make_llm(extra_body={"seed": 42}).act(observation, info, view)
    assert llm_server.completions[-1]["seed"] == 42
