"""The heuristic uses only what its seat may know.

Two independent checks:

* a guard: whole games are played with every policy call seeing the game through a proxy that
  raises on any read of hidden state (another player's role, tasks, location or liveness, the
  event log, the RNG, another seat's location message, the team list for a crewmate);
* a permutation property: with the other seats following a role-blind script, a crewmate's
  choices are the same whoever the impostors are and whatever tasks the others hold, as long as
  everything the crewmate has perceived is the same. (Perceptions can legitimately part: the
  Security monitor shows a fake task as such, and a game may end at a different point.)
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amongagents.actions import ActionKind
from amongagents.game import Game
from amongagents.records import Phase
from amongagents.tasks import TASK_POOLS, TaskType
from amongagents.text import observation_text
from amongus_marl import raw_env
from amongus_marl.catalogue import SpeechAct
from amongus_marl.policies import HeuristicPolicy, RandomPolicy
from amongus_marl.policies.base import AgentView
from tests.policies.helpers import Scenario, cast, crewmate, impostor

#: Game attributes any seat may read (public facts and derived phase information).
PUBLIC_GAME_FIELDS = frozenset(
    {
        "config",
        "phase",
        "is_voting",
        "is_over",
        "discussion_round",
        "timestep",
        "button_uses",
        "names",
        "current_seat",
        "clock",
        "discussion_rounds_left",
    }
)
#: Attributes of another player's record that are public (its seat and name).
PUBLIC_PLAYER_FIELDS = frozenset({"seat", "color", "name"})


class HiddenRead(AssertionError):
    pass


class GuardedPlayer:
    def __init__(self, player: Any) -> None:
        object.__setattr__(self, "_player", player)

    def __getattr__(self, name: str) -> Any:
        if name not in PUBLIC_PLAYER_FIELDS:
            raise HiddenRead(f"read another player's {name!r}")
        return getattr(self._player, name)


class GuardedGame:
    """The game as one seat may see it; ``seat`` is set before each decision."""

    def __init__(self, game: Game) -> None:
        self._game = game
        self.seat = -1

    @property
    def players(self) -> tuple[Any, ...]:
        return tuple(p if p.seat == self.seat else GuardedPlayer(p) for p in self._game.players)

    def location_info(self, seat: int) -> Any:
        if seat != self.seat:
            raise HiddenRead(f"seat {self.seat} read seat {seat}'s location message")
        return self._game.location_info(seat)

    def impostor_seats(self) -> list[int]:
        if not self._game.players[self.seat].is_impostor:
            raise HiddenRead(f"crewmate seat {self.seat} read the impostor list")
        return self._game.impostor_seats()

    def __getattr__(self, name: str) -> Any:
        if name not in PUBLIC_GAME_FIELDS:
            raise HiddenRead(f"read game.{name}")
        return getattr(self._game, name)


def play_guarded(preset: str, seed: int, policy: Any) -> Game:
    env = raw_env(config=preset)
    env.reset(seed=seed)
    policy.reset(seed)
    game = env.game
    assert game is not None
    guarded = GuardedGame(game)
    while not game.is_over:
        view = env.agent_view()
        guarded.seat = view.seat
        choice = policy.act(
            None, {}, AgentView(view.seat, guarded, view.legal, view.mask, view.table)
        )  # type: ignore[arg-type]
        env.step(choice)
    return game


@pytest.mark.parametrize("preset", ["five_member", "seven_member"])
@pytest.mark.parametrize("seed", range(12))
def test_heuristic_reads_no_hidden_state(preset: str, seed: int) -> None:
    play_guarded(preset, seed, HeuristicPolicy())


def test_the_guard_catches_a_peek() -> None:
    class Peeker(RandomPolicy):
        def act(self, observation: Any, info: dict[str, Any], view: AgentView) -> int:
            other = (view.seat + 1) % len(view.game.names)
            _ = view.game.players[other].is_impostor
            return super().act(observation, info, view)

    with pytest.raises(HiddenRead):
        play_guarded("five_member", 0, Peeker(0))


# ---------------------------------------------------------------------- permutation property
SPEECH_KINDS = ("accuse", "vouch", "claim", "neutral")
COMMON_ROOMS = ("Cafeteria", "Admin", "Electrical", "Navigation", "Security")
SHORT_TASKS = [(spot.name, spot.room) for spot in TASK_POOLS[TaskType.SHORT]]


def role_blind_script(script_seed: int, button_times: frozenset[int]):
    """Other seats' behaviour, identical whatever their role and hidden tasks: one draw per turn
    from a per-seat generator; moves, the emergency button at given timesteps, the common task
    (real or fake), speech and votes are all options both roles have alike."""
    generators: dict[int, random.Random] = {}

    def script(game: Game, seat: int) -> str | None:
        rng = generators.setdefault(seat, random.Random(script_seed * 100 + seat))
        draw = rng.random()
        legal = game.legal_actions()
        if game.phase is Phase.TASK:
            call = [a for a in legal if a.kind is ActionKind.CALL_MEETING]
            if (
                call
                and game.timestep in button_times
                and game.players[seat].location == "Cafeteria"
            ):
                return call[0].text
            common = [
                a
                for a in legal
                if a.kind in (ActionKind.COMPLETE_TASK, ActionKind.COMPLETE_FAKE_TASK)
                and a.task is not None
                and a.task.type is TaskType.COMMON
            ]
            if common and draw < 0.5:
                return common[0].text
            moves = [a for a in legal if a.kind is ActionKind.MOVE]
            return moves[int(draw * 1000) % len(moves)].text
        living = [p.seat for p in game.players if p.alive and p.seat != seat]  # public in a meeting
        subject = game.names[living[int(draw * 1000) % len(living)]]
        if game.is_voting:
            return f"VOTE {subject}"
        kind = SPEECH_KINDS[int(draw * 4)]
        if kind == "accuse":
            return f"SPEAK: {SpeechAct.accuse(subject)}"
        if kind == "vouch":
            return f"SPEAK: {SpeechAct.vouch(subject)}"
        if kind == "claim":
            return f"SPEAK: {SpeechAct.claim('Admin')}"
        return "SPEAK: ..."

    return script


class Recording(HeuristicPolicy):
    """The heuristic, noting before each decision everything its seat has perceived so far."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self.trace: list[tuple[tuple[Any, ...], int]] = []

    def act(self, observation: Any, info: dict[str, Any], view: AgentView) -> int:
        choice = super().act(observation, info, view)
        self.trace.append((perception(view), choice))
        return choice


