"""``examples/trl_grpo.py``: its environment class, in TRL's ``environment_factory`` shape, plays
whole games on a live server when driven by a scripted "model" (TRL itself is not needed)."""

from __future__ import annotations

import inspect
import random
from types import ModuleType
from typing import Any

import pytest

from amongus_marl.chat import TOOL_NAMES
from openenv_facade.settings import ServerSettings
from tests.scripts import load_script
from tests.server.conftest import RANDOM_POLICIES, RunningServer, serve
from tests.server.helpers import eventually


def load_example() -> ModuleType:
    return load_script("examples/trl_grpo.py")


def scripted_model(seat: Any, rng: random.Random) -> tuple[str, dict[str, str]]:
    """A stand-in for the LLM: a random legal tool call, read off the latest observation."""
    function = rng.choice(seat.observation.tools)["function"]
    arguments = {
        key: rng.choice(schema["enum"]) if "enum" in schema else "I was doing my tasks."
        for key, schema in function["parameters"]["properties"].items()
    }
    return function["name"], arguments


def test_the_public_methods_are_the_seats_tools_with_docstrings() -> None:
    example = load_example()
    public = {
        name
        for name, member in inspect.getmembers(example.AmongUsSeat, inspect.isfunction)
        if not name.startswith("_")
    }
    assert public == {"reset", *TOOL_NAMES}
    for name in TOOL_NAMES:
        method = getattr(example.AmongUsSeat, name)
        assert method.__doc__ and method.__doc__.strip()
        for parameter in list(inspect.signature(method).parameters)[1:]:
            assert f"{parameter}:" in method.__doc__  # TRL reads argument descriptions there


@pytest.mark.parametrize("role", ["crewmate", "impostor"])
def test_whole_games_through_the_environment_class(server: RunningServer, role: str) -> None:
    example = load_example()
    rng = random.Random(role)
    seats = []
    for seed in range(3):
        seat = example.AmongUsSeat(server.base_url)
        first = seat.reset(
            seed=seed, role=role, policies=RANDOM_POLICIES, prompt=[{"role": "user"}]
        )
        assert isinstance(first, str) and "Available actions" in first
        calls = 0
        while not seat.done:
            before = seat._client.state().step_count
            name, arguments = scripted_model(seat, rng)
            answer = getattr(seat, name)(**arguments)
            assert isinstance(answer, str) and not answer.startswith("Not possible")
            assert seat._client.state().step_count == before + 1  # the call reached the game
            calls += 1
        assert calls > 0 and seat.reward in (-1.0, 1.0)
        assert seat.observation.role == role
        assert getattr(seat, name)(**arguments) == example.GAME_OVER
        seats.append(seat)
    rewards = example.game_reward(environments=seats, completions=[None] * len(seats))
    assert rewards == [seat.reward for seat in seats]
    for seat in seats:
        seat._close()


def test_a_refused_call_changes_nothing(server: RunningServer) -> None:
    example = load_example()
    seat = example.AmongUsSeat(server.base_url)
    seat.reset(seed=4, seat=0, policies=RANDOM_POLICIES)
    state = seat._client.state()
    answer = seat.move(room="Nowhere")
    assert answer.startswith("Not possible") and "Nowhere" in answer
    assert seat._client.state() == state and seat.reward == 0.0 and not seat.done
    seat._close()


def test_a_reset_after_the_server_expired_the_session_starts_a_new_one() -> None:
    """Between two training batches the trainer may leave a seat idle longer than the server's
    session timeout: the next reset opens a new session instead of failing."""
    example = load_example()
    with serve(ServerSettings(max_sessions=4, session_timeout_s=0.3)) as server:
        seat = example.AmongUsSeat(server.base_url)
        first = seat.reset(seed=5, seat=0, policies=RANDOM_POLICIES)
        assert eventually(lambda: len(server.registry) == 0)  # the server expired the session
        assert seat.reset(seed=5, seat=0, policies=RANDOM_POLICIES) == first
        assert seat._client.state().step_count == 0 and not seat.done
        seat._close()


def test_game_reward_finishes_an_unfinished_game_with_the_seeded_stand_in(
    server: RunningServer,
) -> None:
    example = load_example()
    outcomes = []
    for _ in range(2):  # the same seat number and seed: the same stand-in, the same game
        seat = example.AmongUsSeat(server.base_url, number=3)
        seat.reset(seed=11, role="impostor", config="five_member", policies=RANDOM_POLICIES)
        assert not seat.done
        [reward] = example.game_reward(environments=[seat])
        assert seat.done and reward == seat.reward and reward in (-1.0, 1.0)
        assert seat._client.state().step_count == seat.stand_in_moves > 0
        outcomes.append((reward, seat.stand_in_moves))
        seat._close()
    assert outcomes[0] == outcomes[1]


def test_format_reward_scores_the_model_s_tool_calls(server: RunningServer) -> None:
    example = load_example()
    seat = example.AmongUsSeat(server.base_url)
    seat.reset(seed=4, seat=0, policies=RANDOM_POLICIES)
    room = next(a.target for a in seat.observation.legal_actions if a.type == "move")
    seat.move(room=room)  # accepted
    seat.move(room="Nowhere")  # refused: changes nothing

    def call(name: str) -> dict[str, Any]:
        return {"type": "function", "function": {"name": name, "arguments": {}}}

    def reply(content: str, *names: str) -> dict[str, Any]:
        return {"role": "assistant", "content": content, "tool_calls": [call(n) for n in names]}

    tool_answer = {"role": "tool", "name": "move", "content": "..."}
    completions = [
        [{"role": "assistant", "content": "I think I will go to Admin."}],
        [{"role": "assistant", "content": '<tool_call>\n{"name": move, "argu'}],
        # two calls reached the seat (one accepted) and a third, unknown to the seat, did not
        [reply("", "move"), tool_answer, reply("", "move", "fly"), tool_answer, tool_answer],
    ]
    rewards = example.format_reward(completions=completions, environments=[seat, seat, seat])
    assert rewards == [example.NO_CALL, example.UNPARSED_CALL, pytest.approx(1 / 3)]
    seat._close()
