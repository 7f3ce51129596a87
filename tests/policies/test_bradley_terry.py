"""The Bradley–Terry ratings: they recover known strengths, and their intervals shrink with games,
contain the truth about 95% of the time, and stay honest when one side won every game.

Unlike the 7vik Elo (whose intervals stay about 165 points wide however many games are played),
the fit's profile-likelihood interval narrows like one over the square root of the games.
"""

from __future__ import annotations

import math
import random

import pytest
from scipy.optimize import brentq, minimize_scalar

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
        intervals = bradley_terry.profile_intervals(matches)
        low, high = intervals.deception["heuristic"]
        assert low <= true_deception <= high, (games, low, high)
        assert low <= ratings.deception["heuristic"] <= high
        low, high = intervals.detection["random"]
        assert low <= true_detection <= high, (games, low, high)
        widths.append(width(intervals.deception["heuristic"]))
    # The standard error halves with four times the games (a different sample: allow slack).
    assert widths[1] < 0.6 * widths[0], widths


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
    intervals = bradley_terry.profile_intervals(matches)
    assert intervals.open_ends == {}  # every seating saw both outcomes
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
    assert bradley_terry.profile_intervals([]) == bradley_terry.profile_intervals([])
    matches = simulated_matchup(100, 0.5, seed=3)
    assert bradley_terry.bootstrap_intervals(
        matches, rounds=20, seed=5
    ) == bradley_terry.bootstrap_intervals(matches, rounds=20, seed=5)
    assert bradley_terry.fit([]).policies == []
    assert bradley_terry.bootstrap_intervals([], rounds=20).deception == {}
    assert bradley_terry.profile_intervals([]).deception == {}
    assert bradley_terry.one_sided_seatings([]) == []


def test_on_ordinary_data_the_profile_interval_matches_the_bootstrap_it_replaced() -> None:
    matches = simulated_matchup(2000, 0.6, seed=11)
    profile = bradley_terry.profile_intervals(matches)
    bootstrap = bradley_terry.bootstrap_intervals(matches, rounds=400, seed=3)
    for side in ("deception", "detection"):
        for policy, (low, high) in getattr(profile, side).items():
            other = getattr(bootstrap, side)[policy]
            # Both are about the estimate plus or minus 1.96 standard errors (here about 10
            # points); 400 resamples place a percentile to within a couple of points.
            assert low == pytest.approx(other[0], abs=3) and high == pytest.approx(other[1], abs=3)
    assert profile.open_ends == {}


def test_200_simulated_matchups_put_the_truth_inside_about_95_percent_of_intervals() -> None:
    # 200 games a matchup at a 60% impostor win rate: the true Deception rating is 1535.
    true_deception = 1500 + SIXTY_PERCENT_GAP / 2
    inside = sum(
        low <= true_deception <= high
        for seed in range(200)
        for low, high in [
            bradley_terry.profile_intervals(simulated_matchup(200, 0.6, seed)).deception[
                "heuristic"
            ]
        ]
    )
    # 95% of 200 is 190; the count itself varies by about 3 from one simulation to the next.
    assert 183 <= inside <= 197, inside


def test_twenty_wins_in_twenty_games_bound_the_gap_below_and_leave_it_open_above() -> None:
    matches = [Match(("heuristic",), ("random",), True)] * 20
    # The old interval: every resample is 20 of 20, every refit the same, the width zero.
    assert width(bradley_terry.bootstrap_intervals(matches).deception["heuristic"]) == 0

    intervals = bradley_terry.profile_intervals(matches)
    low, high = intervals.deception["heuristic"]
    estimate = bradley_terry.fit(matches).deception["heuristic"]
    assert low < estimate < high
    # The games set the lower end; a larger gap only makes 20 of 20 likelier, so the upper end
    # is the prior's, and is named as open.
    assert intervals.open_ends == {
        "deception": {"heuristic": "upper"},
        "detection": {"random": "lower"},
    }

    # The lower end by hand. With one policy a side the ratings are 1500 +- d/2 for a gap d, and
    # minus the log of (likelihood x prior) is 20 log(1 + 10^(-d/400)) + d^2 / (4 * 1000^2); the
    # end is where twice its rise from the best d reaches 3.84 (chi-squared, 1 d.f., 95%).
    def minus_log_posterior(d: float) -> float:
        return 20 * math.log1p(10 ** (-d / 400)) + d**2 / (4 * bradley_terry.PRIOR_SD**2)

    best = minimize_scalar(minus_log_posterior, bounds=(0, 4000), method="bounded").x
    gap = brentq(
        lambda d: 2 * (minus_log_posterior(d) - minus_log_posterior(best)) - 3.841459, 0, best
    )
    assert low == pytest.approx(1500 + gap / 2, abs=0.05)
    # In words: the impostors are at least that many points above, i.e. win at least ~90%.
    (seating,) = bradley_terry.one_sided_seatings(matches)
    assert seating.limit == pytest.approx(gap, abs=0.1) and seating.lead[1] > 2 * gap
    assert seating.win_chance_limit == pytest.approx(expected_score(gap, 0), abs=1e-6)
    assert 0.85 < seating.win_chance_limit < 0.92  # 20 of 20 is 12% likely at a 90% win rate
    assert f"at least {gap:.0f} points above the crewmates" in seating.describe()


