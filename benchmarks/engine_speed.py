"""Engine speed: random legal games of each preset, actions/s and games/s.

Each preset is timed in several trials and the median is reported. Because machines are noisy,
the same run also times a *driver floor*: a loop that does what the driver itself does per action
(one list copy and one random index) with no game behind it. The ratio engine/floor is the
machine-independent figure; the absolute numbers are for comparison with the target (40,000
actions/s on the seven-member preset; the reference engine does about 9,600 on this machine).

    python benchmarks/engine_speed.py [--seconds 2] [--trials 5]

Times are this process's CPU time (``time.process_time``), so other programs competing for the
cores disturb the figures less than they would wall-clock time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from amongagents import Game

TARGET_SEVEN_MEMBER = 40_000
PRESETS = ("sample_five_member", "five_member", "seven_member")


def play_for(preset: str, seconds: float, seed: int) -> tuple[int, int, float]:
    """Play whole random games until ``seconds`` pass: (actions, games, elapsed)."""
    rng = random.Random(seed)
    actions = games = 0
    start = time.process_time()
    while time.process_time() - start < seconds:
        game = Game(preset, seed=seed + games)
        while not game.is_over:
            legal = game.legal_actions()
            game.step(legal[rng.randrange(len(legal))])
            actions += 1
        games += 1
    return actions, games, time.process_time() - start


def driver_floor(seconds: float) -> float:
    """Actions/s of the driver loop alone (list copy + random pick), for scale."""
    rng = random.Random(0)
    legal = [object()] * 8
    count = 0
    start = time.process_time()
    while time.process_time() - start < seconds:
        for _ in range(1000):
            options = list(legal)
            options[rng.randrange(len(options))]
        count += 1000
    return count / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description="Engine speed benchmark")
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one trial")
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args()

    floor = statistics.median(driver_floor(args.seconds / 2) for _ in range(args.trials))
    print(f"driver floor: {floor:,.0f} actions/s (list copy + random pick, no game)")
    print(f"{'preset':<20}{'actions/s':>12}{'games/s':>10}{'actions/game':>14}{'vs floor':>10}")
    results = {}
    for preset in PRESETS:
        trials = [play_for(preset, args.seconds, seed=1000 * t) for t in range(args.trials)]
        rate = statistics.median(a / s for a, _, s in trials)
        games = statistics.median(g / s for _, g, s in trials)
        per_game = sum(a for a, _, _ in trials) / sum(g for _, g, _ in trials)
        results[preset] = rate
        print(f"{preset:<20}{rate:>12,.0f}{games:>10,.0f}{per_game:>14.1f}{rate / floor:>10.3f}")
    ratio = results["seven_member"] / TARGET_SEVEN_MEMBER
    verdict = "meets" if ratio >= 1 else "MISSES"
    print(f"seven_member: {ratio:.2f}x the 40,000 actions/s target ({verdict} it)")


if __name__ == "__main__":
    main()
