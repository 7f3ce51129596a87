"""A saved game replays through a fresh environment to the identical state."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from amongagents.replay import ReplayError, read_jsonl
from amongus_marl import env as make_env
from amongus_marl.rendering import render_ansi
from amongus_marl.replay import replay_through_env, save_jsonl
from tests.env.helpers import OBS_MODES, PRESET_NAMES, observations


def play_random_strings(env, seed: int) -> None:
    """Random legal 7vik strings (a bare ``VIEW MONITOR`` leaves the room to chance), now and
    then free speech, until the game ends."""
    rng = random.Random(seed)
    raw = env.unwrapped
    while not raw.game.is_over:
        action = rng.choice(raw.legal_actions())
        if action.startswith("SPEAK:") and rng.random() < 0.5:
            room = rng.choice(["Admin", "Electrical"])
            action = f"SPEAK: I saw {rng.choice(raw.game.names)} near {room}"
        env.step(action)


def end_state(env) -> dict:
    raw = env.unwrapped
    return {
        "state": raw.state().tolist(),
        "observations": observations(env),
        "event_log": raw.event_log(),
        "infos": {
            agent: {k: v for k, v in info.items() if k != "action_mask"}
            for agent, info in raw.infos.items()
        },
        "terminations": dict(raw.terminations),
        "agent_selection": raw.agent_selection,
    }


@pytest.mark.parametrize("preset", PRESET_NAMES)
@pytest.mark.parametrize("obs_mode", OBS_MODES)
def test_a_saved_game_replays_to_the_identical_state(
    preset: str, obs_mode: str, tmp_path: Path
) -> None:
    path = tmp_path / "games.jsonl"
    played = []
    for seed in (3, 4):  # two games appended to one file
        env = make_env(config=preset, obs_mode=obs_mode)
        env.reset(seed=seed)
        play_random_strings(env, seed)
        save_jsonl(env, path)
        played.append(end_state(env))
    logs = list(read_jsonl(path))
    assert len(logs) == 2
    for log, expected in zip(logs, played, strict=True):
        fresh = make_env(config=preset, obs_mode=obs_mode)
        replay_through_env(fresh, log)
        assert end_state(fresh) == expected
        assert fresh.infos["player_0"]["win_code"] == log["winner"] != 0


def test_monitor_rooms_drawn_by_chance_are_drawn_again() -> None:
    env = make_env(config="seven_member")
    for seed in range(40):
        env.reset(seed=seed)
        play_random_strings(env, seed)
        if any(step["monitor_by_chance"] for step in env.unwrapped.event_log()["steps"]):
            break
    log = env.unwrapped.event_log()
    assert any(step["monitor_by_chance"] for step in log["steps"]), "no game watched the monitor"
    assert replay_through_env(make_env(config="seven_member"), log).unwrapped.event_log() == log


def test_a_game_saved_midway_replays_to_the_same_point(tmp_path: Path) -> None:
    env = make_env(config="five_member", obs_mode="text")
    env.reset(seed=12)
    rng = np.random.default_rng(12)
    for _ in range(30):
        env.step(int(rng.choice(np.flatnonzero(env.observe(env.agent_selection)["action_mask"]))))
    assert not env.unwrapped.game.is_over, "the game is saved while it runs"
    save_jsonl(env, tmp_path / "midway.jsonl")
    (log,) = read_jsonl(tmp_path / "midway.jsonl")
    fresh = replay_through_env(make_env(config="five_member", obs_mode="text"), log)
    assert end_state(fresh) == end_state(env)
    assert fresh.unwrapped.legal_actions() == env.unwrapped.legal_actions()


@pytest.mark.parametrize(("key", "change"), [("timestep", 1), ("phase", None)])
def test_a_log_whose_steps_disagree_with_the_game_is_refused(key: str, change: int | None) -> None:
    played = make_env(config="five_member")
    played.reset(seed=5)
    play_random_strings(played, 5)
    log = played.unwrapped.event_log()
    step = log["steps"][3]
    step[key] = step[key] + change if change is not None else "nonsense"
    with pytest.raises(ReplayError, match=f"step 3: the log has {key}"):
        replay_through_env(make_env(config="five_member"), log)


def test_a_replay_in_human_mode_ends_its_output_with_the_replayed_games_start(
    capsys: pytest.CaptureFixture[str],
) -> None:
    played = make_env(config="five_member")
    played.reset(seed=9)
    log = played.unwrapped.event_log()  # no step yet: the log is the start
    replayed = replay_through_env(make_env(config="five_member", render_mode="human"), log)
    printed = capsys.readouterr().out
    # one frame, the replayed game's start (not the throwaway game of the wrappers' reset)
    assert printed.rstrip() == render_ansi(replayed.unwrapped.game).rstrip()


@pytest.mark.parametrize("illegal_action", ["raise", "penalize"])
def test_a_log_with_an_impossible_action_is_a_replay_error(illegal_action: str) -> None:
    played = make_env(config="five_member")
    played.reset(seed=5)
    play_random_strings(played, 5)
    log = played.unwrapped.event_log()
    log["steps"][2]["action"] = "MOVE from Nowhere to Mars"
    target = make_env(config="five_member", illegal_action=illegal_action)
    with pytest.raises(ReplayError, match="step 2"):  # never a silent penalty
        replay_through_env(target, log)
