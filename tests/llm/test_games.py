"""Whole games with LLM seats against the scripted server: through the PettingZoo environment
with the sync ``act``, several games at once with ``act_async``, and through the game runner."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

import amongus_marl
from amongus_marl.evaluation.runner import Lineup, run_games
from amongus_marl.observations import text_observation
from amongus_marl.policies.llm import LLMPolicy, game_id
from amongus_marl.policies.llm_client import ConcurrencyLimiter, LLMUnavailableError
from amongus_marl.policies.random_policy import RandomPolicy
from tests.env.helpers import act, idle_until
from tests.llm.helpers import RECORD_KEYS, read_log, user_messages
from tests.llm.server import (
    API_KEY,
    MODEL,
    Answer,
    ScriptedServer,
    SensiblePlayer,
    available_actions,
    unused_port,
    well_formed,
)

MAX_AGENT_STEPS = 20_000


def play_env(env: Any, seat_policy) -> int:
    """Play the wrapped environment to the end; returns the number of live agent-steps."""
    steps = 0
    for _ in env.agent_iter(MAX_AGENT_STEPS):
        observation, _, terminated, truncated, info = env.last()
        if terminated or truncated:
            env.step(None)
            continue
        view = env.unwrapped.agent_view()
        env.step(seat_policy(view.seat).act(observation, info, view))
        steps += 1
    assert not env.agents, "the game did not end"
    return steps


@pytest.mark.slow
def test_a_full_game_with_llm_impostors(tmp_path):
    responder = SensiblePlayer(seed=5, garbage_every=4)
    with ScriptedServer(responder) as server:
        llm = LLMPolicy(MODEL, base_url=server.base_url, api_key=API_KEY, seed=3, log_dir=tmp_path)
        crew = RandomPolicy(seed=4)
        env = amongus_marl.env(config="seven_member", obs_mode="text")
        env.reset(seed=21)
        game = env.unwrapped.game
        llm.reset(21)
        crew.reset(21)
        impostors = set(game.impostor_seats())
        play_env(env, lambda seat: llm if seat in impostors else crew)
        llm.close()

    assert game.is_over and game.winner
    impostor_turns = sum(1 for step in game.steps if step.seat in impostors)
    assert llm.decisions == impostor_turns == len(user_messages(server))
    assert llm.fallbacks == responder.garbage_sent > 0
    assert llm.stats()["fallback_rate"] == pytest.approx(responder.garbage_sent / impostor_turns)
    assert llm.game_stats(game) == {
        "game_id": game_id(game),
        "decisions": impostor_turns,
        "fallbacks": responder.garbage_sent,
        "fallback_rate": pytest.approx(responder.garbage_sent / impostor_turns),
    }

    logs = read_log(tmp_path)
    assert list(logs) == [game_id(game)]
    records = logs[game_id(game)]
    assert len(records) == llm.decisions
    for record in records:
        assert set(record) >= RECORD_KEYS
        assert record["role"] == "Impostor" and record["seat"] in impostors
        assert record["model"] == MODEL and record["usage"]["total_tokens"] == 120
        for name in (game.names[s] for s in impostors):  # the whole team, for both impostors
            assert name in record["prompt"]["system"]
        assert record["prompt"]["user"].startswith("Summarization: ")
        assert record["fallback"] == (record["raw_response"] == "%%% ### ~~~")
    assert [r["step"] for r in records] == sorted(r["step"] for r in records)
    # What the log says was played is what the game recorded (speech and monitor rooms included).
    played = [step for step in game.steps if step.seat in impostors]
    for record, step in zip(records, played, strict=True):
        if record["action"].startswith("VIEW MONITOR "):
            assert (step.action, step.monitor_room) == (
                "VIEW MONITOR",
                record["action"][len("VIEW MONITOR ") :],
            )
        else:
            assert record["action"] == step.action


def test_one_policy_object_keeps_a_memory_per_seat():
    def responder(body: dict[str, Any]) -> str:
        user = body["messages"][-1]["content"]
        me = re.search(r"You are (Player \d+: \w+)", user).group(1)
        responder.count[me] = responder.count.get(me, 0) + 1
        return well_formed(
            f"memory of {me} #{responder.count[me]}", f"thought of {me}", available_actions(body)[0]
        )

    responder.count = {}
    with ScriptedServer(responder) as server:
        llm = LLMPolicy(MODEL, base_url=server.base_url, api_key=API_KEY, seed=0)
        env = amongus_marl.env(config="sample_five_member", obs_mode="text")
        env.reset(seed=2)
        llm.reset(2)
        play_env(env, lambda seat: llm)
        llm.close()

    seen: dict[str, int] = {}
    for user in user_messages(server):
        me = re.search(r"You are (Player \d+: \w+)", user).group(1)
        memory = re.search(r"\n\nMemory: (.*)\n\nPhase: ", user).group(1)
        expected = (
            f"memory of {me} #{seen[me]}"
            if me in seen
            else "Nothing remembered yet; this is your first turn."
        )
        assert memory == expected
        seen[me] = seen.get(me, 0) + 1
    assert len(seen) == 3 and llm.fallbacks == 0


def test_a_vector_observation_is_turned_into_the_text_prompt():
    with ScriptedServer() as server:
        llm = LLMPolicy(MODEL, base_url=server.base_url, api_key=API_KEY, seed=0)
        env = amongus_marl.env(config="five_member", obs_mode="vector")
        env.reset(seed=5)
        observation, _, _, _, info = env.last()
        view = env.unwrapped.agent_view()
        expected = text_observation(view.game, view.seat)
        env.step(llm.act(observation, info, view))
        llm.close()
    assert expected.rstrip() in user_messages(server)[0]


def test_many_games_run_at_once_under_one_cap(tmp_path):
    with ScriptedServer(SensiblePlayer(seed=1)) as server:
        server.delay = 0.05
        limiter = ConcurrencyLimiter(2)
        llm = LLMPolicy(
            MODEL,
            base_url=server.base_url,
            api_key=API_KEY,
            seed=1,
            limiter=limiter,
            log_dir=tmp_path,
        )
        crew = RandomPolicy(seed=2)
        llm.reset(1)

        async def play(seed: int) -> Any:
            env = amongus_marl.raw_env(config="five_member", obs_mode="text")
            env.reset(seed=seed)
            game = env.game
            while not game.is_over:
                view = env.agent_view()
                if game.players[view.seat].is_impostor:
                    action = await llm.act_async(env.observe(env.agent_selection), {}, view)
                else:
                    action = crew.act(None, {}, view)
                env.step(action)
            return game

        async def main() -> list[Any]:
            try:
                return await asyncio.gather(*(play(seed) for seed in (10, 11, 12)))
            finally:
                await llm.aclose()

        games = asyncio.run(main())
        llm.close()  # the preflight ran on the background loop of the sync API

    assert all(game.is_over for game in games)
    assert server.peak_in_flight <= 2
    logs = read_log(tmp_path)
    assert sorted(logs) == sorted(game_id(game) for game in games)
    for game in games:
        impostor_turns = sum(1 for step in game.steps if game.players[step.seat].is_impostor)
        assert len(logs[game_id(game)]) == impostor_turns
    assert llm.decisions == sum(len(records) for records in logs.values())


def test_the_runner_plays_llm_seats_and_stops_before_a_game_when_the_endpoint_is_down():
    with ScriptedServer(SensiblePlayer(seed=2)) as server:
        llm = LLMPolicy(MODEL, base_url=server.base_url, api_key=API_KEY)
        results = run_games("five_member", Lineup(impostor=llm), 2, seed=3)
        llm.close()
    assert len(results) == 2 and all(result.winner for result in results)
    assert llm.decisions == len(user_messages(server)) > 0

    down = {
        "model": MODEL,
        "base_url": f"http://127.0.0.1:{unused_port()}/v1",
        "api_key": API_KEY,
        "backoff_base": 0.01,
    }
    with pytest.raises(LLMUnavailableError, match="unreachable"):
        run_games("five_member", Lineup(impostor="llm"), 1, policy_kwargs={"llm": down})


def test_view_monitor_keeps_the_room_the_model_names():
    with ScriptedServer() as server:
        env = amongus_marl.env(config="five_member", obs_mode="text")
        env.reset(seed=0)
        act(env, "player_0", "MOVE from Cafeteria to Upper Engine")
        act(env, "player_0", "MOVE from Upper Engine to Security")
        idle_until(env, "player_0")
        llm = LLMPolicy(MODEL, base_url=server.base_url, api_key=API_KEY, seed=0)
        server.push(Answer(well_formed("m", "t", "VIEW MONITOR Admin")))
        observation, _, _, _, info = env.last()
        env.step(llm.act(observation, info, env.unwrapped.agent_view()))
        llm.close()
    game = env.unwrapped.game
    assert (game.steps[-1].action, game.steps[-1].monitor_room) == ("VIEW MONITOR", "Admin")
    assert llm.matches == {"monitor": 1}
