"""``amongus train``: the command line of ``amongus_marl.training.train``.

Registered by ``amongus_marl.cli`` through its registrar list; this module imports neither Ray
nor torch (the handler does, when a run starts), so ``amongus --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from amongus_marl.training.settings import TrainSettings


def _hidden(value: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--hidden takes widths like 256,256, got {value!r}"
        ) from None
    if not widths or any(w < 1 for w in widths):
        raise argparse.ArgumentTypeError(f"--hidden takes positive widths, got {value!r}")
    return widths


def _rewards(value: str) -> dict[str, Any]:
    """``win=1,kill=0.1`` or a JSON object (or a JSON file holding one)."""
    text = value.strip()
    path = Path(text)
    try:
        if text.startswith("{"):
            data = json.loads(text)
        elif path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
        else:
            data = {}
            for item in text.split(","):
                key, equals, number = item.partition("=")
                if not equals:
                    raise ValueError(f"{item!r} is not KEY=VALUE")
                data[key.strip()] = float(number)
    except (OSError, ValueError) as error:
        raise argparse.ArgumentTypeError(f"bad --rewards {value!r}: {error}") from None
    if not isinstance(data, dict):
        raise argparse.ArgumentTypeError("--rewards must be an object of reward settings")
    return data


def add_train_command(subparsers: Any) -> None:
    train = subparsers.add_parser(
        "train",
        help="train impostor and crewmate policies by self-play (Ray RLlib PPO)",
        description="Train an impostor and a crewmate policy with RLlib PPO. Each role is 'self' "
        "(every seat of the role learns), 'pool' (each episode one role learns, the other "
        "seats are played by the pool: past snapshots, heuristic, random) or a fixed policy "
        "(heuristic, random, checkpoint:PATH). The run folder gets metrics.csv/jsonl, "
        "learning_curve.png, tensorboard/ and checkpoint/, which "
        "`amongus play --impostor checkpoint:OUT/checkpoint` plays. Needs the train extra "
        "(ray[rllib], torch).",
    )
    train.add_argument("--config", default="five_member", help="preset or JSON config file")
    train.add_argument("--impostor", default="pool", help="self, pool or a policy (default pool)")
    train.add_argument("--crewmate", default="pool", help="self, pool or a policy (default pool)")
    train.add_argument(
        "--rewards", type=_rewards, default=None, help="e.g. kill=0.1,task_progress=0.05"
    )
    train.add_argument("--hidden", type=_hidden, default=(256, 256), help="layer widths (256,256)")
    budget = train.add_argument_group("budget (the first reached stops the run)")
    budget.add_argument("--minutes", type=float, default=None, help="wall-clock minutes")
    budget.add_argument(
        "--cpu-minutes", type=float, default=None, help="minutes of the driver's CPU time"
    )
    budget.add_argument("--steps", type=int, default=None, help="environment steps")
    budget.add_argument("--iterations", type=int, default=None, help="PPO iterations")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--output", type=Path, default=Path("runs/train"), help="run folder")
    scale = train.add_argument_group("where it runs")
    scale.add_argument(
        "--num-env-runners",
        type=int,
        default=0,
        help="remote sampling processes (default 0: the driver samples, fastest on 2 cores)",
    )
    scale.add_argument("--envs-per-runner", type=int, default=16)
    scale.add_argument(
        "--address", default=None, help="an existing Ray cluster (e.g. auto or ray://HOST:10001)"
    )
    ppo = train.add_argument_group("PPO")
    ppo.add_argument("--batch", type=int, default=4000, help="train batch size (env steps)")
    ppo.add_argument("--minibatch", type=int, default=500)
    ppo.add_argument("--epochs", type=int, default=4)
    ppo.add_argument("--lr", type=float, default=3e-4)
    ppo.add_argument("--entropy", type=float, default=0.01)
    ppo.add_argument("--gamma", type=float, default=0.995)
    pool = train.add_argument_group("pool")
    pool.add_argument("--snapshot-every", type=int, default=5, help="iterations (0: never)")
    pool.add_argument("--pool-size", type=int, default=6)
    pool.add_argument(
        "--max-learned-crewmates",
        type=int,
        default=None,
        help="in an episode training the crew, at most this many learned crewmates (default: all;"
        " 1: a learned crewmate only ever plays beside pool teammates)",
    )
    report = train.add_argument_group("evaluation and checkpoints")
    report.add_argument("--eval-every", type=int, default=5, help="iterations (0: at the end)")
    report.add_argument("--eval-games", type=int, default=100, help="games per cell")
    report.add_argument("--eval-seed", type=int, default=1_000_000)
    report.add_argument("--checkpoint-every", type=int, default=10)
    train.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --output from its last checkpoint (the budget counts from the "
        "run's start); refused if that run had other settings",
    )
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(handler=run_train)


def settings_from_args(args: argparse.Namespace) -> TrainSettings:
    """The ``TrainSettings`` of parsed ``amongus train`` flags (``ValueError`` if invalid)."""
    from amongus_marl.cli import load_config
    from amongus_marl.training.settings import TrainSettings

    budgets = (args.minutes, args.cpu_minutes, args.steps, args.iterations)
    if all(budget is None for budget in budgets):
        args.minutes = 10.0
    return TrainSettings(
        config=load_config(args.config),
        impostor=args.impostor,
        crewmate=args.crewmate,
        rewards=args.rewards,
        hidden=args.hidden,
        minutes=args.minutes,
        cpu_minutes=args.cpu_minutes,
        env_steps=args.steps,
        iterations=args.iterations,
        seed=args.seed,
        output=args.output,
        num_env_runners=args.num_env_runners,
        envs_per_runner=args.envs_per_runner,
        address=args.address,
        train_batch_size=args.batch,
        minibatch_size=args.minibatch,
        epochs=args.epochs,
        learning_rate=args.lr,
        entropy_coeff=args.entropy,
        gamma=args.gamma,
        snapshot_every=args.snapshot_every,
        pool_size=args.pool_size,
        max_learned_crewmates=args.max_learned_crewmates,
        eval_every=args.eval_every,
        eval_games=args.eval_games,
        eval_seed=args.eval_seed,
        checkpoint_every=args.checkpoint_every,
        progress=not args.quiet,
        resume=args.resume,
    )


def run_train(args: argparse.Namespace) -> int:
    try:
        settings = settings_from_args(args)
    except (ValueError, TypeError) as error:
        raise SystemExit(f"amongus train: {error}") from error
    if settings.output.exists() and not settings.output.is_dir():
        raise SystemExit(f"amongus train: --output {settings.output} is a file")
    try:
        from amongus_marl.training.resume import ResumeError
        from amongus_marl.training.trainer import train
    except ImportError as error:
        raise SystemExit(
            f"amongus train needs the train extra (pip install 'amongus-marl[train]'): {error}"
        ) from error
    try:
        result = train(settings)
    except ResumeError as error:
        raise SystemExit(f"amongus train: {error}") from None
    if result.resumed_from is not None:
        print(f"resumed from the checkpoint of iteration {result.resumed_from}", file=sys.stderr)
    print(f"checkpoint: {result.checkpoint}  (play it: --impostor checkpoint:{result.checkpoint})")
    print(
        f"{result.iterations} iterations, {result.env_steps} env steps in {result.seconds:.0f} s "
        f"({result.steps_per_second:.0f} steps/s); Ray start-up {result.startup_seconds:.1f} s"
    )
    for cell, value in (result.evaluations[-1]["cells"] if result.evaluations else {}).items():
        low, high = value["ci95"]
        print(
            f"  {cell:30} {value['rate']:6.1%}  95% CI [{low:.1%}, {high:.1%}]  "
            f"({value['games']} held-out games)"
        )
    print(f"curve: {settings.output / 'learning_curve.png'}", file=sys.stderr)
    return 0
