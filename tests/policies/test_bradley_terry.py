"""The Bradley–Terry ratings: they recover known strengths, and their intervals shrink with games.

Unlike the 7vik Elo (whose intervals stay about 165 points wide however many games are played),
the fit's bootstrap interval narrows like one over the square root of the games.
"""

from __future__ import annotations

import math
import random

import pytest

from amongus_marl.evaluation import bradley_terry
from amongus_marl.evaluation.ratings import Match, bootstrap_intervals, expected_score, rate

#: A side that wins 60% of its games is this many points above its opponents.
SIXTY_PERCENT_GAP = 400 * math.log10(0.6 / 0.4)


def simulated_matchup(games: int, impostor_win_rate: float, seed: int) -> list[Match]:
    rng = random.Random(seed)
    return [
        Match(("heuristic",), ("random",), rng.random() < impostor_win_rate) for _ in range(games)
    ]


def width(interval: tuple[float, float]) -> float:
    return interval[1] - interval[0]


def test_a_sixty_percent_matchup_is_recovered_and_its_interval_narrows_with_4x_the_games() -> None:
    true_deception = 1500 + SIXTY_PERCENT_GAP / 2  # one policy a side: their mean stays 1500
    true_detection = 1500 - SIXTY_PERCENT_GAP / 2
    widths = []
    for games in (500, 2000):
        matches = simulated_matchup(games, 0.6, seed=games)
        ratings = bradley_terry.fit(matches)
        intervals = bradley_terry.bootstrap_intervals(matches, rounds=200, seed=1)
        low, high = intervals.deception["heuristic"]
        assert low <= true_deception <= high, (games, low, high)
        assert low <= ratings.deception["heuristic"] <= high
        low, high = intervals.detection["random"]
        assert low <= true_detection <= high, (games, low, high)
        widths.append(width(intervals.deception["heuristic"]))
    # The standard error halves with four times the games; allow for bootstrap noise.
    assert widths[1] < 0.7 * widths[0], widths


def test_the_7vik_elo_on_the_same_games_does_not_narrow() -> None:
    # Why the fit exists: Elo with K = 32 forgets old games, so more games do not help.
    widths = []
    for games in (500, 2000):
        matches = simulated_matchup(games, 0.6, seed=games)
        widths.append(
            width(bootstrap_intervals(matches, rounds=100, seed=1).deception["heuristic"])
        )
    assert widths[1] > 0.7 * widths[0], widths


def test_one_policy_a_side_by_hand() -> None:
    # 30 wins in 40 games: odds 3 to 1, a gap of 400 log10(3) = 190.8 points, centred on 1500.
    matches = [Match(("a",), ("b",), i < 30) for i in range(40)]
    ratings = bradley_terry.fit(matches)
    gap = ratings.deception["a"] - ratings.detection["b"]
    assert gap == pytest.approx(400 * math.log10(3), abs=0.5)  # the weak prior: under a point
    assert ratings.deception["a"] + ratings.detection["b"] == pytest.approx(3000)
    assert expected_score(ratings.deception["a"], ratings.detection["b"]) == pytest.approx(
        0.75, abs=1e-3
    )
    assert ratings.impostor_games == {"a": 40} and ratings.crewmate_games == {"b": 40}


def test_the_fit_does_not_depend_on_the_order_of_the_games() -> None:
    matches = simulated_matchup(300, 0.55, seed=4)
    shuffled = list(matches)
    random.Random(0).shuffle(shuffled)
    assert rate(matches).deception != rate(shuffled).deception  # Elo does
    assert bradley_terry.fit(shuffled).deception == pytest.approx(
        bradley_terry.fit(matches).deception, abs=1e-6
    )


def test_mixed_lineups_recover_each_policys_ratings() -> None:
    # Per-seat lineups: the side's strength is the mean over its seats, as in the Elo update.
    truth = {
        "deception": {"a": 1600.0, "b": 1450.0},
        "detection": {"a": 1500.0, "b": 1400.0, "c": 1650.0},
    }
    seatings = [
        (("a",), ("b", "b", "c", "c")),
        (("b",), ("a", "a", "c", "c")),
        (("a",), ("a", "b", "b", "c")),
        (("b",), ("b", "b", "b", "b")),
        (("a",), ("c", "c", "c", "c")),
    ]
    rng = random.Random(7)
    matches = []
    for i in range(6000):
        impostors, crewmates = seatings[i % len(seatings)]
        r_i = sum(truth["deception"][p] for p in impostors) / len(impostors)
        r_c = sum(truth["detection"][q] for q in crewmates) / len(crewmates)
        matches.append(Match(impostors, crewmates, rng.random() < expected_score(r_i, r_c)))
    ratings = bradley_terry.fit(matches)
    intervals = bradley_terry.bootstrap_intervals(matches, rounds=100, seed=2)
    # Only differences are measured, so compare after moving the truth to the fit's level
    # (the mean of all ratings is 1500).
    everything = [*truth["deception"].values(), *truth["detection"].values()]
    shift = 1500 - sum(everything) / len(everything)
    for side in ("deception", "detection"):
        for policy, value in truth[side].items():
            low, high = getattr(intervals, side)[policy]
            assert low <= value + shift <= high, (side, policy, low, value + shift, high)
            assert abs(getattr(ratings, side)[policy] - (value + shift)) < 40


def test_a_side_that_always_won_gets_a_finite_rating() -> None:
    matches = [Match(("a",), ("b",), True)] * 500
    ratings = bradley_terry.fit(matches)
    assert math.isfinite(ratings.deception["a"]) and ratings.deception["a"] > 2000
    assert ratings.deception["a"] + ratings.detection["b"] == pytest.approx(3000)


def test_bootstrap_is_seeded_and_empty_inputs_give_nothing() -> None:
    matches = simulated_matchup(100, 0.5, seed=3)
    assert bradley_terry.bootstrap_intervals(
        matches, rounds=20, seed=5
    ) == bradley_terry.bootstrap_intervals(matches, rounds=20, seed=5)
    assert bradley_terry.fit([]).policies == []
    assert bradley_terry.bootstrap_intervals([], rounds=20).deception == {}
