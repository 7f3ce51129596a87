"""``amongus play`` and ``amongus ratings`` end to end."""

from __future__ import annotations

import argparse
import gzip
import json
from importlib.metadata import EntryPoint, entry_points, version
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
        ["play", "--bootstrap", "-3"],
        ["ratings", ".", "--bootstrap", "-3"],
        ["ratings", "/no/such/dir"],
    ],
)
def test_bad_arguments_exit_with_a_message(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv + ["--quiet"] if argv[0] == "play" else argv)
    assert exit_info.value.code not in (0, None)


def test_subcommands_plug_in_through_the_entry_point_group(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys
    import types

    module = types.ModuleType("fake_plugin_cli")

    def add_hello_command(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
        parser = subparsers.add_parser("hello")
        parser.add_argument("--times", type=int, default=1)
        parser.set_defaults(func=lambda args: 40 + args.times)

    module.add_hello_command = add_hello_command  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_plugin_cli", module)
    installed = list(entry_points(group=cli.COMMAND_GROUP))
    plugins = [
        EntryPoint("hello", "fake_plugin_cli:add_hello_command", cli.COMMAND_GROUP),
        # a package registered but not importable here (e.g. an extra that is not installed)
        EntryPoint("analyse", "amongus_marl.not_written_yet:add_command", cli.COMMAND_GROUP),
    ]
    monkeypatch.setattr(cli, "entry_points", lambda group: [*installed, *plugins])
    assert cli.main(["hello", "--times", "2"]) == 42  # `func` works as well as `handler`
    help_text = cli.build_parser().format_help()
    assert "play" in help_text and "serve" in help_text and "analyse" not in help_text
    assert "the 'analyse' command is unavailable" in capsys.readouterr().err


def test_the_installed_commands_are_the_distributions_entry_points() -> None:
    registered = {point.name: point.value for point in entry_points(group=cli.COMMAND_GROUP)}
    assert registered == {
        "play": "amongus_marl.cli:add_play_command",
        "ratings": "amongus_marl.cli:add_ratings_command",
        "serve": "openenv_facade.cli:add_serve_command",
        "train": "amongus_marl.training.cli:add_train_command",
    }
    source = Path(cli.__file__).read_text(encoding="utf-8")
    assert "openenv_facade" not in source, "the environment names no server module"
    assert [point.name for point in cli.command_entry_points()] == [
        "play",
        "ratings",
        "serve",
        "train",
    ]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"amongus {version('amongus-marl')}"


def test_play_prints_its_config_and_writes_gzip_logs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    (run).mkdir()
    (run / cli.PLAIN_GAME_LOG_FILE).write_text("an earlier run's log\n")
    argv = ["play", "--games", "2", "--config", "five_member", "--quiet", "--bootstrap", "0"]
    assert cli.main([*argv, "--log-dir", str(run)]) == 0
    captured = capsys.readouterr()
    assert "amongus play: 2 games of five_member," in captured.err
    assert captured.out.startswith(
        "config: five_member (num_players=5, num_impostors=1, num_common_tasks=1, "
    )
    assert "max_timesteps=50)" in captured.out.splitlines()[0]
    log = run / cli.GAME_LOG_FILE
    assert log.name == "games.jsonl.gz" and gzip.decompress(log.read_bytes()).count(b"\n") == 2
    assert not (run / cli.PLAIN_GAME_LOG_FILE).exists(), "the earlier run's log is replaced"
    assert cli.main(["ratings", str(run), "--bootstrap", "0"]) == 0
    assert "2 games from 1 file(s)" in capsys.readouterr().err
    # A folder of an earlier version's plain log is still read.
    old = tmp_path / "old"
    old.mkdir()
    (old / cli.PLAIN_GAME_LOG_FILE).write_bytes(gzip.decompress(log.read_bytes()))
    assert cli.main(["ratings", str(old), "--bootstrap", "0"]) == 0
    assert "2 games from 1 file(s)" in capsys.readouterr().err


def _play_small_run(folder: Path) -> None:
    argv = ["play", "--games", "3", "--config", "five_member", "--quiet", "--bootstrap", "0"]
    assert cli.main([*argv, "--log-dir", str(folder)]) == 0


def test_ratings_read_the_runs_game_log_beside_other_jsonl_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    _play_small_run(run)
    # LLM players write their prompt logs as JSONL too, possibly into the same folder.
    (run / "llm-game-0.jsonl").write_text('{"prompt": "...", "response": "..."}\n')
    capsys.readouterr()
    assert cli.main(["ratings", str(run), "--bootstrap", "0"]) == 0
    assert "3 games from 1 file(s)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('["not", "a", "log"]', "JSON object"),
        (
            '{"policies": ["random"], "players": [{"identity": "Impostor"}], "winner": null}',
            "malformed",
        ),
        (
            '{"policies": ["random"], "players": [{"identity": "Impostor"}], "winner": 0}',
            "not ended",
        ),
        ('{"policies": ["random"], "players": [], "winner": 1}', "one policy per player"),
    ],
)
def test_ratings_of_a_malformed_log_is_a_message(tmp_path: Path, line: str, says: str) -> None:
    log = tmp_path / "games.jsonl"
    log.write_text(line + "\n")
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["ratings", str(log), "--bootstrap", "0"])
    assert isinstance(exit_info.value.code, str) and says in exit_info.value.code


