"""Save the environment's games as JSON Lines and play logged games back through the environment.

The engine can already replay a log (``amongagents.replay``); this module replays it through the
environment's own ``step``, one 7vik action string at a time, so that what is checked is the
environment itself: its turn order (the agent selected at each step), its string parsing and its
end-of-game bookkeeping. A log written by ``save_jsonl`` carries its seed and scenario and comes
back as the identical game; a seedless reference log (the parity set) is rebuilt from its
recorded players, every monitor room taken from the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pettingzoo import AECEnv

from amongagents.game import IllegalActionError
from amongagents.replay import (
    ReplayError,
    check_logged_step,
    check_monitor,
    check_winner,
    logged_action,
    new_game_from_log,
    read_jsonl,
    write_jsonl,
)

__all__ = ["ReplayError", "read_jsonl", "replay_through_env", "save_jsonl"]


def save_jsonl(
    env_or_logs: AECEnv | Mapping[str, Any] | list[Mapping[str, Any]], path: str | Path
) -> None:
    """Append the current game of an environment (or already-taken logs) to ``path``, one JSON
    object per game."""
    if isinstance(env_or_logs, AECEnv):
        logs: list[Mapping[str, Any]] = [env_or_logs.unwrapped.event_log()]
    elif isinstance(env_or_logs, Mapping):
        logs = [env_or_logs]
    else:
        logs = list(env_or_logs)
    write_jsonl(logs, path)


def replay_through_env(env: AECEnv, log: Mapping[str, Any]) -> AECEnv:
    """Reset ``env`` to the set-up of ``log`` and take every logged action through ``env.step``.

    ``env`` may be wrapped: it is reset through its wrappers first (so each starts a new episode
    and PettingZoo's order enforcement allows stepping), then its unwrapped environment adopts
    the game rebuilt from the log. That reset draws one game seed from the environment's own
    seed stream, as any unseeded reset does.

    Raises ``ReplayError`` if the environment selects another agent than the log's acting seat,
    if a step's recorded phase, timestep or legal actions differ from the game's, if a monitor
    shows another room than the logged one, or if the game's result differs from the log's
    ``winner``. Returns ``env``, standing where the log ends.
    """
    raw = env.unwrapped
    # The reset is for the wrappers' sake: its throwaway game is not shown in human mode.
    render_mode, raw.render_mode = raw.render_mode, None
    try:
        env.reset()
    finally:
        raw.render_mode = render_mode
    raw.reset_from_game(new_game_from_log(log))
    seeded = log.get("seed") is not None
    for index, step in enumerate(log.get("steps", [])):
        expected = raw.possible_agents[step["player"]]
        if raw.agent_selection != expected:
            raise ReplayError(
                f"step {index}: the log has {expected} acting, "
                f"the environment selects {raw.agent_selection}"
            )
        check_logged_step(raw.game, step, index)
        action = logged_action(step, seeded=seeded)
        try:  # refused here, not penalised by an env in illegal_action="penalize" mode
            raw.game.resolve(action)
        except IllegalActionError as error:
            raise ReplayError(f"step {index}: {error}") from None
        env.step(action)
        check_monitor(raw.game, step, index)
    check_winner(raw.game, log)
    return env
