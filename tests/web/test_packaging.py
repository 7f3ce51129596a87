"""The page's files are package data: an installed server (the Docker image installs the
project, not editable) must find every one of them."""

from __future__ import annotations

import tomllib
from pathlib import Path

import openenv_facade
from openenv_facade.web import PAGE_ASSETS

PACKAGE = Path(openenv_facade.__file__).parent
PYPROJECT = PACKAGE.parent / "pyproject.toml"


def test_every_page_asset_is_declared_package_data() -> None:
    patterns = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-data"][
        "openenv_facade"
    ]
    declared = {path.name for pattern in patterns for path in PACKAGE.glob(pattern)}
    on_disk = {path.name for path in (PACKAGE / "webpage").iterdir() if path.is_file()}
    assert set(PAGE_ASSETS) == on_disk  # the server serves exactly the folder's files
    assert on_disk <= declared
