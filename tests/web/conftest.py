"""A real server with a replay folder, and Debian's headless chromium driven by Playwright.

The browser is ``/usr/bin/chromium`` (the ``chromium`` package; ``.ci/run`` installs it), not a
browser Playwright downloads: the tests must work offline."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from amongagents.game import Game
from amongagents.replay import write_jsonl
from tests.server.conftest import RunningServer, serve

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Screenshots go here when set (the README's pictures are made this way), else to a temp dir.
SCREENSHOT_DIR_VARIABLE = "AMONGUS_WEB_SCREENSHOTS"


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise RuntimeError(
            "the browser tests need Debian's chromium: apt-get install chromium (.ci/run does)"
        )
    return found


def bot_game_log(seed: int, config: str = "seven_member") -> dict[str, Any]:
    """A finished game of random legal moves, logged as `amongus play` logs its games."""
    import random

    from amongus_marl.env import raw_env

    env = raw_env(config=config)
    env.reset(seed=seed)
    game: Game | None = env.game
    assert game is not None
    rng = random.Random(seed)
    while not game.is_over:
        view = env.agent_view()
        env.step(sorted(view.table)[rng.randrange(len(view.table))])
    return game.event_log()


@pytest.fixture(scope="session")
def replay_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("replays")
    write_jsonl([bot_game_log(11), bot_game_log(12)], folder / "games.jsonl")
    return folder


@pytest.fixture(scope="session")
def web_server(replay_folder: Path) -> Iterator[RunningServer]:
    previous = os.environ.get("AMONGUS_REPLAY_DIR")
    os.environ["AMONGUS_REPLAY_DIR"] = str(replay_folder)
    try:
        with serve() as running:
            yield running
    finally:
        if previous is None:
            os.environ.pop("AMONGUS_REPLAY_DIR", None)
        else:
            os.environ["AMONGUS_REPLAY_DIR"] = previous


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Iterator[Path]:
    chosen = os.environ.get(SCREENSHOT_DIR_VARIABLE)
    if not chosen:
        yield tmp_path
        return
    folder = Path(chosen)
    folder.mkdir(parents=True, exist_ok=True)
    started = {p: p.stat().st_mtime for p in folder.glob("web-*.png")}
    yield folder
    # Pictures kept in the repository: the checked screenshots, in a 256-colour palette.
    for shot in folder.glob("web-*.png"):
        if started.get(shot) != shot.stat().st_mtime:
            Image.open(shot).convert("RGB").quantize(256).save(shot, optimize=True)
