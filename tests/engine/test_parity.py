"""Step-for-step parity with the reference 7vik engine on its games in ``tests/fixtures/parity``.

Each reference game is set up from its recorded config and players, then every recorded action is
replayed. Before each action the acting seat, phase, timestep, sorted legal action strings and the
acting player's information block (phase-instruction prose masked, as in the recordings) must
match. After the last action the game must be over with the recorded winner.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest

from amongagents import Game, information_block
from amongagents.replay import replay
from tests.engine.helpers import mask_phase_instruction
from tests.fixtures import PARITY_DIR

PARITY_FILES = ("sample5.jsonl.gz", "sample7.jsonl.gz")


def _game_ids() -> list[Any]:
    if not all((PARITY_DIR / name).is_file() for name in PARITY_FILES):
        return [pytest.param(None, id="parity-set-missing")]
    ids = []
    for name in PARITY_FILES:
        with gzip.open(PARITY_DIR / name, "rt", encoding="utf-8") as stream:
            count = sum(1 for line in stream if line.strip())
        ids += [
            pytest.param((name, i), id=f"{name.split('.')[0]}-game{i:02d}") for i in range(count)
        ]
    return ids


def _load(game_id: tuple[str, int] | None) -> dict[str, Any]:
    if game_id is None:
        pytest.fail(
            f"the reference games are missing: expected {', '.join(PARITY_FILES)} in "
            f"{PARITY_DIR} (committed test fixtures; see tests/fixtures/README.md)"
        )
    name, index = game_id
    with gzip.open(PARITY_DIR / name, "rt", encoding="utf-8") as stream:
        lines = [line for line in stream if line.strip()]
    log: dict[str, Any] = json.loads(lines[index])
    return log


def _action_to_send(step: dict[str, Any]) -> str:
    action = str(step["action"])
    if step["monitor_room"] is not None:
        return f"{action} {step['monitor_room']}"
    return action


GAME_IDS = _game_ids()


@pytest.mark.parametrize("game_id", GAME_IDS)
def test_the_engine_replays_the_reference_game_step_for_step(
    game_id: tuple[str, int] | None,
) -> None:
    log = _load(game_id)
    game = Game(log["config"], seed=0, scenario=log["players"])
    assert [p.name for p in game.players] == [p["name"] for p in log["players"]]
    for index, step in enumerate(log["steps"]):
        where = f"step {index} ({step['action']!r})"
        assert not game.is_over, f"{where}: the game already ended with {int(game.winner)}"
        seat = game.current_seat
        assert seat == step["player"], f"{where}: acting seat"
        assert game.phase.value == step["phase"], f"{where}: phase"
        assert game.timestep == step["timestep"], f"{where}: timestep"
        assert sorted(game.legal_action_strings()) == step["legal"], f"{where}: legal actions"
        assert mask_phase_instruction(information_block(game, seat)) == step["prompt"], (
            f"{where}: block"
        )
        game.step(_action_to_send(step))
        if step["monitor_room"] is not None:
            assert game.steps[-1].monitor_room == step["monitor_room"]
    assert game.is_over, "the reference game ended here"
    assert int(game.winner) == log["winner"]
    assert game.legal_actions() == []


@pytest.mark.parametrize("game_id", GAME_IDS)
def test_the_reference_game_replays_through_the_replay_module(
    game_id: tuple[str, int] | None,
) -> None:
    log = _load(game_id)
    game = replay(log)
    assert game.is_over
    assert int(game.winner) == log["winner"]
    assert len(game.steps) == len(log["steps"])


def test_the_parity_set_holds_games_of_both_presets() -> None:
    assert all((PARITY_DIR / name).is_file() for name in PARITY_FILES), (
        f"the reference games are missing from {PARITY_DIR}"
    )
    for name in PARITY_FILES:
        assert any(name.split(".")[0] in param.id for param in GAME_IDS), f"{name} holds no game"
