"""A real model plays: SmolLM2-135M-Instruct served by llama.cpp on 127.0.0.1 (the ``llm-local``
extra), in whole short games through ``amongus play``, as impostor and as crewmates.

Nothing is skipped: without the extra, the server fixture fails with the error that names it.
The games are short (three players, three timesteps) and the answers capped: the module took
35 s on this 2-core machine at load 2, and 4.4 min at load 5-6 with longer answers. What is
checked is the run's accounting, not the model's play.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from amongagents.replay import read_jsonl
from amongus_marl.cli import GAME_LOG_FILE, build_parser
from amongus_marl.policies import local_model
from amongus_marl.policies.local_model import LocalModelError, LocalModelServer
from tests.llm.helpers import RECORD_KEYS, read_log

pytestmark = pytest.mark.slow

#: Three players and three timesteps: every game ends within a dozen or so decisions per seat.
SHORT_GAME = {
    "num_players": 3,
    "num_impostors": 1,
    "num_common_tasks": 1,
    "num_short_tasks": 1,
    "num_long_tasks": 0,
    "discussion_rounds": 1,
    "max_num_buttons": 1,
    "kill_cooldown": 1,
    "max_timesteps": 3,
}


@pytest.fixture(scope="module")
def local_server() -> Iterator[LocalModelServer]:
    with LocalModelServer() as server:
        yield server
    assert not server.running


@pytest.fixture(scope="module")
def short_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "short.json"
    path.write_text(json.dumps(SHORT_GAME), encoding="utf-8")
    return path


def play(server: LocalModelServer, config: Path, run: Path, *options: str) -> dict[str, Any]:
    """``amongus play`` in a subprocess against ``server``; the run's summary."""
    command = [
        sys.executable,
        "-m",
        "amongus_marl.cli",
        "play",
        "--quiet",
        *("--bootstrap", "0", "--workers", "1", "--config", str(config)),
        *("--log-dir", str(run / "games"), "--llm-log-dir", str(run / "prompts")),
        *("--llm-base-url", server.base_url, "--llm-api-key", server.api_key),
        *("--llm-timeout", "300", "--llm-retries", "1"),
        *options,
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=1200, check=False)
    assert finished.returncode == 0, finished.stderr[-3000:]
    return dict(json.loads((run / "games" / "summary.json").read_text(encoding="utf-8")))


def check_accounting(summary: dict[str, Any], run: Path, games: int, role: str) -> None:
    """Games finished; one prompt-log line per decision; fallback flags sum to the summary's."""
    played = list(read_jsonl(run / "games" / GAME_LOG_FILE))
    assert summary["games"] == len(played) == games
    assert sum(summary["wins"].values()) == games
    assert sum(summary["wins_by_condition"].values()) == games
    counted = summary["fallbacks"]["llm"]
    logs = read_log(run / "prompts")
    assert len(logs) == games, "one prompt log per game"
    records = [record for game in logs.values() for record in game]
    assert counted["decisions"] == len(records) > 0
    assert counted["fallbacks"] == sum(record["fallback"] for record in records)
    per_game = [log["fallbacks"]["llm"] for log in played]
    assert sum(g["decisions"] for g in per_game) == counted["decisions"]
    assert sum(g["fallbacks"] for g in per_game) == counted["fallbacks"]
    for record in records:
        assert set(record) >= RECORD_KEYS
        assert record["model"] == local_model.MODEL_ALIAS
        assert record["role"].lower() == role
        assert record["error"] is None, record["error"]
        # A real model reported its token counts, and its answer was read one way or the other.
        assert record["usage"]["prompt_tokens"] > 100
        assert record["usage"]["completion_tokens"] >= 1
        assert (record["match"] is None) == record["fallback"]
        assert record["latency"] > 0


def test_the_model_plays_impostor_free_form(
    local_server: LocalModelServer, short_config: Path, tmp_path: Path
) -> None:
    summary = play(
        local_server,
        short_config,
        tmp_path,
        *("--games", "2", "--impostor", "llm", "--crewmate", "heuristic"),
        *("--impostor-model", local_server.model, "--llm-max-tokens", "48"),
    )
    check_accounting(summary, tmp_path, games=2, role="impostor")


def test_the_model_plays_crewmates_with_structured_output(
    local_server: LocalModelServer, short_config: Path, tmp_path: Path
) -> None:
    summary = play(
        local_server,
        short_config,
        tmp_path,
        *("--games", "1", "--impostor", "heuristic", "--crewmate", "llm"),
        *("--crewmate-model", local_server.model, "--llm-max-tokens", "64"),
        *("--llm-structured", local_model.STRUCTURED_DIALECT, "--llm-prompt", "compact"),
    )
    check_accounting(summary, tmp_path, games=1, role="crewmate")
    records = [r for game in read_log(tmp_path / "prompts").values() for r in game]
    # The grammar holds the model to the schema: the answer is JSON naming a legal action.
    structured = [r for r in records if r["match"] == "structured"]
    assert len(structured) >= len(records) // 2, [r["raw_response"] for r in records]


def test_the_server_process_group_is_gone_after_the_context() -> None:
    with LocalModelServer() as server:
        pid = server._process.pid if server._process else None
        assert server.running and pid is not None
    assert not server.running
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)


def test_a_missing_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def without_model(name: str, *args: Any) -> Any:
        return None if name == local_model.MODEL_PACKAGE else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_model)
    with pytest.raises(LocalModelError, match=r"llm-local"):
        LocalModelServer().start()
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "llama_cpp" else real(name)
    )
    with pytest.raises(LocalModelError, match=r"llama_cpp.*llm-local"):
        local_model.check_installed()


def test_a_server_that_dies_at_start_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"not a model")
    with pytest.raises(LocalModelError, match="exited with code"):
        LocalModelServer(broken, startup_timeout=60).start()


def test_play_serves_the_model_itself_with_local_model(short_config: Path, tmp_path: Path) -> None:
    games = tmp_path / "games"
    command = [
        sys.executable,
        "-m",
        "amongus_marl.cli",
        "play",
        *("--quiet", "--bootstrap", "0", "--games", "1", "--config", str(short_config)),
        *("--impostor", "llm", "--crewmate", "heuristic", "--local-model"),
        *("--llm-prompt", "compact"),
        *("--llm-max-tokens", "32", "--log-dir", str(games)),
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=1200, check=False)
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert "serving smollm2 at http://127.0.0.1:" in finished.stderr
    summary = json.loads((games / "summary.json").read_text(encoding="utf-8"))
    assert summary["games"] == 1 and summary["fallbacks"]["llm"]["decisions"] > 0


def test_the_readmes_local_model_commands_parse() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.DOTALL)
    lines = [
        line
        for block in blocks
        for line in block.replace("\\\n", " ").splitlines()
        if line.startswith("amongus play") and "--local-model" in line
    ]
    assert lines, "the README shows amongus play --local-model"
    for line in lines:
        args = build_parser().parse_args(shlex.split(line)[1:])
        assert args.local_model and args.llm_prompt == "compact"
