"""Small drivers shared by the LLM-player tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import amongus_marl
from amongus_marl.policies.base import AgentView

#: The fields every decision record of the JSONL log carries.
RECORD_KEYS = {
    "game_id",
    "step",
    "timestep",
    "phase",
    "seat",
    "player",
    "role",
    "model",
    "sampling_seed",
    "prompt",
    "raw_response",
    "parsed",
    "action",
    "match",
    "fallback",
    "fallback_reason",
    "error",
    "attempts",
    "retries",
    "latency",
    "usage",
    "time",
}


def first_turn(
    config: str = "five_member", seed: int = 0, obs_mode: str = "text"
) -> tuple[Any, Any, dict[str, Any], AgentView]:
    """A fresh wrapped environment and the first agent's observation, info and view."""
    env = amongus_marl.env(config=config, obs_mode=obs_mode)
    env.reset(seed=seed)
    observation, _, _, _, info = env.last()
    return env, observation, info, env.unwrapped.agent_view()


def user_messages(server: Any) -> list[str]:
    return [
        body["messages"][-1]["content"]
        for body in server.completions
        if body.get("max_tokens") != 1
    ]


def read_log(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """Every JSONL log file in ``directory``: file stem -> records."""
    return {
        path.stem: [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        for path in sorted(directory.glob("*.jsonl"))
    }
