"""``amongus train --resume``: a run killed mid-way (SIGKILL) continues from its last checkpoint
to the same budget, with its counters, its pool and its metrics carried on (no row lost or
repeated); a folder of a run with other settings is refused and left as it was."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from amongus_marl.cli import build_parser, main

BUDGET = 4
TINY = [
    "train", "--iterations", str(BUDGET), "--batch", "200", "--minibatch", "100",
    "--epochs", "1", "--hidden", "16", "--envs-per-runner", "2", "--eval-games", "2",
    "--eval-every", "2", "--snapshot-every", "1", "--pool-size", "2",
    "--checkpoint-every", "1", "--quiet",
]  # fmt: skip


def _state(folder: Path) -> dict[str, Any]:
    state: dict[str, Any] = json.loads((folder / "checkpoint" / "trainer.json").read_text())
    return state


def _kill_after_first_checkpoint(output: Path, address: str) -> None:
    """Run the training in its own process (on the tests' Ray) and SIGKILL it once a
    checkpoint is on disk."""
    command = [sys.executable, "-m", "amongus_marl.cli", *TINY, "--output", str(output)]
    process = subprocess.Popen(
        [*command, "--address", address], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 300
    try:
        while not (output / "checkpoint" / "trainer.json").is_file():
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the run wrote no checkpoint"
            time.sleep(0.02)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        if process.stderr is not None:
            process.stderr.close()
    assert process.returncode == -signal.SIGKILL


@dataclass(frozen=True)
class Resumed:
    output: Path
    killed_at: dict[str, Any]  # the state of the checkpoint the run resumed from
    out: str  # what the resumed run printed
    err: str


@pytest.fixture(scope="module")
def resumed(ray_session: None, tmp_path_factory: pytest.TempPathFactory) -> Resumed:
    """A run killed after its first checkpoint, then resumed to the same budget."""
    import ray

    output = tmp_path_factory.mktemp("resume") / "run"
    _kill_after_first_checkpoint(output, ray.get_runtime_context().gcs_address)
    killed_at = _state(output)
    assert 1 <= killed_at["iteration"] < BUDGET, "the run must be killed mid-way"
    # What a kill can leave after the checkpoint: a row of an iteration it did not checkpoint,
    # and a record cut off mid-write.
    with (output / "metrics.jsonl").open("a") as records:
        records.write(json.dumps({"kind": "iteration", "iteration": 99, "env_steps": 1}) + "\n")
        records.write('{"kind": "iteration", "itera')
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main([*TINY, "--output", str(output), "--resume"]) == 0
    return Resumed(output, killed_at, out.getvalue(), err.getvalue())


def test_a_killed_run_resumes_to_its_budget_and_loses_or_repeats_nothing(
    resumed: Resumed,
) -> None:
    output, killed_at = resumed.output, resumed.killed_at
    assert f"resumed from the checkpoint of iteration {killed_at['iteration']}" in resumed.err
    assert f"{BUDGET} iterations" in resumed.out

    # The run ends at the budget, counted from its start.
    state = _state(output)
    assert state["iteration"] == BUDGET
    policy = json.loads((output / "checkpoint" / "policy.json").read_text())
    assert policy["trained"]["iteration"] == BUDGET
    # One record and one CSV row per iteration, in order: the rows a killed run wrote after its
    # checkpoint are gone, those before it kept.
    records = [json.loads(line) for line in (output / "metrics.jsonl").read_text().splitlines()]
    kinds = [r["kind"] for r in records]
    assert kinds[0] == "start" and kinds[-1] == "end" and kinds.count("start") == 1
    iterations = [r for r in records if r["kind"] == "iteration"]
    assert [r["iteration"] for r in iterations] == list(range(1, BUDGET + 1))
    [resume] = [r for r in records if r["kind"] == "resume"]
    assert resume["iteration"] == killed_at["iteration"]
    assert records.index(resume) == killed_at["metrics_records"]
    with (output / "metrics.csv").open(newline="") as table:
        rows = list(csv.DictReader(table))
    assert [int(r["iteration"]) for r in rows] == list(range(1, BUDGET + 1))
    # The counters went on from the checkpoint: env steps keep growing past it, by about a
    # batch an iteration (a restarted counter would fall back to one batch).
    steps = [int(r["env_steps"]) for r in rows]
    assert steps == sorted(steps) and len(set(steps)) == BUDGET
    assert steps[killed_at["iteration"] - 1] == killed_at["env_steps"]
    assert steps[killed_at["iteration"]] >= killed_at["env_steps"] + 200
    assert state["env_steps"] == steps[-1] >= BUDGET * 200
    # Evaluations from before the kill are still in the records, and the pool kept its last
    # snapshots.
    evaluations = [r["iteration"] for r in records if r["kind"] == "evaluation"]
    assert evaluations == [2, 4]
    assert state["snapshots"] == ["snapshot_3", "snapshot_4"]
    assert not (output / "checkpoint.partial").exists()

    # The final checkpoint is a policy.
    from amongus_marl.evaluation.runner import Lineup, run_games

    name = f"checkpoint:{output / 'checkpoint'}"
    games = run_games("five_member", Lineup(impostor=name, crewmate=name), 3, seed=0)
    assert len(games) == 3 and all(r.policies == (name,) * 5 for r in games)


def test_the_pool_is_read_back_with_the_checkpoint(resumed: Resumed) -> None:
    from amongus_marl.training.cli import settings_from_args
    from amongus_marl.training.resume import find_resume_point

    argv = [*TINY, "--output", str(resumed.output), "--resume"]
    point = find_resume_point(settings_from_args(build_parser().parse_args(argv)))
    assert point is not None and point.state.iteration == BUDGET
    assert [s.name for s in point.snapshots] == ["snapshot_3", "snapshot_4"]
    for snapshot in point.snapshots:
        assert set(snapshot.weights) == {"impostor", "crewmate"}
        for weights in snapshot.weights.values():
            assert weights and all(np.isfinite(w).all() for w in weights.values())
    older, newer = (s.weights["impostor"] for s in point.snapshots)
    assert older.keys() == newer.keys()
    assert any(not np.array_equal(older[k], newer[k]) for k in older), "the network learned"


@pytest.mark.parametrize(
    ("change", "difference"),
    [
        (["--seed", "5"], "seed 0 there, 5 now"),
        (["--lr", "0.01"], "learning_rate"),
        (["--crewmate", "heuristic"], "crewmate 'pool' there, 'heuristic' now"),
    ],
)
def test_resume_refuses_a_run_of_other_settings_and_changes_nothing(
    resumed: Resumed, change: list[str], difference: str
) -> None:
    output = resumed.output
    before = {p: p.read_bytes() for p in sorted(output.rglob("*")) if p.is_file()}
    with pytest.raises(SystemExit, match="holds another run") as refusal:
        main([*TINY, *change, "--output", str(output), "--resume"])
    assert difference in str(refusal.value)
    after = {p: p.read_bytes() for p in sorted(output.rglob("*")) if p.is_file()}
    assert after == before


def test_a_kill_while_a_checkpoint_is_swapped_in_leaves_the_previous_one(tmp_path: Path) -> None:
    """No Ray: the checkpoint files alone. Whichever step of the swap a kill falls on, resume
    finds one whole checkpoint and the metrics it covers."""
    from amongus_marl.training.progress import MetricsLog
    from amongus_marl.training.resume import (
        ResumeError,
        TrainerState,
        find_resume_point,
        partial_checkpoint,
        restore_checkpoint_folder,
        swap_in,
        write_identity,
        write_trainer_state,
    )
    from amongus_marl.training.roles import Snapshot
    from tests.training.conftest import small_settings

    settings = small_settings(tmp_path / "run", resume=True)
    output = settings.output
    output.mkdir()
    write_identity(settings)
    metrics = MetricsLog(output)
    metrics.record("start", {})
    metrics.record("iteration", {"iteration": 1, "env_steps": 10})
    metrics.row({"iteration": 1, "env_steps": 10})
    metrics.record("evaluation", {"iteration": 2})
    metrics.record("iteration", {"iteration": 2, "env_steps": 20, "eval x": 0.5})
    metrics.row({"iteration": 2, "env_steps": 20, "eval x": 0.5})
    weights = {"impostor": {"0.weight": np.arange(4, dtype=np.float32).reshape(2, 2)}}
    state = TrainerState(2, 20, 1.5, 1.0, metrics.records_written, {"impostor": [True]}, ["s2"])
    write_trainer_state(partial_checkpoint(output), state, [Snapshot("s2", weights)])
    swap_in(output)
    metrics.record("iteration", {"iteration": 3, "env_steps": 30})  # after the checkpoint
    # The kill falls between the swap's two renames: the old checkpoint is set aside and the
    # new one is still being written.
    (output / "checkpoint").rename(output / "checkpoint.replaced")
    partial_checkpoint(output)
    point = find_resume_point(settings)
    assert point is not None and point.checkpoint == output / "checkpoint.replaced"
    assert point.state == state
    np.testing.assert_array_equal(
        point.snapshots[0].weights["impostor"]["0.weight"], weights["impostor"]["0.weight"]
    )
    assert [r["kind"] for r in point.records] == ["start", "iteration", "evaluation", "iteration"]
    point = restore_checkpoint_folder(point, output)
    assert point.checkpoint == output / "checkpoint" and (output / "checkpoint").is_dir()
    # The metrics files are cut back to what the checkpoint covers, the CSV rebuilt from them.
    MetricsLog(output, point.records)
    assert (output / "metrics.jsonl").read_text().count("\n") == state.metrics_records
    with (output / "metrics.csv").open(newline="") as table:
        rows = list(csv.DictReader(table))
    assert [(r["iteration"], r["eval x"]) for r in rows] == [("1", ""), ("2", "0.5")]
    # Metrics shorter than the checkpoint says, or a checkpoint without run.json: refused.
    (output / "metrics.jsonl").write_text('{"kind": "start"}\n')
    with pytest.raises(ResumeError, match="has 1 records"):
        find_resume_point(settings)
    (output / "run.json").unlink()
    with pytest.raises(ResumeError, match="no run.json"):
        find_resume_point(settings)
