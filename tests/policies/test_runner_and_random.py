"""The game runner and the random policy: seeded, reproducible, independent of the worker count,
and consistent with the event log."""

from __future__ import annotations

import pytest

from amongagents.replay import replay
from amongus_marl import raw_env
from amongus_marl.evaluation import GameRunner, Lineup, run_games
from amongus_marl.evaluation.runner import game_seed, iter_games
from amongus_marl.policies import RandomPolicy, make_policy
from amongus_marl.policies import base as policy_registry


def play_random_game(policy: RandomPolicy, seed: int) -> list[int]:
    env = raw_env(config="five_member")
    env.reset(seed=seed)
    choices = []
    while not env.game.is_over:  # type: ignore[union-attr]
        choice = policy.act(None, {}, env.agent_view())
        choices.append(choice)
        env.step(choice)
    return choices


def test_random_policy_is_reproducible_from_its_seed() -> None:
    assert play_random_game(RandomPolicy(seed=5), 1) == play_random_game(RandomPolicy(seed=5), 1)
    again = RandomPolicy(seed=99)
    again.reset(5)
    assert play_random_game(again, 1) == play_random_game(RandomPolicy(seed=5), 1)
    assert play_random_game(RandomPolicy(seed=5), 1) != play_random_game(RandomPolicy(seed=6), 1)


def test_random_policy_picks_only_legal_entries() -> None:
    env = raw_env(config="seven_member")
    env.reset(seed=3)
    policy = make_policy("random", seed=0)
    for _ in range(300):
        if env.game.is_over:  # type: ignore[union-attr]
            break
        view = env.agent_view()
        choice = policy.act(None, {}, view)
        assert view.mask[choice] == 1
        env.step(choice)


def outcome(results):
    return [
        (r.seed, r.winner, r.timesteps, r.actions, r.kills, r.ejected, r.policies) for r in results
    ]


@pytest.mark.parametrize(
    ("impostor", "crewmate"),
    [("random", "random"), ("heuristic", "heuristic"), ("heuristic", "random")],
)
def test_runs_repeat_exactly_and_do_not_depend_on_workers(impostor: str, crewmate: str) -> None:
    lineup = Lineup(impostor, crewmate)
    one = run_games("five_member", lineup, 12, seed=4, workers=1)
    again = run_games("five_member", lineup, 12, seed=4, workers=1)
    two = run_games("five_member", lineup, 12, seed=4, workers=2)
    assert outcome(one) == outcome(again) == outcome(two)
    assert [r.index for r in two] == list(range(12))
    assert outcome(one) != outcome(run_games("five_member", lineup, 12, seed=5, workers=1))


def test_results_agree_with_the_event_log() -> None:
    results = run_games(
        "seven_member", Lineup("heuristic", "random", {0: "heuristic"}), 6, seed=2, keep_logs=True
    )
    for result in results:
        log = result.log
        assert log is not None and log["seed"] == result.seed == game_seed(2, result.index)
        assert log["winner"] == result.winner
        assert log["policies"] == list(result.policies)
        assert sum(1 for s in log["steps"] if s["action"].startswith("KILL ")) == result.kills
        assert len(log["steps"]) == result.actions
        game = replay(log)  # the extra "policies" key does not disturb a replay
        assert int(game.winner) == result.winner
        assert tuple(game.impostor_seats()) == result.impostor_seats
        for seat in result.ejected:
            assert not game.players[seat].alive
        roles = {
            p["identity"]
            for p, name in zip(log["players"], log["policies"], strict=True)
            if name == "random"
        }
        assert roles <= {"Crewmate"}
        assert result.policies[0] == "heuristic"


def test_seat_overrides_and_role_policies() -> None:
    runner = GameRunner("five_member", Lineup("heuristic", "random", {2: "heuristic"}))
    result = runner.play(0, 11)
    for seat, name in enumerate(result.policies):
        expected = "heuristic" if seat == 2 or seat in result.impostor_seats else "random"
        assert name == expected


def test_policies_asking_for_observations_get_them() -> None:
    seen: list[object] = []

    class Watcher(RandomPolicy):
        name = "watcher"
        obs_mode = "text"

        def act(self, observation, info, view):  # type: ignore[no-untyped-def]
            seen.append(observation)
            return super().act(observation, info, view)

    runner = GameRunner("five_member", Lineup(Watcher(0), "random"))
    runner.play(0, 3)
    assert seen and all(
        isinstance(o, dict) and "Current Location" in o["observation"] for o in seen
    )
    vector = GameRunner("five_member", Lineup("random", "random"), obs_mode="vector")
    assert vector.play(0, 3).actions > 0


def test_one_name_means_one_policy_in_a_lineup() -> None:
    """Results and ratings are kept by name: two different policies under one name would be
    counted as one (and the runner would play only one of them)."""
    shared = RandomPolicy(seed=1)
    Lineup(shared, shared)  # the same object on both sides is one policy
    Lineup("heuristic", "heuristic", {0: "heuristic"})  # the same registered name too
    for lineup in (
        lambda: Lineup(RandomPolicy(seed=1), RandomPolicy(seed=2)),
        lambda: Lineup("random", RandomPolicy(seed=2)),
        lambda: Lineup("heuristic", "heuristic", {3: RandomPolicy(), 4: RandomPolicy()}),
    ):
        with pytest.raises(ValueError, match="both named 'random'"):
            lineup()


class _GivesUpAfterFiveGames(RandomPolicy):
    """Plays five games per process, then fails at reset (as an endpoint that went away)."""

    name = "gives_up"

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(seed)
        self.resets = 0

    def reset(self, seed: int | None = None) -> None:
        self.resets += 1
        if self.resets > 5:
            raise RuntimeError("the endpoint went away")
        super().reset(seed)


@pytest.mark.parametrize("workers", [1, 2])
def test_games_finished_before_a_failure_are_yielded_before_it(
    workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(policy_registry._REGISTRY, "gives_up", _GivesUpAfterFiveGames)
    finished = []
    with pytest.raises(RuntimeError, match="went away"):
        for result in iter_games(
            "five_member",
            Lineup("gives_up", "random"),
            40,
            workers=workers,
            chunk_size=10,
        ):
            finished.append(result)
    # each process (forked with the registration) finished five games before failing
    assert len(finished) >= 5


def test_a_workers_error_keeps_the_workers_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(policy_registry._REGISTRY, "gives_up", _GivesUpAfterFiveGames)
    with pytest.raises(RuntimeError) as failure:
        list(iter_games("five_member", Lineup("gives_up", "random"), 20, workers=2, chunk_size=10))
    notes = "\n".join(getattr(failure.value, "__notes__", []))
    assert "in a worker process" in notes and "in reset" in notes  # where it really failed
