"""Elo ratings and win-rate statistics on small cases worked out by hand."""

from __future__ import annotations

import math

import pytest

from amongus_marl.evaluation.ratings import (
    INITIAL_RATING,
    K_FACTOR,
    Match,
    bootstrap_intervals,
    expected_score,
    rate,
    win_records,
)
from amongus_marl.evaluation.runner import GameResult
from amongus_marl.evaluation.stats import difference_interval, summarize, wilson_interval


def match(
    impostors: str | tuple[str, ...], crewmates: str | tuple[str, ...], impostors_win: bool
) -> Match:
    as_tuple = lambda x: (x,) if isinstance(x, str) else x  # noqa: E731
    return Match(as_tuple(impostors), as_tuple(crewmates), impostors_win)


def test_expected_score() -> None:
    assert expected_score(1500, 1500) == 0.5
    assert expected_score(1900, 1500) == pytest.approx(10 / 11)  # 400 points: odds 10 to 1
    assert expected_score(1600, 1500) == pytest.approx(1 / (1 + 10**-0.25))
    assert expected_score(1600, 1500) + expected_score(1500, 1600) == pytest.approx(1.0)


def test_one_game_moves_both_ratings_by_half_k() -> None:
    ratings = rate([match("heuristic", "random", True)])
    assert K_FACTOR == 32 and INITIAL_RATING == 1500
    assert ratings.deception == {"heuristic": 1516.0}
    assert ratings.detection == {"random": 1484.0}
    assert ratings.impostor_games == {"heuristic": 1}
    assert ratings.crewmate_games == {"random": 1}


def test_two_games_by_hand() -> None:
    ratings = rate([match("heuristic", "random", True), match("heuristic", "random", False)])
    # second game: D = 1516 against T = 1484, the crew wins
    expected_d = 1 / (1 + 10 ** ((1484 - 1516) / 400))  # 0.54592...
    assert ratings.deception["heuristic"] == pytest.approx(1516 - 32 * expected_d)
    assert ratings.detection["random"] == pytest.approx(1484 + 32 * (1 - (1 - expected_d)))
    assert ratings.deception["heuristic"] == pytest.approx(1498.53, abs=0.01)
    assert ratings.detection["random"] == pytest.approx(1501.47, abs=0.01)


def test_mixed_sides_use_the_mean_rating_of_the_seats() -> None:
    ratings = rate([match("a", "c", True)])  # a: D 1516, c: T 1484
    ratings = rate([match("a", "c", True), match(("a", "b"), ("c", "c", "d"), False)])
    impostor_side = (1516 + 1500) / 2
    crew_side = (1484 + 1484 + 1500) / 3
    assert ratings.deception["a"] == pytest.approx(
        1516 + 32 * (0 - expected_score(1516, crew_side))
    )
    assert ratings.deception["b"] == pytest.approx(
        1500 + 32 * (0 - expected_score(1500, crew_side))
    )
    assert ratings.detection["c"] == pytest.approx(
        1484 + 32 * (1 - expected_score(1484, impostor_side))
    )
    assert ratings.detection["d"] == pytest.approx(
        1500 + 32 * (1 - expected_score(1500, impostor_side))
    )
    assert ratings.impostor_games == {"a": 2, "b": 1}
    assert ratings.crewmate_games == {"c": 2, "d": 1}  # a policy counts once per game


def test_order_matters_and_shuffling_is_seeded() -> None:
    games = [match("h", "r", True)] * 5 + [match("h", "r", False)] * 5
    assert rate(games).deception != rate(list(reversed(games))).deception
    assert rate(games, shuffle_seed=3).deception == rate(games, shuffle_seed=3).deception
    assert rate(games).to_dict()["deception"] == {"h": pytest.approx(rate(games).deception["h"])}


def test_bootstrap_intervals_bracket_the_ratings() -> None:
    games = [match("h", "r", i % 3 != 0) for i in range(60)]
    intervals = bootstrap_intervals(games, rounds=50, seed=1)
    low, high = intervals.deception["h"]
    assert low <= high
    assert intervals == bootstrap_intervals(games, rounds=50, seed=1)
    assert low < rate(games).deception["h"] + 100 and high > rate(games).deception["h"] - 100


def test_elo_interval_of_a_side_that_won_every_game_is_not_zero_width() -> None:
    games = [match("h", "r", True)] * 20
    elo = rate(games).deception["h"]  # 20 straight wins: the highest 20 games can reach
    low, high = bootstrap_intervals(games, rounds=200, seed=1).deception["h"]
    # Plain resampling replays 20 wins every time: [elo, elo]. With the seating's win rate drawn
    # from Beta(20.5, 0.5) first, some resamples lose a game or two, and their Elo is lower.
    assert high == pytest.approx(elo)
    assert low < elo - 30, (low, elo)
    # A late loss costs K * E (about 28 points at E = 0.87) and forgoes the K * (1 - E) (about
    # 4) of a win: the two or so losses in 20 that a win rate of 88% or more allows.
    assert low > elo - 3 * K_FACTOR


