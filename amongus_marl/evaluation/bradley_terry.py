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

**Intervals.** ``profile_intervals`` gives each rating's 95% *profile-likelihood* interval: the
values ``v`` for which the best fit with that rating held at ``v`` is less likely than the best
fit overall by at most 1.92 in log-likelihood (half of 3.84, the 95% point of chi-squared with
one degree of freedom). Why not the bootstrap (``bootstrap_intervals``, kept for comparison):
resampling can only replay outcomes that happened. When one side won every game of a seating
(heuristic impostors against random crewmates, a trained policy against a weak one), every
resample has it winning every game, every refit is the same, and the interval is ``[r, r]``:
certainty the data do not have (20 wins in 20 games happen one time in eight at a 90% win
rate). The likelihood still says how much less likely 20 of 20 becomes as the gap shrinks, so
the profile interval gets a lower end from the data. A larger gap only makes 20 of 20 likelier,
so the data set no upper end; there the weak prior stops the interval, far out, and
``Intervals.open_ends`` names that end so that it is reported as "at least" the data's end
(``one_sided_seatings`` turns it into "the impostors are at least N points above these
crewmates": for 20 of 20, 374 points; the likelihood alone, without the prior, would say 399).
On ordinary data the two intervals agree to within the bootstrap's own noise (both are close to
the estimate plus or minus 1.96 standard errors), and the profile one needs no seed; in
simulated matchups its coverage is about 95% (``benchmarks/rating_intervals.py``,
``tests/policies/test_bradley_terry.py``).

The interval is for the rating as reported, with the level fixed as the fit fixes it: the
profile moves the ratings only in the directions the games measure (the row space of the
design matrix; the fit never leaves it, since the prior is smallest there), so the prior's weak
hold on the overall level does not stretch every interval to thousands of points. With the
mean held at 1500, a swept policy's rating running off downward drags the others up by a
fraction: their intervals widen (the level is that much less certain) but stay closed; only the
runaway's end is named open (``_Profile.open_end``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from amongus_marl.evaluation.ratings import INITIAL_RATING, SCALE, Intervals, Match, Ratings

if TYPE_CHECKING:
    from numpy.typing import NDArray

