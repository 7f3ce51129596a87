"""PettingZoo conformance: the official test suites, run as they are, on every mode and preset."""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pettingzoo
import pytest
from gymnasium import spaces
from pettingzoo.test import api_test, render_test, seed_test
from pettingzoo.utils.wrappers import OrderEnforcingWrapper

from amongus_marl import ENV_ID, raw_env
from amongus_marl import env as make_env
from tests.env.helpers import OBS_MODES, PRESET_NAMES

# The module, not its functions: they are named test_* and pytest would collect them here.
# (``pettingzoo.test.state_test`` as an attribute is a function of the same name.)
state_test = importlib.import_module("pettingzoo.test.state_test")

API_CYCLES = 1000
SEED_CYCLES = 500
STATE_CYCLES = 300

MODES = [
    pytest.param(
        preset,
        obs_mode,
        mask_in_info,
        id=f"{preset}-{obs_mode}{'-mask_in_info' if mask_in_info else ''}",
    )
    for preset in PRESET_NAMES
    for obs_mode in OBS_MODES
    for mask_in_info in (False, True)
]


@pytest.mark.parametrize(("preset", "obs_mode", "mask_in_info"), MODES)
def test_api_test_passes(preset: str, obs_mode: str, mask_in_info: bool) -> None:
    api_test(
        make_env(config=preset, obs_mode=obs_mode, mask_in_info=mask_in_info), num_cycles=API_CYCLES
    )


@pytest.mark.parametrize(("preset", "obs_mode", "mask_in_info"), MODES)
def test_seed_test_passes(preset: str, obs_mode: str, mask_in_info: bool) -> None:
    def constructor(**kwargs):
        return make_env(config=preset, obs_mode=obs_mode, mask_in_info=mask_in_info, **kwargs)

    seed_test(constructor, num_cycles=SEED_CYCLES)


@pytest.mark.parametrize(("preset", "obs_mode", "mask_in_info"), MODES)
def test_render_test_passes(
    preset: str, obs_mode: str, mask_in_info: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    # render_test reads the mask only from the observation dict; with the mask in the info it
    # samples unmasked actions, which must then cost a penalty rather than raise.
    illegal_action = "penalize" if mask_in_info else "raise"

    def constructor(render_mode=None):
        return make_env(
            config=preset,
            obs_mode=obs_mode,
            mask_in_info=mask_in_info,
            render_mode=render_mode,
            illegal_action=illegal_action,
        )

    render_test(constructor)
    assert "Timestep" in capsys.readouterr().out, "human mode prints the ansi picture"


@pytest.mark.parametrize(("preset", "obs_mode", "mask_in_info"), MODES)
def test_state_tests_pass(preset: str, obs_mode: str, mask_in_info: bool) -> None:
    # test_state samples actions without the mask, so illegal ones must cost a penalty, not raise.
    env = make_env(
        config=preset, obs_mode=obs_mode, mask_in_info=mask_in_info, illegal_action="penalize"
    )
    env.reset(seed=0)
    state_test.test_state_space(env)
    state_test.test_state(env, STATE_CYCLES)


def test_importing_the_package_registers_amongus_v0_with_pettingzoo() -> None:
    # This module imports amongus_marl, which is all a user needs to do before make().
    env = pettingzoo.make("aec", "amongus_v0")
    env.reset(seed=0)
    assert ENV_ID == "amongus_v0"
    assert isinstance(env, OrderEnforcingWrapper), "make() builds the wrapped env(), not raw_env"
    assert isinstance(env.unwrapped, raw_env)


def test_make_passes_keyword_arguments_through() -> None:
    env = pettingzoo.make("aec", "amongus_v0", config="five_member", obs_mode="text")
    env.reset(seed=0)
    assert env.possible_agents == [f"player_{i}" for i in range(5)]
    assert isinstance(env.observe("player_0")["observation"], str)


def test_metadata() -> None:
    metadata: dict[str, Any] = raw_env.metadata
    assert metadata["name"] == "amongus_v0"
    assert set(metadata["render_modes"]) == {"human", "ansi", "rgb_array"}
    assert metadata["is_parallelizable"] is False
    assert make_env().metadata == metadata


@pytest.mark.parametrize(("preset", "players"), [("five_member", 5), ("seven_member", 7)])
def test_agents_are_named_player_0_to_n_minus_1_in_seat_order(preset: str, players: int) -> None:
    env = make_env(config=preset)
    env.reset(seed=0)
    names = [f"player_{seat}" for seat in range(players)]
    assert env.possible_agents == names
    assert env.agents == names
    assert env.unwrapped.agent_name_mapping == {name: seat for seat, name in enumerate(names)}


@pytest.mark.parametrize("obs_mode", OBS_MODES)
@pytest.mark.parametrize("mask_in_info", [False, True])
def test_spaces_are_as_the_spec_card_says(obs_mode: str, mask_in_info: bool) -> None:
    env = raw_env(config="seven_member", obs_mode=obs_mode, mask_in_info=mask_in_info)
    size = env.catalogue.size
    for agent in env.possible_agents:
        assert env.action_space(agent) == spaces.Discrete(size)
        space: Any = env.observation_space(agent)
        observation = space if mask_in_info else space["observation"]
        assert isinstance(observation, spaces.Box if obs_mode == "vector" else spaces.Text)
        if not mask_in_info:
            assert space["action_mask"] == spaces.Box(0, 1, (size,), dtype=np.int8)
    assert isinstance(env.state_space, spaces.Box)
