"""Event logs: JSON, exact replay (chance outcomes included), tamper detection, JSON Lines files."""

from __future__ import annotations

import copy
import gzip
import json
import random
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from amongagents import Game
from amongagents.replay import ReplayError, read_jsonl, replay, write_jsonl
from tests.engine.helpers import snapshot
from tests.engine.test_parity import _load

SCENARIO: list[dict[str, Any]] = [
    {"color": "lime", "role": "Impostor"},
    {"role": "Crewmate"},
    {"color": "red", "tasks": [["Fix Wiring", "Security"], ["Accept Diverted Power", "Security"]]},
    {},
    {"role": "Crewmate", "tasks": [["Fix Wiring", "Security"], ["Upload Data", "Admin"]]},
]


def random_game(preset: str, seed: int, scenario: list[dict[str, Any]] | None = None) -> Game:
    """A seeded game played with uniformly random legal actions; the monitor room (when someone
    watches) is left to the game's own RNG."""
    game = Game(preset, seed=seed, scenario=scenario)
    rng = random.Random(seed)
    while not game.is_over:
        legal = game.legal_actions()
        game.step(legal[rng.randrange(len(legal))])
    return game


def build(preset: str, seed: int, use_scenario: bool) -> Game:
    return random_game(preset, seed, SCENARIO if use_scenario else None)


def chance_draws(game: Game) -> int:
    return sum(s.monitor_by_chance for s in game.steps)


@cache
def games_with_chance_draws() -> tuple[tuple[str, int, bool], ...]:
    """(preset, seed, with scenario) of games in which someone watched the monitor twice or more."""
    found = []
    for preset, use_scenario in (
        ("five_member", False),
        ("five_member", True),
        ("seven_member", False),
    ):
        for seed in range(200):
            if chance_draws(build(preset, seed, use_scenario)) >= 2:
                found.append((preset, seed, use_scenario))
                break
    return tuple(found)


CASE_VALUES: list[tuple[str, int, bool]] = [
    ("sample_five_member", 1, False),
    ("five_member", 2, False),
    ("seven_member", 3, False),
    ("five_member", 4, True),
]
CASES = [
    pytest.param(*values, id=f"{values[0]}{'-scenario' if values[2] else ''}")
    for values in CASE_VALUES
]


@pytest.mark.parametrize(("preset", "seed", "use_scenario"), CASES)
def test_an_event_log_is_json(preset: str, seed: int, use_scenario: bool) -> None:
    log = build(preset, seed, use_scenario).event_log()
    assert json.loads(json.dumps(log)) == log


@pytest.mark.parametrize(("preset", "seed", "use_scenario"), CASES)
def test_a_log_replays_to_the_identical_game(preset: str, seed: int, use_scenario: bool) -> None:
    original = build(preset, seed, use_scenario)
    replayed = replay(json.loads(json.dumps(original.event_log())))
    assert snapshot(replayed) == snapshot(original)
    assert replayed.rng.getstate() == original.rng.getstate()
    assert replayed.winner == original.winner


def test_monitor_chance_draws_replay_exactly() -> None:
    found = games_with_chance_draws()
    assert len(found) == 3, "too few random games watched the monitor"
    for preset, seed, use_scenario in found:
        original = build(preset, seed, use_scenario)
        assert chance_draws(original) >= 2
        replayed = replay(json.loads(json.dumps(original.event_log())))
        assert snapshot(replayed) == snapshot(original), (preset, seed, use_scenario)


