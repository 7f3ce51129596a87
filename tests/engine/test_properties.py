"""Invariants over long random games (hypothesis), and a statistical check against the reference.

Every game is played with random legal actions, sometimes given as the action object, sometimes
as its 7vik string, sometimes with a free SPEAK message or a named monitor room. After every step
the invariants of RULES §3–§7 must hold.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amongagents import PRESETS, Game, GameConfig, Phase, WinCode, information_block
from amongagents.actions import Action, ActionKind
from amongagents.skeld import ROOMS


@st.composite
def small_configs(draw: st.DrawFn) -> GameConfig:
    """Small valid configs. Task counts stay low enough that even an impostor seated after every
    crewmate finds the pools non-empty (the looser validation bound is tested on its own in
    test_setup_and_config)."""
    players = draw(st.integers(3, 8))
    return GameConfig(
        num_players=players,
        num_impostors=draw(st.integers(1, players - 1)),
        num_common_tasks=draw(st.integers(0, 2)),
        num_short_tasks=draw(st.integers(0, 2)),
        num_long_tasks=draw(st.integers(0, 1)),
        discussion_rounds=draw(st.integers(0, 3)),
        max_num_buttons=draw(st.integers(0, 3)),
        kill_cooldown=draw(st.integers(0, 4)),
        max_timesteps=draw(st.integers(1, 30)),
    )


configs = st.one_of(st.sampled_from(sorted(PRESETS)).map(PRESETS.__getitem__), small_configs())
seeds = st.integers(0, 2**32 - 1)


def choose(game: Game, rng: random.Random) -> Action | str:
    """A random legal action, in one of the forms a caller may send it."""
    legal = game.legal_actions()
    action = legal[rng.randrange(len(legal))]
    form = rng.random()
    if action.kind is ActionKind.SPEAK and form < 0.3:
        return f"SPEAK: message {rng.randrange(100)}"
    if action.kind is ActionKind.VIEW_MONITOR and form < 0.5:
        return f"VIEW MONITOR {rng.choice(ROOMS)}"
    return action.text if form < 0.5 else action


@dataclass
class Watcher:
    """What must never go backwards between steps."""

    game: Game
    remaining: dict[int, int] = field(default_factory=dict)
    dead: set[int] = field(default_factory=set)
    timestep: int = 0
    living_impostors: int = 0

    def __post_init__(self) -> None:
        self.living_impostors = sum(p.alive and p.is_impostor for p in self.game.players)
        self.check()

    def check(self) -> None:
        game, config = self.game, self.game.config
        assert game.phase in (Phase.TASK, Phase.MEETING)
        assert self.timestep <= game.timestep <= config.max_timesteps
        self.timestep = game.timestep

        for p in game.players:
            for task in p.tasks:
                before = self.remaining.get(id(task), task.spot.duration)
                assert task.remaining <= before, "task progress went backwards"
                self.remaining[id(task)] = task.remaining
            if p.seat in self.dead:
                assert not p.alive, f"{p.name} came back to life"
            if not p.alive:
                self.dead.add(p.seat)
            if p.is_impostor:
                assert 0 <= p.kill_cooldown <= config.kill_cooldown
            else:
                assert p.kill_cooldown == 0
            assert p.location in ROOMS

        bodies = sum(not p.alive and not p.reported_death for p in game.players)
        assert game.unreported_bodies == bodies, "the body count drifted from the bodies"
        assert sorted(game.dead_seats) == sorted(p.seat for p in game.players if not p.alive)

        living_impostors = sum(p.alive and p.is_impostor for p in game.players)
        assert living_impostors <= self.living_impostors
        self.living_impostors = living_impostors

        if game.is_over:
            assert game.winner in (1, 2, 3, 4)
            assert game.legal_actions() == []
            return
        assert game.players[game.current_seat].alive, "a dead seat is acting"
        legal = game.legal_actions()
        assert legal, "a running game offers no action"
        kinds = {a.kind for a in legal}
        if game.phase is Phase.MEETING:
            assert all(p.location == "Cafeteria" for p in game.players)
            assert kinds == ({ActionKind.VOTE} if game.is_voting else {ActionKind.SPEAK})
        else:
            assert not kinds & {ActionKind.SPEAK, ActionKind.VOTE}
            assert ActionKind.MOVE in kinds
        for action in legal:
            resolved = game.resolve(action.text)
            assert (resolved.kind, resolved.text) == (action.kind, action.text)
        listing = information_block(game, game.current_seat).split("Available actions:\n", 1)[1]
        assert listing == "".join(f"{i}. {a.text}\n" for i, a in enumerate(legal, start=1))


def step_bound(config: GameConfig) -> int:
    """No game can take more actions than everyone acting in every round of every timestep."""
    return config.max_timesteps * config.num_players * (config.discussion_rounds + 1)


def play_and_watch(config: GameConfig, seed: int, play_seed: int) -> Game:
    game = Game(config, seed=seed)
    watcher = Watcher(game)
    rng = random.Random(play_seed)
    steps = 0
    while not game.is_over:
        game.step(choose(game, rng))
        steps += 1
        assert steps <= step_bound(config), "the game does not end"
        watcher.check()
    assert game.winner is not WinCode.ONGOING
    return game


@settings(max_examples=600, deadline=None)
@given(config=configs, seed=seeds, play_seed=seeds)
def test_random_play_keeps_the_invariants(config: GameConfig, seed: int, play_seed: int) -> None:
    play_and_watch(config, seed, play_seed)


@settings(max_examples=200, deadline=None)
@given(seed=seeds, play_seed=seeds)
def test_random_seven_member_games_keep_the_invariants(seed: int, play_seed: int) -> None:
    play_and_watch(PRESETS["seven_member"], seed, play_seed)


@settings(max_examples=150, deadline=None)
@given(config=configs, seed=seeds, play_seed=seeds)
def test_every_step_is_logged_with_the_state_it_was_chosen_in(
    config: GameConfig, seed: int, play_seed: int
) -> None:
    game = Game(config, seed=seed)
    rng = random.Random(play_seed)
    while not game.is_over:
        seat, phase, timestep = game.current_seat, game.phase, game.timestep
        game.step(choose(game, rng))
        record = game.steps[-1]
        assert (record.seat, record.phase, record.timestep) == (seat, phase, timestep)
        assert (record.monitor_room is not None) == record.action.startswith("VIEW MONITOR")


# ---------------------------------------------------------------------- statistics (RULES §10)
REFERENCE = {
    # preset: (impostor win share, mean actions per game) from the reference's 200-game runs:
    # five {2: 78, 1: 89, 4: 32, 3: 1} in 20737 steps; seven {4: 15, 1: 160, 2: 25} in 24883.
    "five_member": ((89 + 32) / 200, 20737 / 200),
    "seven_member": ((160 + 15) / 200, 24883 / 200),
}


@pytest.mark.slow
@pytest.mark.parametrize("preset", sorted(REFERENCE))
def test_random_games_match_the_reference_statistics(preset: str) -> None:
    rng = random.Random(2024)
    games = 300
    impostor_wins = actions = 0
    for seed in range(games):
        game = Game(preset, seed=seed)
        while not game.is_over:
            legal = game.legal_actions()
            game.step(legal[rng.randrange(len(legal))])
        impostor_wins += game.winner.impostors_win
        actions += len(game.steps)
    win_rate, mean_actions = REFERENCE[preset]
    assert abs(impostor_wins / games - win_rate) <= 0.12, impostor_wins / games
    assert abs(actions / games - mean_actions) <= 0.25 * mean_actions, actions / games
