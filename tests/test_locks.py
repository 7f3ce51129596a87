"""The two lock files agree: the run-time lock (Docker) pins the same versions as the dev lock."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", re.MULTILINE)


def pins(name: str) -> dict[str, str]:
    text = (ROOT / name).read_text(encoding="utf-8")
    return {package.lower(): version for package, version in PIN.findall(text)}


def test_runtime_pins_are_the_dev_pins() -> None:
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    assert runtime, "requirements.lock pins nothing"
    differing = {p: (v, dev.get(p)) for p, v in runtime.items() if dev.get(p) != v}
    assert differing == {}, f"run-time pins missing from or different in the dev lock: {differing}"


def test_the_runtime_lock_carries_no_test_tools() -> None:
    runtime = pins("requirements.lock")
    for tool in ("pytest", "hypothesis", "supersuit", "openenv-core", "pygame"):
        assert tool not in runtime, f"{tool} belongs in requirements-dev.lock only"


def test_every_dependency_is_locked_with_hashes() -> None:
    for name in ("requirements.lock", "requirements-dev.lock"):
        text = (ROOT / name).read_text(encoding="utf-8")
        for package in ("numpy", "gymnasium", "pettingzoo", "fastapi", "uvicorn", "pydantic"):
            assert re.search(rf"^{package}==\S+ \\\n\s+--hash=sha256:", text, re.MULTILINE), (
                f"{package} is not pinned with a hash in {name}"
            )
