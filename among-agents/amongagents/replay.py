"""Rebuild a game from its event log, and read or write logs as JSON Lines (one game a line).

A log written by ``Game.event_log`` carries the seed and the caller's scenario, so replaying it
repeats the same set-up draws and the same chance outcomes: the result is the identical game,
RNG state included. A log without a seed (such as the reference games of the parity set) is
replayed from its recorded players, with every monitor room taken from the log.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from amongagents.config import GameConfig
from amongagents.game import Game, GameOverError, IllegalActionError


class ReplayError(ValueError):
    """The log does not describe a game these rules can reproduce."""


def replay(log: Mapping[str, Any], *, upto: int | None = None) -> Game:
    """Play ``log`` back; stop after ``upto`` steps if given. Checks every step as it goes."""
    game = new_game_from_log(log)
    steps = log.get("steps", [])
    for index, step in enumerate(steps[:upto] if upto is not None else steps):
        apply_logged_step(game, step, index, seeded=log.get("seed") is not None)
    if upto is None:
        check_winner(game, log)
    return game


def new_game_from_log(log: Mapping[str, Any]) -> Game:
    """The game as it stood before the first logged step."""
    config = GameConfig.from_dict(log["config"])
    seed = log.get("seed")
    if seed is None:
        game = Game(config, seed=0, scenario=log["players"])
    else:
        game = Game(config, seed=seed, scenario=log.get("scenario"))
    recorded = log.get("players")
    if recorded is not None:
        actual = [
            {
                "color": p.color,
                "identity": p.identity,
                "tasks": [[t.spot.name, t.spot.room] for t in p.tasks],
            }
            for p in game.players
        ]
        expected = [
            {"color": p["color"], "identity": p["identity"], "tasks": [list(t) for t in p["tasks"]]}
            for p in recorded
        ]
        if actual != expected:
            raise ReplayError("the set-up rebuilt from the log differs from the recorded players")
    return game


def apply_logged_step(game: Game, step: Mapping[str, Any], index: int, *, seeded: bool) -> None:
    """Apply one logged step, checking it before (``check_logged_step``) and its chance outcome
    after (``check_monitor``)."""
    check_logged_step(game, step, index)
    try:
        game.step(logged_action(step, seeded=seeded))
    except (IllegalActionError, GameOverError) as error:
        raise ReplayError(f"step {index}: {error}") from None
    check_monitor(game, step, index)


def check_logged_step(game: Game, step: Mapping[str, Any], index: int) -> None:
    """What the log recorded before the step: the acting seat, and the phase, timestep and
    sorted legal actions where given. The recorded prompt is left to the parity tests: its
    phase prose is the reference's."""
    if game.current_seat != step["player"]:
        raise ReplayError(
            f"step {index}: the log has seat {step['player']} acting, "
            f"the game has {game.current_seat}"
        )
    for key, actual in (("phase", game.phase.value), ("timestep", game.timestep)):
        if key in step and step[key] != actual:
            raise ReplayError(f"step {index}: the log has {key} {step[key]!r}, the game {actual!r}")
    if "legal" in step and list(step["legal"]) != sorted(game.legal_action_strings()):
        raise ReplayError(
            f"step {index}: the log's legal actions {step['legal']!r} differ from the game's "
            f"{sorted(game.legal_action_strings())!r}"
        )


def logged_action(step: Mapping[str, Any], *, seeded: bool) -> str:
    """The action to play for a logged step. A monitor room the game drew by chance is drawn
    again from the same seeded RNG; any other watched room is named, as a caller names it."""
    action: str = step["action"]
    room = step.get("monitor_room")
    if room is not None and not (seeded and step.get("monitor_by_chance")):
        action = f"{action} {room}"
    return action


def check_monitor(game: Game, step: Mapping[str, Any], index: int) -> None:
    """The room the monitor showed in the step just played is the logged one."""
    room = step.get("monitor_room")
    if room is not None and game.steps[-1].monitor_room != room:
        raise ReplayError(
            f"step {index}: the monitor showed {game.steps[-1].monitor_room}, the log {room}"
        )


def check_winner(game: Game, log: Mapping[str, Any]) -> None:
    """The game ended as the log says (a log without ``winner`` says nothing)."""
    if "winner" in log and int(log["winner"]) != int(game.winner):
        raise ReplayError(
            f"the log says winner {log['winner']}, the replay gives {int(game.winner)}"
        )


def write_jsonl(logs: list[Mapping[str, Any]], path: str | Path) -> None:
    """Append game logs to ``path``, one JSON object per line (gzip-compressed if it ends in
    ``.gz``, as ``read_jsonl`` expects)."""
    lines = "".join(json.dumps(log, separators=(",", ":")) + "\n" for log in logs)
    if str(path).endswith(".gz"):
        import gzip

        with gzip.open(path, "at", encoding="utf-8") as stream:  # appends a gzip member
            stream.write(lines)
    else:
        with open(path, "a", encoding="utf-8") as out:
            out.write(lines)


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """Yield the game logs stored in ``path`` (gzip-compressed if it ends in ``.gz``)."""
    if str(path).endswith(".gz"):
        import gzip

        with gzip.open(path, "rt", encoding="utf-8") as stream:
            yield from (json.loads(line) for line in stream if line.strip())
    else:
        with open(path, encoding="utf-8") as stream:
            yield from (json.loads(line) for line in stream if line.strip())
