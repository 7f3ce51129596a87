"""``amongus play --log-dir`` keeps each game as soon as it ends, and ``--resume`` plays only the
games a killed run did not finish: the union is the uninterrupted run, game for game."""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from amongus_marl import cli
from amongus_marl.evaluation import runner

GAMES = 300
RUN = ["play", "--games", str(GAMES), "--config", "five_member", "--seed", "4", "--workers", "1"]
QUIET = ["--quiet", "--bootstrap", "0"]


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _games(folder: Path) -> str:
    """A finished run's log, in game order (the plain log of the run in progress is gone)."""
    assert not (folder / cli.PLAIN_GAME_LOG_FILE).exists()
    return gzip.decompress((folder / cli.GAME_LOG_FILE).read_bytes()).decode("utf-8")


def _kill_mid_run(folder: Path) -> int:
    """Start the run in a process, SIGKILL it once some games are written; how many were."""
    command = [sys.executable, "-m", "amongus_marl.cli", *RUN, *QUIET, "--log-dir", str(folder)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    log = folder / cli.PLAIN_GAME_LOG_FILE  # the games of a run in progress, as they end
    deadline = time.monotonic() + 120
    try:
        while _lines(log) < 10:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the run wrote no games"
            time.sleep(0.005)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    return _lines(log)


def test_a_killed_run_resumed_equals_an_uninterrupted_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    killed = tmp_path / "killed"
    kept = _kill_mid_run(killed)
    assert 10 <= kept < GAMES, "the run must be killed mid-way"
    with (killed / cli.PLAIN_GAME_LOG_FILE).open("a") as log:
        log.write('{"format": "amongagents-game/1", "config": {"num_pl')  # cut off mid-write

    assert cli.main([*RUN, *QUIET, "--log-dir", str(killed), "--resume"]) == 0
    assert f"{kept} already in" in capsys.readouterr().err

    whole = tmp_path / "whole"
    assert cli.main([*RUN, *QUIET, "--log-dir", str(whole)]) == 0
    resumed_games = _games(killed)
    assert resumed_games == _games(whole)
    assert len(resumed_games.splitlines()) == GAMES
    summaries = [json.loads((run / cli.SUMMARY_FILE).read_text()) for run in (killed, whole)]
    assert summaries[0] == summaries[1]


def test_resuming_a_finished_run_plays_nothing_and_a_longer_one_plays_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    short = ["play", "--games", "4", "--config", "five_member", *QUIET, "--workers", "1"]
    assert cli.main([*short, "--log-dir", str(tmp_path)]) == 0
    first = _games(tmp_path)
    assert cli.main([*short, "--log-dir", str(tmp_path), "--resume"]) == 0
    assert _games(tmp_path) == first
    longer = [*short[:2], "6", *short[3:]]
    assert cli.main([*longer, "--log-dir", str(tmp_path), "--resume"]) == 0
    again = tmp_path / "again"
    assert cli.main([*longer, "--log-dir", str(again)]) == 0
    assert _games(tmp_path) == _games(again)
    assert "4 already in" in capsys.readouterr().err


@pytest.mark.parametrize(
    "change",
    [["--seed", "9"], ["--impostor", "heuristic"], ["--config", "seven_member"]],
)
def test_resume_refuses_the_games_of_another_run(tmp_path: Path, change: list[str]) -> None:
    base = ["play", "--games", "3", "--config", "five_member", *QUIET, "--workers", "1"]
    assert cli.main([*base, "--log-dir", str(tmp_path)]) == 0
    before = (tmp_path / cli.GAME_LOG_FILE).read_bytes()
    with pytest.raises(SystemExit, match="another run"):
        cli.main([*base, *change, "--log-dir", str(tmp_path), "--resume"])
    assert (tmp_path / cli.GAME_LOG_FILE).read_bytes() == before


def test_resume_needs_a_log_dir() -> None:
    with pytest.raises(SystemExit, match="give --log-dir"):
        cli.main(["play", "--games", "1", "--resume", *QUIET])


def test_games_are_on_disk_before_the_run_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each game is written when it ends: looking at the log as each game starts finds them."""
    seen: list[int] = []
    original = runner.GameRunner.play

    def play_and_look(self: runner.GameRunner, index: int, seed: int) -> runner.GameResult:
        seen.append(_lines(tmp_path / cli.PLAIN_GAME_LOG_FILE))
        return original(self, index, seed)

    monkeypatch.setattr(runner.GameRunner, "play", play_and_look)
    argv = ["play", "--games", "5", "--config", "five_member", *QUIET, "--workers", "1"]
    assert cli.main([*argv, "--log-dir", str(tmp_path)]) == 0
    assert seen == [0, 1, 2, 3, 4]
    assert _games(tmp_path).count("\n") == 5
