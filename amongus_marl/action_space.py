"""``MaskedDiscrete``: the agents' action space, a ``Discrete`` whose masked sampling is cheap.

PettingZoo's documented loop samples with the action mask every turn
(``env.action_space(agent).sample(mask)``). Gymnasium's ``Discrete.sample`` checks the whole mask
and calls ``Generator.choice`` each time, which costs more than a turn of the game. The
environment's masks are shared read-only arrays that own their data (one per legal set, reused
across turns), so each is checked once and its legal indices remembered (a draw only compares
the mask's bytes with those checked); the draw is the same uniform choice among them. Any other
mask (writeable, a view, or a bad one) and probability sampling go to ``Discrete.sample``
unchanged, with its checks and error messages.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from typing import Any, Final, cast

import numpy as np
from gymnasium import spaces

#: Masks remembered per space at most (a game has a few hundred legal sets at the most).
MAX_REMEMBERED_MASKS: Final[int] = 1024


class MaskedDiscrete(spaces.Discrete):
    """``Discrete(n)`` with the same ``sample(mask)`` distribution, faster on read-only masks."""

    def __init__(self, n: int, seed: int | np.random.Generator | None = None) -> None:
        super().__init__(n, seed=seed)
        # id(mask) -> (a weak reference to the mask, its contents when checked, its legal
        # indices). An entry leaves with its mask (the environment drops its masks at reset),
        # so nothing outlives a game.
        self._legal_indices: dict[int, tuple[weakref.ref[np.ndarray], bytes, np.ndarray]] = {}

    def sample(self, mask: Any = None, probability: Any = None) -> np.int64:
        if mask is None or probability is not None or not isinstance(mask, np.ndarray):
            return cast(np.int64, super().sample(mask, probability))
        if mask.flags.writeable or mask.base is not None:
            # A mask that may change later (a read-only view's base may not be): Discrete
            # checks it at every draw, as usual.
            return cast(np.int64, super().sample(mask))
        content = mask.tobytes()  # read-only is a promise, not a guarantee: compare contents
        remembered = self._legal_indices.get(id(mask))
        if remembered is None or remembered[0]() is not mask or remembered[1] != content:
            if not self._is_valid(mask):
                return cast(np.int64, super().sample(mask))  # Discrete says what is wrong with it
            if len(self._legal_indices) >= MAX_REMEMBERED_MASKS:
                self._legal_indices.clear()
            remembered = (self._forget_with(mask), content, np.flatnonzero(mask))
            self._legal_indices[id(mask)] = remembered
        indices = remembered[2]
        if len(indices) == 0:
            return cast(np.int64, self.start)
        if len(indices) == 1:
            # Nothing to draw: Generator.integers(1) consumes no random bits either, so the
            # stream stays Discrete's (the Parallel API's NOOP-only masks take this path).
            return cast(np.int64, self.start + indices[0])
        chosen = indices[self.np_random.integers(len(indices))]
        return cast(np.int64, self.start + chosen)

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

    def _is_valid(self, mask: np.ndarray) -> bool:
        return (
            mask.dtype == np.int8
            and mask.shape == (self.n,)
            and bool(np.all((mask == 0) | (mask == 1)))
        )

    def __getstate__(self) -> dict[str, Any]:
        state = dict(vars(self))
        state["_legal_indices"] = {}  # ids mean nothing in a copy or another process
        return state

    def __setstate__(self, state: Iterable[tuple[str, Any]] | Mapping[str, Any]) -> None:
        super().__setstate__(state)
        self._legal_indices = {}
