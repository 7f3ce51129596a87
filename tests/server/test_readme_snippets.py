"""The README's server snippets run as written against a live server (only the URL changes)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from tests.server.conftest import RunningServer

README = Path(__file__).resolve().parents[2] / "README.md"
README_URL = "http://127.0.0.1:8000"


def python_blocks_using(marker: str) -> list[str]:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    return [block for block in blocks if marker in block]


@pytest.mark.parametrize(
    "marker",
    [
        'env.step({"type": "move", "target": "Admin"})',
        'rpc("openenv/session/create"',
        "MCPToolClient(base_url",
        'env.reset(seed=7, seats="all")',
        'obs_mode="chat")',
        "open_seats=[1]",
    ],
)
def test_the_readme_snippet_runs(server: RunningServer, marker: str) -> None:
    [snippet] = python_blocks_using(marker)
    assert README_URL in snippet
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(snippet.replace(README_URL, server.base_url), "README.md", "exec"), {})