def plain_resample_interval(games: list[Match], rounds: int, seed: int) -> tuple[float, float]:
    """The Deception interval of "h" by plain resample-and-replay, written out."""
    import random

    rng = random.Random(seed)
    values = sorted(
        rate([games[rng.randrange(len(games))] for _ in games]).deception["h"]
        for _ in range(rounds)
    )
    return values[round(0.025 * (rounds - 1))], values[round(0.975 * (rounds - 1))]


def test_seatings_that_saw_both_outcomes_are_resampled_as_they_are() -> None:
    # The smoothing touches only sweeps: on mixed data the interval is the plain
    # resample-and-replay percentile interval, draw for draw.
    games = [match("h", "r", i % 3 != 0) for i in range(60)]
    assert bootstrap_intervals(games, rounds=40, seed=4).deception["h"] == (
        plain_resample_interval(games, 40, 4)
    )


def test_a_sweep_that_other_games_pin_down_is_resampled_as_it_is() -> None:
    # h swept d, but h - d = (h - r) - (a - r) + (a - d), all measured both ways: the games
    # around the sweep carry its uncertainty, and redrawing its outcomes would only add noise.
    mixed = [
        match(impostor, crewmate, (i * 7) % 5 < 3)
        for i, (impostor, crewmate) in enumerate([("a", "r"), ("a", "d"), ("h", "r")] * 20)
    ]
    games = mixed + [match("h", "d", True)] * 10
    assert bootstrap_intervals(games, rounds=40, seed=2).deception["h"] == (
        plain_resample_interval(games, 40, 2)
    )


def test_match_from_log_and_win_records() -> None:
    log = {
        "players": [{"identity": "Impostor"}, {"identity": "Crewmate"}, {"identity": "Crewmate"}],
        "policies": ["heuristic", "random", "heuristic"],
        "winner": 3,  # tasks completed: the crew wins
    }
    m = Match.from_log(log)
    assert m == Match(("heuristic",), ("random", "heuristic"), False)
    with pytest.raises(ValueError, match="policies"):
        Match.from_log({"players": [], "winner": 1})
    records = win_records([m, Match(("random",), ("heuristic",), True)])
    assert records == {
        "heuristic": {"impostor": (0, 1), "crewmate": (1, 2)},
        "random": {"crewmate": (1, 1), "impostor": (1, 1)},
    }


def test_wilson_interval_known_values() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)
    low, high = wilson_interval(81, 100)
    assert low == pytest.approx(0.7222, abs=1e-4) and high == pytest.approx(0.8749, abs=1e-4)


def test_difference_interval_contains_the_difference() -> None:
    low, high = difference_interval(60, 100, 40, 100)
    assert low < 0.2 < high
    assert high - low == pytest.approx(2 * 1.96 * math.sqrt(0.24 / 100 * 2), abs=0.02)


def result(
    winner: int, *, kills: int = 0, ejected: tuple[int, ...] = (), completion: float = 0.0
) -> GameResult:
    return GameResult(
        index=0,
        seed=0,
        winner=winner,
        timesteps=10,
        actions=50,
        kills=kills,
        ejected=ejected,
        task_completion=completion,
        impostor_seats=(0,),
        policies=("a", "b", "b"),
    )


def test_summary_keys_and_counts() -> None:
    summary = summarize(
        [
            result(1, kills=2, ejected=(1,)),
            result(2, ejected=(0,), completion=0.5),
            result(3, completion=1.0),
            result(4, kills=1),
        ]
    )
    assert summary["games"] == 4
    assert summary["wins"] == {"impostors": 2, "crewmates": 2}
    assert summary["win_rates"]["impostors"]["rate"] == 0.5
    assert summary["wins_by_condition"] == {
        "impostors_outnumber": 1,
        "impostors_eliminated": 1,
        "tasks_completed": 1,
        "time_limit": 1,
    }
    assert summary["mean_game_length"] == 10 and summary["mean_actions"] == 50
    assert summary["kills"] == {"total": 3, "per_game": 0.75}
    assert summary["ejections"] == {
        "total": 2,
        "per_game": 0.5,
        "impostors": 1,
        "crewmates": 1,
        "share_hitting_impostors": 0.5,
    }
    assert summary["task_completion"] == {"mean": 0.375, "min": 0.0, "max": 1.0}
