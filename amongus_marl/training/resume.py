"""Resuming a training run from its last checkpoint, so a killed run loses only the iterations
after that checkpoint.

A run folder knows which run it holds: ``run.json`` is the run's identity (its settings, less
the budget, where it runs and the progress bar), written when the run starts. Each checkpoint
carries, beside RLlib's own state (``rllib/``: weights, optimiser, iteration and env-step
counters), what the loop itself needs to continue (``trainer.json``: counters, time spent, how
many metrics records the checkpoint covers, the recent training outcomes) and the opponent
pool's snapshots (``snapshots/NAME.npz``). A checkpoint is written beside the last one and
swapped in whole, so a kill while saving leaves the previous checkpoint intact.

``find_resume_point`` reads all of that back before Ray starts: a folder of another run, or
whose files do not agree with its checkpoint, is refused with the reason and left unchanged.

Nothing here imports Ray or torch.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np

from amongus_marl.training.progress import JSONL_FILE
from amongus_marl.training.roles import Snapshot
from amongus_marl.training.settings import TrainSettings

RUN_FILE: Final[str] = "run.json"
CHECKPOINT_DIR: Final[str] = "checkpoint"
#: A checkpoint being written, and the one it replaces while the two are swapped.
PARTIAL_DIR: Final[str] = "checkpoint.partial"
REPLACED_DIR: Final[str] = "checkpoint.replaced"
STATE_FILE: Final[str] = "trainer.json"
SNAPSHOT_DIR: Final[str] = "snapshots"
RLLIB_DIR: Final[str] = "rllib"
#: Settings that may change between a run and its resumption: the budget (a resumed run may
#: train longer), where it runs, and how it reports. Everything else is what the run is.
NOT_IDENTITY: Final[tuple[str, ...]] = (
    "minutes",
    "cpu_minutes",
    "env_steps",
    "iterations",
    "output",
    "address",
    "num_env_runners",
    "progress",
    "resume",
)


class ResumeError(ValueError):
    """The folder holds another run, or a checkpoint its files do not agree with."""


@dataclass(frozen=True)
class TrainerState:
    """The loop's own state at a checkpoint (RLlib keeps the rest)."""

    iteration: int
    env_steps: int
    seconds: float
    cpu_seconds: float
    metrics_records: int  # lines of metrics.jsonl written before the checkpoint
    recent: Mapping[str, Sequence[bool]] = field(default_factory=dict)  # recent training wins
    snapshots: Sequence[str] = ()  # the pool's snapshot names, oldest first

    def to_dict(self) -> dict[str, Any]:
        return {
            "iteration": self.iteration,
            "env_steps": self.env_steps,
            "seconds": self.seconds,
            "cpu_seconds": self.cpu_seconds,
            "metrics_records": self.metrics_records,
            "recent": {role: list(wins) for role, wins in self.recent.items()},
            "snapshots": list(self.snapshots),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainerState:
        return cls(
            iteration=int(data["iteration"]),
            env_steps=int(data["env_steps"]),
            seconds=float(data["seconds"]),
            cpu_seconds=float(data["cpu_seconds"]),
            metrics_records=int(data["metrics_records"]),
            recent={role: [bool(w) for w in wins] for role, wins in data["recent"].items()},
            snapshots=[str(name) for name in data["snapshots"]],
        )


@dataclass(frozen=True)
class ResumePoint:
    """Where a resumed run starts: its checkpoint, the loop's state, the pool, the metrics
    records the checkpoint covers."""

    checkpoint: Path
    state: TrainerState
    snapshots: list[Snapshot]
    records: list[dict[str, Any]]

    @property
    def rllib_checkpoint(self) -> Path:
        return self.checkpoint / RLLIB_DIR


# ---------------------------------------------------------------------- the run's identity
def run_identity(settings: TrainSettings) -> dict[str, Any]:
    """What must not change when a run resumes, as it reads back from JSON."""
    data = {k: v for k, v in settings.to_dict().items() if k not in NOT_IDENTITY}
    identity: dict[str, Any] = json.loads(json.dumps(data))
    return identity


def write_identity(settings: TrainSettings) -> None:
    text = json.dumps(run_identity(settings), indent=2) + "\n"
    (settings.output / RUN_FILE).write_text(text, encoding="utf-8")


def find_resume_point(settings: TrainSettings) -> ResumePoint | None:
    """The last checkpoint of the run in ``settings.output``, or None when there is none yet
    (a new folder, or a run killed before its first checkpoint: it starts from the beginning).
    Raises ``ResumeError`` for a folder of another run; reads, never writes."""
    output = settings.output
    checkpoint = _last_checkpoint(output)
    known = output / RUN_FILE
    if not known.is_file():
        if checkpoint is None:
            return None
        raise ResumeError(
            f"{output} has a checkpoint but no {RUN_FILE}: it was not written by a run this "
            "version can resume; train without --resume, or choose another --output"
        )
    try:
        recorded = json.loads(known.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = None
    wanted = run_identity(settings)
    if recorded != wanted:
        reason = (
            "is unreadable"
            if not isinstance(recorded, dict)
            else "differs: " + _difference(recorded, wanted)
        )
        raise ResumeError(
            f"{output} holds another run (its {RUN_FILE} {reason}); resume it with the same "
            "settings (only the budget, --address, --num-env-runners and --quiet may change), "
            "or choose another --output"
        )
    if checkpoint is None:
        return None
    try:
        state = TrainerState.from_dict(
            json.loads((checkpoint / STATE_FILE).read_text(encoding="utf-8"))
        )
        snapshots = [_read_snapshot(checkpoint / SNAPSHOT_DIR, name) for name in state.snapshots]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ResumeError(f"{checkpoint} cannot be resumed from: {error}") from None
    records = _read_records(output / JSONL_FILE, state.metrics_records)
    return ResumePoint(checkpoint, state, snapshots, records)


def _difference(recorded: Mapping[str, Any], wanted: Mapping[str, Any]) -> str:
    keys = sorted(k for k in set(recorded) | set(wanted) if recorded.get(k) != wanted.get(k))
    return ", ".join(f"{k} {recorded.get(k)!r} there, {wanted.get(k)!r} now" for k in keys)


def _last_checkpoint(output: Path) -> Path | None:
    """The newest whole checkpoint: ``checkpoint/``, or the one it was replacing when a kill
    fell between the two renames of the swap."""
    for name in (CHECKPOINT_DIR, REPLACED_DIR):
        if (output / name / STATE_FILE).is_file():
            return output / name
    return None


def _read_records(path: Path, count: int) -> list[dict[str, Any]]:
    """The first ``count`` records of ``metrics.jsonl`` (those written before the checkpoint;
    any later ones belong to iterations the resumed run does again)."""
    records: list[dict[str, Any]] = []
    try:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if len(records) == count:
                    break
                if not line.endswith("\n"):
                    break  # cut off by the kill
                records.append(json.loads(line))
    except (OSError, ValueError) as error:
        raise ResumeError(f"{path} cannot be read back: {error}") from None
    if len(records) < count:
        raise ResumeError(
            f"{path} has {len(records)} records, but the checkpoint was taken after {count}"
        )
    return records


# ---------------------------------------------------------------------- writing checkpoints
def write_trainer_state(folder: Path, state: TrainerState, snapshots: Sequence[Snapshot]) -> None:
    """``trainer.json`` and the pool's snapshots into a checkpoint being written."""
    pool = folder / SNAPSHOT_DIR
    pool.mkdir(parents=True, exist_ok=True)
    for snapshot in snapshots:
        arrays = {
            f"{role}:{name}": np.asarray(value)
            for role, weights in snapshot.weights.items()
            for name, value in weights.items()
        }
        np.savez(pool / f"{snapshot.name}.npz", **arrays)  # type: ignore[arg-type]
    text = json.dumps(state.to_dict(), indent=2) + "\n"
    (folder / STATE_FILE).write_text(text, encoding="utf-8")


def _read_snapshot(pool: Path, name: str) -> Snapshot:
    weights: dict[str, dict[str, np.ndarray]] = {}
    with np.load(pool / f"{name}.npz") as arrays:
        for key in arrays.files:
            role, _, parameter = key.partition(":")
            weights.setdefault(role, {})[parameter] = np.array(arrays[key], dtype=np.float32)
    return Snapshot(name, weights)


def partial_checkpoint(output: Path) -> Path:
    """An empty folder to write the next checkpoint into."""
    partial = output / PARTIAL_DIR
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    return partial


def swap_in(output: Path) -> Path:
    """Make the checkpoint written in ``PARTIAL_DIR`` the run's checkpoint. Each step is a
    rename, and at every moment one whole checkpoint is where ``_last_checkpoint`` looks."""
    current, replaced = output / CHECKPOINT_DIR, output / REPLACED_DIR
    shutil.rmtree(replaced, ignore_errors=True)
    if current.exists():
        os.replace(current, replaced)
    os.replace(output / PARTIAL_DIR, current)
    shutil.rmtree(replaced, ignore_errors=True)
    return current


def restore_checkpoint_folder(point: ResumePoint, output: Path) -> ResumePoint:
    """Put a checkpoint left in ``REPLACED_DIR`` by a kill mid-swap back in its place."""
    current = output / CHECKPOINT_DIR
    if point.checkpoint == current:
        return point
    shutil.rmtree(current, ignore_errors=True)
    os.replace(point.checkpoint, current)
    return ResumePoint(current, point.state, point.snapshots, point.records)


def clear_checkpoints(output: Path) -> None:
    """A run started afresh leaves no checkpoint of an earlier run in its folder to resume."""
    for name in (CHECKPOINT_DIR, PARTIAL_DIR, REPLACED_DIR):
        shutil.rmtree(output / name, ignore_errors=True)
