"""Fixtures for the LLM-player tests: a scripted server per test and policies pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from amongus_marl.policies.llm import LLMPolicy
from tests.llm.server import API_KEY, MODEL, ScriptedServer


@pytest.fixture
def llm_server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        yield server


@pytest.fixture
def make_llm(llm_server: ScriptedServer) -> Iterator[Callable[..., LLMPolicy]]:
    """Build policies for the test's server; fast retries so scripted failures cost little."""
    made: list[LLMPolicy] = []

    def build(**overrides: Any) -> LLMPolicy:
        kwargs: dict[str, Any] = {
            "model": MODEL,
            "base_url": llm_server.base_url,
            "api_key": API_KEY,
            "timeout": 5.0,
            "retries": 3,
            "backoff_base": 0.01,
            "backoff_max": 0.05,
            "seed": 0,
        }
        kwargs.update(overrides)
        policy = LLMPolicy(**kwargs)
        made.append(policy)
        return policy

    yield build
    for policy in made:
        policy.close()
