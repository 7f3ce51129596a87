"""The README's environment snippets run as written and play a whole game."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def python_blocks_using(marker: str) -> list[str]:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    return [block for block in blocks if marker in block]


@pytest.mark.parametrize(
    "marker", ['amongus_marl.env(config="five_member", obs_mode=', "ss.frame_stack_v1("]
)
def test_the_readme_snippet_plays_a_whole_game(marker: str) -> None:
    [snippet] = python_blocks_using(marker)
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "README.md", "exec"), namespace)
    env = namespace["env"]
    assert not env.agents, "the game did not end"
    assert env.unwrapped.game.is_over


def test_the_supersuit_snippet_stacks_frames() -> None:
    [snippet] = python_blocks_using("ss.frame_stack_v1(")
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "README.md", "exec"), namespace)
    env, observation = namespace["env"], namespace["observation"]
    (length,) = env.unwrapped.observation_space("player_0").shape
    assert env.observation_space("player_0").shape == (4 * length,)
    assert isinstance(observation, np.ndarray)
    assert observation.shape == (4 * length,)


def test_the_rendering_snippet_writes_an_episode_gif(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PIL import Image

    [snippet] = python_blocks_using("save_video(frames")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "README.md", "exec"), namespace)
    assert namespace["env"].unwrapped.game.is_over
    with Image.open(tmp_path / "episode.gif") as gif:
        assert gif.n_frames >= 2  # type: ignore[attr-defined]
        assert gif.size == (980, 561)


def test_the_readme_picture_is_checked_in() -> None:
    picture = README.parent / "docs" / "episode.gif"
    assert "(docs/episode.gif)" in README.read_text(encoding="utf-8")
    assert picture.is_file() and picture.stat().st_size < 300_000


def test_the_parallel_snippet_plays_a_whole_game() -> None:
    [snippet] = python_blocks_using("amongus_marl.parallel_env(")
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "README.md", "exec"), namespace)
    env, terminations = namespace["env"], namespace["terminations"]
    assert not env.agents and env.game.is_over
    assert set(terminations) == set(env.possible_agents) and all(terminations.values())


def test_the_seat_env_snippet_trains() -> None:
    import torch  # the test extra's sb3-contrib brings it

    torch.set_num_threads(1)
    [snippet] = python_blocks_using("amongus_marl.SEAT_ENV_ID")
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "README.md", "exec"), namespace)
    assert namespace["model"].num_timesteps >= 512
    assert namespace["env"].unwrapped.role == "crewmate"
