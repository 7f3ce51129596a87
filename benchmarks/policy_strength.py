"""Policy strength: random and heuristic impostors against random and heuristic crewmates.

For each preset, every pairing (impostor policy x crewmate policy) plays ``--games`` games on all
cores, and the table gives each pairing's impostor and crewmate win rates with 95% Wilson
intervals. Then the targets are checked, with the opponents fixed to ``heuristic``:

* impostor gain: heuristic impostors must win at least 15 points more often than random
  impostors do (both against heuristic crewmates);
* crewmate gain: heuristic crewmates must win at least 15 points more often than random
  crewmates do (both against heuristic impostors).

Each gain is printed with a 95% Newcombe interval; the heuristic-vs-heuristic line is the balance.
The exit status is 1 if a target is missed.

    python benchmarks/policy_strength.py [--games 2000] [--presets five_member seven_member]
                                         [--workers N] [--seed 0] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import amongus_marl.policies  # noqa: F401 - registers the policies
from amongus_marl.evaluation.runner import Lineup, default_workers, run_games
from amongus_marl.evaluation.stats import difference_interval, summarize

POLICIES = ("random", "heuristic")
PRESETS = ("five_member", "seven_member")
TARGET_GAIN = 0.15


def pct(value: float) -> str:
    return f"{100 * value:5.1f}%"


def run_preset(preset: str, games: int, workers: int, seed: int) -> dict[str, Any]:
    """Every pairing of one preset: its summary, keyed ``"<impostor>/<crewmate>"``."""
    pairings: dict[str, Any] = {}
    for impostor in POLICIES:
        for crewmate in POLICIES:
            start = time.perf_counter()
            results = run_games(
                preset, Lineup(impostor, crewmate), games, seed=seed, workers=workers
            )
            summary = summarize(results)
            summary["seconds"] = time.perf_counter() - start
            pairings[f"{impostor}/{crewmate}"] = summary
    return pairings


def print_table(preset: str, pairings: dict[str, Any]) -> None:
    print(f"\n{preset}")
    print(
        f"  {'impostors':10} {'crewmates':10} {'games':>6}  {'impostors win (95% CI)':>26}  "
        f"{'crewmates win (95% CI)':>26}  {'length':>6}  {'s':>5}"
    )
    for key, summary in pairings.items():
        impostor, crewmate = key.split("/")
        cells = []
        for team in ("impostors", "crewmates"):
            rate = summary["win_rates"][team]
            low, high = rate["ci95"]
            cells.append(f"{pct(rate['rate'])} [{pct(low)}, {pct(high)}]")
        print(
            f"  {impostor:10} {crewmate:10} {summary['games']:>6}  {cells[0]:>26}  {cells[1]:>26}  "
            f"{summary['mean_game_length']:>6.2f}  {summary['seconds']:>5.1f}"
        )


def gain(better: dict[str, Any], worse: dict[str, Any], team: str) -> dict[str, Any]:
    wins_a, games_a = better["wins"][team], better["games"]
    wins_b, games_b = worse["wins"][team], worse["games"]
    low, high = difference_interval(wins_a, games_a, wins_b, games_b)
    value = wins_a / games_a - wins_b / games_b
    return {"gain": value, "ci95": [low, high], "target": TARGET_GAIN, "met": value >= TARGET_GAIN}


def check_targets(pairings: dict[str, Any]) -> dict[str, Any]:
    checks = {
        "impostor_gain": gain(
            pairings["heuristic/heuristic"], pairings["random/heuristic"], "impostors"
        ),
        "crewmate_gain": gain(
            pairings["heuristic/heuristic"], pairings["heuristic/random"], "crewmates"
        ),
    }
    labels = {
        "impostor_gain": "heuristic - random impostors, vs heuristic crewmates",
        "crewmate_gain": "heuristic - random crewmates, vs heuristic impostors",
    }
    for name, check in checks.items():
        low, high = check["ci95"]
        verdict = "meets" if check["met"] else "MISSES"
        print(
            f"  {labels[name]}: {100 * check['gain']:+.1f} points "
            f"[{100 * low:+.1f}, {100 * high:+.1f}] ({verdict} the +{100 * TARGET_GAIN:.0f} target)"
        )
    balance = pairings["heuristic/heuristic"]["win_rates"]["impostors"]
    low, high = balance["ci95"]
    print(
        f"  balance, heuristic vs heuristic: impostors win {pct(balance['rate']).strip()} "
        f"[{pct(low).strip()}, {pct(high).strip()}]"
    )
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--games", type=int, default=2000, help="games per pairing (default 2000)")
    parser.add_argument("--presets", nargs="+", default=list(PRESETS))
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--json", type=Path, default=None, help="write the tables and checks as JSON"
    )
    args = parser.parse_args(argv)
    workers = args.workers or default_workers()
    print(f"policy strength: {args.games} games per pairing, {workers} worker(s), seed {args.seed}")
    report: dict[str, Any] = {"games_per_pairing": args.games, "seed": args.seed, "presets": {}}
    all_met = True
    for preset in args.presets:
        pairings = run_preset(preset, args.games, workers, args.seed)
        print_table(preset, pairings)
        checks = check_targets(pairings)
        all_met &= all(check["met"] for check in checks.values())
        report["presets"][preset] = {"pairings": pairings, "checks": checks}
    print("\nall targets met" if all_met else "\nSOME TARGETS MISSED")
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
