"""The throughput benchmark drives each environment as its own documentation does.

``rps_v2``'s documented loop samples with ``action_space(agent).sample()`` and no mask (handing it
an all-ones mask slows it by a third), ours with ``sample(observation["action_mask"])``; the lean
driver runs the same code on both. Only the drivers are checked here, never a speed.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from gymnasium import spaces

from amongus_marl.action_space import MaskedDiscrete
from tests.scripts import load_script


def load_benchmark() -> ModuleType:
    return load_script("benchmarks/env_throughput.py")


@pytest.fixture
def sampled(monkeypatch: pytest.MonkeyPatch) -> list[tuple[type, Any]]:
    """Every ``sample`` call of a Discrete space: (space type, mask passed)."""
    calls: list[tuple[type, Any]] = []
    for cls in (spaces.Discrete, MaskedDiscrete):
        original = cls.sample

        def recording(self: Any, mask: Any = None, probability: Any = None, *, _o=original) -> Any:
            calls.append((type(self), mask))
            return _o(self, mask, probability)

        monkeypatch.setattr(cls, "sample", recording)
    return calls


def test_the_documented_driver_samples_rps_without_a_mask(sampled: list[tuple[type, Any]]) -> None:
    bench = load_benchmark()
    make, mask_of = bench.rps_setup("documented")
    steps, games, _ = bench.play_for(make, mask_of, 0.0, seed=0, driver="documented")
    assert games >= 1 and steps > 0
    assert sampled and all(mask is None for _, mask in sampled)


def test_the_documented_driver_samples_ours_with_its_mask(sampled: list[tuple[type, Any]]) -> None:
    bench = load_benchmark()
    make, mask_of = bench.amongus_setup("five_member", "vector")
    bench.play_for(make, mask_of, 0.0, seed=0, driver="documented")
    masked = [mask for cls, mask in sampled if cls is MaskedDiscrete]
    assert masked and all(mask is not None for mask in masked)


@pytest.mark.parametrize("setup", ["rps", "amongus"])
def test_the_lean_driver_never_samples_a_space(setup: str, sampled: list[tuple[type, Any]]) -> None:
    bench = load_benchmark()
    if setup == "rps":
        make, mask_of = bench.rps_setup("lean")
    else:
        make, mask_of = bench.amongus_setup("five_member", "vector")
    steps, _, _ = bench.play_for(make, mask_of, 0.0, seed=0, driver="lean")
    assert steps > 0 and sampled == []
