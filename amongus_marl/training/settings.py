"""``TrainSettings``: everything a training run is, checked before Ray starts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from amongagents.config import GameConfig, resolve_config
from amongus_marl.policies.base import is_known_policy
from amongus_marl.rewards import RewardConfig

#: Role modes that learn: ``self`` (every seat of the role is the learner) and ``pool`` (each
#: seat is the learner or, per episode, a member of the pool: past snapshots, heuristic, random).
LEARNING_MODES: Final[tuple[str, ...]] = ("self", "pool")
DEFAULT_POOL: Final[tuple[str, ...]] = ("heuristic", "random")


@dataclass(frozen=True)
class TrainSettings:
    """A training run. ``impostor``/``crewmate``: ``self``, ``pool`` or a fixed policy name
    (``heuristic``, ``random``, ``checkpoint:PATH``), which then plays that role's seats and is
    not trained. Budgets: the run stops at the first of ``minutes``, ``env_steps`` and
    ``iterations`` that is set; ``cpu_minutes`` counts this process's CPU time (which in local mode
    is the sampling and the learning: on a shared machine, a budget that contention cannot
    shrink)."""

    config: str | Mapping[str, Any] | GameConfig = "five_member"
    impostor: str = "pool"
    crewmate: str = "pool"
    rewards: RewardConfig = field(default_factory=RewardConfig)
    hidden: tuple[int, ...] = (256, 256)
    minutes: float | None = None
    cpu_minutes: float | None = None
    env_steps: int | None = None
    iterations: int | None = None
    seed: int = 0
    output: Path = Path("runs/train")
    # Sampling: local mode (0 remote runners) samples in the driver, which on 2 cores is fastest.
    num_env_runners: int = 0
    envs_per_runner: int = 16
    address: str | None = None
    # PPO.
    train_batch_size: int = 4000
    minibatch_size: int = 500
    epochs: int = 4
    learning_rate: float = 3e-4
    entropy_coeff: float = 0.01
    gamma: float = 0.995
    # In a crew-focus episode, 1..this many crewmates learn (None: up to all of them).
    max_learned_crewmates: int | None = None
    snapshot_every: int = 5  # iterations between snapshots added to the pool
    pool_size: int = 6  # snapshots kept (the oldest leave)
    # Evaluation on held-out seeds against heuristic and random opponents.
    eval_every: int = 5  # iterations; 0: only at the end
    eval_games: int = 100
    eval_seed: int = 1_000_000  # run seed of evaluation games; training never uses it
    checkpoint_every: int = 10
    progress: bool = True
    # Continue the run in ``output`` from its last checkpoint (the budget counts from the
    # run's start); a folder of a run with other settings is refused.
    resume: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "config", resolve_config(self.config))
        object.__setattr__(self, "rewards", RewardConfig.from_any(self.rewards))
        object.__setattr__(self, "output", Path(self.output))
        object.__setattr__(self, "hidden", tuple(int(w) for w in self.hidden))
        for role in ("impostor", "crewmate"):
            mode = getattr(self, role)
            if mode not in LEARNING_MODES and not is_known_policy(mode):
                raise ValueError(
                    f"{role}: {mode!r} is neither a learning mode {LEARNING_MODES} nor a policy"
                )
        if not self.learned_roles:
            raise ValueError("nothing to learn: set impostor or crewmate to 'self' or 'pool'")
        if not any(w > 0 for w in self.hidden) or any(w < 1 for w in self.hidden):
            raise ValueError(f"hidden layer widths must be positive, got {list(self.hidden)}")
        budgets = ("minutes", "cpu_minutes", "env_steps", "iterations")
        if all(getattr(self, name) is None for name in budgets):
            raise ValueError("give a budget: minutes, cpu_minutes, env_steps or iterations")
        for name in budgets:
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive, got {value}")
        positive = ("envs_per_runner", "train_batch_size", "minibatch_size", "epochs", "pool_size")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.minibatch_size > self.train_batch_size:
            raise ValueError("minibatch_size cannot exceed train_batch_size")
        if self.num_env_runners < 0:
            raise ValueError("num_env_runners must be 0 (sample in the driver) or more")
        for name in ("snapshot_every", "eval_every", "checkpoint_every", "eval_games"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 or more, got {getattr(self, name)}")
        if not 0.0 < self.gamma <= 1.0 or self.learning_rate <= 0:
            raise ValueError("gamma must be in (0, 1] and learning_rate positive")
        if self.max_learned_crewmates is not None and self.max_learned_crewmates < 1:
            raise ValueError("max_learned_crewmates must be at least 1 (or None: all)")
        if self.seed < 0 or self.eval_seed < 0:
            raise ValueError("seeds must be non-negative")

    @property
    def game_config(self) -> GameConfig:
        config = self.config
        assert isinstance(config, GameConfig)
        return config

    @property
    def learned_roles(self) -> tuple[str, ...]:
        return tuple(r for r in ("impostor", "crewmate") if getattr(self, r) in LEARNING_MODES)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["config"] = self.game_config.to_dict()
        data["rewards"] = asdict(self.rewards)
        data["output"] = str(self.output)
        data["hidden"] = list(self.hidden)
        return data
