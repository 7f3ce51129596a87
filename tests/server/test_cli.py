"""``amongus serve`` wiring and ``python -m openenv_facade`` as a real process."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from amongagents.game import Game
from amongagents.replay import write_jsonl
from openenv_facade.cli import add_serve_command, run_serve
from tests.server.helpers import RawSession


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_add_serve_command_parses_the_flags() -> None:
    parser = argparse.ArgumentParser(prog="amongus")
    add_serve_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(
        [
            "serve",
            "--host",
            "0.0.0.0",
            "--port",
            "8123",
            "--max-sessions",
            "5",
            "--session-timeout",
            "9",
            "--max-frame-bytes",
            "4096",
            "--allowed-policies",
            "random, heuristic",
        ]
    )
    assert args.func is run_serve
    assert args.allowed_policies == ("random", "heuristic")
    assert (
        args.host,
        args.port,
        args.max_sessions,
        args.session_timeout,
        args.max_frame_bytes,
    ) == (
        "0.0.0.0",
        8123,
        5,
        9.0,
        4096,
    )
    defaults = parser.parse_args(["serve"])
    assert (defaults.host, defaults.port, defaults.max_sessions) == ("127.0.0.1", 8000, None)


def wait_until_healthy(port: int, process: subprocess.Popen[bytes]) -> dict[str, object]:
    """The server's first ``/health`` answer (failing if the process ends or 30 s pass)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            health: dict[str, object] = httpx.get(
                f"http://127.0.0.1:{port}/health", timeout=1
            ).json()
            return health
        except httpx.HTTPError:
            pass
        assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
        assert time.monotonic() < deadline, "the server did not come up"
        time.sleep(0.1)


def test_python_dash_m_serves_until_interrupted() -> None:
    port = free_port()
    env = {**os.environ, "AMONGUS_MAX_SESSIONS": "3"}
    process = subprocess.Popen(
        [sys.executable, "-m", "openenv_facade", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        health = wait_until_healthy(port, process)
        assert health == {"status": "healthy", "sessions": 0, "max_sessions": 3}
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)
    assert process.returncode == 0


def test_the_replay_folder_is_given_on_the_command_line(tmp_path: Path) -> None:
    game = Game("five_member", seed=3)
    while not game.is_over:
        game.step(game.legal_actions()[0])
    write_jsonl([game.event_log()], tmp_path / "games.jsonl")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "openenv_facade", "--port", str(port), "--log-level", "warning"]
        + ["--replay-dir", str(tmp_path)],
        env={k: v for k, v in os.environ.items() if k != "AMONGUS_REPLAY_DIR"},
    )
    try:
        wait_until_healthy(port, process)
        with RawSession(f"ws://127.0.0.1:{port}/ws") as session:
            listing = session.send({"type": "replay_files"})
        assert listing["data"]["enabled"] is True
        assert [entry["path"] for entry in listing["data"]["files"]] == ["games.jsonl"]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)


def test_a_replay_dir_that_is_no_folder_stops_the_command(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "openenv_facade", "--port", str(free_port())]
        + ["--replay-dir", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode != 0 and "--replay-dir" in out.stderr and "not a folder" in out.stderr
    assert "Traceback" not in out.stderr


def test_bad_limits_in_the_environment_stop_the_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "openenv_facade", "--port", str(free_port())],
        env={**os.environ, "AMONGUS_MAX_SESSIONS": "lots"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode != 0 and "AMONGUS_MAX_SESSIONS" in out.stderr


def test_the_amongus_command_offers_serve() -> None:
    from amongus_marl.cli import build_parser

    args = build_parser().parse_args(["serve", "--port", "9001", "--max-sessions", "7"])
    assert args.func is run_serve and (args.port, args.max_sessions) == (9001, 7)


@pytest.mark.parametrize(
    ("allowed", "named"),
    [("heuristic,llm", "'llm'"), ("random,no_such_policy", "'no_such_policy'")],
)
def test_offering_a_policy_the_server_cannot_play_stops_the_command(
    allowed: str, named: str
) -> None:
    # llm seats need a model and an endpoint, which the server has no way to be given.
    out = subprocess.run(
        [sys.executable, "-m", "openenv_facade", "--port", str(free_port())],
        env={**os.environ, "AMONGUS_ALLOWED_POLICIES": allowed},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode != 0 and "cannot play" in out.stderr and named in out.stderr
    assert "Traceback" not in out.stderr
    assert "--llm-" not in out.stderr and "-model" not in out.stderr, "flags serve does not have"
