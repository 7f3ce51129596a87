"""No hidden role leaks into a crewmate's observation.

The rule: a crewmate knows nothing about the others' roles beyond what it witnesses. So if every
seat plays only role-neutral actions (moving, calling meetings, speaking, voting, watching the
monitor), whose legal sets do not depend on anyone's role while nobody kills, then swapping the
roles of two *other* seats (each keeping its colour and task list) must leave the crewmate's
vector and text observations identical at every step of the same sequence of actions.

The same experiment shows the test has teeth: an impostor knows its team, so its observations do
change under such a swap.

Ejections are the one public way roles can matter here: ejecting the last impostor (or leaving
the impostors level with the crew) ends the game, and whether that happens depends on roles. So
the two games are compared for as long as both run, and where one ends first it must have ended
at the close of a vote, which every player sees.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amongagents import Game
from amongagents.actions import ActionKind
from amongagents.skeld import ROOMS
from amongus_marl import raw_env
from amongus_marl.catalogue import SpeechAct
from tests.env.helpers import PRESET_NAMES, scenario_of

NEUTRAL_KINDS = frozenset(
    {
        ActionKind.MOVE,
        ActionKind.CALL_MEETING,
        ActionKind.SPEAK,
        ActionKind.VOTE,
        ActionKind.VIEW_MONITOR,
    }
)
#: Long enough for both emergency meetings and then some; the preset's time limit ends it sooner.
MAX_STEPS = 400


@dataclasses.dataclass
class Trace:
    """What one observer saw before each step of a game (and after the last), and how it went."""

    vector: list[list[float]] = dataclasses.field(default_factory=list)
    text: list[str] = dataclasses.field(default_factory=list)
    over: list[bool] = dataclasses.field(default_factory=list)  # the game had ended when seen
    actions: list[str] = dataclasses.field(default_factory=list)
    winner: int = 0


def game_of(env: raw_env) -> Game:
    assert env.game is not None, "reset the environment first"
    return env.game


def neutral_actions(env: raw_env) -> list[str]:
    return [a.text for a in game_of(env).legal_actions() if a.kind in NEUTRAL_KINDS]


def choose(env: raw_env, rng: random.Random) -> str:
    """A role-neutral action, with speech acts and a watched room of our own choosing."""
    action = rng.choice(neutral_actions(env))
    if action.startswith("SPEAK:"):
        names = game_of(env).names
        return "SPEAK: " + rng.choice(
            [
                "...",
                SpeechAct.accuse(rng.choice(names)),
                SpeechAct.vouch(rng.choice(names)),
                SpeechAct.claim(rng.choice(ROOMS)),
            ]
        )
    if action == "VIEW MONITOR":
        return f"VIEW MONITOR {rng.choice(ROOMS)}"
    return action


def new_envs(preset: str, cast: list[dict[str, Any]], seed: int) -> tuple[raw_env, raw_env]:
    envs = (raw_env(config=preset, obs_mode="vector"), raw_env(config=preset, obs_mode="text"))
    for env in envs:
        env.reset(seed=seed, options={"scenario": {"players": cast}})
    return envs


def play(
    preset: str,
    cast: list[dict[str, Any]],
    seed: int,
    observer: int,
    script: list[str] | None = None,
    choice_seed: int = 0,
) -> Trace:
    """Play role-neutral actions (``script`` if given, else random ones), reading ``observer``'s
    observations before every step and after the last."""
    vector_env, text_env = new_envs(preset, cast, seed)
    agent = f"player_{observer}"
    rng = random.Random(choice_seed)
    trace = Trace()

    def look() -> None:
        trace.vector.append(vector_env.observe(agent)["observation"].tolist())
        trace.text.append(str(text_env.observe(agent)["observation"]))
        trace.over.append(game_of(vector_env).is_over)

    for step in range(MAX_STEPS if script is None else len(script)):
        look()
        if game_of(vector_env).is_over:
            break
        action = choose(vector_env, rng) if script is None else script[step]
        for env in (vector_env, text_env):
            env.step(action)
        trace.actions.append(action)
    else:
        look()
    assert vector_env.event_log() == text_env.event_log()
    trace.winner = int(game_of(vector_env).winner)
    return trace


def swapped(cast: list[dict[str, Any]], a: int, b: int) -> list[dict[str, Any]]:
    """The cast with the roles of seats ``a`` and ``b`` exchanged; colours and tasks stay."""
    other = [dict(seat) for seat in cast]
    other[a]["role"], other[b]["role"] = cast[b]["role"], cast[a]["role"]
    return other


def cast_from_seed(preset: str, seed: int) -> list[dict[str, Any]]:
    env = raw_env(config=preset)
    env.reset(seed=seed)
    return scenario_of(env)


def assert_same_view(original: Trace, permuted: Trace) -> int:
    """The observer saw the same at every step while both games ran; returns how many steps."""
    compared = 0
    for step in range(min(len(original.vector), len(permuted.vector))):
        if original.over[step] != permuted.over[step]:
            # One game has just ended and the other has not: the end is public, and with only
            # role-neutral actions it can only come from the vote that has just closed.
            ended = original if original.over[step] else permuted
            assert ended.actions[step - 1].startswith("VOTE ") and ended.winner in (1, 2), (
                f"the games parted at step {step} other than by a game-ending vote"
            )
            break
        assert permuted.text[step] == original.text[step], (
            f"text observation differs at step {step}"
        )
        assert permuted.vector[step] == original.vector[step], (
            f"vector observation differs at step {step}"
        )
        compared += 1
    return compared


def leak_experiment(
    preset: str, seed: int, observer: int, a: int, b: int, choice_seed: int
) -> tuple[Trace, Trace]:
    cast = cast_from_seed(preset, seed)
    original = play(preset, cast, seed, observer, choice_seed=choice_seed)
    permuted = play(preset, swapped(cast, a, b), seed, observer, script=original.actions)
    return original, permuted


# ---------------------------------------------------------------------- a fixed scenario
SEVEN = "seven_member"
SEVEN_SEED = 4


def seven_roles() -> tuple[list[int], list[int]]:
    cast = cast_from_seed(SEVEN, SEVEN_SEED)
    impostors = [i for i, seat in enumerate(cast) if seat["role"] == "Impostor"]
    crewmates = [i for i, seat in enumerate(cast) if seat["role"] == "Crewmate"]
    return impostors, crewmates


def test_a_crewmate_sees_the_same_game_whoever_the_other_impostors_are() -> None:
    impostors, crewmates = seven_roles()
    observer, other_crewmate = crewmates[0], crewmates[1]
    original, permuted = leak_experiment(
        SEVEN, SEVEN_SEED, observer, impostors[0], other_crewmate, choice_seed=0
    )
    compared = assert_same_view(original, permuted)
    # The experiment covers a real game: meetings with speech and votes, not just a few moves.
    assert compared == len(original.vector) > 300
    assert any(a.startswith("CALL MEETING") for a in original.actions)
    assert any(a.startswith("VOTE ") for a in original.actions)
    assert any(a.startswith("SPEAK: I think") for a in original.actions)


def test_an_impostor_does_see_the_swap_because_it_knows_its_team() -> None:
    impostors, crewmates = seven_roles()
    observer, teammate = impostors
    original, permuted = leak_experiment(
        SEVEN, SEVEN_SEED, observer, teammate, crewmates[0], choice_seed=0
    )
    assert original.text[0] != permuted.text[0], "the impostor's text names its team"
    assert original.vector[0] != permuted.vector[0], "the impostor's vector marks its teammates"
    with pytest.raises(AssertionError, match="observation differs at step 0"):
        assert_same_view(original, permuted)


def test_the_crewmate_observer_would_notice_its_own_role_changing() -> None:
    impostors, crewmates = seven_roles()
    observer = crewmates[0]
    original, permuted = leak_experiment(
        SEVEN, SEVEN_SEED, observer, observer, impostors[0], choice_seed=0
    )
    assert original.vector[0] != permuted.vector[0]
    assert original.text[0] != permuted.text[0]


# ---------------------------------------------------------------------- over many games
@st.composite
def experiments(draw: st.DrawFn) -> tuple[str, int, int, int, int, int]:
    """A preset and seed, a crewmate observer, and an impostor and a crewmate among the others."""
    preset = draw(st.sampled_from(PRESET_NAMES))
    seed = draw(st.integers(0, 2**31 - 1))
    cast = cast_from_seed(preset, seed)
    impostors = [i for i, seat in enumerate(cast) if seat["role"] == "Impostor"]
    crewmates = [i for i, seat in enumerate(cast) if seat["role"] == "Crewmate"]
    observer = draw(st.sampled_from(crewmates))
    impostor = draw(st.sampled_from(impostors))
    crewmate = draw(st.sampled_from([seat for seat in crewmates if seat != observer]))
    return preset, seed, observer, impostor, crewmate, draw(st.integers(0, 2**31 - 1))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(experiments())
def test_no_crewmate_ever_sees_a_role_swap_among_the_others(
    experiment: tuple[str, int, int, int, int, int],
) -> None:
    preset, seed, observer, impostor, crewmate, choice_seed = experiment
    original, permuted = leak_experiment(preset, seed, observer, impostor, crewmate, choice_seed)
    assert assert_same_view(original, permuted) >= 2


def test_the_state_does_see_the_swap() -> None:
    # The global state is for critics and holds roles; it is never an agent's observation.
    impostors, crewmates = seven_roles()
    cast = cast_from_seed(SEVEN, SEVEN_SEED)
    states = []
    for variant in (cast, swapped(cast, impostors[0], crewmates[1])):
        env, _ = new_envs(SEVEN, variant, SEVEN_SEED)
        states.append(env.state())
    assert not np.array_equal(states[0], states[1])