PRIOR_SD: Final[float] = 1000.0
#: Natural-log odds per rating point: 10 ** (d / 400) == exp(LOGIT_PER_POINT * d).
LOGIT_PER_POINT: Final[float] = math.log(10.0) / SCALE
#: The coverage the intervals aim at.
CONFIDENCE: Final[float] = 0.95


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
        self.seatings = list(seating)
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

    def all_counts(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(games, impostor wins) per row over every game."""
        return self.counts(np.arange(len(self.row_of_game)))

    def fit(self, played: NDArray[np.float64], won: NDArray[np.float64]) -> NDArray[np.float64]:
        """The ratings (less ``INITIAL_RATING``) that maximise the likelihood times the prior."""
        objective = _PenalisedLikelihood(self.matrix, played, won)
        size = self.matrix.shape[1]
        return objective.minimise(np.zeros(size), np.eye(size))[1]

    def as_ratings(self, theta: NDArray[np.float64]) -> tuple[dict[str, float], dict[str, float]]:
        values = [INITIAL_RATING + float(v) for v in theta]
        split = len(self.deception)
        return dict(zip(self.deception, values[:split], strict=True)), dict(
            zip(self.detection, values[split:], strict=True)
        )


class _PenalisedLikelihood:
    """Minus the log of (the likelihood of the games times the prior), as a function of the
    ratings less ``INITIAL_RATING``; ``played`` and ``won`` are the games and impostor wins per
    row of ``matrix``."""

    def __init__(
        self,
        matrix: NDArray[np.float64],
        played: NDArray[np.float64],
        won: NDArray[np.float64],
    ) -> None:
        self.x = matrix * LOGIT_PER_POINT
        self.played, self.won, self.lost = played, won, played - won
        self.precision = 1.0 / PRIOR_SD**2

    def value_and_gradient(self, theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        z = self.x @ theta  # log-odds of an impostor win, per row
        # -log P(outcomes) = sum won * log(1 + e^-z) + lost * log(1 + e^z)
        value = self.won @ np.logaddexp(0.0, -z) + self.lost @ np.logaddexp(0.0, z)
        p = 1.0 / (1.0 + np.exp(-z))
        gradient = self.x.T @ (self.played * p - self.won)
        return (
            float(value + 0.5 * self.precision * theta @ theta),
            gradient + self.precision * theta,
        )

    def hessian(self, theta: NDArray[np.float64]) -> NDArray[np.float64]:
        p = 1.0 / (1.0 + np.exp(-(self.x @ theta)))
        weights = self.played * p * (1.0 - p)
        return (self.x.T * weights) @ self.x + self.precision * np.eye(len(theta))

    def minimise(
        self,
        offset: NDArray[np.float64],
        directions: NDArray[np.float64],
        start: NDArray[np.float64] | None = None,
    ) -> tuple[float, NDArray[np.float64]]:
        """The smallest value over ``offset + directions @ psi`` and the ratings where it is.

        The whole fit is ``directions`` = the identity; a profile holds one combination of
        the ratings fixed (in ``offset``) and lets the others (``directions``) move."""
        from scipy.optimize import minimize

        if directions.shape[1] == 0:
            return self.value_and_gradient(offset)[0], offset

        def objective(psi: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
            value, gradient = self.value_and_gradient(offset + directions @ psi)
            return value, directions.T @ gradient

        def hessian(psi: NDArray[np.float64]) -> NDArray[np.float64]:
            return directions.T @ self.hessian(offset + directions @ psi) @ directions

        # The objective is convex (a logistic likelihood times a normal prior), so Newton's
        # method in a trust region reaches its single minimum in a handful of steps.
        result = minimize(
            objective,
            np.zeros(directions.shape[1]) if start is None else start,
            jac=True,
            hess=hessian,
            method="trust-exact",
            options={"gtol": 1e-8},
        )
        # Near the minimum rounding can stop the trust region short of gtol; a gradient this
        # small moves no rating by more than a thousandth of a point.
        if not result.success and np.max(np.abs(result.jac), initial=0.0) > 1e-6:
            raise RuntimeError(f"the Bradley–Terry fit did not converge: {result.message}")
        return float(result.fun), np.asarray(offset + directions @ result.x, dtype=np.float64)


class _Profile:
    """Profile-likelihood intervals of linear combinations ``a @ ratings`` (a single rating, or
    a seating's R_I - R_C) over the games of ``design``."""

    def __init__(self, design: _Design, level: float) -> None:
        from scipy.stats import chi2

        played, won = design.all_counts()
        self.played, self.won = played, won
        self.matrix = design.matrix
        self.objective = _PenalisedLikelihood(design.matrix, played, won)
        self.best = design.fit(played, won)
        self.best_value = self.objective.value_and_gradient(self.best)[0]
        self.threshold = float(chi2.ppf(level, 1))
        # The directions the games measure: an orthonormal basis of the design's row space.
        # The fit lies in it (moving out of it changes no game's probability and only costs
        # prior), and so does every profile.
        _, singular, rows = np.linalg.svd(design.matrix, full_matrices=False)
        rank = int(np.sum(singular > 1e-10 * singular.max(initial=0.0)))
        self.basis: NDArray[np.float64] = rows[:rank].T

    def interval(self, a: NDArray[np.float64]) -> tuple[float, float]:
        """The interval of ``a @ ratings`` (less ``INITIAL_RATING`` for a single rating). An end
        the data leave open (``open_end``) is where the prior stops it."""
        from scipy.linalg import null_space
        from scipy.optimize import brentq

        measured = self._measured(a)
        toward = self.basis @ (measured / (measured @ measured))  # raises a @ ratings by one
        others = self.basis @ null_space(measured[None, :])  # leave a @ ratings alone

        def deviance(value: float) -> float:
            offset = value * toward
            start = others.T @ (self.best - offset)
            return 2.0 * (self.objective.minimise(offset, others, start)[0] - self.best_value)

        estimate = float(a @ self.best)
        # The first step out: two standard errors, from the curvature at the fit.
        curvature = self.basis.T @ self.objective.hessian(self.best) @ self.basis
        step = 2.0 * math.sqrt(float(measured @ np.linalg.solve(curvature, measured)))
        ends = []
        for sign in (-1.0, 1.0):
            reach = step
            # The prior makes the deviance grow without bound, so this ends; 2^40 standard
            # errors out would be a bug.
            for _ in range(40):
                if deviance(estimate + sign * reach) >= self.threshold:
                    break
                reach *= 2.0
            else:
                raise RuntimeError("the profile likelihood found no end to the interval")
            distance = brentq(
                lambda t, s=sign: deviance(estimate + s * t) - self.threshold,
                0.0,
                reach,
                xtol=0.01,
            )
            ends.append(estimate + sign * float(distance))
        return ends[0], ends[1]

    def open_end(self, column: int) -> str | None:
        """Which ends of the interval of rating ``column`` the games leave open: ``"lower"``,
        ``"upper"``, ``"both"`` or ``None``.

        An end is open when the rating can run off that way on its own: some measured direction
        moves it that way, makes no game less likely (see ``_free_directions``), and moves no
        other rating further. A rating merely dragged along does not count: the ratings sit
        around a mean of 1500, so when a swept policy's rating runs off downward every rating
        it is averaged with shifts up by a fraction of that; their intervals are closed, only
        wider by what the prior lets the runaway go."""
        from scipy.optimize import linprog

        free = self._free_directions()
        size = self.basis.shape[0]
        # |u_k| <= 1 for every rating k, where u = basis @ w is the move of the ratings
        within = np.vstack([self.basis, -self.basis])
        runs_off = []
        for sign in (-1.0, 1.0):
            result = linprog(
                -sign * self.basis[column],
                A_ub=np.vstack([free.upper, within]),
                b_ub=np.concatenate([np.zeros(len(free.upper)), np.ones(2 * size)]),
                A_eq=free.level if len(free.level) else None,
                b_eq=np.zeros(len(free.level)) if len(free.level) else None,
                bounds=(None, None),
                method="highs",
            )
            # Open when the rating can move a full unit while nothing else moves more.
            runs_off.append(bool(result.status == 0 and -result.fun > 1.0 - 1e-6))
        return {(True, True): "both", (True, False): "lower", (False, True): "upper"}.get(
            (runs_off[0], runs_off[1])
        )

    def open_leads(self, rows: Sequence[int]) -> list[int]:
        """Which of ``rows`` (seatings one side won every game of) have a lead ``R_I - R_C`` the
        games leave open on the winners' side. A lead is a difference, the same whatever the
        level, so any direction that widens it without making a game less likely counts. Such
        directions add up, so one linear programme finds one that widens as many of the leads
        as it can; it is repeated for the rest until none widens."""
        from scipy.optimize import linprog

        free = self._free_directions()
        leads = self.matrix @ self.basis
        toward_winners = {r: 1.0 if self.won[r] > 0 else -1.0 for r in rows}
        remaining, found = list(rows), []
        while remaining:
            widening = sum(toward_winners[r] * leads[r] for r in remaining)
            result = linprog(
                -np.asarray(widening),
                A_ub=free.upper if len(free.upper) else None,
                b_ub=np.zeros(len(free.upper)) if len(free.upper) else None,
                A_eq=free.level if len(free.level) else None,
                b_eq=np.zeros(len(free.level)) if len(free.level) else None,
                bounds=(-1.0, 1.0),
                method="highs",
            )
            if result.status != 0:
                break
            widened = [r for r in remaining if toward_winners[r] * leads[r] @ result.x > 1e-6]
            if not widened:
                break
            found += widened
            remaining = [r for r in remaining if r not in widened]
        return sorted(found)

    def _free_directions(self) -> _FreeDirections:
        """The measured directions ``w`` (ratings moving by ``basis @ w``) that make no game
        less likely: they move every seating the impostors always won toward them
        (``upper @ w <= 0`` holds both kinds of one-sided seating) and leave every seating that
        saw both outcomes alone (``level @ w == 0``)."""
        seatings = self.matrix @ self.basis
        played = self.played > 0
        always_won = played & (self.won == self.played)
        always_lost = played & (self.won == 0)
        mixed = played & ~always_won & ~always_lost
        return _FreeDirections(
            np.vstack([-seatings[always_won], seatings[always_lost]]), seatings[mixed]
        )

    def _measured(self, a: NDArray[np.float64]) -> NDArray[np.float64]:
        """``a`` in the coordinates of the measured directions."""
        measured = self.basis.T @ a
        if not measured @ measured > 1e-24:
            raise ValueError("the games do not measure this combination of ratings")
        return np.asarray(measured, dtype=np.float64)


@dataclass(frozen=True)
class _FreeDirections:
    """Linear constraints on a measured direction ``w``: ``upper @ w <= 0``,
    ``level @ w == 0``."""

    upper: NDArray[np.float64]
    level: NDArray[np.float64]


def fit(matches: Sequence[Match]) -> Ratings:
    """Each policy's Deception and Detection rating, fitted over all ``matches`` at once (see the
    module docstring); the game counts are as in ``ratings.rate``."""
    design = _Design(matches)
    if not len(design.row_of_game):
        return Ratings()
    theta = design.fit(*design.all_counts())
    deception, detection = design.as_ratings(theta)
    return Ratings(deception, detection, design.impostor_games, design.crewmate_games)


def profile_intervals(matches: Sequence[Match], *, level: float = CONFIDENCE) -> Intervals:
    """Each rating's profile-likelihood interval at ``level`` (see the module docstring), with
    the ends the data leave open in ``open_ends``. Deterministic: no resampling, no seed."""
    design = _Design(matches)
    if not len(design.row_of_game):
        return Intervals({}, {})
    profile = _Profile(design, level)
    names = [("deception", p) for p in design.deception]
    names += [("detection", q) for q in design.detection]
    limits: dict[str, dict[str, tuple[float, float]]] = {"deception": {}, "detection": {}}
    open_ends: dict[str, dict[str, str]] = {}
    for column, (side, policy) in enumerate(names):
        low, high = profile.interval(np.eye(len(names))[column])
        limits[side][policy] = (INITIAL_RATING + low, INITIAL_RATING + high)
        open_end = profile.open_end(column)
        if open_end is not None:
            open_ends.setdefault(side, {})[policy] = open_end
    return Intervals(limits["deception"], limits["detection"], open_ends)


@dataclass(frozen=True)
class OneSidedSeating:
    """A seating (the policies on the impostor and on the crewmate seats) whose games were all
    won by one side, with nothing else pinning down how far apart the sides are, and the
    interval of the impostor side's lead ``R_I - R_C`` in points. Its end away from the winners
    is the data's (``limit``: the lead is at least, or at most, that); the other end is the
    prior's."""

    impostors: tuple[str, ...]
    crewmates: tuple[str, ...]
    games: int
    impostors_won: bool
    lead: tuple[float, float]

    @property
    def limit(self) -> float:
        """The end of ``lead`` the data set: the lower one if the impostors won every game."""
        return self.lead[0] if self.impostors_won else self.lead[1]

    @property
    def win_chance_limit(self) -> float:
        """``limit`` as the impostors' chance of winning a game of this seating."""
        return 1.0 / (1.0 + math.pow(10.0, -self.limit / SCALE))

    def describe(self) -> str:
        """The finding in words, e.g. "impostors a vs crewmates b: the impostors won all 20
        games; they are at least 374 points above the crewmates (they win at least 89.6% of
        such games)"."""
        winners, losers = ("impostors", "crewmates")[:: 1 if self.impostors_won else -1]
        lead = self.limit if self.impostors_won else -self.limit  # the winners' least lead
        chance = self.win_chance_limit if self.impostors_won else 1.0 - self.win_chance_limit
        where = f"at least {lead:.0f} points above"
        if lead < 0:  # a few games: the data allow the losers to be a little better
            where = f"at most {-lead:.0f} points below"
        record = f"all {self.games} games" if self.games > 1 else "the one game"
        sides = f"impostors {_seats(self.impostors)} vs crewmates {_seats(self.crewmates)}"
        return (
            f"{sides}: the {winners} won {record}; they are {where} the {losers} "
            f"(they win at least {100 * chance:.1f}% of such games)"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "impostors": list(self.impostors),
            "crewmates": list(self.crewmates),
            "games": self.games,
            "won_by": "impostors" if self.impostors_won else "crewmates",
            "lead": list(self.lead),
            "limit": self.limit,
            "win_chance_limit": self.win_chance_limit,
        }


def _seats(policies: Sequence[str]) -> str:
    """A side's policies in words: "heuristic" or "4 x random" or "2 x random + llm"."""
    counts = Counter(policies)
    return " + ".join(p if n == 1 else f"{n} x {p}" for p, n in sorted(counts.items()))


def one_sided_seatings(
    matches: Sequence[Match], *, level: float = CONFIDENCE
) -> list[OneSidedSeating]:
    """The seatings one side won every game of whose lead the data leave open (no other games
    pin it down), each with the profile-likelihood interval of the impostors' lead
    (``R_I - R_C``): the plain-words answer to "how sure are we?" when the record is 20 of 20.

    A seating played once and won is one-sided too; with many seatings (policies drawn per
    seat) most are, but the games around them usually pin their leads down."""
    design = _Design(matches)
    found = []
    for row, profile in _open_rows(design, level):
        impostors, crewmates = design.seatings[row]
        found.append(
            OneSidedSeating(
                impostors,
                crewmates,
                int(profile.played[row]),
                bool(profile.won[row] > 0),
                profile.interval(design.matrix[row]),
            )
        )
    return found


def open_seatings(matches: Sequence[Match]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The seatings (sorted impostor-side and crewmate-side policies) one side won every game
    of whose lead the games leave open; ``one_sided_seatings`` without the intervals."""
    design = _Design(matches)
    return [design.seatings[row] for row, _ in _open_rows(design, CONFIDENCE)]


def _open_rows(design: _Design, level: float) -> list[tuple[int, _Profile]]:
    """The rows of ``design`` one side won every game of whose lead the games leave open, with
    the profile that found them."""
    if not len(design.row_of_game):
        return []
    played, won = design.all_counts()
    one_sided = [r for r in range(len(played)) if won[r] in (0.0, played[r])]
    if not one_sided:
        return []
    profile = _Profile(design, level)
    return [(row, profile) for row in profile.open_leads(one_sided)]


def bootstrap_intervals(matches: Sequence[Match], *, rounds: int = 100, seed: int = 0) -> Intervals:
    """Refit on ``rounds`` resamples (with replacement) of ``matches``; return each rating's
    2.5th and 97.5th percentiles. A resample that happens to leave a policy out still rates it
    (at the prior's 1500), which widens that policy's interval, as its scarcity deserves.

    Kept to compare with ``profile_intervals`` (they agree on ordinary data), not to report:
    a seating whose games all went one way adds nothing to the spread of the resamples, and
    when every seating did, the interval is zero-width."""
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


def to_dict(
    ratings: Ratings,
    intervals: Intervals | None,
    one_sided: Sequence[OneSidedSeating] = (),
) -> dict[str, Any]:
    """The fit as JSON: ratings, the prior and (when computed) the intervals. ``intervals`` keeps
    its shape (a ``[low, high]`` pair per rating); ``open_ends`` beside it names the ends the data
    leave open, where the number is the prior's (read it as "at least low" or "at most high"),
    and ``one_sided_seatings`` says how far apart the sides are at least when one won them all."""
    result: dict[str, Any] = {
        "deception": dict(sorted(ratings.deception.items())),
        "detection": dict(sorted(ratings.detection.items())),
        "scale": SCALE,
        "mean": INITIAL_RATING,
        "prior_sd": PRIOR_SD,
    }
    if intervals is not None:
        result["intervals"] = intervals.to_dict()
        result["interval_method"] = f"profile likelihood, {CONFIDENCE:.0%}"
        result["open_ends"] = {
            side: dict(sorted(ends.items())) for side, ends in sorted(intervals.open_ends.items())
        }
        result["one_sided_seatings"] = [seating.to_dict() for seating in one_sided]
    return result
