"""The README's ratings snippet runs as written and prints what its comments say."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_sweep_snippet_gives_a_one_sided_interval(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    [snippet] = [block for block in blocks if "bradley_terry.profile_intervals(" in block]
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "README.md", "exec"), namespace)
    low, high = namespace["intervals"].deception["heuristic"]
    assert (round(low, 1), round(high, 1)) == (1687.1, 2993.5)
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "{'deception': {'heuristic': 'upper'}, 'detection': {'random': 'lower'}}"
    assert namespace["intervals"].open_ends["detection"] == {"random": "lower"}
    assert "they are at least 374 points above the crewmates (they win at least 89.6%" in lines[2]
