"""The README's training snippet runs as written (in a temporary folder, on the shared Ray)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_python_training_snippet_trains_and_writes_a_playable_checkpoint(
    ray_session: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    [snippet] = [block for block in blocks if "from amongus_marl.training import" in block]
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "README.md", "exec"), namespace)
    result = namespace["result"]
    assert result.iterations == 2
    assert (tmp_path / "runs" / "quick" / "checkpoint" / "policy.json").is_file()
    from amongus_marl.evaluation.runner import Lineup, run_games

    name = f"checkpoint:{result.checkpoint}"
    games = run_games("five_member", Lineup(impostor=name, crewmate=name), 2, seed=0)
    assert all(r.policies == (name,) * 5 for r in games)