@pytest.mark.parametrize("damage", ["not gzip", "cut off"])
def test_ratings_of_a_damaged_gzip_log_is_a_message(tmp_path: Path, damage: str) -> None:
    log = tmp_path / "games.jsonl.gz"
    whole = gzip.compress(b'{"policies": ["random"]}\n' * 50)
    log.write_bytes(b"plain text, no gzip" if damage == "not gzip" else whole[: len(whole) // 2])
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["ratings", str(tmp_path), "--bootstrap", "0"])
    assert isinstance(exit_info.value.code, str)
    assert exit_info.value.code.startswith("amongus ratings: cannot read the logs")


UNWRITABLE = {
    "log-dir is a file": ["--log-dir", "a_file"],
    "log-dir is inside a file": ["--log-dir", "a_file/logs"],
    "llm-log-dir is a file": ["--llm-log-dir", "a_file"],
    "chart is a folder": ["--chart", "a_folder"],
    "chart is inside a file": ["--chart", "a_file/chart.png"],
    "summary is a folder": ["--summary-json", "a_folder"],
    "summary is inside a file": ["--summary-json", "a_file/deeper/summary.json"],
}


@pytest.mark.parametrize("where", list(UNWRITABLE))
def test_unwritable_outputs_are_refused_before_any_game(tmp_path: Path, where: str) -> None:
    a_file, a_folder = tmp_path / "a_file", tmp_path / "a_folder"
    a_file.write_text("")
    a_folder.mkdir()
    flag, relative = UNWRITABLE[where]
    option = [flag, str(tmp_path / relative)]
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["play", "--games", "2000", "--quiet", *option])  # refused long before
    assert isinstance(exit_info.value.code, str)
    assert list(a_folder.iterdir()) == [] and a_file.read_text() == ""


def test_chart_titles_name_the_config_and_lineup_and_the_fit_is_saved(tmp_path: Path) -> None:
    run = tmp_path / "run"
    argv = ["play", "--games", "6", "--config", "five_member", "--impostor", "heuristic"]
    argv += ["--seat", "2=heuristic", "--quiet", "--bootstrap", "5", "--log-dir", str(run)]
    assert cli.main(argv) == 0
    expected = "five_member: 6 games, impostor=heuristic crewmate=random seat2=heuristic"
    with Image.open(run / cli.CHART_FILE) as chart:
        assert chart.text["Title"] == expected  # type: ignore[attr-defined]
    fit = json.loads((run / cli.SUMMARY_FILE).read_text())["ratings"]["bradley_terry"]
    assert set(fit) >= {"deception", "detection", "intervals", "scale", "mean", "prior_sd"}
    assert set(fit["deception"]) == {"heuristic"}  # every impostor seat is heuristic
    # `amongus ratings` redraws it from the logs with the same title: the lineup comes from the
    # run's summary, the config from the logs.
    (run / cli.CHART_FILE).unlink()
    assert cli.main(["ratings", str(run), "--bootstrap", "0"]) == 0
    with Image.open(run / cli.CHART_FILE) as chart:
        assert chart.text["Title"] == expected  # type: ignore[attr-defined]
    # Without a summary, the lineup is what the logs show on each side.
    (run / cli.SUMMARY_FILE).unlink()
    assert cli.main(["ratings", str(run), "--bootstrap", "0"]) == 0
    with Image.open(run / cli.CHART_FILE) as chart:
        title = chart.text["Title"]  # type: ignore[attr-defined]
    assert title.startswith("five_member: 6 games, impostor=") and "crewmate=" in title


def test_ratings_of_a_sweep_say_at_least_how_far_ahead_the_winners_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 20 games, all won by the heuristic impostor (winner 1: the impostors outnumber the crew).
    log = {
        "players": [{"identity": "Impostor"}] + [{"identity": "Crewmate"}] * 4,
        "policies": ["heuristic"] + ["random"] * 4,
        "winner": 1,
    }
    (tmp_path / "games.jsonl").write_text((json.dumps(log) + "\n") * 20)
    out_json = tmp_path / "ratings.json"
    argv = ["ratings", str(tmp_path), "--bootstrap", "20", "--summary-json", str(out_json)]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    fit = json.loads(out_json.read_text())["ratings"]["bradley_terry"]
    low, high = fit["intervals"]["deception"]["heuristic"]
    assert low < fit["deception"]["heuristic"] < high  # not the old [r, r]
    assert fit["open_ends"] == {
        "deception": {"heuristic": "upper"},
        "detection": {"random": "lower"},
    }
    (seating,) = fit["one_sided_seatings"]
    assert seating["won_by"] == "impostors" and seating["games"] == 20
    # The table shows the end the games set, as "at least", and the seating in words.
    assert f"(>= {low:>5.0f})" in out
    assert f"they are at least {seating['limit']:.0f} points above the crewmates" in out
    # The Elo's bootstrap interval is no longer zero-width either.
    elo_low, elo_high = json.loads(out_json.read_text())["ratings"]["intervals"]["deception"][
        "heuristic"
    ]
    assert elo_low < elo_high