def test_a_partial_replay_stops_at_the_same_state() -> None:
    game = Game("seven_member", seed=8)
    rng = random.Random(8)
    states = []
    while not game.is_over:
        states.append(snapshot(game))
        legal = game.legal_actions()
        game.step(legal[rng.randrange(len(legal))])
    log = game.event_log()
    for upto in (0, 1, len(states) // 2, len(states) - 1):
        partial = replay(log, upto=upto)
        expected = dict(states[upto])
        got = snapshot(partial)
        # The log itself records every step; compare everything else.
        del expected["event_log"], got["event_log"]
        assert got == expected, upto


def test_an_unseeded_game_logs_the_seed_it_drew() -> None:
    game = Game("five_member")
    rng = random.Random(0)
    while not game.is_over:
        legal = game.legal_actions()
        game.step(legal[rng.randrange(len(legal))])
    assert snapshot(replay(game.event_log())) == snapshot(game)


# ---------------------------------------------------------------------- tampering
def _first_step_where(
    log: dict[str, Any], test: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    return next(step for step in log["steps"] if test(step))


def wrong_seat(log: dict[str, Any]) -> None:
    step = log["steps"][3]
    step["player"] = (step["player"] + 1) % len(log["players"])


def wrong_winner(log: dict[str, Any]) -> None:
    log["winner"] = 1 + log["winner"] % 4


def swapped_identity(log: dict[str, Any]) -> None:
    first = log["players"][0]
    first["identity"] = "Crewmate" if first["identity"] == "Impostor" else "Impostor"


def other_task(log: dict[str, Any]) -> None:
    log["players"][1]["tasks"][0] = ["Start Reactor", "Reactor"]


def other_seed(log: dict[str, Any]) -> None:
    log["seed"] += 1


def missing_last_step(log: dict[str, Any]) -> None:
    log["steps"].pop()


def illegal_action(log: dict[str, Any]) -> None:
    log["steps"][2]["action"] = "DANCE"


def other_monitor_room(log: dict[str, Any]) -> None:
    step = _first_step_where(log, lambda s: bool(s.get("monitor_by_chance")))
    step["monitor_room"] = "Reactor" if step["monitor_room"] != "Reactor" else "Admin"


def wrong_phase(log: dict[str, Any]) -> None:
    step = log["steps"][4]
    step["phase"] = "meeting" if step["phase"] == "task" else "task"


def wrong_timestep(log: dict[str, Any]) -> None:
    log["steps"][5]["timestep"] += 1


TAMPERINGS = [
    wrong_seat,
    wrong_phase,
    wrong_timestep,
    wrong_winner,
    swapped_identity,
    other_task,
    other_seed,
    missing_last_step,
    illegal_action,
    other_monitor_room,
]


@pytest.mark.parametrize("tamper", TAMPERINGS, ids=[t.__name__ for t in TAMPERINGS])
def test_a_tampered_log_raises_replay_error(tamper: Callable[[dict[str, Any]], None]) -> None:
    preset, seed, use_scenario = games_with_chance_draws()[1]
    log = build(preset, seed, use_scenario).event_log()
    replay(copy.deepcopy(log))  # the untouched log replays
    tamper(log)
    with pytest.raises(ReplayError):
        replay(log)


def test_a_reference_log_with_other_legal_actions_raises_replay_error() -> None:
    """Reference logs record each step's sorted legal actions; replay checks them too."""
    log = _load(("sample5.jsonl.gz", 0))
    replay(copy.deepcopy(log))  # the untouched log replays
    step = log["steps"][len(log["steps"]) // 2]
    step["legal"] = step["legal"][:-1]
    with pytest.raises(ReplayError, match="legal actions"):
        replay(log)


# ---------------------------------------------------------------------- JSON Lines files
def test_write_and_read_jsonl_round_trip(tmp_path: Path) -> None:
    logs: list[Mapping[str, Any]] = [build(*case).event_log() for case in CASE_VALUES]
    path = tmp_path / "games.jsonl"
    write_jsonl(logs[:2], path)
    write_jsonl(logs[2:], path)  # appends
    assert list(read_jsonl(path)) == logs
    assert len(path.read_text(encoding="utf-8").splitlines()) == len(logs)


def test_read_jsonl_reads_gzip_files(tmp_path: Path) -> None:
    logs: list[Mapping[str, Any]] = [build(*case).event_log() for case in CASE_VALUES[:2]]
    plain = tmp_path / "games.jsonl"
    write_jsonl(logs, plain)
    packed = tmp_path / "games.jsonl.gz"
    with gzip.open(packed, "wt", encoding="utf-8") as out:
        out.write(plain.read_text(encoding="utf-8"))
    assert list(read_jsonl(packed)) == logs


def test_a_gz_path_is_written_compressed_and_read_back(tmp_path: Path) -> None:
    logs: list[Mapping[str, Any]] = [build(*case).event_log() for case in CASE_VALUES[:3]]
    packed = tmp_path / "games.jsonl.gz"
    write_jsonl(logs[:1], packed)
    write_jsonl(logs[1:], packed)  # appends
    with gzip.open(packed, "rt", encoding="utf-8") as stream:  # really compressed
        assert len(stream.read().splitlines()) == len(logs)
    assert list(read_jsonl(packed)) == logs


def test_logs_read_back_from_a_file_replay(tmp_path: Path) -> None:
    originals = [build(*case) for case in CASE_VALUES]
    path = tmp_path / "games.jsonl"
    write_jsonl([g.event_log() for g in originals], path)
    for original, log in zip(originals, read_jsonl(path), strict=True):
        assert snapshot(replay(log)) == snapshot(original)
