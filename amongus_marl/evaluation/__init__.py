"""Evaluation: play many games with given policies, summarise them, and rate the policies.

``run_games(config, Lineup(impostor=..., crewmate=...), games, workers=...)`` plays games on
one or many cores and returns ``GameResult`` records; ``summarize`` turns them into win rates
(Wilson intervals), win conditions, game length, kills, ejections and task completion;
``bradley_terry.fit`` fits each policy's Deception and Detection rating over all games (with
``bradley_terry.profile_intervals``), and ``ratings.rate`` computes the 7vik Elo.
"""

from amongus_marl.evaluation.ratings import (
    Match,
    Ratings,
    bootstrap_intervals,
    expected_score,
    rate,
)
from amongus_marl.evaluation.runner import (
    GameResult,
    GameRunner,
    Lineup,
    default_workers,
    iter_games,
    run_games,
)
from amongus_marl.evaluation.stats import format_summary, summarize, wilson_interval

__all__ = [
    "GameResult",
    "GameRunner",
    "Lineup",
    "Match",
    "Ratings",
    "bootstrap_intervals",
    "default_workers",
    "expected_score",
    "format_summary",
    "iter_games",
    "rate",
    "run_games",
    "summarize",
    "wilson_interval",
]
