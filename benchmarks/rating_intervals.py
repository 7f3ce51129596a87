"""How often the Bradley–Terry rating intervals contain the true rating (their coverage).

Simulates matchups of one policy a side at a known impostor win rate, fits each, and counts the
intervals that contain the true Deception rating (1500 plus half the true gap: with one policy
a side the two ratings sit symmetrically about 1500), for the profile-likelihood intervals the
ratings report and for the percentile bootstrap they replaced. A 95% interval should contain it
about 95% of the time (the true Deception rating is 1535 at a 60% win rate, 1802 at 97%); the
share is given with its 95% Wilson interval (the simulation's own
noise).

    python benchmarks/rating_intervals.py                    # 200 matchups per scenario
    python benchmarks/rating_intervals.py --matchups 50 --rounds 50
"""

from __future__ import annotations

import argparse
import math
import random
from collections.abc import Callable, Sequence

from amongus_marl.evaluation import bradley_terry
from amongus_marl.evaluation.ratings import SCALE, Intervals, Match
from amongus_marl.evaluation.stats import wilson_interval

#: (impostor win rate, games per matchup): an ordinary matchup, and one whose record is often
#: perfect (20 of 20 happens 54% of the time at 97%).
SCENARIOS: tuple[tuple[float, int], ...] = ((0.6, 200), (0.97, 20))


def true_deception(win_rate: float) -> float:
    return 1500.0 + SCALE * math.log10(win_rate / (1.0 - win_rate)) / 2.0


def simulate(win_rate: float, games: int, rng: random.Random) -> list[Match]:
    return [Match(("a",), ("b",), rng.random() < win_rate) for _ in range(games)]


def coverage(
    method: Callable[[Sequence[Match]], Intervals],
    win_rate: float,
    games: int,
    matchups: int,
    seed: int,
) -> tuple[int, float, int]:
    """(intervals containing the truth, their mean lower end, perfect records)."""
    rng = random.Random(seed)
    truth = true_deception(win_rate)
    hits, lows, perfect = 0, 0.0, 0
    for _ in range(matchups):
        matches = simulate(win_rate, games, rng)
        perfect += all(m.impostors_win for m in matches) or not any(
            m.impostors_win for m in matches
        )
        intervals = method(matches)
        low, high = intervals.deception["a"]
        hits += low <= truth <= high
        lows += low
    return hits, lows / matchups, perfect


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matchups", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=100, help="bootstrap resamples")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    methods: dict[str, Callable[[Sequence[Match]], Intervals]] = {
        "profile likelihood": bradley_terry.profile_intervals,
        f"bootstrap ({args.rounds})": lambda m: bradley_terry.bootstrap_intervals(
            m, rounds=args.rounds, seed=args.seed
        ),
    }
    print(
        "| win rate | games | perfect records | method | coverage [95% Wilson] | mean lower end |"
    )
    print("|---|---|---|---|---|---|")
    for win_rate, games in SCENARIOS:
        for name, method in methods.items():
            hits, lower, perfect = coverage(method, win_rate, games, args.matchups, args.seed)
            low, high = wilson_interval(hits, args.matchups)
            print(
                f"| {win_rate:.0%} | {games} | {perfect}/{args.matchups} | {name} | "
                f"{hits / args.matchups:.1%} [{low:.1%}, {high:.1%}] | {lower:.0f} |"
            )


if __name__ == "__main__":
    main()
