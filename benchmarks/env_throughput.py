"""Environment throughput: random legal play through the PettingZoo API, agent-steps/s and games/s.

Every preset (five_member, seven_member) and observation mode (vector, text) is driven the way a
PettingZoo training loop drives it: ``agent_iter``, ``last()`` (which builds the observation),
a random legal action, ``step``. Because machines are noisy, the same run times PettingZoo's own
``rps_v2`` (rock-paper-scissors, next to no game behind the API): it is the framework's ceiling,
and the ratio to it (the median of the per-round ratios) is the machine-independent figure.

Two drivers pick the action, and each is reported:

``documented``
    each environment as its own documentation drives it: ours with
    ``env.action_space(agent).sample(observation["action_mask"])``, ``rps_v2`` with
    ``env.action_space(agent).sample()`` (it has no mask, and its documented loop passes none).
    The targets refer to this driver: vector seven_member at least 0.6x rps_v2's agent-steps/s;
    text observations at least 5,000 agent-steps/s.
``lean``
    the same code on both: a uniform pick among ``np.flatnonzero(mask)`` from one numpy
    generator (``rps_v2``'s mask is all ones). Its smaller cost per step leaves the environment's
    own cost more exposed, so its ratios are lower; it has no target.

Each configuration is timed in several interleaved trials and the median is reported. An
agent-step is one ``step`` call, including the ``step(None)`` that retires each terminated agent
at the end of a game, for our environment and rps_v2 alike.

    python benchmarks/env_throughput.py [--seconds 2] [--trials 5] [--driver documented|lean]

Needs pygame for rps_v2 (in the project's test dependencies).

Times are this process's CPU time (``time.process_time``), so other programs competing for the
cores disturb the figures less than they would wall-clock time.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from amongus_marl import env as amongus_env

TARGET_VECTOR_VS_RPS = 0.6
TARGET_TEXT_STEPS = 5_000
PRESETS = ("five_member", "seven_member")
OBS_MODES = ("vector", "text")
DRIVERS = ("documented", "lean")
DRIVER_NOTES = {
    "documented": (
        "each env's documented loop: ours action_space(agent).sample(mask), "
        "rps_v2 action_space(agent).sample()"
    ),
    "lean": "the same on both: uniform pick among np.flatnonzero(mask)",
}
CEILING = "rps_v2 (ceiling)"

#: The mask an environment hands its agent (from the observation or the info), or None for an
#: environment without masks.
MaskOf = Callable[[Any, dict[str, Any]], np.ndarray | None]


def play_for(
    make: Callable[[], Any], mask_of: MaskOf, seconds: float, seed: int, driver: str
) -> tuple[int, int, float]:
    """Play whole games with random legal actions until ``seconds`` pass: (agent-steps, games,
    elapsed CPU seconds). ``driver`` is how an action is picked (see the module docstring)."""
    rng = np.random.default_rng(seed)
    env = make()
    steps = games = 0
    start = time.process_time()
    while games == 0 or time.process_time() - start < seconds:  # at least one whole game
        env.reset(seed=seed + games)
        if games == 0:
            for i, agent in enumerate(env.possible_agents):
                env.action_space(agent).seed(seed + i)
        for agent in env.agent_iter():
            observation, _, terminated, truncated, info = env.last()
            if terminated or truncated:
                action = None
            elif driver == "documented":
                mask = mask_of(observation, info)
                space = env.action_space(agent)
                action = space.sample() if mask is None else space.sample(mask)
            else:
                legal = np.flatnonzero(mask_of(observation, info))
                action = int(legal[rng.integers(len(legal))])
            env.step(action)
            steps += 1
        games += 1
    return steps, games, time.process_time() - start


def rps_setup(driver: str) -> tuple[Callable[[], Any], MaskOf]:
    from pettingzoo.classic import rps_v2  # needs pygame

    if driver == "documented":  # rps_v2's own loop samples without a mask
        return rps_v2.env, lambda observation, info: None
    every_action = np.ones(rps_v2.env().action_space("player_0").n, dtype=np.int8)
    return rps_v2.env, lambda observation, info: every_action


def amongus_setup(preset: str, obs_mode: str) -> tuple[Callable[[], Any], MaskOf]:
    return (
        lambda: amongus_env(config=preset, obs_mode=obs_mode),
        lambda observation, info: observation["action_mask"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Environment throughput benchmark")
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one trial")
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument(
        "--driver",
        choices=DRIVERS,
        action="append",
        help="how actions are picked (default: both; the targets are for 'documented')",
    )
    args = parser.parse_args()
    for driver in args.driver or DRIVERS:
        report(driver, args.seconds, args.trials)


def report(driver: str, seconds: float, trials: int) -> None:
    setups = {CEILING: rps_setup(driver)}
    for obs_mode in OBS_MODES:
        for preset in PRESETS:
            setups[f"amongus {preset} {obs_mode}"] = amongus_setup(preset, obs_mode)
    # Trials are interleaved (every environment once per round), so that a machine busy with
    # something else slows them all alike and the per-round ratios to rps_v2 stay fair.
    results: dict[str, list[tuple[int, int, float]]] = {label: [] for label in setups}
    for trial in range(trials):
        for label, (make, mask_of) in setups.items():
            results[label].append(play_for(make, mask_of, seconds, 1000 * trial, driver))

    ceiling = results[CEILING]
    print(f"driver: {driver} ({DRIVER_NOTES[driver]})")
    columns = ("agent-steps/s", 15), ("games/s", 10), ("steps/game", 12), ("vs rps_v2", 11)
    print(f"{'environment':<28}" + "".join(f"{name:>{width}}" for name, width in columns))
    rates: dict[str, float] = {}
    ratios: dict[str, float] = {}
    for label, runs in results.items():
        rates[label] = statistics.median(s / e for s, _, e in runs)
        games = statistics.median(g / e for _, g, e in runs)
        per_game = sum(s for s, _, _ in runs) / max(1, sum(g for _, g, _ in runs))
        ratios[label] = statistics.median(
            (s / e) / (cs / ce) for (s, _, e), (cs, _, ce) in zip(runs, ceiling, strict=True)
        )
        print(
            f"{label:<28}{rates[label]:>15,.0f}{games:>10,.0f}{per_game:>12.1f}"
            f"{ratios[label]:>11.3f}"
        )

    ratio = ratios["amongus seven_member vector"]
    if driver != "documented":  # the targets are for each environment's documented loop only
        print(f"vector seven_member: {ratio:.2f}x rps_v2 (no target for this driver)\n")
        return
    verdict = "meets" if ratio >= TARGET_VECTOR_VS_RPS else "MISSES"
    print(
        f"vector seven_member: {ratio:.2f}x rps_v2 (target {TARGET_VECTOR_VS_RPS}x: {verdict} it)"
    )
    for preset in PRESETS:
        rate = rates[f"amongus {preset} text"]
        verdict = "meets" if rate >= TARGET_TEXT_STEPS else "MISSES"
        print(
            f"text {preset}: {rate:,.0f} agent-steps/s = {rate / TARGET_TEXT_STEPS:.2f}x the "
            f"{TARGET_TEXT_STEPS:,} target ({verdict} it)"
        )
    print()


if __name__ == "__main__":
    main()
