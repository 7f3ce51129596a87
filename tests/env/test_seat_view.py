"""A seat's perception, kept by the environment (``raw_env.seat_view``): it holds only what the
seat may know, stays frozen once the seat dies, and is a function of the game so far (the same
in a deep copy continued, and in a replay of the log)."""

from __future__ import annotations

import copy
import random
import re

import pytest

from amongagents.config import COLORS
from amongagents.game import Game
from amongagents.records import SeenAction
from amongagents.text import clock_tag, observation_text, own_action_text
from amongus_marl.env import raw_env
from amongus_marl.replay import replay_through_env
from amongus_marl.seat_view import SeatPerception, SeatView, phase_name

PHASE_LINE = re.compile(
    r"Timestep \d+: (a meeting was called; everyone gathers in the Cafeteria to (discuss|vote)"
    r"|the discussion is over; vote to eject a player|the meeting is over; back to the task "
    r"phase)\.|Game over: .*"
)
ROLE_WORDS = re.compile(r"impostor|crewmate", re.IGNORECASE)
COLOR_WORD = re.compile(r"\b(" + "|".join(COLORS) + r")\b", re.IGNORECASE)


def own_lines(game: Game, seat: int) -> set[str]:
    me = game.players[seat]
    lines = {observation_text(record, game.names) for record in me.observations}
    return lines | {f"You: {own_action_text(entry)}" for entry in me.action_history}


def own_chat(game: Game, seat: int) -> set[str]:
    me = game.players[seat]
    heard = {
        observation_text(r, game.names)
        for r in me.observations
        if isinstance(r, SeenAction) and r.action.text.startswith("SPEAK:")
    }
    said = {
        f"Timestep {e.clock.timestep}: {clock_tag(e.clock, own=False)} {game.names[seat]} "
        + e.action.text
        for e in me.action_history
        if e.action.text.startswith("SPEAK:")
    }
    return heard | said


def play(env: raw_env, rng: random.Random, views: list[dict[str, SeatView]]) -> None:
    """Random legal moves to the end, every seat's view recorded after each step."""
    while not env.game.is_over:  # type: ignore[union-attr]
        legal = env.legal_actions()
        env.step(rng.choice(legal))
        views.append({agent: env.seat_view(agent) for agent in env.possible_agents})


@pytest.mark.parametrize("seed", range(12))
def test_seat_views_hold_only_the_seats_own_knowledge(seed: int) -> None:
    env = raw_env(obs_mode="text")
    env.reset(seed=seed)
    views: list[dict[str, SeatView]] = []
    play(env, random.Random(seed), views)
    game = env.game
    assert game is not None
    checked = 0
    for agent in env.possible_agents:
        seat = env.agent_name_mapping[agent]
        allowed, chat = own_lines(game, seat), own_chat(game, seat)
        death: SeatView | None = None
        for step in views:
            view = step[agent]
            for line in view.events:
                assert line in allowed or PHASE_LINE.fullmatch(line), line
                checked += 1
                if not game.players[seat].is_impostor:
                    fact = line.split("SPEAK:", 1)[0]
                    if ROLE_WORDS.search(fact):
                        named = {m.lower() for m in COLOR_WORD.findall(fact)}
                        assert named <= {game.players[seat].color}, line
            assert set(view.chat) <= chat
            if view.dead_sight:
                if death is None:
                    death = view
                assert view.sight == death.sight  # the dead perceive nothing more
        assert (death is not None) == (not game.players[seat].alive)
    assert checked > 0


def test_events_are_those_since_the_seats_previous_action() -> None:
    env = raw_env(obs_mode="text")
    env.reset(seed=7)
    rng = random.Random(7)
    first = env.agent_selection
    env.step(rng.choice(env.legal_actions()))
    view = env.seat_view(first)
    assert view.events and view.events[0].startswith("You: ")
    while env.agent_selection != first:
        env.step(rng.choice(env.legal_actions()))
    before = env.seat_view(first).events
    assert before[: len(view.events)] == view.events  # only grows until the seat acts
    env.step(rng.choice(env.legal_actions()))
    after = env.seat_view(first).events
    game = env.game
    assert game is not None
    last = game.players[env.agent_name_mapping[first]].action_history[-1]
    assert after[0] == f"You: {own_action_text(last)}"  # what came before the action is gone
    assert after[0] not in before


def test_seat_view_is_a_function_of_the_game_so_far() -> None:
    env = raw_env(obs_mode="vector")
    env.keep_seat_views = True  # vectors keep none unless asked
    env.reset(seed=21)
    rng = random.Random(21)
    for _ in range(40):
        env.step(rng.choice(env.legal_actions()))
    twin = copy.deepcopy(env)
    moves_rng = random.Random(5)
    moves: list[str] = []
    while not env.game.is_over:  # type: ignore[union-attr]
        move = moves_rng.choice(env.legal_actions())
        moves.append(move)
        env.step(move)
    for move in moves:
        twin.step(move)
    replayed = replay_through_env(raw_env(obs_mode="text"), env.event_log())
    for agent in env.possible_agents:
        assert twin.seat_view(agent) == env.seat_view(agent)
        assert replayed.seat_view(agent) == env.seat_view(agent)


def test_vector_environments_keep_seat_views_only_when_asked() -> None:
    env = raw_env(obs_mode="vector")
    env.reset(seed=1)
    with pytest.raises(RuntimeError, match="keep_seat_views=True"):
        env.seat_view(env.agent_selection)
    assert raw_env(obs_mode="text").keep_seat_views and not env.keep_seat_views


def test_unknown_agent_is_a_clear_error() -> None:
    env = raw_env()
    env.reset(seed=1)
    with pytest.raises(ValueError, match="unknown agent"):
        env.seat_view("player_99")


@pytest.mark.parametrize("seed", range(20))
def test_lazy_perception_equals_taking_everything_in_after_every_step(seed: int) -> None:
    """The oracle: every seat updated after every step, as the server once did per session."""
    env = raw_env(obs_mode="text")
    env.reset(seed=seed)
    game = env.game
    assert game is not None
    eager = [SeatPerception(game, seat) for seat in range(7)]
    rng = random.Random(seed)
    steps = 0
    while not game.is_over:
        eager[game.current_seat].begin_action()
        env.step(rng.choice(env.legal_actions()))
        phase = phase_name(game)
        for perception in eager:
            perception.update(game, phase)
        looked = rng.sample(env.possible_agents, 2)  # looking changes nothing
        for agent in looked:
            assert env.seat_view(agent) == eager[env.agent_name_mapping[agent]].view(game)
            assert env.known_living(agent) == env.seat_view(agent).public_living
        steps += 1
    for agent in env.possible_agents:
        assert env.seat_view(agent) == eager[env.agent_name_mapping[agent]].view(game)
    assert steps > 10
