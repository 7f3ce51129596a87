"""One Ray session and one short training run, shared by the training tests.

Ray costs seconds and about a gigabyte to start, so the tests that need it share one local
session (two CPUs: two remote env runners fit) and shut it down at the end. The ``trained`` run
is a few PPO iterations: enough to produce a checkpoint, not a good policy.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def ray_session() -> Iterator[None]:
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield
    finally:
        ray.shutdown()


def small_settings(output: Path, **overrides: Any) -> Any:
    from amongus_marl.training.settings import TrainSettings

    values: dict[str, Any] = dict(
        config="five_member",
        iterations=2,
        output=output,
        train_batch_size=400,
        minibatch_size=200,
        epochs=1,
        hidden=(32, 32),
        envs_per_runner=2,
        snapshot_every=1,
        eval_every=1,
        eval_games=6,
        checkpoint_every=0,
        progress=False,
    )
    values.update(overrides)
    return TrainSettings(**values)


@pytest.fixture(scope="session")
def trained(ray_session: None, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A short run in local mode: (its settings, its TrainResult, the rows it reported)."""
    from amongus_marl.training import train

    settings = small_settings(tmp_path_factory.mktemp("run") / "run")
    rows: list[dict[str, Any]] = []
    result = train(settings, on_iteration=rows.append)
    return settings, result, rows
