"""The game log of an ``amongus play`` run, written a game at a time so a run can resume.

LLM evaluation runs cost money per game, and a crash, a Ctrl-C or a dead endpoint must not cost
the games already finished. ``RunLog`` appends each game to ``LOG_DIR/games.jsonl`` as soon as
it ends (one plain line, flushed to the operating system, so even a killed process keeps it; a
gzip stream cut by a kill would not read back), and notes the run's identity (config, lineup,
seed, observation mode) in ``LOG_DIR/run.json``. With ``resume=True`` the games already kept are
read back (a line cut off by a kill is dropped) and only the missing ones are played; the
identity must match, so a resumed run is the run it continues. When the run ends the games are
written in game order to ``LOG_DIR/games.jsonl.gz`` (a twentieth of the plain size) and the
plain file is removed, so a resumed run leaves exactly the file an uninterrupted run would have.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from amongus_marl.evaluation.runner import SEED_STRIDE, GameResult, result_from_log

#: The finished run's log, in game order.
GAME_LOG_FILE: Final[str] = "games.jsonl.gz"
#: The games of a run in progress, a line each as they end.
PLAIN_GAME_LOG_FILE: Final[str] = "games.jsonl"
RUN_FILE: Final[str] = "run.json"


class RunLogError(ValueError):
    """The folder holds games of another run, or a log that cannot be read back."""


class RunLog:
    """``games.jsonl`` and ``run.json`` of one run in ``folder``."""

    def __init__(
        self, folder: Path, identity: Mapping[str, Any], games: int, *, resume: bool
    ) -> None:
        self.folder = folder
        self.path = folder / GAME_LOG_FILE
        self.in_progress = folder / PLAIN_GAME_LOG_FILE
        self.identity = dict(identity)
        self.games = games
        folder.mkdir(parents=True, exist_ok=True)
        self.finished: dict[int, GameResult] = self._read_back() if resume else {}
        if not resume:
            self.path.unlink(missing_ok=True)
            self.in_progress.unlink(missing_ok=True)
        (folder / RUN_FILE).write_text(json.dumps(self.identity, indent=2) + "\n", "utf-8")
        self._stream = self.in_progress.open("a", encoding="utf-8")

    # ------------------------------------------------------------------ reading back
    def _read_back(self) -> dict[int, GameResult]:
        if not self.path.is_file() and not self.in_progress.is_file():
            return {}
        known = self.folder / RUN_FILE
        try:
            recorded = json.loads(known.read_text("utf-8"))
        except (OSError, ValueError):
            recorded = None
        if recorded != self.identity:
            raise RunLogError(
                f"{self.folder} holds the games of another run (its {RUN_FILE} "
                + (
                    "is missing or unreadable"
                    if recorded is None
                    else "differs: " + _diff(recorded, self.identity)
                )
                + "); resume it with the same options, or choose another --log-dir"
            )
        data = gzip.decompress(self.path.read_bytes()) if self.path.is_file() else b""
        if self.in_progress.is_file():
            kept = self.in_progress.read_bytes()
            complete = kept[: kept.rfind(b"\n") + 1]
            if len(complete) < len(kept):  # a line cut off when the run was killed mid-write
                with self.in_progress.open("r+b") as stream:
                    stream.truncate(len(complete))
            data += complete
        complete = data
        finished: dict[int, GameResult] = {}
        first_seed = self.identity["seed"] * SEED_STRIDE
        for number, line in enumerate(complete.decode("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                log = json.loads(line)
                index = int(log["seed"]) - first_seed
                if not 0 <= index < self.games:
                    raise RunLogError(
                        f"{self.folder} game {number} is game {index} of the run, outside "
                        f"--games {self.games}; ask for at least {index + 1} games"
                    )
                finished.setdefault(index, result_from_log(index, log))
            except RunLogError:
                raise
            except (ValueError, KeyError, TypeError) as error:
                raise RunLogError(f"{self.folder} game {number} is no game log: {error}") from None
        return finished

    # ------------------------------------------------------------------ writing
    def missing(self) -> list[int]:
        """The indices of the run's games not played yet."""
        return [index for index in range(self.games) if index not in self.finished]

    def append(self, result: GameResult) -> None:
        """Keep a finished game: one line, flushed before the next game is waited for."""
        assert result.log is not None, "the runner must keep logs for a RunLog"
        self._stream.write(json.dumps(result.log, separators=(",", ":")) + "\n")
        self._stream.flush()
        self.finished[result.index] = result

    def results(self) -> list[GameResult]:
        """Every finished game, read back and played, in game order."""
        return [self.finished[index] for index in sorted(self.finished)]

    def close(self) -> None:
        """Write the games in game order, compressed (atomically), and drop the plain file."""
        self._stream.close()
        ordered = self.folder / (GAME_LOG_FILE + ".ordered")
        with ordered.open("wb") as raw, gzip.open(raw, "wt", encoding="utf-8") as stream:
            stream.writelines(_lines(self.results()))
            stream.flush()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(ordered, self.path)
        self.in_progress.unlink(missing_ok=True)


def _lines(results: Iterable[GameResult]) -> Iterable[str]:
    for result in results:
        assert result.log is not None
        yield json.dumps(result.log, separators=(",", ":")) + "\n"


def _diff(recorded: Any, wanted: Mapping[str, Any]) -> str:
    if not isinstance(recorded, dict):
        return "it is no object"
    keys = sorted(k for k in set(recorded) | set(wanted) if recorded.get(k) != wanted.get(k))
    return ", ".join(f"{k} {recorded.get(k)!r} there, {wanted.get(k)!r} now" for k in keys)