def perception(view: AgentView) -> tuple[Any, ...]:
    """Everything the seat can perceive, as observers render it (a task, real or fake, is
    "Seemingly doing task"; the monitor shows raw text)."""
    game, seat = view.game, view.seat
    me = game.players[seat]
    info = game.location_info(seat)
    return (
        game.timestep,
        game.phase,
        game.discussion_round,
        game.button_uses,
        info.room,
        info.occupants,
        info.dead,
        tuple(observation_text(o, game.names) for o in me.observations),
        tuple((t.spot, t.remaining) for t in me.tasks),
        tuple(a.text for a in view.legal),
        tuple(sorted(view.table)),
    )


def play_with_roles(
    preset: str,
    impostor_seats: list[int],
    own_seed: int,
    hidden_seed: int,
    script_seed: int,
    button_times: frozenset[int],
    policy: Any = None,
) -> list[tuple[tuple[Any, ...], int]]:
    """Seat 0 (a crewmate) is played by ``policy``; its tasks and the common task come from
    ``own_seed``, the other crewmates' short tasks from ``hidden_seed``. Returns seat 0's
    (perception, decision) pairs."""
    n = 5 if preset == "five_member" else 7
    own = random.Random(own_seed)
    common = ("Fix Wiring", own.choice(COMMON_ROOMS))
    own_short = own.choice(SHORT_TASKS)
    hidden = random.Random(hidden_seed).sample([t for t in SHORT_TASKS if t != own_short], n)
    seats = [crewmate(common, own_short)]
    for seat in range(1, n):
        seats.append(impostor(common) if seat in impostor_seats else crewmate(common, hidden[seat]))
    script = role_blind_script(script_seed, button_times)
    scripts = {s: script for s in range(1, n)}
    player = policy or Recording()
    Scenario(cast(*seats), {0: player}, scripts, base=preset).run(
        until=lambda s: s.game.timestep >= 30
    )
    return player.trace


def same_choices_while_perceptions_agree(first: list[Any], second: list[Any]) -> tuple[bool, int]:
    """Whether the decisions agree at every step where everything perceived so far agrees, and
    at how many steps the perceptions agreed."""
    steps = 0
    for (seen_a, choice_a), (seen_b, choice_b) in zip(first, second, strict=False):
        if seen_a != seen_b:
            break
        if choice_a != choice_b:
            return False, steps
        steps += 1
    return True, steps


@settings(max_examples=40, deadline=None)
@given(
    preset=st.sampled_from(["five_member", "seven_member"]),
    data=st.data(),
    own_seed=st.integers(0, 10_000),
    script_seed=st.integers(0, 10_000),
    button_times=st.frozensets(st.integers(0, 12), max_size=3),
)
def test_crewmate_choices_do_not_depend_on_hidden_roles_or_tasks(
    preset: str, data: st.DataObject, own_seed: int, script_seed: int, button_times: frozenset[int]
) -> None:
    k = 1 if preset == "five_member" else 2
    others = list(range(1, 5 if preset == "five_member" else 7))
    roles_a = data.draw(st.permutations(others), label="roles a")[:k]
    roles_b = data.draw(st.permutations(others), label="roles b")[:k]
    hidden_a, hidden_b = data.draw(st.integers(0, 10_000)), data.draw(st.integers(0, 10_000))
    first = play_with_roles(preset, list(roles_a), own_seed, hidden_a, script_seed, button_times)
    second = play_with_roles(preset, list(roles_b), own_seed, hidden_b, script_seed, button_times)
    agree, _ = same_choices_while_perceptions_agree(first, second)
    assert agree


def test_perceptions_agree_through_meetings() -> None:
    """The property has teeth: role-blind scripts keep perceptions equal through meetings."""
    args = (1, 2, 3, frozenset({0, 4, 8}))
    first = play_with_roles("seven_member", [1, 2], *args)
    second = play_with_roles("seven_member", [5, 6], *args)
    agree, steps = same_choices_while_perceptions_agree(first, second)
    assert agree
    kinds = {view_kind for view_kind in (p[1] for p, _ in first[:steps])}
    assert kinds >= {Phase.TASK, Phase.MEETING}


def test_the_property_catches_a_crewmate_that_peeks_at_roles() -> None:
    class Peeking(Recording):
        def act(self, observation: Any, info: dict[str, Any], view: AgentView) -> int:
            if view.game.is_voting:
                for seat, player in enumerate(view.game.players):
                    if player.is_impostor and self._idx.vote + seat in view.table:
                        self.trace.append((perception(view), self._idx.vote + seat))
                        return self._idx.vote + seat
            return super().act(observation, info, view)

    args = (1, 2, 3, frozenset({0, 4, 8}))
    first = play_with_roles("seven_member", [1, 2], *args, policy=Peeking())
    second = play_with_roles("seven_member", [5, 6], *args, policy=Peeking())
    agree, _ = same_choices_while_perceptions_agree(first, second)
    assert not agree
