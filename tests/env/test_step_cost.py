"""What a step of PettingZoo's documented loop does, counted (never timed).

The loop (``agent_iter``, ``last``, ``action_space(agent).sample(mask)``, ``step``) used to read
eight attributes per step through the order-enforcing wrapper's ``__getattr__``, and each seat's
action space checked again a mask that another seat's had already checked. Both are counted
here, and the wrapper still refuses everything before ``reset`` as PettingZoo's does.
"""

from __future__ import annotations

from typing import Any

import pytest
from pettingzoo.utils import wrappers

import amongus_marl
from amongus_marl.action_space import MaskedDiscrete


def documented_loop(env: Any) -> int:
    steps = 0
    for agent in env.agent_iter():
        observation, _, terminated, truncated, _ = env.last()
        if terminated or truncated:
            action = None
        else:
            action = env.action_space(agent).sample(observation["action_mask"])
        env.step(action)
        steps += 1
    return steps


def test_the_documented_loop_reads_nothing_through_the_wrappers_getattr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = amongus_marl.env(config="seven_member")
    env.reset(seed=1)
    for i, agent in enumerate(env.possible_agents):
        env.action_space(agent).seed(i)
    looked_up: list[str] = []
    for cls in (wrappers.OrderEnforcingWrapper, wrappers.BaseWrapper):
        original = cls.__getattr__

        def counting(self: Any, name: str, *, _o: Any = original) -> Any:
            looked_up.append(name)
            return _o(self, name)

        monkeypatch.setattr(cls, "__getattr__", counting)
    assert documented_loop(env) > 50
    assert looked_up == []


def test_each_mask_is_checked_once_for_every_seat(monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[int] = []
    original = MaskedDiscrete._is_valid

    def counting(self: MaskedDiscrete, mask: Any, *args: Any) -> bool:
        checked.append(id(mask))
        return original(self, mask, *args)

    monkeypatch.setattr(MaskedDiscrete, "_is_valid", counting)
    env = amongus_marl.env(config="seven_member")
    env.reset(seed=2)
    documented_loop(env)
    distinct_masks = len(env.unwrapped._tables)  # one read-only mask per legal set this game
    assert 0 < len(checked) <= distinct_masks


def test_the_wrapper_refuses_what_pettingzoos_refuses_before_reset() -> None:
    env = amongus_marl.env(config="five_member")
    for name in ("agents", "agent_selection", "rewards", "terminations", "truncations", "infos"):
        with pytest.raises(AttributeError, match="before reset"):
            getattr(env, name)
    with pytest.raises(AttributeError, match="before reset"):
        env.last()
    with pytest.raises(AssertionError, match="reset"):
        env.step(0)
    assert str(env) == "amongus_v0"


def test_stepping_after_the_game_warns_as_pettingzoos_wrapper_does(
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = amongus_marl.env(config="five_member")
    env.reset(seed=0)
    documented_loop(env)
    before = env.unwrapped.event_log()
    env.step(None)
    assert "step() called after all agents are terminated" in caplog.text
    assert env.unwrapped.event_log() == before
