"""Shared helpers for the environment tests: casts, drivers, snapshots and the reference games.

Tests fix the cast (colours, roles, tasks) through ``reset(options={"scenario": ...})`` and drive
the environment through its public ``step``, with 7vik action strings where a test reads like a
rule and with catalogue indices drawn from the action mask where it plays at random.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from amongagents import PRESETS, GameConfig
from amongagents.replay import read_jsonl
from amongus_marl import raw_env
from tests.fixtures import PARITY_DIR

PRESET_NAMES = ("five_member", "seven_member")
OBS_MODES = ("vector", "text")
EMERGENCY = "CALL MEETING using the emergency button at Cafeteria"
#: No game of the presets lasts this long (50 timesteps of at most 7 players' turns, plus meetings).
MAX_AGENT_STEPS = 20_000

TaskPlace = tuple[str, str]  # (task name, room)
FIX_WIRING_CAFETERIA: TaskPlace = ("Fix Wiring", "Cafeteria")
DOWNLOAD_DATA_CAFETERIA: TaskPlace = ("Download Data", "Cafeteria")
UPLOAD_DATA_ADMIN: TaskPlace = ("Upload Data", "Admin")
SUBMIT_SCAN_MEDBAY: TaskPlace = ("Submit Scan", "Medbay")
CHART_COURSE_NAVIGATION: TaskPlace = ("Chart Course", "Navigation")
PRIME_SHIELDS_SHIELDS: TaskPlace = ("Prime Shields", "Shields")
SWIPE_CARD_ADMIN: TaskPlace = ("Swipe Card", "Admin")


# ---------------------------------------------------------------------- casts
def crewmate(color: str, *tasks: TaskPlace) -> dict[str, Any]:
    return {"color": color, "role": "Crewmate", "tasks": [list(t) for t in tasks]}


def impostor(color: str, *tasks: TaskPlace) -> dict[str, Any]:
    return {"color": color, "role": "Impostor", "tasks": [list(t) for t in tasks]}


def config_for(cast: Sequence[Mapping[str, Any]], base: str = "five_member") -> GameConfig:
    """A preset resized to ``cast`` (``num_players`` and ``num_impostors`` follow from it)."""
    impostors = sum(1 for seat in cast if str(seat.get("role", "")).lower() == "impostor")
    return dataclasses.replace(PRESETS[base], num_players=len(cast), num_impostors=impostors)


def cast_env(
    cast: Sequence[Mapping[str, Any]],
    *,
    seed: int = 0,
    base: str = "five_member",
    **env_kwargs: Any,
) -> Any:  # a raw_env whose ``game`` is set (typed Any so tests read ``env.game`` directly)
    """A bare environment reset to exactly ``cast`` (in seat order)."""
    env = raw_env(config=config_for(cast, base), **env_kwargs)
    env.reset(seed=seed, options={"scenario": {"players": list(cast)}})
    return env


def five_cast() -> list[dict[str, Any]]:
    """Player 1: red is the impostor; Players 2-5 (blue, green, pink, orange) are crewmates.

    Player 2: blue can download data in Cafeteria at once; nobody else has a task there except
    the common Fix Wiring, which only blue lacks.
    """
    return [
        impostor("red", FIX_WIRING_CAFETERIA),
        crewmate("blue", DOWNLOAD_DATA_CAFETERIA, UPLOAD_DATA_ADMIN),
        crewmate("green", FIX_WIRING_CAFETERIA, SUBMIT_SCAN_MEDBAY),
        crewmate("pink", FIX_WIRING_CAFETERIA, CHART_COURSE_NAVIGATION),
        crewmate("orange", FIX_WIRING_CAFETERIA, PRIME_SHIELDS_SHIELDS),
    ]


def seven_cast() -> list[dict[str, Any]]:
    """Players 1: red and 2: blue are the impostors; Players 3-7 (green, pink, orange, yellow,
    black) are crewmates. No crewmate has a task in Cafeteria."""
    return [
        impostor("red", SWIPE_CARD_ADMIN),
        impostor("blue", SWIPE_CARD_ADMIN),
        crewmate("green", SWIPE_CARD_ADMIN, SUBMIT_SCAN_MEDBAY),
        crewmate("pink", SWIPE_CARD_ADMIN, CHART_COURSE_NAVIGATION),
        crewmate("orange", SWIPE_CARD_ADMIN, PRIME_SHIELDS_SHIELDS),
        crewmate("yellow", SWIPE_CARD_ADMIN, UPLOAD_DATA_ADMIN),
        crewmate("black", SWIPE_CARD_ADMIN, DOWNLOAD_DATA_CAFETERIA),
    ]


def scenario_of(env: Any) -> list[dict[str, Any]]:
    """The cast of the environment's current game, in the scenario format."""
    return [
        {
            "color": p.color,
            "role": p.identity,
            "tasks": [[t.spot.name, t.spot.room] for t in p.tasks],
        }
        for p in env.unwrapped.game.players
    ]


