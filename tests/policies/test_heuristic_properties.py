"""Properties of the heuristic over many random games of many configurations."""

from __future__ import annotations

import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from amongagents.config import ConfigError, GameConfig
from amongus_marl import raw_env
from amongus_marl.evaluation import GameRunner, Lineup
from amongus_marl.policies import HeuristicPolicy


@st.composite
def configs(draw: st.DrawFn) -> GameConfig:
    players = draw(st.integers(3, 12))
    impostors = draw(st.integers(1, max(1, (players - 1) // 2)))
    values = {
        "num_players": players,
        "num_impostors": impostors,
        "num_common_tasks": draw(st.integers(0, 2)),
        "num_short_tasks": draw(st.integers(0, 2)),
        "num_long_tasks": draw(st.integers(0, 1)),
        "discussion_rounds": draw(st.integers(0, 3)),
        "max_num_buttons": draw(st.integers(0, 3)),
        "kill_cooldown": draw(st.integers(0, 4)),
        "max_timesteps": draw(st.integers(1, 60)),
    }
    try:
        return GameConfig(**values)
    except ConfigError:
        return GameConfig()


@settings(max_examples=40, deadline=None)
@given(config=configs(), seed=st.integers(0, 2**32), lineup=st.sampled_from(["heuristic", "mixed"]))
def test_whole_games_end_with_legal_choices_only(
    config: GameConfig, seed: int, lineup: str
) -> None:
    # The runner plays through the environment, which raises on any illegal index.
    seats = (
        Lineup("heuristic", "heuristic") if lineup == "heuristic" else Lineup("heuristic", "random")
    )
    result = GameRunner(config, seats).play(0, seed)
    assert result.winner != 0


def test_the_policy_can_be_reused_without_reset_between_games() -> None:
    policy = HeuristicPolicy(seed=1)
    runner = GameRunner("five_member", Lineup(policy, policy))
    first = [runner.play(i, i) for i in range(5)]
    fresh = [HeuristicPolicy(seed=1) for _ in range(5)]  # a new object for every game
    again = [GameRunner("five_member", Lineup(p, p)).play(i, i) for i, p in enumerate(fresh)]
    # the runner resets before every game, so a reused object plays like a fresh one
    assert [r.winner for r in first] == [r.winner for r in again]


def _heuristic_turn(env: raw_env, policy: HeuristicPolicy) -> None:
    env.step(policy.act(None, {}, env.agent_view()))


def test_one_policy_shared_by_interleaved_games_plays_each_as_if_alone() -> None:
    """A scripted opponent serving several vectorised environments keeps each game's memory:
    interleaving turns of two games gives the games it gives when they are played one after
    the other."""
    policy = HeuristicPolicy(seed=1)
    one_after_the_other = []
    for seed in (11, 12):
        env = raw_env(config="seven_member")
        env.reset(seed=seed)
        while not env.game.is_over:
            _heuristic_turn(env, policy)
        one_after_the_other.append(env.game.event_log())

    policy.reset(seed=1)
    envs = [raw_env(config="seven_member"), raw_env(config="seven_member")]
    for env, seed in zip(envs, (11, 12), strict=True):
        env.reset(seed=seed)
    while not all(env.game.is_over for env in envs):
        for env in envs:
            if not env.game.is_over:
                _heuristic_turn(env, policy)
    assert [env.game.event_log() for env in envs] == one_after_the_other


def test_a_heuristic_policy_pickles_and_its_copy_plays_like_a_fresh_one() -> None:
    """Worker processes and checkpoints copy policies; games in progress are not copied."""
    played = HeuristicPolicy(seed=3)
    env = raw_env(config="five_member")
    env.reset(seed=1)
    _heuristic_turn(env, played)  # it now remembers a game
    copy = pickle.loads(pickle.dumps(played))
    copy.reset(seed=3)
    fresh = HeuristicPolicy(seed=3)
    games = []
    for policy in (copy, fresh):
        env.reset(seed=2)
        while not env.game.is_over:
            _heuristic_turn(env, policy)
        games.append(env.game.event_log())
    assert games[0] == games[1]
