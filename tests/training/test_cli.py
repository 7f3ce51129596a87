"""``amongus train``: flags are checked before Ray starts; a tiny run writes a checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from amongus_marl.cli import build_parser, main


def test_train_is_a_subcommand_with_its_help() -> None:
    help_text = build_parser().format_help()
    assert "train" in help_text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--iterations", "0"], "iterations must be positive"),
        (["--impostor", "heuristic", "--crewmate", "random"], "nothing to learn"),
        (["--crewmate", "nobody"], "neither a learning mode"),
        (["--config", "no_such_preset"], "bad --config"),
        (["--pool-size", "0"], "pool_size"),
    ],
)
def test_bad_flags_are_refused_with_a_message(argv: list[str], message: str) -> None:
    with pytest.raises(SystemExit, match=message):
        main(["train", *argv])


@pytest.mark.parametrize("argv", [["--hidden", "0,4"], ["--rewards", "win"]])
def test_malformed_values_are_argparse_errors(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["train", *argv])
    assert "amongus train: error" in capsys.readouterr().err


def test_a_tiny_run_from_the_command_line(
    ray_session: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "run"
    argv = [
        "train", "--iterations", "1", "--batch", "300", "--minibatch", "150", "--epochs", "1",
        "--hidden", "16", "--envs-per-runner", "2", "--eval-games", "4", "--quiet",
        "--crewmate", "heuristic", "--rewards", "kill=0.1", "--output", str(output),
    ]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"checkpoint: {output / 'checkpoint'}" in out
    spec = json.loads((output / "checkpoint" / "policy.json").read_text())
    assert spec["hidden"] == [16] and spec["roles"]["crewmate"] == {"stand_in": "heuristic"}
    settings = json.loads((output / "settings.json").read_text())
    assert settings["rewards"]["kill"] == 0.1 and settings["crewmate"] == "heuristic"
    assert "impostor vs heuristic crew" in out and "crew vs" not in out
