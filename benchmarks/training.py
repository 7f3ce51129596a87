"""Training benchmark: self-play from scratch on five_member, then the learned policies against a
panel of scripted players on seeds never used in training.

1. Train (``amongus_marl.training.train``) both roles in ``pool`` mode (each episode's opponents
   and teammates drawn from the learner's own snapshots, heuristic and random) for ``--cpu-minutes``
   of the driver's CPU time in local mode (the driver samples and learns: about one core).
2. Panel, ``--games`` games per cell (default 1,000), evaluation run seed ``--eval-seed``
   (training seeds its games from other streams), with 95% Wilson intervals, and each learned
   cell next to the heuristic's own rate on the same seeds with a 95% Newcombe interval of the
   difference:

   * the learned impostor against heuristic crews and against random crews;
   * one learned crewmate among heuristic teammates against heuristic impostors, the learned
     seat rotated over every seat (games where that seat drew the impostor role are left out;
     the baseline is the all-heuristic crew on exactly the same games);
   * learned crews against heuristic and against random impostors;
   * Deception / Detection Elo of every policy over all the panel's games.
3. Throughput (env steps per second end to end), start-up time, CPU time, peak memory (driver
   and Ray's worker processes), and where the time went.

    python benchmarks/training.py [--cpu-minutes 25] [--games 1000] [--output runs/benchmark]
                                  [--json PATH] [--num-env-runners 0] [--envs-per-runner 16]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import amongus_marl.policies  # noqa: F401 - registers the policies
from amongus_marl.evaluation.ratings import Match, rate
from amongus_marl.evaluation.runner import GameResult, Lineup, run_games
from amongus_marl.evaluation.stats import difference_interval, wilson_interval
from amongus_marl.policies.base import make_policy
from amongus_marl.policies.checkpoint import LearnedPolicy, load_checkpoint_policy


def pct(value: float) -> str:
    return f"{100 * value:5.1f}%"


def cell(wins: int, games: int) -> dict[str, Any]:
    low, high = wilson_interval(wins, games)
    return {
        "wins": wins,
        "games": games,
        "rate": wins / games if games else 0.0,
        "ci95": [low, high],
    }


def compare(name: str, learned: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    low, high = difference_interval(
        learned["wins"], learned["games"], baseline["wins"], baseline["games"]
    )
    row = {
        "cell": name,
        "learned": learned,
        "heuristic": baseline,
        "difference": learned["rate"] - baseline["rate"],
        "difference_ci95": [low, high],
        "better": low > 0,
    }
    print(
        f"  {name:48} learned {pct(learned['rate'])} [{pct(learned['ci95'][0])},"
        f"{pct(learned['ci95'][1])}]  heuristic {pct(baseline['rate'])} "
        f"[{pct(baseline['ci95'][0])},{pct(baseline['ci95'][1])}]  diff "
        f"{100 * row['difference']:+5.1f} [{100 * low:+5.1f},{100 * high:+5.1f}] "
        f"({learned['games']} games)",
        flush=True,
    )
    return row


def side_wins(results: list[GameResult], impostors: bool) -> dict[str, Any]:
    wins = sum(1 for r in results if r.impostors_win == impostors)
    return cell(wins, len(results))


def descendants_rss_mb() -> float:
    """Resident memory of this process's descendants (Ray's workers), now."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, stack = 0.0, list(children.get(os.getpid(), []))
    while stack:
        pid = stack.pop()
        stack += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/status", encoding="utf-8") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def panel(checkpoint: Path, games: int, seed: int, workers: int) -> dict[str, Any]:
    learned = load_checkpoint_policy(str(checkpoint))
    learned.name = "learned"
    rows: list[dict[str, Any]] = []
    matches: list[Match] = []
    baselines: dict[str, list[GameResult]] = {}

    def play(lineup: Lineup, count: int = games) -> list[GameResult]:
        results = run_games("five_member", lineup, count, seed=seed, workers=workers)
        matches.extend(Match.from_result(r) for r in results)
        return results

    def baseline(impostor: str, crewmate: str) -> list[GameResult]:
        key = f"{impostor}/{crewmate}"
        if key not in baselines:
            baselines[key] = play(Lineup(impostor, crewmate))
        return baselines[key]

    print("\nimpostor (win rate of the impostors)")
    for crew in ("heuristic", "random"):
        results = play(Lineup(impostor=learned, crewmate=crew))
        rows.append(
            compare(
                f"learned impostor vs {crew} crew",
                side_wins(results, True),
                side_wins(baseline("heuristic", crew), True),
            )
        )
    print("\ncrew (win rate of the crewmates)")
    for impostor in ("heuristic", "random"):
        results = play(Lineup(impostor=impostor, crewmate=learned))
        rows.append(
            compare(
                f"learned crew vs {impostor} impostor",
                side_wins(results, False),
                side_wins(baseline(impostor, "heuristic"), False),
            )
        )
    # One learned crewmate among heuristic teammates, rotated over the seats.
    one_seat = LearnedPolicy(
        {"crewmate": learned.networks["crewmate"]},
        learned.spec,
        learned.num_players,
        name="learned_crewmate_1_seat",
        stand_ins={"impostor": make_policy("heuristic")},
    )
    per_seat = -(-games * 5 // 4 // 5)  # about a fifth of the seats draw the impostor
    mixed: list[GameResult] = []
    reference: list[GameResult] = []
    by_seat: dict[str, Any] = {}
    for seat in range(5):
        lineup = Lineup(impostor="heuristic", crewmate="heuristic", seats={seat: one_seat})
        with_learned = run_games("five_member", lineup, per_seat, seed=seed + 1 + seat, workers=1)
        all_heuristic = run_games(
            "five_member",
            Lineup("heuristic", "heuristic"),
            per_seat,
            seed=seed + 1 + seat,
            workers=workers,
        )
        kept = [r for r in with_learned if seat not in r.impostor_seats]
        kept_reference = [r for r in all_heuristic if seat not in r.impostor_seats]
        matches.extend(Match.from_result(r) for r in kept)
        mixed += kept
        reference += kept_reference
        by_seat[str(seat)] = {
            "learned": side_wins(kept, False),
            "heuristic": side_wins(kept_reference, False),
        }
    rows.append(
        compare(
            "1 learned crewmate + heuristic mates vs heuristic impostor",
            side_wins(mixed, False),
            side_wins(reference, False),
        )
    )
    for seat, value in by_seat.items():
        print(
            f"    learned seat {seat}: {value['learned']['wins']}/{value['learned']['games']} vs "
            f"all-heuristic {value['heuristic']['wins']}/{value['heuristic']['games']}"
        )
    ratings = rate(matches)
    print("\nratings (Elo from 1500 over all panel games)")
    for policy in ratings.policies:
        print(
            f"  {policy:28} deception {ratings.deception.get(policy, 1500):7.1f}   "
            f"detection {ratings.detection.get(policy, 1500):7.1f}"
        )
    return {
        "cells": rows,
        "one_learned_crewmate_by_seat": by_seat,
        "ratings": {"deception": ratings.deception, "detection": ratings.detection},
    }


def inference_cost(checkpoint: Path, games: int = 100) -> dict[str, Any]:
    """Seconds per action of the checkpoint policy on every seat, and of the heuristic (the
    reference, measured in the same run), in one process."""
    learned = load_checkpoint_policy(str(checkpoint))
    learned.name = "learned"
    costs: dict[str, Any] = {}
    for name, policy in (("learned", learned), ("heuristic", make_policy("heuristic"))):
        start = time.perf_counter()
        results = run_games("five_member", Lineup(policy, policy), games, seed=99, workers=1)
        seconds = time.perf_counter() - start
        actions = sum(r.actions for r in results)
        costs[name] = {"actions": actions, "microseconds_per_action": 1e6 * seconds / actions}
    costs["ratio_learned_to_heuristic"] = (
        costs["learned"]["microseconds_per_action"] / costs["heuristic"]["microseconds_per_action"]
    )
    print(
        f"\ninference: checkpoint policy {costs['learned']['microseconds_per_action']:.0f} us per "
        f"action in whole games (heuristic {costs['heuristic']['microseconds_per_action']:.0f} us; "
        f"ratio {costs['ratio_learned_to_heuristic']:.2f})",
        flush=True,
    )
    return costs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cpu-minutes", type=float, default=25.0, help="training budget in the driver's CPU time"
    )
    parser.add_argument("--games", type=int, default=1000)
    parser.add_argument("--eval-seed", type=int, default=7_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--num-env-runners", type=int, default=0)
    parser.add_argument("--envs-per-runner", type=int, default=16)
    parser.add_argument("--max-learned-crewmates", type=int, default=None)
    parser.add_argument("--output", type=Path, default=Path("runs/benchmark_training"))
    parser.add_argument("--checkpoint", type=Path, default=None, help="skip training: panel only")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"argv": sys.argv[1:]}
    checkpoint = args.checkpoint
    if checkpoint is None:
        from amongus_marl.training import TrainSettings, train

        settings = TrainSettings(
            config="five_member",
            impostor="pool",
            crewmate="pool",
            cpu_minutes=args.cpu_minutes,
            seed=args.seed,
            output=args.output,
            num_env_runners=args.num_env_runners,
            envs_per_runner=args.envs_per_runner,
            max_learned_crewmates=args.max_learned_crewmates,
            eval_every=20,
            eval_games=100,
            checkpoint_every=20,
            progress=False,
        )
        cpu_start = time.process_time()
        peak_workers = 0.0

        def watch(row: dict[str, Any]) -> None:
            nonlocal peak_workers
            peak_workers = max(peak_workers, descendants_rss_mb())
            if row["iteration"] % 10 == 0:
                print(json.dumps(row), flush=True)

        result = train(settings, on_iteration=watch)
        checkpoint = result.checkpoint
        report["training"] = {
            "cpu_minutes_budget": args.cpu_minutes,
            "cpu_seconds": result.cpu_seconds,
            "steps_per_cpu_second": result.env_steps / max(result.cpu_seconds, 1e-9),
            "iterations": result.iterations,
            "env_steps": result.env_steps,
            "seconds": result.seconds,
            "steps_per_second": result.steps_per_second,
            "startup_seconds": result.startup_seconds,
            "driver_cpu_seconds": time.process_time() - cpu_start,
            "driver_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "ray_workers_peak_rss_mb": peak_workers,
            "timings": result.timings,
            "last_evaluation": result.evaluations[-1] if result.evaluations else None,
        }
        print("\ntraining:", json.dumps(report["training"], indent=2), flush=True)
    report["inference"] = inference_cost(checkpoint)
    if args.games > 0:
        start = time.perf_counter()
        report["panel"] = panel(checkpoint, args.games, args.eval_seed, args.workers)
        report["panel_seconds"] = time.perf_counter() - start
    report["checkpoint"] = str(checkpoint)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=float) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
