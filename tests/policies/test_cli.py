"""``amongus play`` and ``amongus ratings`` end to end."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from PIL import Image

from amongagents.replay import read_jsonl, replay
from amongus_marl import cli

SUMMARY_KEYS = {
    "games",
    "wins",
    "win_rates",
    "wins_by_condition",
    "mean_game_length",
    "mean_actions",
    "kills",
    "ejections",
    "task_completion",
    "config",
    "seed",
    "lineup",
    "ratings",
}


def test_play_writes_logs_summary_and_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs, summary_path = tmp_path / "logs", tmp_path / "summary.json"
    status = cli.main(
        [
            "play",
            "--games",
            "4",
            "--config",
            "five_member",
            "--impostor",
            "heuristic",
            "--crewmate",
            "random",
            "--seat",
            "1=heuristic",
            "--seed",
            "3",
            "--workers",
            "2",
            "--log-dir",
            str(logs),
            "--summary-json",
            str(summary_path),
            "--bootstrap",
            "10",
            "--quiet",
        ]
    )
    assert status == 0
    out = capsys.readouterr().out
    assert "impostors win" in out and "by win condition" in out and "Deception Elo" in out

    summary = json.loads(summary_path.read_text())
    assert set(summary) >= SUMMARY_KEYS
    assert summary["games"] == 4
    assert summary["wins"]["impostors"] + summary["wins"]["crewmates"] == 4
    assert sum(summary["wins_by_condition"].values()) == 4
    assert summary["lineup"] == {
        "impostor": "heuristic",
        "crewmate": "random",
        "seats": {"1": "heuristic"},
    }
    assert summary["config"]["num_players"] == 5
    assert set(summary["ratings"]) >= {
        "deception",
        "detection",
        "k_factor",
        "initial_rating",
        "intervals",
    }
    assert json.loads((logs / cli.SUMMARY_FILE).read_text()) == summary

    games = list(read_jsonl(logs / cli.GAME_LOG_FILE))
    assert len(games) == 4
    for log in games:
        assert log["policies"][1] == "heuristic"
        assert int(replay(log).winner) == log["winner"]
    with Image.open(logs / cli.CHART_FILE) as chart:
        assert chart.format == "PNG" and chart.size[0] > 400

    # the same run again gives the same games (and overwrites, not appends)
    cli.main(
        [
            "play",
            "--games",
            "4",
            "--config",
            "five_member",
            "--impostor",
            "heuristic",
            "--seat",
            "1=heuristic",
            "--seed",
            "3",
            "--workers",
            "1",
            "--log-dir",
            str(logs),
            "--quiet",
            "--bootstrap",
            "0",
        ]
    )
    assert list(read_jsonl(logs / cli.GAME_LOG_FILE)) == games

    capsys.readouterr()
    ratings_json = tmp_path / "ratings.json"
    assert (
        cli.main(["ratings", str(logs), "--bootstrap", "10", "--summary-json", str(ratings_json)])
        == 0
    )
    assert "Detection Elo" in capsys.readouterr().out
    rated = json.loads(ratings_json.read_text())
    assert rated["games"] == 4 and rated["ratings"]["deception"] == summary["ratings"]["deception"]
    # The bootstrap is seeded with the run's seed (from the log folder's summary), as play's was.
    assert rated["ratings"]["intervals"] == summary["ratings"]["intervals"]


def test_config_from_a_json_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = {
        "num_players": 4,
        "num_impostors": 1,
        "num_common_tasks": 1,
        "num_short_tasks": 1,
        "num_long_tasks": 0,
        "discussion_rounds": 1,
        "max_num_buttons": 1,
        "kill_cooldown": 2,
        "max_timesteps": 20,
    }
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps({"config": config}))
    summary_path = tmp_path / "s.json"
    cli.main(
        [
            "play",
            "--games",
            "3",
            "--config",
            str(path),
            "--workers",
            "1",
            "--quiet",
            "--bootstrap",
            "0",
            "--summary-json",
            str(summary_path),
        ]
    )
    assert json.loads(summary_path.read_text())["config"] == config


@pytest.mark.parametrize(
    "argv",
    [
        ["play", "--impostor", "nobody"],
        ["play", "--seat", "9=random", "--config", "five_member"],
        ["play", "--seat", "first=random"],
        ["play", "--config", "no_such_preset"],
        ["play", "--games", "0"],
        ["play", "--seed", "-1"],
        ["play", "--workers", "0"],
        ["ratings", "/no/such/dir"],
    ],
)
def test_bad_arguments_exit_with_a_message(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv + ["--quiet"] if argv[0] == "play" else argv)
    assert exit_info.value.code not in (0, None)


def test_subcommands_plug_in_through_the_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    module = types.ModuleType("fake_plugin_cli")

    def add_hello_command(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
        parser = subparsers.add_parser("hello")
        parser.add_argument("--times", type=int, default=1)
        parser.set_defaults(func=lambda args: 40 + args.times)

    module.add_hello_command = add_hello_command  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_plugin_cli", module)
    monkeypatch.setattr(
        cli,
        "_SUBCOMMANDS",
        [
            *cli._SUBCOMMANDS,
            "fake_plugin_cli:add_hello_command",
            "not_written_yet.cli:add_later_command",
        ],
    )
    assert cli.main(["hello", "--times", "2"]) == 42  # `func` works as well as `handler`
    assert "play" in cli.build_parser().format_help()
