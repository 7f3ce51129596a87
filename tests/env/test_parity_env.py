"""The environment plays the reference games step for step (``tests/fixtures/parity``).

Each reference game is replayed through the environment's own ``step`` with its recorded action
strings: at every step the selected agent must be the recorded seat, its sorted legal actions the
recorded ones, and at the end the result the recorded winner. With text observations the acting
agent must also read the reference's information block, to the character, once the phase
instruction (each engine's own prose) is masked.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from amongagents import PRESETS
from amongus_marl import env as make_env
from amongus_marl.replay import ReplayError, replay_through_env
from tests.engine.helpers import mask_phase_instruction
from tests.env.helpers import (
    EMERGENCY,
    PARITY_DIR,
    parity_files,
    parity_games,
    phase_instruction_lines,
)

FILES = [pytest.param(path, id=path.name) for path in parity_files()]


def logged_action(step: dict[str, Any]) -> str:
    """The action string to send: a watched room is named, as the reference game chose it."""
    if step["monitor_room"] is not None:
        return f"{step['action']} {step['monitor_room']}"
    return str(step["action"])


def test_the_reference_games_are_where_the_tests_look() -> None:
    assert PARITY_DIR.is_dir(), (
        f"missing {PARITY_DIR}: the reference games are committed in tests/fixtures/parity"
    )
    names = {path.name for path in PARITY_DIR.glob("*.jsonl.gz")}
    assert {"sample5.jsonl.gz", "sample7.jsonl.gz"} <= names


@pytest.mark.parametrize("path", FILES)
def test_every_reference_game_replays_through_step(path: Path) -> None:
    for number, log in enumerate(parity_games(path)):
        env = make_env(config=log["config"])
        env.reset(seed=0, options={"scenario": {"players": log["players"]}})
        for index, step in enumerate(log["steps"]):
            where = f"{path.name} game {number} step {index}"
            assert env.agent_selection == f"player_{step['player']}", where
            assert sorted(env.unwrapped.legal_actions()) == step["legal"], where
            env.step(logged_action(step))
        assert env.unwrapped.game.is_over, f"{path.name} game {number} is still running"
        for agent in env.possible_agents:
            assert env.infos[agent]["win_code"] == log["winner"], f"{path.name} game {number}"
            assert env.terminations[agent]


@pytest.mark.parametrize("path", FILES)
def test_every_acting_agent_reads_the_reference_prompt(path: Path) -> None:
    for number, log in enumerate(parity_games(path)):
        env = make_env(config=log["config"], obs_mode="text")
        env.reset(seed=0, options={"scenario": {"players": log["players"]}})
        for index, step in enumerate(log["steps"]):
            observation = env.observe(env.agent_selection)["observation"]
            assert step["prompt"] in mask_phase_instruction(observation), (
                f"{path.name} game {number} step {index}: the text observation of "
                f"{env.agent_selection} lacks the reference prompt"
            )
            env.step(logged_action(step))


@pytest.mark.parametrize("path", FILES)
def test_replay_through_env_accepts_every_reference_game(path: Path) -> None:
    for log in parity_games(path):
        env = replay_through_env(make_env(config=log["config"]), log)
        assert env.unwrapped.game.event_log()["steps"] == [
            {key: step[key] for key in ("player", "phase", "timestep", "action", "monitor_room")}
            | {"monitor_by_chance": False}
            for step in log["steps"]
        ]


def test_replay_through_env_refuses_a_log_whose_turn_order_is_wrong() -> None:
    log = dict(parity_games(parity_files()[0])[0])
    steps = [dict(step) for step in log["steps"]]
    steps[3]["player"] = (steps[3]["player"] + 1) % log["config"]["num_players"]
    with pytest.raises(ReplayError, match="step 3"):
        replay_through_env(make_env(config=log["config"]), {**log, "steps": steps})


@pytest.mark.parametrize("rounds", [1, 2, 3])
def test_the_meeting_instruction_states_the_configured_number_of_discussion_rounds(
    rounds: int,
) -> None:
    config = {**PRESETS["five_member"].to_dict(), "discussion_rounds": rounds}
    env = make_env(config=config, obs_mode="text")
    env.reset(seed=0)
    env.step(EMERGENCY)  # the first seat stands by the button in Cafeteria
    text = env.observe(env.agent_selection)["observation"]
    instruction = " ".join(phase_instruction_lines(text))
    assert re.search(rf"\b{rounds} rounds?\b", instruction), instruction
    assert f"Discussion round (0/{rounds})" in text
