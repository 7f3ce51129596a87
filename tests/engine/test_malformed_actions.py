"""Malformed ``Action`` objects (fields of the wrong type) are illegal actions like any other:
``IllegalActionError``, and the game exactly as it was."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amongagents import Game, IllegalActionError
from amongagents.actions import Action, ActionKind
from amongagents.skeld import ROOMS
from amongagents.tasks import TASK_SPOTS
from tests.engine.helpers import snapshot

EMERGENCY = "CALL MEETING using the emergency button at Cafeteria"

#: Values of every type a caller might put in a field by mistake, and the right ones.
ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 12),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(ROOMS),
    st.sampled_from(TASK_SPOTS),
    st.lists(st.integers(), max_size=2),
    st.builds(object),
)


def _well_typed(action: Action) -> bool:
    def of(value: Any, *kinds: type) -> bool:
        return isinstance(value, kinds) and not isinstance(value, bool)

    return (
        isinstance(action.kind, ActionKind)
        and of(action.text, str)
        and (action.room is None or of(action.room, str))
        and (action.target is None or of(action.target, int))
        and (action.task is None or action.task in TASK_SPOTS)
        and (action.message is None or of(action.message, str))
    )


def _game_in_meeting() -> Game:
    game = Game("seven_member", seed=5)
    game.step(EMERGENCY)
    return game


@pytest.mark.parametrize(
    "action",
    [
        Action(ActionKind.SPEAK, "SPEAK: x", message=5),  # type: ignore[arg-type]
        Action(ActionKind.SPEAK, "SPEAK: x", message=["a"]),  # type: ignore[arg-type]
        Action(ActionKind.VOTE, 7, target="1"),  # type: ignore[arg-type]
        Action(3, "SPEAK: x", message="x"),  # type: ignore[arg-type]
        Action(ActionKind.VIEW_MONITOR, "VIEW MONITOR", room=5),  # type: ignore[arg-type]
    ],
)
def test_malformed_actions_are_illegal_and_change_nothing(action: Action) -> None:
    game = _game_in_meeting()
    before = snapshot(game)
    with pytest.raises(IllegalActionError, match="an Action's"):
        game.step(action)
    assert snapshot(game) == before


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.integers(0, 60),
    seed=st.integers(0, 2**16),
    kind=st.one_of(st.sampled_from(ActionKind), ANY_VALUE),
    text=ANY_VALUE,
    room=ANY_VALUE,
    target=ANY_VALUE,
    task=ANY_VALUE,
    message=ANY_VALUE,
)
def test_any_action_object_is_played_or_refused_as_illegal(
    prefix: int, seed: int, kind: Any, text: Any, room: Any, target: Any, task: Any, message: Any
) -> None:
    game = Game("seven_member", seed=seed)
    rng = random.Random(seed)
    if prefix % 3 == 0:
        game.step(EMERGENCY)  # a meeting: speech and votes are legal
    for _ in range(prefix):
        if game.is_over:
            return
        legal = game.legal_actions()
        game.step(legal[rng.randrange(len(legal))])
    if game.is_over:
        return
    action = Action(kind, text, room=room, target=target, task=task, message=message)
    before = snapshot(game)
    try:
        game.step(action)
    except IllegalActionError:
        assert snapshot(game) == before
        return
    assert _well_typed(action), f"a malformed action was played: {action!r}"
