"""Conformance with openenv-core itself: its own clients play full games, its validator passes."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from openenv.cli._validation import validate_running_environment
from openenv.core.client_types import StepResult
from openenv.core.env_client import EnvClient
from openenv.core.generic_client import GenericEnvClient

from openenv_facade.models import GameAction, GameObservation, GameState
from tests.server.conftest import RANDOM_POLICIES, RunningServer


def test_generic_client_sync_plays_full_games(server: RunningServer) -> None:
    rng = random.Random(3)
    with GenericEnvClient(base_url=server.base_url).sync() as env:
        for seed in range(3):
            # Seat 0 moves first, so it always plays at least once before the game can end.
            result = env.reset(seed=seed, seat=0, policies=RANDOM_POLICIES)
            steps = 0
            while not result.done:
                result = env.step(rng.choice(result.observation["legal_actions"]))
                steps += 1
            assert result.reward in (1.0, -1.0) and steps > 0
            assert result.observation["phase"] == "game_over"
            state = env.state()
            assert state["game_over"] is True and state["step_count"] == steps


def test_generic_client_async_plays_full_games_in_parallel(server: RunningServer) -> None:
    async def play(seed: int) -> float:
        rng = random.Random(seed)
        async with GenericEnvClient(base_url=server.base_url) as env:
            result = await env.reset(seed=seed, policies=RANDOM_POLICIES)
            while not result.done:
                result = await env.step(rng.choice(result.observation["legal_actions"]))
            return float(result.reward)

    async def main() -> list[float]:
        return list(await asyncio.gather(*(play(seed) for seed in range(4))))

    assert all(r in (1.0, -1.0) for r in asyncio.run(main()))


def test_generic_client_raises_on_error_replies_and_the_session_survives(
    server: RunningServer,
) -> None:
    with GenericEnvClient(base_url=server.base_url).sync() as env:
        with pytest.raises(RuntimeError, match="EXECUTION_ERROR"):
            env.step({"type": "move", "target": "Admin"})  # no game yet
        result = env.reset(seed=1, seat=0, policies=RANDOM_POLICIES)
        with pytest.raises(RuntimeError, match="VALIDATION_ERROR"):
            env.step({"type": "teleport"})
        with pytest.raises(RuntimeError, match="VALIDATION_ERROR"):
            env.reset(bogus=True)
        refused = env.step({"type": "move", "target": "Nowhere"})
        assert refused.observation["error"] and not refused.done
        assert env.step(result.observation["legal_actions"][0]).observation["error"] is None


class TypedAmongUsClient(EnvClient[GameAction, GameObservation, GameState]):
    """The shape an OpenEnv environment package's typed client takes, on the wire models."""

    def _step_payload(self, action: GameAction) -> dict[str, Any]:
        return action.model_dump(exclude_none=True, exclude_defaults=True)

    def _parse_result(self, payload: dict[str, Any]) -> StepResult[GameObservation]:
        observation = GameObservation.model_validate(
            {
                **payload["observation"],
                "reward": payload.get("reward"),
                "done": payload.get("done", False),
            }
        )
        return StepResult(
            observation=observation, reward=payload.get("reward"), done=payload.get("done", False)
        )

    def _parse_state(self, payload: dict[str, Any]) -> GameState:
        return GameState.model_validate(payload)


def test_a_typed_envclient_on_the_wire_models_plays_a_game(server: RunningServer) -> None:
    rng = random.Random(8)
    with TypedAmongUsClient(base_url=server.base_url).sync() as env:
        result = env.reset(seed=12, role="impostor", policies=RANDOM_POLICIES)
        assert result.observation.role == "impostor"
        while not result.done:
            result = env.step(rng.choice(result.observation.legal_actions))
        assert env.state().game_over


def test_validate_running_environment_passes_every_criterion(server: RunningServer) -> None:
    report = validate_running_environment(server.base_url)
    failed = [c for c in report["criteria"] if not c["passed"]]
    assert report["passed"], failed
    assert not failed
    assert report["mode"] == "simulation"
    assert {c["id"] for c in report["criteria"]} >= {
        "openapi_version_available",
        "health_endpoint",
        "metadata_endpoint",
        "schema_endpoint",
        "mcp_endpoint",
        "mode_endpoint_consistency",
    }