# ---------------------------------------------------------------------- driving
def mask_of(observation: Any, info: Mapping[str, Any]) -> np.ndarray:
    """The action mask, from the observation dict or (``mask_in_info=True``) from the info."""
    if isinstance(observation, Mapping) and "action_mask" in observation:
        return np.asarray(observation["action_mask"])
    return np.asarray(info["action_mask"])


def random_legal_index(observation: Any, info: Mapping[str, Any], rng: np.random.Generator) -> int:
    legal = np.flatnonzero(mask_of(observation, info))
    assert legal.size > 0, "the selected living agent has no legal action"
    return int(rng.choice(legal))


def play_out(
    env: Any, rng: np.random.Generator, on_step: Callable[[str], None] | None = None
) -> int:
    """Play the current game to its end with random legal catalogue indices, then step every
    terminated agent out as PettingZoo's loop does. Returns the number of live agent-steps."""
    steps = 0
    for agent in env.agent_iter(MAX_AGENT_STEPS):
        observation, _, terminated, truncated, info = env.last()
        if terminated or truncated:
            env.step(None)
            continue
        if on_step is not None:
            on_step(agent)
        env.step(random_legal_index(observation, info, rng))
        steps += 1
    assert not env.agents, "the game did not end within MAX_AGENT_STEPS"
    return steps


def take(env: Any, *actions: str | int) -> None:
    """Take ``actions`` in order, each by whichever agent is selected."""
    for action in actions:
        env.step(action)


def idle_action(env: Any) -> str:
    """A move that changes nothing a test cares about: in the task phase the first listed MOVE,
    in discussion ``SPEAK: ...``, in the voting round a vote for the next living seat (every
    living seat then gets one vote, a tie, so nobody is ejected)."""
    game = env.unwrapped.game
    legal = env.unwrapped.legal_actions()
    if game.phase.value == "task":
        return str(next(a for a in legal if a.startswith("MOVE ")))
    if not game.is_voting:
        return "SPEAK: ..."
    living = [p.seat for p in game.players if p.alive]
    me = living.index(game.current_seat)
    return f"VOTE {game.names[living[(me + 1) % len(living)]]}"


def idle_until(env: Any, agent: str) -> None:
    """Let the other agents idle until ``agent`` is selected."""
    for _ in range(MAX_AGENT_STEPS):
        if env.agent_selection == agent and not env.unwrapped.game.is_over:
            return
        assert not env.unwrapped.game.is_over, f"the game ended before {agent} acted"
        env.step(idle_action(env))
    raise AssertionError(f"{agent} was never selected")


def act(env: Any, agent: str, action: str | int) -> None:
    """Idle the others until ``agent`` is selected, then take ``action`` as that agent."""
    idle_until(env, agent)
    env.step(action)


# ---------------------------------------------------------------------- comparing
def plain(value: Any) -> Any:
    """Arrays to lists, recursively, so whole environment views compare with ``==``."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Mapping):
        return {key: plain(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def observations(env: Any) -> dict[str, Any]:
    raw = env.unwrapped
    return {agent: plain(raw.observe(agent)) for agent in raw.possible_agents}


def snapshot(env: Any) -> dict[str, Any]:
    """Everything an agent or a trainer can read from the environment, copied."""
    raw = env.unwrapped
    return {
        "event_log": raw.event_log(),
        "state": plain(raw.state()),
        "observations": observations(env),
        "agents": list(raw.agents),
        "agent_selection": raw.agent_selection,
        "rewards": dict(raw.rewards),
        "cumulative_rewards": dict(raw._cumulative_rewards),
        "terminations": dict(raw.terminations),
        "truncations": dict(raw.truncations),
        "infos": plain(raw.infos),
        "legal_actions": raw.legal_actions(),
        "rng": raw.game.rng.getstate(),
    }


def phase_instruction_lines(block: str) -> list[str]:
    """The observation's own phase-instruction lines (after ``Current phase:``)."""
    lines = block.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("Current phase:")) + 1
    return lines[start : lines.index("", start)]


# ---------------------------------------------------------------------- reference games
def parity_files() -> list[Path]:
    """The reference game files; a missing folder yields its glob pattern, which every parity
    test then reports as missing (they fail, never skip)."""
    files = sorted(PARITY_DIR.glob("*.jsonl.gz"))
    return files or [PARITY_DIR / "*.jsonl.gz"]


@cache
def parity_games(path: Path) -> tuple[dict[str, Any], ...]:
    if not path.is_file():
        pytest.fail(
            f"the reference games are missing: no {path}. They are committed test fixtures "
            f"in {PARITY_DIR}; see tests/fixtures/README.md."
        )
    games = tuple(read_jsonl(path))
    assert games, f"{path} holds no games"
    return games
