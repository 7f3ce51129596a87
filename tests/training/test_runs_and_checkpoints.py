"""Training runs (local mode and two remote env runners), checkpoints round trip, and
``checkpoint:PATH`` policies playing through ``amongus play``, ``amongus ratings`` and the
server."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from amongus_marl.cli import main
from amongus_marl.evaluation.runner import Lineup, run_games
from amongus_marl.policies import make_policy
from openenv_facade.settings import ServerSettings
from tests.server.conftest import serve
from tests.server.helpers import RawSession
from tests.training.conftest import small_settings


def test_a_short_run_reports_evaluates_and_checkpoints(trained: Any) -> None:
    settings, result, rows = trained
    assert result.iterations == 2 and [r["iteration"] for r in rows] == [1, 2]
    assert result.env_steps >= 2 * settings.train_batch_size
    assert rows[-1]["env_steps"] == result.env_steps
    assert 0.0 <= rows[-1]["train_win_rate_impostor"] <= 1.0
    # Evaluated at every iteration, in each cell, with a 95% interval around the rate.
    assert len(result.evaluations) == 2
    for evaluation in result.evaluations:
        assert len(evaluation["cells"]) == 4
        for value in evaluation["cells"].values():
            low, high = value["ci95"]
            assert value["games"] == settings.eval_games
            assert low <= value["rate"] <= high
    output = settings.output
    records = [json.loads(line) for line in (output / "metrics.jsonl").read_text().splitlines()]
    kinds = [r["kind"] for r in records]
    assert kinds[0] == "start" and kinds[-1] == "end" and kinds.count("iteration") == 2
    csv_lines = (output / "metrics.csv").read_text().splitlines()
    assert len(csv_lines) == 3 and "eval impostor vs heuristic crew" in csv_lines[0]
    assert (output / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert any((output / "tensorboard").iterdir())
    assert (result.checkpoint / "policy.json").is_file()
    assert (result.checkpoint / "rllib" / "algorithm_state.pkl").is_file()


def test_the_exported_network_is_the_one_rllib_trained(trained: Any) -> None:
    """Round trip: the plain-torch policy of the checkpoint computes RLlib's masked logits."""
    import torch
    from ray.rllib.core.columns import Columns
    from ray.rllib.core.rl_module.rl_module import RLModule

    _, result, _ = trained
    policy = make_policy(f"checkpoint:{result.checkpoint}")
    rng = np.random.default_rng(0)
    for role in ("impostor", "crewmate"):
        module_path = result.checkpoint / "rllib" / "learner_group" / "learner" / "rl_module"
        module = RLModule.from_checkpoint(module_path / role)
        size = policy.spec.observation_size
        observation = rng.random((3, size), dtype=np.float32)
        mask = np.zeros((3, policy.spec.action_count), dtype=np.float32)
        mask[:, [1, 4, 7]] = 1.0
        batch = {
            Columns.OBS: {
                "observation": torch.tensor(observation),
                "action_mask": torch.tensor(mask),
            }
        }
        with torch.no_grad():
            rllib_logits = module.forward_inference(batch)[Columns.ACTION_DIST_INPUTS].numpy()
            plain_logits = policy.networks[role](torch.tensor(observation)).numpy()
        np.testing.assert_allclose(
            rllib_logits[:, [1, 4, 7]], plain_logits[:, [1, 4, 7]], rtol=1e-5
        )
        assert (rllib_logits[:, 0] < -1e8).all(), "illegal actions are masked out"
        # The policy only ever picks legal actions.
        picks = {policy.choose(role, observation[0], mask[0]) for _ in range(50)}
        assert picks <= {1, 4, 7}


def test_two_remote_env_runners_sample_in_their_own_processes(
    ray_session: None, tmp_path: Path
) -> None:
    from amongus_marl.training.roles import Snapshot
    from amongus_marl.training.trainer import (
        _harvest,
        _push_snapshots,
        _weights,
        build_algorithm_config,
    )

    settings = small_settings(tmp_path / "remote", num_env_runners=2, envs_per_runner=2)
    algorithm = build_algorithm_config(settings).build_algo()
    try:
        pids = algorithm.env_runner_group.foreach_env_runner(
            lambda runner: os.getpid(), local_env_runner=False
        )
        assert len(set(pids)) == 2 and os.getpid() not in pids
        result = algorithm.train()
        assert result["env_runners"]["num_env_steps_sampled_lifetime"] >= settings.train_batch_size
        outcomes = _harvest(algorithm)
        assert outcomes and all(o["learner_roles"] for o in outcomes)
        _push_snapshots(algorithm, [Snapshot("snapshot_1", _weights(algorithm, settings))])
        pools = algorithm.env_runner_group.foreach_env_runner(
            lambda runner: [e.unwrapped.assigner.snapshot_names for e in runner.env.envs],
            local_env_runner=False,
        )
        assert pools == [[["snapshot_1"]] * 2] * 2
    finally:
        algorithm.stop()


def test_checkpoint_policies_play_through_amongus_play_and_ratings(
    trained: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, result, _ = trained
    name = f"checkpoint:{result.checkpoint}"
    logs = tmp_path / "logs"
    argv = ["play", "--config", "five_member", "--games", "6", "--workers", "2", "--quiet"]
    assert main([*argv, "--impostor", name, "--crewmate", "heuristic", "--log-dir", str(logs)]) == 0
    summary = json.loads((logs / "summary.json").read_text())
    assert summary["games"] == 6 and summary["lineup"]["impostor"] == name
    capsys.readouterr()
    assert main(["ratings", str(logs), "--bootstrap", "0"]) == 0
    assert name in capsys.readouterr().out
    with pytest.raises(SystemExit, match="no policy.json"):
        main([*argv, "--impostor", f"checkpoint:{tmp_path}"])
    with pytest.raises(SystemExit, match="5-player games"):
        main(["play", "--config", "seven_member", "--games", "1", "--crewmate", name])


def test_checkpoint_games_are_reproducible_and_legal(trained: Any) -> None:
    _, result, _ = trained
    policy = make_policy(f"checkpoint:{result.checkpoint}")
    first = run_games("five_member", Lineup(impostor=policy, crewmate=policy), 5, seed=3)
    again = run_games("five_member", Lineup(impostor=policy, crewmate=policy), 5, seed=3)
    assert [(r.winner, r.actions) for r in first] == [(r.winner, r.actions) for r in again]


def test_checkpoint_policies_are_server_bots(trained: Any) -> None:
    _, result, _ = trained
    name = f"checkpoint:{result.checkpoint}"
    settings = ServerSettings(allowed_policies=("heuristic", name), session_timeout_s=60.0)
    with serve(settings) as server, RawSession(server.ws_url) as session:
        for seed in range(3):
            reply = session.reset(
                seed=seed,
                seat=0,  # seat 0 acts first: the client plays at least one turn
                config="five_member",
                policies={"impostor": name, "crewmate": name},
            )
            steps = 0
            while not reply["data"]["done"]:
                assert reply["type"] == "observation", reply
                legal = reply["data"]["observation"]["legal_actions"]
                reply = session.step(legal[0])
                steps += 1
            assert steps > 0
        refused = session.reset(seed=0, config="seven_member", policies={"impostor": name})
        assert refused["type"] == "error" and "5-player games" in json.dumps(refused)


def test_a_bad_checkpoint_is_refused_by_the_server_at_start(tmp_path: Path) -> None:
    from openenv_facade.session import check_servable

    (tmp_path / "policy.json").write_text('{"format": "something else"}')
    with pytest.raises(ValueError, match="not a amongus-marl-policy file"):
        check_servable((f"checkpoint:{tmp_path}",))
