"""Parallel API throughput: the Parallel version against rps_v2's, and SuperSuit over 2 processes.

Two measurements, each side by side in one run:

``parallel``
    Whole games with random legal actions through PettingZoo's Parallel loop
    (``actions = {agent: env.action_space(agent).sample(mask) ...}``, ``env.step(actions)``),
    ``step`` calls per second on seven_member (vector observations), against PettingZoo's
    ``rps_v2`` Parallel version driven by the same loop (its actions unmasked: it has no masks).
    Trials are interleaved and timed in this process's CPU time; the figure is the median of the
    per-round ratios. Target: at least 0.6x rps_v2.

``supersuit``
    SuperSuit's ``pettingzoo_env_to_vec_env_v1`` then ``concat_vec_envs_v1`` over 8 games
    (the default ``Dict`` observations: SuperSuit batches them, masks included, and the workers
    pass them through shared memory; random legal actions from those masks), with ``num_cpus=2``
    (two worker processes) against the same 8 games in this process (``num_cpus=0``), in vector
    ``step`` calls per second of wall-clock time (the work of the 2 processes is what is being
    measured, so CPU time of this process would not do). Target: at least 1.6x. Wall-clock time
    is exposed to other programs on the machine (a second process only helps if a second core is
    free), so the run also prints the load average and a second figure from CPU time: one step of
    the two-process env costs this process's CPU time per step plus the busier worker's (read
    from /proc), against the CPU time per step in one process: the speed-up two free cores
    would give.

    python benchmarks/parallel_throughput.py [--seconds 2] [--trials 5] [--only parallel|supersuit]

Needs pygame for rps_v2 (in the project's test dependencies).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from amongus_marl import parallel_env

TARGET_PARALLEL_VS_RPS = 0.6
TARGET_SUPERSUIT_SPEEDUP = 1.6
GAMES = 8
PRESET = "seven_member"

# ---------------------------------------------------------------- Parallel vs rps_v2


def play_parallel_for(make: Callable[[], Any], seconds: float, seed: int) -> tuple[int, float]:
    """Play whole games with random legal actions until ``seconds`` of CPU time pass:
    (step calls, elapsed)."""
    env = make()
    steps = games = 0
    start = time.process_time()
    while time.process_time() - start < seconds:
        observations, _ = env.reset(seed=seed + games)
        if games == 0:
            for i, agent in enumerate(env.possible_agents):
                env.action_space(agent).seed(seed + i)
        while env.agents:
            actions = {
                agent: env.action_space(agent).sample(_mask(observations[agent]))
                for agent in env.agents
            }
            observations, *_ = env.step(actions)
            steps += 1
        games += 1
    return steps, time.process_time() - start


def _mask(observation: Any) -> np.ndarray | None:
    return observation["action_mask"] if isinstance(observation, dict) else None


def report_parallel(seconds: float, trials: int) -> None:
    from pettingzoo.classic import rps_v2  # needs pygame

    setups: dict[str, Callable[[], Any]] = {
        "rps_v2 parallel (ceiling)": rps_v2.parallel_env,
        f"amongus {PRESET} vector": lambda: parallel_env(config=PRESET),
    }
    results: dict[str, list[tuple[int, float]]] = {label: [] for label in setups}
    for trial in range(trials):  # interleaved, so a busy machine slows both alike
        for label, make in setups.items():
            results[label].append(play_parallel_for(make, seconds, 1000 * trial))
    ceiling = results["rps_v2 parallel (ceiling)"]
    print("Parallel API: step calls/s (CPU time), median of trials")
    for label, runs in results.items():
        rate = statistics.median(s / e for s, e in runs)
        ratio = statistics.median(
            (s / e) / (cs / ce) for (s, e), (cs, ce) in zip(runs, ceiling, strict=True)
        )
        low, high = min_max_ratio(runs, ceiling)
        print(f"  {label:<30}{rate:>12,.0f}/s  {ratio:6.3f}x rps_v2 (trials {low:.3f}-{high:.3f})")
    ratio = statistics.median(
        (s / e) / (cs / ce)
        for (s, e), (cs, ce) in zip(results[f"amongus {PRESET} vector"], ceiling, strict=True)
    )
    verdict = "meets" if ratio >= TARGET_PARALLEL_VS_RPS else "MISSES"
    print(
        f"parallel {PRESET} vector: {ratio:.2f}x rps_v2 (target {TARGET_PARALLEL_VS_RPS}x: "
        f"{verdict} it)\n"
    )


def min_max_ratio(
    runs: list[tuple[int, float]], ceiling: list[tuple[int, float]]
) -> tuple[float, float]:
    ratios = [(s / e) / (cs / ce) for (s, e), (cs, ce) in zip(runs, ceiling, strict=True)]
    return min(ratios), max(ratios)


# ---------------------------------------------------------------- SuperSuit, 1 vs 2 processes


def make_vector_env(num_cpus: int) -> Any:
    import supersuit as ss

    env = ss.pettingzoo_env_to_vec_env_v1(parallel_env(config=PRESET))
    return ss.concat_vec_envs_v1(env, GAMES, num_cpus=num_cpus, base_class="gymnasium")


def step_vector_for(vec: Any, seconds: float, seed: int) -> tuple[int, float, float, float]:
    """Step ``vec`` with random legal actions for ``seconds`` of wall-clock time: (vector step
    calls, elapsed wall-clock seconds, CPU seconds of this process, CPU seconds of the busiest
    worker process, 0 without workers)."""
    rng = np.random.default_rng(seed)
    observations, _ = vec.reset(seed=seed)
    workers = [process.pid for process in getattr(vec, "procs", [])]
    worker_start = [_cpu_of(pid) for pid in workers]
    steps = 0
    cpu_start = time.process_time()
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        actions = _pick_all(rng, observations["action_mask"])
        observations, *_ = vec.step(actions)
        steps += 1
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    busiest = max(
        (_cpu_of(pid) - before for pid, before in zip(workers, worker_start, strict=True)),
        default=0.0,
    )
    return steps, elapsed, cpu, busiest


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pick_all(rng: np.random.Generator, masks: np.ndarray) -> np.ndarray:
    """A uniform legal action for every entry at once, as a batched trainer would sample: the
    largest of uniform draws over each row's legal entries."""
    return np.argmax(rng.random(masks.shape) * masks, axis=1)


