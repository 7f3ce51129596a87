"""Deception and Detection ratings that converge: a Bradley–Terry (logistic) fit over all games.

The 7vik Elo (``ratings.py``) moves after every game by ``K = 32`` points, so it never settles:
the same matchup rated on 200, 2,000 or 8,000 games lands anywhere in a band about 165 points
wide, and its value depends on the order of the games. This module fits the model that Elo
approximates, once, over all the games:

    P(impostors win) = 1 / (1 + 10 ** ((R_C - R_I) / 400))

with ``R_I`` the mean Deception rating over the impostor seats and ``R_C`` the mean Detection
rating over the crewmate seats (a policy counts once per seat it plays), exactly the quantities
the Elo update compares. The ratings are the maximum of the likelihood of every game's outcome
(a logistic regression), found with ``scipy.optimize.minimize``; they do not depend on the order
of the games, and their bootstrap intervals shrink like one over the square root of the games.

**Scale.** The Elo scale: 400 points between two sides mean odds of 10 to 1 (a side that wins
60% of its games is 70 points above its opponents). Only differences between a Deception rating
and the Detection ratings it met are measured; the level is fixed by a weak prior, a normal
distribution of standard deviation ``PRIOR_SD`` = 1000 points around ``INITIAL_RATING`` = 1500
for every rating. It puts the mean of each set of ratings that met each other at 1500 (with one
policy per side, D + T = 3000, as in the Elo update), and keeps the fit finite when one side won
every game; at ordinary win rates it moves the ratings by well under a point.

**Intervals.** ``bootstrap_intervals`` refits on games resampled with replacement and returns
the 2.5th and 97.5th percentiles of each rating.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from amongus_marl.evaluation.ratings import INITIAL_RATING, SCALE, Intervals, Match, Ratings

if TYPE_CHECKING:
    from numpy.typing import NDArray

PRIOR_SD: Final[float] = 1000.0
#: Natural-log odds per rating point: 10 ** (d / 400) == exp(LOGIT_PER_POINT * d).
LOGIT_PER_POINT: Final[float] = math.log(10.0) / SCALE


class _Design:
    """The games as a logistic regression: one row per distinct seating (which policy on which
    seat of each side), with how many games had it and how many the impostors won.

    Parameters are the Deception ratings (one per policy that played impostor) followed by the
    Detection ratings (one per policy that played crewmate), each less ``INITIAL_RATING``.
    A row holds +1/n for each of the n impostor seats a policy filled and -1/m for each of the m
    crewmate seats, so that row @ ratings = R_I - R_C.
    """

    def __init__(self, matches: Sequence[Match]) -> None:
        rated = [m for m in matches if m.impostors and m.crewmates]
        self.deception = sorted({p for m in rated for p in m.impostors})
        self.detection = sorted({q for m in rated for q in m.crewmates})
        column = {("D", p): i for i, p in enumerate(self.deception)}
        column.update({("T", q): len(self.deception) + i for i, q in enumerate(self.detection)})
        seating: dict[tuple[tuple[str, ...], tuple[str, ...]], int] = {}
        rows: list[NDArray[np.float64]] = []
        row_of_game: list[int] = []
        for match in rated:
            key = (tuple(sorted(match.impostors)), tuple(sorted(match.crewmates)))
            if key not in seating:
                row = np.zeros(len(column))
                for p in match.impostors:
                    row[column["D", p]] += 1.0 / len(match.impostors)
                for q in match.crewmates:
                    row[column["T", q]] -= 1.0 / len(match.crewmates)
                seating[key] = len(rows)
                rows.append(row)
            row_of_game.append(seating[key])
        self.matrix: NDArray[np.float64] = (
            np.array(rows) if rows else np.zeros((0, len(column)), dtype=np.float64)
        )
        self.row_of_game = np.array(row_of_game, dtype=np.intp)
        self.impostor_won = np.array([m.impostors_win for m in rated], dtype=np.float64)
        self.impostor_games = {p: sum(p in m.impostors for m in rated) for p in self.deception}
        self.crewmate_games = {q: sum(q in m.crewmates for m in rated) for q in self.detection}

    def counts(self, games: NDArray[np.intp]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(games, impostor wins) per row over the games indexed by ``games``."""
        rows = self.row_of_game[games]
        size = len(self.matrix)
        played = np.bincount(rows, minlength=size).astype(np.float64)
        won = np.bincount(rows, weights=self.impostor_won[games], minlength=size).astype(np.float64)
        return played, won

    def fit(self, played: NDArray[np.float64], won: NDArray[np.float64]) -> NDArray[np.float64]:
        """The ratings (less ``INITIAL_RATING``) that maximise the likelihood times the prior."""
        from scipy.optimize import minimize

        x = self.matrix * LOGIT_PER_POINT
        precision = 1.0 / PRIOR_SD**2
        lost = played - won

        def objective(theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
            z = x @ theta  # log-odds of an impostor win, per row
            # -log P(outcomes) = sum won * log(1 + e^-z) + lost * log(1 + e^z)
            value = won @ np.logaddexp(0.0, -z) + lost @ np.logaddexp(0.0, z)
            p = 1.0 / (1.0 + np.exp(-z))
            gradient = x.T @ (played * p - won)
            return float(value + 0.5 * precision * theta @ theta), gradient + precision * theta

        def hessian(theta: NDArray[np.float64]) -> NDArray[np.float64]:
            p = 1.0 / (1.0 + np.exp(-(x @ theta)))
            weights = played * p * (1.0 - p)
            return (x.T * weights) @ x + precision * np.eye(len(theta))

        # The objective is convex (a logistic likelihood times a normal prior), so Newton's
        # method in a trust region reaches its single minimum in a handful of steps.
        result = minimize(
            objective,
            np.zeros(x.shape[1]),
            jac=True,
            hess=hessian,
            method="trust-exact",
            options={"gtol": 1e-8},
        )
        # Near the minimum rounding can stop the trust region short of gtol; a gradient this
        # small moves no rating by more than a thousandth of a point.
        if not result.success and np.max(np.abs(result.jac), initial=0.0) > 1e-6:
            raise RuntimeError(f"the Bradley–Terry fit did not converge: {result.message}")
        return np.asarray(result.x, dtype=np.float64)

    def as_ratings(self, theta: NDArray[np.float64]) -> tuple[dict[str, float], dict[str, float]]:
        values = [INITIAL_RATING + float(v) for v in theta]
        split = len(self.deception)
        return dict(zip(self.deception, values[:split], strict=True)), dict(
            zip(self.detection, values[split:], strict=True)
        )


def fit(matches: Sequence[Match]) -> Ratings:
    """Each policy's Deception and Detection rating, fitted over all ``matches`` at once (see the
    module docstring); the game counts are as in ``ratings.rate``."""
    design = _Design(matches)
    if not len(design.row_of_game):
        return Ratings()
    theta = design.fit(*design.counts(np.arange(len(design.row_of_game))))
    deception, detection = design.as_ratings(theta)
    return Ratings(deception, detection, design.impostor_games, design.crewmate_games)


def bootstrap_intervals(matches: Sequence[Match], *, rounds: int = 100, seed: int = 0) -> Intervals:
    """Refit on ``rounds`` resamples (with replacement) of ``matches``; return each rating's
    2.5th and 97.5th percentiles. A resample that happens to leave a policy out still rates it
    (at the prior's 1500), which widens that policy's interval, as its scarcity deserves."""
    design = _Design(matches)
    games = len(design.row_of_game)
    if not games or rounds < 1:
        return Intervals({}, {})
    rng = np.random.default_rng(seed)
    fits = np.array(
        [design.fit(*design.counts(rng.integers(0, games, size=games))) for _ in range(rounds)]
    )
    low, high = np.percentile(fits, [2.5, 97.5], axis=0) + INITIAL_RATING
    limits = [(float(a), float(b)) for a, b in zip(low, high, strict=True)]
    split = len(design.deception)
    return Intervals(
        dict(zip(design.deception, limits[:split], strict=True)),
        dict(zip(design.detection, limits[split:], strict=True)),
    )


def to_dict(ratings: Ratings, intervals: Intervals | None) -> dict[str, Any]:
    """The fit as JSON: ratings, game counts, the prior and (when computed) the intervals."""
    result: dict[str, Any] = {
        "deception": dict(sorted(ratings.deception.items())),
        "detection": dict(sorted(ratings.detection.items())),
        "scale": SCALE,
        "mean": INITIAL_RATING,
        "prior_sd": PRIOR_SD,
    }
    if intervals is not None:
        result["intervals"] = intervals.to_dict()
    return result
