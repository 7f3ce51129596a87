"""CI replays the same property-test examples on every run; a developer's run draws new ones."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = (
    "import tests.conftest\n"
    "from hypothesis import settings\n"
    "s = settings.default\n"
    "print(s.derandomize, s.database is None, s.deadline, bool(s.suppress_health_check))\n"
)


def settings_under(**variables: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**env, **variables},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return out.stdout.strip()


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"CI": "true"}, "True True None True"),
        ({}, "False False None False"),
        ({"HYPOTHESIS_PROFILE": "ci"}, "True True None True"),  # CI's examples, replayed
        ({"CI": "true", "HYPOTHESIS_PROFILE": "dev"}, "False False None False"),
        ({"CI": "1"}, "True True None True"),
        ({"CI": "false"}, "False False None False"),  # CI switched off is no CI
        ({"CI": ""}, "False False None False"),
    ],
)
def test_the_profile_follows_ci_and_can_be_chosen(variables: dict[str, str], expected: str) -> None:
    assert settings_under(**variables) == expected
