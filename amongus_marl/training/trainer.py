"""The training loop: RLlib PPO (new API stack) on ``RoleNamedEnv``, with the snapshot pool,
periodic evaluation on held-out seeds, checkpoints that are policies, and progress reports.

Where things go in ``settings.output``: ``settings.json``, ``metrics.jsonl``/``metrics.csv``,
``learning_curve.png``, ``tensorboard/`` (RLlib's result dict per iteration, under ``rllib/``,
and the rows of ``metrics.csv``), ``run.json`` (what the run is, checked on resume), and
``checkpoint/`` (the latest: ``policy.json`` + ``ROLE.pt`` for play, ``rllib/``,
``trainer.json`` and ``snapshots/`` to resume: see ``resume``).

Speed on small machines: torch runs one thread (several threads thrash on two cores), and by
default nothing samples remotely: the driver's own env runner steps ``envs_per_runner``
environments. ``num_env_runners`` > 0 and ``address`` take the same run to a Ray cluster.
"""

from __future__ import annotations

import json
import math
import resource
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import torch

from amongus_marl.catalogue import ActionCatalogue
from amongus_marl.evaluation.runner import Lineup, run_games
from amongus_marl.evaluation.stats import wilson_interval
from amongus_marl.observations import vector_size
from amongus_marl.policies.base import Policy
from amongus_marl.policies.checkpoint import (
    LearnedPolicy,
    NetworkSpec,
    policy_from_weights,
    write_spec,
)
from amongus_marl.training.env import RoleNamedEnv, role_of
from amongus_marl.training.progress import CURVE_FILE, MetricsLog, draw_curve
from amongus_marl.training.resume import (
    RLLIB_DIR,
    ResumePoint,
    TrainerState,
    clear_checkpoints,
    find_resume_point,
    partial_checkpoint,
    restore_checkpoint_folder,
    swap_in,
    write_identity,
    write_trainer_state,
)
from amongus_marl.training.roles import Snapshot
from amongus_marl.training.settings import TrainSettings

#: Evaluation cells run during training: (cell name, learned role, opponent policy).
EVAL_CELLS: Final[tuple[tuple[str, str, str], ...]] = (
    ("impostor vs heuristic crew", "impostor", "heuristic"),
    ("impostor vs random crew", "impostor", "random"),
    ("crew vs heuristic impostor", "crewmate", "heuristic"),
    ("crew vs random impostor", "crewmate", "random"),
)


@dataclass
class TrainResult:
    """What a run produced and measured."""

    checkpoint: Path
    iterations: int
    env_steps: int
    seconds: float
    cpu_seconds: float
    startup_seconds: float
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    peak_memory_mb: float = 0.0
    resumed_from: int | None = None  # the checkpoint's iteration, when the run was resumed

    @property
    def steps_per_second(self) -> float:
        return self.env_steps / self.seconds if self.seconds else 0.0


def build_algorithm_config(settings: TrainSettings) -> Any:
    """The PPOConfig of a run (new API stack, one module per learned role)."""
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    from amongus_marl.training.module import MaskedPolicyModule

    roles = settings.learned_roles
    env_config = {
        "config": settings.game_config,
        "rewards": settings.rewards,
        "modes": {"impostor": settings.impostor, "crewmate": settings.crewmate},
        "hidden": settings.hidden,
        "max_learned_crewmates": settings.max_learned_crewmates,
        "seed": settings.seed,
    }
    model_config = {"hidden": list(settings.hidden), "activation": "tanh"}
    config = (
        PPOConfig()
        .api_stack(enable_rl_module_and_learner=True, enable_env_runner_and_connector_v2=True)
        .environment(RoleNamedEnv, env_config=env_config, disable_env_checking=True)
        .env_runners(
            num_env_runners=settings.num_env_runners,
            num_envs_per_env_runner=settings.envs_per_runner,
            num_cpus_per_env_runner=1,
            rollout_fragment_length="auto",
        )
        .multi_agent(
            policies=set(roles),
            policy_mapping_fn=_policy_of_agent,
            policies_to_train=list(roles),
        )
        .rl_module(
            rl_module_spec=MultiRLModuleSpec(
                rl_module_specs={
                    role: RLModuleSpec(module_class=MaskedPolicyModule, model_config=model_config)
                    for role in roles
                }
            )
        )
        .training(
            train_batch_size_per_learner=settings.train_batch_size,
            minibatch_size=settings.minibatch_size,
            num_epochs=settings.epochs,
            lr=settings.learning_rate,
            entropy_coeff=settings.entropy_coeff,
            gamma=settings.gamma,
            lambda_=0.95,
        )
        .debugging(seed=settings.seed, log_level="ERROR")
        .reporting(metrics_num_episodes_for_smoothing=100)
    )
    return config


