"""A kill out of a crewmate's sight changes nothing the crewmate observes.

The experiment forks a random game at a turn where an impostor can kill: in one fork it kills,
in the other it does something else the observer cannot see either (fakes a task, or moves or
vents to a room other than the observer's). The seats between the impostor and a crewmate
observer in another room then take the same actions in both forks, and the observer's vector,
mask and 7vik prompt at its next turn must be identical; the victim acts after the observer, so
its absence is not yet visible. A witness in the killer's room, by the same experiment, does see
the difference.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest

from amongagents.actions import Action, ActionKind
from amongus_marl import raw_env
from amongus_marl.observations import text_observation
from tests.env.helpers import PRESET_NAMES

SEEDS_PER_PRESET = 150
#: Experiments each preset must yield, so the property cannot pass by finding none.
MIN_EXPERIMENTS = 10


@dataclass
class Fork:
    """The two forks at the observer's next turn."""

    killed: raw_env
    spared: raw_env
    observer: int


def forks(preset: str, seed: int, witness: bool) -> Iterator[Fork]:
    """Every kill experiment of one random game (``witness``: the observer is in the room)."""
    env = raw_env(config=preset)
    env.reset(seed=seed)
    rng = random.Random(seed)
    game = env.game
    assert game is not None
    while not game.is_over:
        fork = _fork_here(env, witness)
        if fork is not None:
            yield fork
        legal = game.current_legal_actions
        env.step(legal[rng.randrange(len(legal))])


def _fork_here(env: raw_env, witness: bool) -> Fork | None:
    game = env.game
    assert game is not None
    killer = game.current_seat
    legal = game.current_legal_actions
    kills = [a for a in legal if a.kind is ActionKind.KILL]
    if not kills:
        return None
    victim = kills[0].target
    assert victim is not None
    room = game.players[killer].location
    # The observer acts after the killer and before the victim's next turn.
    candidates = [
        p.seat
        for p in game.players
        if p.alive
        and not p.is_impostor
        and p.seat > killer
        and p.seat != victim
        and (victim < killer or victim > p.seat)
        and (p.location == room) == witness
    ]
    if not candidates:
        return None
    observer = candidates[0]
    unseen = [
        a
        for a in legal
        if a.kind is ActionKind.COMPLETE_FAKE_TASK
        or (
            a.kind in (ActionKind.MOVE, ActionKind.VENT)
            and a.room != game.players[observer].location
        )
    ]
    if not unseen:
        return None
    killed, spared = copy.deepcopy(env), copy.deepcopy(env)
    killed.step(kills[0])
    spared.step(unseen[0])
    if not _same_moves_until(killed, spared, observer):
        return None
    return Fork(killed, spared, observer)


def _same_moves_until(killed: raw_env, spared: raw_env, observer: int) -> bool:
    """Play the seats between killer and observer identically in both forks (their first legal
    move in the killed fork); False if a fork cannot follow or the game ends first."""
    a, b = killed.game, spared.game
    assert a is not None and b is not None
    while not a.is_over and not b.is_over and a.current_seat != observer:
        if a.current_seat != b.current_seat:
            return False
        move: Action = a.current_legal_actions[0]
        if move.text not in {m.text for m in b.current_legal_actions}:
            return False
        killed.step(move.text)
        spared.step(move.text)
    return not a.is_over and not b.is_over and b.current_seat == observer


def observed(env: raw_env, seat: int) -> tuple[np.ndarray, np.ndarray, str]:
    game = env.game
    assert game is not None
    seen = env.observe(env.possible_agents[seat])
    return seen["observation"], seen["action_mask"], text_observation(game, seat)


def differences(preset: str, witness: bool) -> list[tuple[bool, bool, bool]]:
    """For every experiment: whether the observer's vector, mask and prompt differ."""
    found = []
    for seed in range(SEEDS_PER_PRESET):
        for fork in forks(preset, seed, witness):
            vector_a, mask_a, prompt_a = observed(fork.killed, fork.observer)
            vector_b, mask_b, prompt_b = observed(fork.spared, fork.observer)
            found.append(
                (
                    not np.array_equal(vector_a, vector_b),
                    not np.array_equal(mask_a, mask_b),
                    prompt_a != prompt_b,
                )
            )
    assert len(found) >= MIN_EXPERIMENTS, f"only {len(found)} experiments found"
    return found


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_a_kill_out_of_sight_changes_nothing_the_crewmate_observes(preset: str) -> None:
    assert all(not any(changed) for changed in differences(preset, witness=False))


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_a_witness_does_see_the_kill(preset: str) -> None:
    for vector, _, prompt in differences(preset, witness=True):
        assert vector and prompt