def test_a_crew_that_won_every_game_gets_the_mirror_image() -> None:
    won = bradley_terry.profile_intervals([Match(("a",), ("b",), True)] * 20)
    lost = bradley_terry.profile_intervals([Match(("a",), ("b",), False)] * 20)
    assert lost.deception["a"] == pytest.approx(
        tuple(3000 - v for v in reversed(won.deception["a"])), abs=0.05
    )
    assert lost.open_ends == {"deception": {"a": "lower"}, "detection": {"b": "upper"}}
    (seating,) = bradley_terry.one_sided_seatings([Match(("a",), ("b",), False)] * 20)
    assert "the crewmates won all 20 games; they are at least" in seating.describe()


def test_only_the_seatings_won_every_time_are_reported_as_one_sided() -> None:
    mixed = simulated_matchup(100, 0.5, seed=8)
    swept = [Match(("heuristic",), ("llm",), True)] * 15
    (seating,) = bradley_terry.one_sided_seatings(mixed + swept)
    assert (seating.impostors, seating.crewmates, seating.games) == (("heuristic",), ("llm",), 15)
    assert bradley_terry.one_sided_seatings(mixed) == []
    # llm's Detection rating has no lower limit from the games. The ratings sit around a mean
    # of 1500, so as llm's falls, heuristic's and random's (tied to each other by the mixed
    # games) are dragged up by half as much: their intervals widen but stay closed, and the
    # gap between them is what the mixed games say.
    intervals = bradley_terry.profile_intervals(mixed + swept)
    assert intervals.open_ends == {"detection": {"llm": "lower"}}
    alone = bradley_terry.profile_intervals(mixed)
    low, high = intervals.detection["random"]
    assert alone.detection["random"][1] - alone.detection["random"][0] < high - low < 1000
    alone, together = bradley_terry.fit(mixed), bradley_terry.fit(mixed + swept)
    assert together.deception["heuristic"] - together.detection["random"] == pytest.approx(
        alone.deception["heuristic"] - alone.detection["random"], abs=1
    )


def test_two_sweeps_are_each_reported() -> None:
    mixed = simulated_matchup(100, 0.5, seed=9)
    swept = [Match(("heuristic",), ("llm",), True)] * 12
    sweeping = [Match(("llm",), ("random",), False)] * 7  # llm's impostors lost all 7
    found = bradley_terry.one_sided_seatings(mixed + swept + sweeping)
    assert {(s.impostors, s.crewmates, s.games, s.impostors_won) for s in found} == {
        (("heuristic",), ("llm",), 12, True),
        (("llm",), ("random",), 7, False),
    }
    one_game = bradley_terry.one_sided_seatings([Match(("a",), ("b",), False)])
    assert "the crewmates won the one game; they are at most" in one_game[0].describe()


def test_a_sweep_that_other_games_pin_down_is_not_open() -> None:
    # c swept d, but c - d = (c - b) - (a - b) + (a - d), and those three were measured both
    # ways: the games bound every rating, and no "at least" statement is needed.
    rng = random.Random(5)
    mixed = [
        Match((impostor,), (crewmate,), rng.random() < 0.5)
        for impostor, crewmate in [("a", "b"), ("a", "d"), ("c", "b")] * 100
    ]
    swept = [Match(("c",), ("d",), True)] * 20
    intervals = bradley_terry.profile_intervals(mixed + swept)
    assert intervals.open_ends == {}
    assert bradley_terry.one_sided_seatings(mixed + swept) == []
    low, high = intervals.deception["c"]
    assert high - low < 200  # both ends the data's, not the prior's thousands of points


def test_the_fits_json_keeps_the_interval_pairs_and_says_which_ends_are_open() -> None:
    matches = [Match(("a",), ("b",), True)] * 20
    intervals = bradley_terry.profile_intervals(matches)
    data = bradley_terry.to_dict(
        bradley_terry.fit(matches), intervals, bradley_terry.one_sided_seatings(matches)
    )
    assert data["intervals"] == {
        "deception": {"a": list(intervals.deception["a"])},
        "detection": {"b": list(intervals.detection["b"])},
    }
    assert data["open_ends"] == {"deception": {"a": "upper"}, "detection": {"b": "lower"}}
    assert data["interval_method"] == "profile likelihood, 95%"
    assert [s["won_by"] for s in data["one_sided_seatings"]] == ["impostors"]
