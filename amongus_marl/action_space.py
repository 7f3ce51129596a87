"""``MaskedDiscrete``: the agents' action space, a ``Discrete`` whose masked sampling is cheap.

PettingZoo's documented loop samples with the action mask every turn
(``env.action_space(agent).sample(mask)``). Gymnasium's ``Discrete.sample`` checks the whole mask
and calls ``Generator.choice`` each time, which costs more than a turn of the game. The
environment's masks are shared read-only arrays that own their data (one per legal set, reused
across turns), so each is checked once and its legal indices remembered (a draw only compares
the mask's bytes with those checked), in a memory the spaces of one environment share (the
same mask is handed to every seat in turn). The draw is a uniform choice among the legal
indices, from the space's own generator. Any other mask (writeable, a view, or a bad one) and
probability sampling go to ``Discrete.sample`` unchanged, with its checks and error messages.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from typing import Any, Final, TypeAlias, cast

import numpy as np
from gymnasium import spaces

#: Masks remembered per memory at most (a game has a few hundred legal sets at the most).
MAX_REMEMBERED_MASKS: Final[int] = 1024
#: The bytes of a mask's valid entries (int8 zeros and ones), deleted to find any other.
_ZERO_ONE: Final[bytes] = b"\x00\x01"

#: id(mask) -> (a weak reference to the mask, its contents when checked, its legal indices).
MaskMemory: TypeAlias = dict[int, tuple["weakref.ref[np.ndarray]", bytes, tuple[int, ...]]]


class MaskedDiscrete(spaces.Discrete):
    """``Discrete(n)`` with the same ``sample(mask)`` distribution, faster on read-only masks.

    ``memory``: where checked masks are remembered; spaces of the same ``n`` and ``start`` may
    share one (the environment's do). An entry leaves with its mask (the environment drops its
    masks at reset), so nothing outlives a game.
    """

    def __init__(
        self,
        n: int,
        seed: int | np.random.Generator | None = None,
        memory: MaskMemory | None = None,
    ) -> None:
        super().__init__(n, seed=seed)
        self._legal_indices: MaskMemory = {} if memory is None else memory

    def sample(self, mask: Any = None, probability: Any = None) -> np.int64:
        if mask is None or probability is not None or not isinstance(mask, np.ndarray):
            return cast(np.int64, super().sample(mask, probability))
        content = mask.tobytes()  # read-only is a promise, not a guarantee: compare contents
        remembered = self._legal_indices.get(id(mask))
        if remembered is None or remembered[0]() is not mask or remembered[1] != content:
            if mask.flags.writeable or mask.base is not None:
                # A mask that may change later (a read-only view's base may not be): Discrete
                # checks it at every draw, as usual.
                return cast(np.int64, super().sample(mask))
            if not self._is_valid(mask, content):
                return cast(np.int64, super().sample(mask))  # Discrete says what is wrong with it
            if len(self._legal_indices) >= MAX_REMEMBERED_MASKS:
                self._legal_indices.clear()
            start = int(self.start)
            legal = tuple(start + index for index in _ones(content))
            remembered = (self._forget_with(mask), content, legal)
            self._legal_indices[id(mask)] = remembered
        indices = remembered[2]
        if not indices:
            return cast(np.int64, self.start)
        if len(indices) == 1:
            # Nothing to draw (the Parallel API's NOOP-only masks take this path): no random
            # bits are consumed.
            return np.int64(indices[0])
        # Uniform over the legal indices (a float draw scaled: a cheaper call than integers()).
        return np.int64(indices[int(self.np_random.random() * len(indices))])

    def draw_from(self, generator: np.random.Generator) -> None:
        """Draw from ``generator`` from now on, as ``Space(seed=generator)`` would: the
        environment gives its agents' spaces one generator, seeded at ``reset(seed=...)``
        (one generator for all is far cheaper to make at every reset than one each)."""
        self._np_random = generator

    def _forget_with(self, mask: np.ndarray) -> weakref.ref[np.ndarray]:
        entries, key = self._legal_indices, id(mask)

        def forget(_: weakref.ref[np.ndarray]) -> None:
            entry = entries.get(key)
            if entry is not None and entry[0]() is None:
                del entries[key]

        return weakref.ref(mask, forget)

    def _is_valid(self, mask: np.ndarray, content: bytes) -> bool:
        return (
            mask.dtype == np.int8
            and mask.shape == (self.n,)
            and not content.translate(None, _ZERO_ONE)  # nothing but zeros and ones
        )

    def __getstate__(self) -> dict[str, Any]:
        state = dict(vars(self))
        state["_legal_indices"] = {}  # ids mean nothing in a copy or another process
        return state

    def __setstate__(self, state: Iterable[tuple[str, Any]] | Mapping[str, Any]) -> None:
        super().__setstate__(state)
        self._legal_indices = {}


def _ones(content: bytes) -> tuple[int, ...]:
    """The positions of the 1 bytes of a checked mask (a few among a hundred or more)."""
    found: list[int] = []
    index = content.find(1)
    while index >= 0:
        found.append(index)
        index = content.find(1, index + 1)
    return tuple(found)
