"""What ``import amongus_marl`` gives a user: the replay helpers without a second import, an
``env`` factory whose parameters are spelled out, and reproducible sampling after a seeded
reset."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import amongus_marl
from amongus_marl.env import raw_env


def test_the_replay_helpers_come_with_the_package(tmp_path: Path) -> None:
    # A fresh interpreter: this test process may have imported amongus_marl.replay already.
    path = tmp_path / "games.jsonl"
    probe = (
        "import amongus_marl\n"
        "env = amongus_marl.env(config='five_member')\n"
        "env.reset(seed=1)\n"
        f"amongus_marl.replay.save_jsonl(env, {str(path)!r})\n"
        "frame = amongus_marl.rendering.render_rgb(env.unwrapped.game)\n"
        "print(frame.shape)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "(561, 980, 3)"
    assert path.read_text().count("\n") == 1


def test_env_spells_out_the_raw_envs_parameters() -> None:
    factory = inspect.signature(amongus_marl.env).parameters
    bare = inspect.signature(raw_env.__init__).parameters
    assert list(factory) == [name for name in bare if name != "self"]
    for name, parameter in factory.items():
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
        assert parameter.default == bare[name].default, name
        assert parameter.annotation != inspect.Parameter.empty, name
        assert f"{name}:" in (amongus_marl.env.__doc__ or ""), f"{name} is not documented"
    with pytest.raises(TypeError, match="obs_mod"):
        amongus_marl.env(obs_mod="text")  # type: ignore[call-arg]
    wrapped = amongus_marl.env(config="five_member", obs_mode="text", reveal_roles=True)
    assert wrapped.unwrapped.obs_mode == "text" and wrapped.unwrapped.reveal_roles is True


def play_documented_loop(seed: int | None, *, reset_first: Any = None) -> list[Any]:
    """The README's loop; the actions taken."""
    env = amongus_marl.env(config="five_member")
    if reset_first is not None:
        env.reset(seed=reset_first)
    env.reset(seed=seed)
    taken = []
    for agent in env.agent_iter():
        observation, reward, termination, truncation, info = env.last()
        if termination or truncation:
            action = None
        else:
            action = env.action_space(agent).sample(observation["action_mask"])
        taken.append(None if action is None else int(action))
        env.step(action)
    return taken


def test_a_seeded_reset_makes_the_documented_loop_replay() -> None:
    first = play_documented_loop(42)
    assert play_documented_loop(42) == first
    assert play_documented_loop(42, reset_first=7) == first, "whatever was played before"
    assert play_documented_loop(43) != first


def test_an_unseeded_reset_leaves_the_action_spaces_alone() -> None:
    env = raw_env(config="five_member")
    env.reset(seed=1)
    space = env.action_space("player_0")
    space.seed(5)
    expected = space.sample()
    space.seed(5)
    env.reset()  # no seed: the caller's seeding stands
    assert space.sample() == expected
