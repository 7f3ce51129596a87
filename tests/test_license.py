"""The project is MIT-licensed, and says so wherever a package manager or a reader looks."""

from __future__ import annotations

import tomllib
from importlib.metadata import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_license_file_is_the_mit_license() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text


def test_the_package_metadata_names_it() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    installed = metadata("amongus-marl")
    assert installed["License-Expression"] == "MIT"
    assert installed.get_all("License-File") == ["LICENSE"]


def test_the_container_build_has_the_license_file() -> None:
    # pyproject.toml's license-files must match a file wherever the project is built.
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert any(
        line.startswith("COPY ") and "LICENSE" in line.split() for line in dockerfile.splitlines()
    )
