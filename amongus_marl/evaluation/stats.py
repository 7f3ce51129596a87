"""Summaries of many games: win rates with Wilson intervals, win conditions, game length, kills,
ejections and task completion.

``summarize(results)`` returns a JSON-ready dict with these keys:

``games``
    number of games.
``wins``
    ``{"impostors": int, "crewmates": int}``.
``win_rates``
    per team ``{"rate": float, "ci95": [low, high]}`` (Wilson score interval, 95%).
``wins_by_condition``
    ``{"impostors_outnumber", "impostors_eliminated", "tasks_completed", "time_limit"}`` -> games.
``mean_game_length``
    mean timesteps per game; ``mean_actions``: mean actions taken per game.
``kills``
    ``{"total", "per_game"}``.
``ejections``
    ``{"total", "per_game", "impostors", "crewmates", "share_hitting_impostors"}``.
``task_completion``
    ``{"mean", "min", "max"}`` of the engine's task bar at the end of each game (share of the
    living crewmates' tasks done).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final

from amongagents.records import WinCode
from amongus_marl.evaluation.runner import GameResult

#: The two-sided 95% normal quantile.
Z_95: Final[float] = 1.959963984540054
WIN_CONDITIONS: Final[dict[WinCode, str]] = {
    WinCode.IMPOSTORS_OUTNUMBER: "impostors_outnumber",
    WinCode.IMPOSTORS_ELIMINATED: "impostors_eliminated",
    WinCode.TASKS_COMPLETED: "tasks_completed",
    WinCode.TIME_LIMIT: "time_limit",
}


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion (``(0, 1)`` with no trials)."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1.0 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    # At 0 or all successes the bound is exactly the rate (rounding left it 1e-17 off the rate).
    low = 0.0 if successes <= 0 else max(0.0, centre - half)
    high = 1.0 if successes >= trials else min(1.0, centre + half)
    return low, high


def difference_interval(
    successes_a: int, trials_a: int, successes_b: int, trials_b: int, z: float = Z_95
) -> tuple[float, float]:
    """Newcombe's hybrid score interval for ``p_a - p_b`` (built from the two Wilson intervals)."""
    p_a = successes_a / trials_a if trials_a else 0.0
    p_b = successes_b / trials_b if trials_b else 0.0
    low_a, high_a = wilson_interval(successes_a, trials_a, z)
    low_b, high_b = wilson_interval(successes_b, trials_b, z)
    difference = p_a - p_b
    return (
        difference - math.sqrt((p_a - low_a) ** 2 + (high_b - p_b) ** 2),
        difference + math.sqrt((high_a - p_a) ** 2 + (p_b - low_b) ** 2),
    )


def rate_with_interval(successes: int, trials: int) -> dict[str, Any]:
    low, high = wilson_interval(successes, trials)
    return {"rate": successes / trials if trials else 0.0, "ci95": [low, high]}


def summarize(results: Sequence[GameResult]) -> dict[str, Any]:
    """The summary of ``results`` (see the module docstring for the keys)."""
    games = len(results)
    impostor_wins = sum(1 for r in results if r.impostors_win)
    crewmate_wins = games - impostor_wins
    kills = sum(r.kills for r in results)
    ejections = sum(len(r.ejected) for r in results)
    impostors_ejected = sum(r.impostors_ejected for r in results)
    completion = [r.task_completion for r in results]
    per_game = 1.0 / games if games else 0.0
    fallbacks: dict[str, dict[str, float]] = {}
    for result in results:
        for name, counts in result.fallbacks.items():
            total = fallbacks.setdefault(name, {"decisions": 0, "fallbacks": 0})
            total["decisions"] += counts["decisions"]
            total["fallbacks"] += counts["fallbacks"]
    for total in fallbacks.values():
        total["fallback_rate"] = (
            total["fallbacks"] / total["decisions"] if total["decisions"] else 0.0
        )
    return {
        "fallbacks": fallbacks,
        "games": games,
        "wins": {"impostors": impostor_wins, "crewmates": crewmate_wins},
        "win_rates": {
            "impostors": rate_with_interval(impostor_wins, games),
            "crewmates": rate_with_interval(crewmate_wins, games),
        },
        "wins_by_condition": {
            name: sum(1 for r in results if r.winner == code)
            for code, name in WIN_CONDITIONS.items()
        },
        "mean_game_length": sum(r.timesteps for r in results) * per_game,
        "mean_actions": sum(r.actions for r in results) * per_game,
        "kills": {"total": kills, "per_game": kills * per_game},
        "ejections": {
            "total": ejections,
            "per_game": ejections * per_game,
            "impostors": impostors_ejected,
            "crewmates": ejections - impostors_ejected,
            "share_hitting_impostors": impostors_ejected / ejections if ejections else 0.0,
        },
        "task_completion": {
            "mean": sum(completion) * per_game,
            "min": min(completion, default=0.0),
            "max": max(completion, default=0.0),
        },
    }


def percent(value: float) -> str:
    return f"{100 * value:5.1f}%"


def format_interval(rate: dict[str, Any]) -> str:
    low, high = rate["ci95"]
    return f"{percent(rate['rate'])}  [{percent(low)}, {percent(high)}]"


def format_summary(summary: dict[str, Any]) -> str:
    """A plain-text table of a summary."""
    games = summary["games"]
    rates = summary["win_rates"]
    wins = summary["wins"]
    lines = [
        f"{'':24}{'games':>7}  {'share':>6}  95% CI (Wilson)",
        f"{'impostors win':24}{wins['impostors']:>7}  {format_interval(rates['impostors'])}",
        f"{'crewmates win':24}{wins['crewmates']:>7}  {format_interval(rates['crewmates'])}",
        "by win condition:",
    ]
    for name, count in summary["wins_by_condition"].items():
        share = count / games if games else 0.0
        lines.append(f"  {name.replace('_', ' '):22}{count:>7}  {percent(share)}")
    ejections, kills = summary["ejections"], summary["kills"]
    hit = percent(ejections["share_hitting_impostors"]).strip()
    completion = percent(summary["task_completion"]["mean"]).strip()
    lines += [
        f"mean game length        {summary['mean_game_length']:.2f} timesteps "
        f"({summary['mean_actions']:.1f} actions)",
        f"kills                   {kills['per_game']:.2f} per game ({kills['total']} in all)",
        f"ejections               {ejections['per_game']:.2f} per game "
        f"({ejections['total']} in all): {ejections['impostors']} impostors, "
        f"{ejections['crewmates']} crewmates ({hit} hit impostors)",
        f"task completion         {completion} mean at game end",
    ]
    for name, total in summary.get("fallbacks", {}).items():
        lines.append(
            f"{name} fallbacks{'':<{max(1, 14 - len(name))}}{total['fallbacks']} of "
            f"{total['decisions']} decisions ({percent(total['fallback_rate']).strip()})"
        )
    return "\n".join(lines)