def _policy_of_agent(agent_id: Any, episode: Any = None, **kwargs: Any) -> str:
    return role_of(str(agent_id))


# ---------------------------------------------------------------------- the run
def train(
    settings: TrainSettings,
    *,
    on_iteration: Callable[[dict[str, Any]], None] | None = None,
) -> TrainResult:
    """Train as ``settings`` say; return where the checkpoint is and what was measured.

    Starts Ray unless it is running already (then that session is used and left running).
    With ``settings.resume`` the run continues from the last checkpoint in ``settings.output``
    (none yet: from the beginning); ``ResumeError`` if that folder holds another run, raised
    before anything is written.
    """
    started = time.perf_counter()
    output = settings.output
    point = find_resume_point(settings) if settings.resume else None
    torch.set_num_threads(1)
    import ray

    output.mkdir(parents=True, exist_ok=True)
    if point is None:
        clear_checkpoints(output)
    else:
        point = restore_checkpoint_folder(point, output)
    (output / "settings.json").write_text(json.dumps(settings.to_dict(), indent=2) + "\n")
    write_identity(settings)
    own_ray = not ray.is_initialized()
    if own_ray:
        ray.init(
            address=settings.address,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    try:
        algorithm = build_algorithm_config(settings).build_algo()
        try:
            if point is not None:
                algorithm.restore_from_path(str(point.rllib_checkpoint.resolve()))
            return _run(settings, algorithm, started, on_iteration, point)
        finally:
            algorithm.stop()
    finally:
        if own_ray:
            ray.shutdown()


def _run(
    settings: TrainSettings,
    algorithm: Any,
    started: float,
    on_iteration: Callable[[dict[str, Any]], None] | None,
    point: ResumePoint | None = None,
) -> TrainResult:
    output = settings.output
    startup = time.perf_counter() - started
    game_config = settings.game_config
    spec = NetworkSpec(
        vector_size(game_config.num_players),
        ActionCatalogue(game_config.num_players).size,
        settings.hidden,
    )
    kept = point.records if point is not None else []
    metrics = MetricsLog(output, kept)
    state = point.state if point is not None else None
    timings = {"sample_and_learn": 0.0, "evaluate": 0.0, "checkpoint": 0.0, "snapshots": 0.0}
    curve: dict[str, list[tuple[float, float, float, float]]] = {}
    evaluations: list[dict[str, Any]] = []
    recent: dict[str, deque[bool]] = {role: deque(maxlen=200) for role in settings.learned_roles}
    snapshots: list[Snapshot] = []
    env_steps, iteration, seconds_before, cpu_seconds_before = 0, 0, 0.0, 0.0
    if point is None or state is None:
        metrics.record("start", {"startup_seconds": startup, "settings": settings.to_dict()})
        baselines = _baselines(settings)
        metrics.record("baselines", baselines)
    else:
        # Everything the checkpoint covers comes back: counters, time spent, the pool, the
        # recent outcomes, and the evaluations so far (for the curve and the result).
        iteration, env_steps = state.iteration, state.env_steps
        seconds_before, cpu_seconds_before = state.seconds, state.cpu_seconds
        for role, wins in state.recent.items():
            if role in recent:
                recent[role].extend(wins)
        snapshots = list(point.snapshots)
        if snapshots:
            _push_snapshots(algorithm, snapshots)
        baselines = next((dict(r) for r in kept if r["kind"] == "baselines"), {})
        baselines.pop("kind", None)
        for record in kept:
            if record["kind"] == "evaluation":
                evaluation = {k: v for k, v in record.items() if k != "kind"}
                evaluations.append(evaluation)
                _note_evaluation(evaluation, {}, curve, None)
        metrics.record(
            "resume", {"iteration": iteration, "env_steps": env_steps, "startup_seconds": startup}
        )
    # Events a killed run logged after its checkpoint are hidden from TensorBoard.
    writer = _tensorboard(output / "tensorboard", None if state is None else env_steps + 1)
    loop_started = time.perf_counter() - seconds_before
    cpu_started = time.process_time() - cpu_seconds_before
    bar = _progress_bar(settings, env_steps)
    try:
        while not _budget_spent(settings, iteration, env_steps, loop_started, cpu_started):
            tick = time.perf_counter()
            result = algorithm.train()
            timings["sample_and_learn"] += time.perf_counter() - tick
            iteration += 1
            env_steps = _env_steps(result, env_steps)
            for outcome in _harvest(algorithm):
                for role in outcome["learner_roles"]:
                    won = outcome["impostors_win"] == (role == "impostor")
                    recent[role].append(won)
            elapsed = time.perf_counter() - loop_started
            row: dict[str, Any] = {
                "iteration": iteration,
                "env_steps": env_steps,
                "seconds": round(elapsed, 2),
                "cpu_seconds": round(time.process_time() - cpu_started, 2),
                "steps_per_second": round(env_steps / elapsed, 1) if elapsed else 0.0,
            }
            for role, wins in recent.items():
                row[f"train_win_rate_{role}"] = round(sum(wins) / len(wins), 4) if wins else None
            row.update(_learner_stats(result))
            tick = time.perf_counter()
            pooled = "pool" in (settings.impostor, settings.crewmate)
            if pooled and settings.snapshot_every and iteration % settings.snapshot_every == 0:
                snapshots.append(Snapshot(f"snapshot_{iteration}", _weights(algorithm, settings)))
                snapshots = snapshots[-settings.pool_size :]
                _push_snapshots(algorithm, snapshots)
            timings["snapshots"] += time.perf_counter() - tick
            if settings.eval_every and iteration % settings.eval_every == 0:
                tick = time.perf_counter()
                evaluation = _evaluate(settings, algorithm, spec, iteration, env_steps)
                timings["evaluate"] += time.perf_counter() - tick
                evaluations.append(evaluation)
                _note_evaluation(evaluation, row, curve, metrics)
            # The row is written before the checkpoint, which then covers it.
            metrics.record("iteration", row)
            metrics.row(row)
            if settings.checkpoint_every and iteration % settings.checkpoint_every == 0:
                tick = time.perf_counter()
                trainer_state = _trainer_state(
                    iteration, env_steps, loop_started, cpu_started, metrics, recent, snapshots
                )
                _save(settings, algorithm, spec, trainer_state, snapshots)
                timings["checkpoint"] += time.perf_counter() - tick
            if writer is not None:
                _write_tensorboard(writer, {**_flatten(result, "rllib"), **row}, env_steps)
            if bar is not None:
                bar.update(max(0, env_steps - bar.n))
                bar.set_postfix(_postfix(row), refresh=False)
            if on_iteration is not None:
                on_iteration(row)
        seconds = time.perf_counter() - loop_started
        cpu_seconds = time.process_time() - cpu_started
        if not evaluations or evaluations[-1]["iteration"] != iteration:
            tick = time.perf_counter()
            evaluation = _evaluate(settings, algorithm, spec, iteration, env_steps)
            timings["evaluate"] += time.perf_counter() - tick
            evaluations.append(evaluation)
            _note_evaluation(evaluation, {}, curve, metrics)
        tick = time.perf_counter()
        trainer_state = TrainerState(
            iteration,
            env_steps,
            seconds,
            cpu_seconds,
            metrics.records_written,
            {role: list(wins) for role, wins in recent.items()},
            [snapshot.name for snapshot in snapshots],
        )
        checkpoint = _save(settings, algorithm, spec, trainer_state, snapshots)
        timings["checkpoint"] += time.perf_counter() - tick
    finally:
        if bar is not None:
            bar.close()
        if writer is not None:
            writer.close()
    title = f"{game_config.num_players} players: learned policies on held-out seeds"
    draw_curve(curve, baselines, output / CURVE_FILE, title=title)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    result = TrainResult(
        checkpoint=checkpoint,
        iterations=iteration,
        env_steps=env_steps,
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        startup_seconds=startup,
        evaluations=evaluations,
        timings=timings,
        peak_memory_mb=peak,
        resumed_from=None if state is None else state.iteration,
    )
    metrics.record(
        "end",
        {
            "iterations": iteration,
            "env_steps": env_steps,
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "steps_per_second": result.steps_per_second,
            "timings": timings,
            "peak_memory_mb_driver": peak,
        },
    )
    return result


def _trainer_state(
    iteration: int,
    env_steps: int,
    loop_started: float,
    cpu_started: float,
    metrics: MetricsLog,
    recent: Mapping[str, deque[bool]],
    snapshots: list[Snapshot],
) -> TrainerState:
    return TrainerState(
        iteration=iteration,
        env_steps=env_steps,
        seconds=time.perf_counter() - loop_started,
        cpu_seconds=time.process_time() - cpu_started,
        metrics_records=metrics.records_written,
        recent={role: list(wins) for role, wins in recent.items()},
        snapshots=[snapshot.name for snapshot in snapshots],
    )


def _budget_spent(
    settings: TrainSettings, iteration: int, env_steps: int, since: float, cpu_since: float
) -> bool:
    if settings.iterations is not None and iteration >= settings.iterations:
        return True
    if settings.env_steps is not None and env_steps >= settings.env_steps:
        return True
    cpu_minutes = settings.cpu_minutes
    if cpu_minutes is not None and time.process_time() - cpu_since >= cpu_minutes * 60:
        return True
    minutes = settings.minutes
    return minutes is not None and time.perf_counter() - since >= minutes * 60


def _env_steps(result: Mapping[str, Any], previous: int) -> int:
    runners = result.get("env_runners", {})
    for key in ("num_env_steps_sampled_lifetime", "num_env_steps_sampled_lifetime_throughput"):
        value = runners.get(key)
        if isinstance(value, (int, float)) and key.endswith("lifetime"):
            return int(value)
    value = result.get("num_env_steps_sampled_lifetime")
    return int(value) if isinstance(value, (int, float)) else previous


def _learner_stats(result: Mapping[str, Any]) -> dict[str, Any]:
    stats: dict[str, Any] = {}
    learners = result.get("learners", {})
    for role in ("impostor", "crewmate"):
        module = learners.get(role)
        if not isinstance(module, Mapping):
            continue
        for key in ("policy_loss", "vf_loss", "entropy", "mean_kl_loss"):
            value = module.get(key)
            if isinstance(value, (int, float)):
                stats[f"{role}_{key}"] = round(float(value), 5)
    return stats


def _harvest(algorithm: Any) -> list[dict[str, Any]]:
    """Finished training episodes' outcomes from every sampling environment."""

    def pop(runner: Any) -> list[dict[str, Any]]:
        env = getattr(runner, "env", None)
        if env is None:
            return []
        return [o for sub in env.envs for o in sub.unwrapped.pop_outcomes()]

    gathered = algorithm.env_runner_group.foreach_env_runner(pop, local_env_runner=True)
    return [o for part in gathered for o in part]


def _push_snapshots(algorithm: Any, snapshots: list[Snapshot]) -> None:
    def push(runner: Any) -> None:
        env = getattr(runner, "env", None)
        if env is not None:
            for sub in env.envs:
                sub.unwrapped.set_snapshots(snapshots)

    algorithm.env_runner_group.foreach_env_runner(push, local_env_runner=True)


def _weights(algorithm: Any, settings: TrainSettings) -> dict[str, dict[str, Any]]:
    """The learned roles' policy-network weights, as numpy arrays, from the learner."""
    weights = algorithm.learner_group.get_weights(module_ids=list(settings.learned_roles))
    prefix = "policy_network."
    return {
        role: {
            name[len(prefix) :]: np.array(value, dtype=np.float32)
            for name, value in weights[role].items()
            if name.startswith(prefix)
        }
        for role in settings.learned_roles
    }


def _learned_policy(settings: TrainSettings, algorithm: Any, spec: NetworkSpec) -> LearnedPolicy:
    stand_ins = {
        role: getattr(settings, role)
        for role in ("impostor", "crewmate")
        if role not in settings.learned_roles
    }
    return policy_from_weights(
        _weights(algorithm, settings),
        spec,
        settings.game_config.num_players,
        "learned",
        stand_ins,
    )


# ---------------------------------------------------------------------- evaluation
def evaluate_cells(
    settings: TrainSettings, policy: Policy, games: int
) -> dict[str, dict[str, Any]]:
    """Win rate of the learned side per cell of ``EVAL_CELLS``, on the held-out seeds."""
    cells: dict[str, dict[str, Any]] = {}
    for cell, role, opponent in EVAL_CELLS:
        if role not in settings.learned_roles:
            continue
        lineup = (
            Lineup(impostor=policy, crewmate=opponent)
            if role == "impostor"
            else Lineup(impostor=opponent, crewmate=policy)
        )
        results = run_games(settings.game_config, lineup, games, seed=settings.eval_seed)
        wins = sum(1 for r in results if r.impostors_win == (role == "impostor"))
        low, high = wilson_interval(wins, games)
        cells[cell] = {"wins": wins, "games": games, "rate": wins / games, "ci95": [low, high]}
    return cells


def _baselines(settings: TrainSettings) -> dict[str, float]:
    """The heuristic's rate in each evaluation cell, on the same held-out seeds."""
    if not settings.eval_games:
        return {}
    baselines = {}
    for cell, role, opponent in EVAL_CELLS:
        if role not in settings.learned_roles:
            continue
        lineup = Lineup(
            impostor="heuristic" if role == "impostor" else opponent,
            crewmate=opponent if role == "impostor" else "heuristic",
        )
        results = run_games(
            settings.game_config, lineup, settings.eval_games, seed=settings.eval_seed
        )
        wins = sum(1 for r in results if r.impostors_win == (role == "impostor"))
        baselines[cell] = wins / settings.eval_games
    return baselines


def _evaluate(
    settings: TrainSettings, algorithm: Any, spec: NetworkSpec, iteration: int, env_steps: int
) -> dict[str, Any]:
    cells = (
        evaluate_cells(settings, _learned_policy(settings, algorithm, spec), settings.eval_games)
        if settings.eval_games
        else {}
    )
    return {"iteration": iteration, "env_steps": env_steps, "cells": cells}


def _note_evaluation(
    evaluation: Mapping[str, Any],
    row: dict[str, Any],
    curve: dict[str, list[tuple[float, float, float, float]]],
    metrics: MetricsLog | None,
) -> None:
    """Put an evaluation in the row, the curve and (unless it is read back) the records."""
    if metrics is not None:
        metrics.record("evaluation", dict(evaluation))
    for cell, value in evaluation["cells"].items():
        key = "eval " + cell
        row[key] = round(value["rate"], 4)
        row[key + " low"] = round(value["ci95"][0], 4)
        row[key + " high"] = round(value["ci95"][1], 4)
        curve.setdefault(cell, []).append(
            (evaluation["env_steps"], value["rate"], value["ci95"][0], value["ci95"][1])
        )


# ---------------------------------------------------------------------- checkpoints
def _save(
    settings: TrainSettings,
    algorithm: Any,
    spec: NetworkSpec,
    state: TrainerState,
    snapshots: list[Snapshot],
) -> Path:
    """Write the play files (``policy.json``, ``ROLE.pt``), RLlib's checkpoint and the loop's
    state beside the last checkpoint, then swap it in whole."""
    folder = partial_checkpoint(settings.output)
    stand_ins = {
        role: getattr(settings, role)
        for role in ("impostor", "crewmate")
        if role not in settings.learned_roles
    }
    write_spec(
        folder,
        spec,
        settings.game_config.num_players,
        _weights(algorithm, settings),
        stand_ins,
        extra={
            "trained": {
                "iteration": state.iteration,
                "env_steps": state.env_steps,
                "impostor": settings.impostor,
                "crewmate": settings.crewmate,
                "seed": settings.seed,
            },
            "config": settings.game_config.to_dict(),
        },
    )
    algorithm.save_to_path(str((folder / RLLIB_DIR).resolve()))
    write_trainer_state(folder, state, snapshots)
    return swap_in(settings.output)


# ---------------------------------------------------------------------- reporting
def _progress_bar(settings: TrainSettings, env_steps: int) -> Any:
    if not settings.progress:
        return None
    from tqdm import tqdm

    return tqdm(
        total=settings.env_steps,
        initial=env_steps,
        desc="train",
        unit="step",
        unit_scale=True,
        file=sys.stderr,
        dynamic_ncols=True,
    )


def _postfix(row: Mapping[str, Any]) -> dict[str, str]:
    postfix = {"it": str(row["iteration"]), "steps/s": f"{row['steps_per_second']:.0f}"}
    for role in ("impostor", "crewmate"):
        rate = row.get(f"train_win_rate_{role}")
        if rate is not None:
            postfix[f"{role[:3]} win"] = f"{rate:.0%}"
    for key, value in row.items():
        if key.startswith("eval ") and not key.endswith(("low", "high")):
            short = (
                key[5:].replace(" vs ", ">").replace("heuristic", "heur").replace(" impostor", "")
            )
            postfix[short.replace(" crew", "")] = f"{value:.0%}"
    return postfix


def _tensorboard(folder: Path, purge_step: int | None) -> Any:
    """The TensorBoard writer; ``purge_step``: on resume, events logged at that env step or
    later (by the killed run, after its checkpoint) are hidden."""
    try:
        from tensorboardX import SummaryWriter
    except ImportError:  # optional: the metrics files have the same numbers
        return None
    return SummaryWriter(str(folder), purge_step=purge_step)


def _flatten(tree: Mapping[str, Any], prefix: str) -> dict[str, float]:
    """RLlib's nested result dict as ``prefix/a/b`` -> number (what TensorBoard can plot)."""
    flat: dict[str, float] = {}
    for key, value in tree.items():
        name = f"{prefix}/{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, name))
        elif (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and math.isfinite(value)  # RLlib reports NaN for means of nothing yet
        ):
            flat[name] = float(value)
    return flat


def _write_tensorboard(writer: Any, row: Mapping[str, Any], env_steps: int) -> None:
    for key, value in row.items():
        if isinstance(value, (int, float)) and key not in ("iteration", "env_steps"):
            writer.add_scalar(key.replace(" ", "_"), value, env_steps)
    writer.flush()