def report_supersuit(seconds: float, trials: int) -> None:
    one, two = "1 process (num_cpus=0)", "2 processes (num_cpus=2)"
    vecs = {one: make_vector_env(0), two: make_vector_env(2)}
    results: dict[str, list[tuple[int, float, float, float]]] = {label: [] for label in vecs}
    load = []
    try:
        for trial in range(trials):
            for label, vec in vecs.items():
                results[label].append(step_vector_for(vec, seconds, 1000 * trial))
            load.append(os.getloadavg()[0])
    finally:
        for vec in vecs.values():
            vec.close()
    print(f"SuperSuit concat_vec_envs_v1 over {GAMES} {PRESET} games: vector step calls/s")
    for label, runs in results.items():
        rate = statistics.median(s / e for s, e, _, _ in runs)
        print(f"  {label:<28}{rate:>10,.0f}/s wall clock ({rate * GAMES:,.0f} game steps/s)")
    speedups = [
        (s / e) / (bs / be)
        for (s, e, _, _), (bs, be, _, _) in zip(results[two], results[one], strict=True)
    ]
    speedup = statistics.median(speedups)
    verdict = "meets" if speedup >= TARGET_SUPERSUIT_SPEEDUP else "MISSES"
    print(
        f"num_cpus=2 vs one process, wall clock: {speedup:.2f}x (trials {min(speedups):.2f}-"
        f"{max(speedups):.2f}; target {TARGET_SUPERSUIT_SPEEDUP}x: {verdict} it); load average "
        f"{min(load):.1f}-{max(load):.1f} on {os.cpu_count()} cores"
    )
    # What two free cores would give: a step of the two-process env costs this process's share
    # (actions, pipes) plus the busier worker's, which run one after the other; compared with
    # the CPU time of a step in one process. Other programs on the machine do not enter it.
    estimates = [
        (c / s) / ((pc + busiest) / ps)
        for (s, _, c, _), (ps, _, pc, busiest) in zip(results[one], results[two], strict=True)
    ]
    print(
        f"num_cpus=2 vs one process, from CPU time (two free cores): "
        f"{statistics.median(estimates):.2f}x (trials {min(estimates):.2f}-{max(estimates):.2f})\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Parallel API and SuperSuit throughput")
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one trial")
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--only", choices=("parallel", "supersuit"))
    args = parser.parse_args()
    if args.only in (None, "parallel"):
        report_parallel(args.seconds, args.trials)
    if args.only in (None, "supersuit"):
        report_supersuit(args.seconds, args.trials)


if __name__ == "__main__":
    main()
