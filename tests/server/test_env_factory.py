"""Session environments share only read-only parts and play exactly like fresh ones."""

from __future__ import annotations

import random

import numpy as np

from amongagents.config import resolve_config
from amongus_marl.env import raw_env
from openenv_facade.env_factory import OBS_MODE, SHARED_PARTS, EnvFactory


def trace(env: raw_env, seed: int) -> list[tuple[str, str, float]]:
    """A whole random game: (agent, text observation, reward) at every turn."""
    rng = random.Random(seed)
    env.reset(seed=seed)
    out = []
    while not env.game.is_over:  # type: ignore[union-attr]
        agent = env.agent_selection
        out.append((agent, str(env.observe(agent)["observation"]), env.rewards[agent]))
        legal = np.flatnonzero(env.action_mask(agent))
        env.step(int(legal[rng.randrange(len(legal))]))
    out.append(("end", str(env.game.win_reason), sum(env.rewards.values())))  # type: ignore[union-attr]
    return out


def test_factory_environments_play_like_fresh_ones() -> None:
    factory = EnvFactory()
    config = resolve_config("seven_member")
    for seed in range(5):
        assert trace(factory.make(config), seed) == trace(
            raw_env(config=config, obs_mode=OBS_MODE), seed
        )


def test_two_factory_environments_do_not_interfere() -> None:
    factory = EnvFactory()
    config = resolve_config("five_member")
    a, b = factory.make(config), factory.make(config)
    expected_a, expected_b = trace(factory.make(config), 1), trace(factory.make(config), 2)
    a.reset(seed=1)
    b.reset(seed=2)
    seen_a: list[tuple[str, str, float]] = []
    seen_b: list[tuple[str, str, float]] = []
    players = [(a, random.Random(1), seen_a), (b, random.Random(2), seen_b)]
    # interleave the two games turn by turn until both are over
    while any(not env.game.is_over for env, _, _ in players):  # type: ignore[union-attr]
        for env, rng, out in players:
            if env.game.is_over:  # type: ignore[union-attr]
                continue
            agent = env.agent_selection
            out.append((agent, str(env.observe(agent)["observation"]), env.rewards[agent]))
            legal = np.flatnonzero(env.action_mask(agent))
            env.step(int(legal[rng.randrange(len(legal))]))
    assert seen_a == expected_a[:-1] and seen_b == expected_b[:-1]


def test_only_the_named_parts_are_shared() -> None:
    factory = EnvFactory()
    config = resolve_config("seven_member")
    a, b = factory.make(config), factory.make(config)
    for name, value in vars(a).items():
        shared = vars(b)[name] is value
        if name in SHARED_PARTS:
            assert shared, name
        elif isinstance(value, (dict, list, set, np.ndarray, random.Random)):
            assert not shared, f"{name} is mutable and must not be shared"
