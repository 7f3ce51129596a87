"""The agents' action space: Discrete's masked sampling, the same distribution, checked once."""

from __future__ import annotations

import copy
import gc
import pickle

import numpy as np
import pytest
from gymnasium import spaces

import amongus_marl
from amongus_marl.action_space import MAX_REMEMBERED_MASKS, MaskedDiscrete


def read_only(values: list[int]) -> np.ndarray:
    mask = np.array(values, dtype=np.int8)
    mask.flags.writeable = False
    return mask


def test_the_environments_action_spaces_are_discrete_over_the_catalogue() -> None:
    env = amongus_marl.raw_env(config="seven_member")
    space = env.action_space("player_0")
    assert isinstance(space, spaces.Discrete) and isinstance(space, MaskedDiscrete)
    assert space.n == env.catalogue.size and space == spaces.Discrete(env.catalogue.size)


@pytest.mark.parametrize("writeable", [False, True])
def test_samples_are_uniform_over_the_legal_entries_only(writeable: bool) -> None:
    space = MaskedDiscrete(8, seed=0)
    mask = np.array([0, 1, 0, 1, 1, 0, 0, 1], dtype=np.int8)
    mask.flags.writeable = writeable
    counts = np.bincount([int(space.sample(mask)) for _ in range(4000)], minlength=8)
    assert set(np.flatnonzero(counts)) == {1, 3, 4, 7}
    assert counts[[1, 3, 4, 7]].min() > 850  # about 1,000 each


def test_the_environments_masks_sample_only_legal_actions() -> None:
    env = amongus_marl.env(config="five_member")
    env.reset(seed=3)
    env.action_space("player_0").seed(0)
    for agent in env.agent_iter():
        observation, _, terminated, truncated, _ = env.last()
        if terminated or truncated:
            env.step(None)
            continue
        mask = observation["action_mask"]
        action = env.action_space(agent).sample(mask)
        assert mask[action] == 1
        env.step(action)


def test_an_empty_mask_gives_the_start_as_discrete_does() -> None:
    assert MaskedDiscrete(4, seed=0).sample(read_only([0, 0, 0, 0])) == 0


@pytest.mark.parametrize(
    "mask",
    [
        np.array([0, 1, 2, 0], dtype=np.int8),  # not 0/1
        np.array([0, 1, 1, 0], dtype=np.int64),  # wrong dtype
        np.array([0, 1, 1], dtype=np.int8),  # wrong shape
    ],
)
def test_a_bad_mask_gets_discretes_own_error(mask: np.ndarray) -> None:
    mask.flags.writeable = False
    with pytest.raises(AssertionError):
        spaces.Discrete(4, seed=0).sample(mask)
    with pytest.raises(AssertionError):
        MaskedDiscrete(4, seed=0).sample(mask)


def test_the_same_seed_gives_the_same_samples() -> None:
    mask = read_only([1, 0, 1, 1, 0, 1])
    draws = [
        [int(space.sample(mask)) for _ in range(50)]
        for space in (MaskedDiscrete(6, seed=4), MaskedDiscrete(6, seed=4))
    ]
    assert draws[0] == draws[1]


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_a_copied_space_samples_like_the_original(how: str) -> None:
    space = MaskedDiscrete(6, seed=1)
    mask = read_only([1, 0, 1, 1, 0, 1])
    space.sample(mask)  # it now remembers this mask
    twin = pickle.loads(pickle.dumps(space)) if how == "pickle" else copy.deepcopy(space)
    assert [int(twin.sample(mask)) for _ in range(20)] == [
        int(space.sample(mask)) for _ in range(20)
    ]


def test_remembered_masks_are_bounded() -> None:
    space = MaskedDiscrete(3, seed=0)
    masks = [read_only([1, 1, 0]) for _ in range(MAX_REMEMBERED_MASKS + 10)]
    for mask in masks:
        assert space.sample(mask) in (0, 1)
    assert len(space._legal_indices) <= MAX_REMEMBERED_MASKS


def test_a_remembered_mask_is_forgotten_with_the_mask() -> None:
    """The environment drops its masks at reset: the space must not keep them (or grow)."""
    space = MaskedDiscrete(3, seed=0)
    mask = read_only([1, 0, 1])
    space.sample(mask)
    assert len(space._legal_indices) == 1
    del mask
    gc.collect()
    assert space._legal_indices == {}


def test_a_read_only_view_of_a_changing_array_is_checked_at_every_draw() -> None:
    base = np.array([1, 0, 0], dtype=np.int8)
    view = base[:]
    view.flags.writeable = False
    space = MaskedDiscrete(3, seed=0)
    assert space.sample(view) == 0
    base[:] = [0, 0, 1]  # the view now says otherwise
    assert space.sample(view) == 2


def test_a_read_only_mask_changed_through_an_alias_is_checked_again() -> None:
    """Read-only is a promise: a writeable alias made before freezing can still change it."""
    mask = np.array([1, 0, 0, 0], dtype=np.int8)
    alias = mask[:]
    mask.flags.writeable = False
    space = MaskedDiscrete(4, seed=0)
    assert space.sample(mask) == 0
    alias[:] = [0, 0, 0, 1]
    assert {int(space.sample(mask)) for _ in range(20)} == {3}
    alias[:] = [0, 7, 0, 0]
    with pytest.raises(AssertionError):  # Discrete's own check, as for any bad mask
        space.sample(mask)


def test_a_one_entry_mask_draws_its_entry_without_random_bits() -> None:
    # The Parallel API's waiting agents have only NOOP legal: no draw is made for them, so the
    # acting agent's draws are the same whether or not the waiting agents sampled in between.
    only_noop, some = read_only([0, 0, 0, 1]), read_only([1, 1, 0, 1])
    interleaved, alone = MaskedDiscrete(4, seed=9), MaskedDiscrete(4, seed=9)
    for _ in range(50):
        assert interleaved.sample(only_noop) == 3
        assert interleaved.sample(some) == alone.sample(some)
    assert interleaved.np_random.bit_generator.state == alone.np_random.bit_generator.state
