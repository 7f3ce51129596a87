"""GRPO on Among Us with TRL: one seat of a server game per rollout, its moves as tools.

``AmongUsSeat`` has the shape TRL's ``GRPOTrainer`` expects of an ``environment_factory``: the
trainer builds one instance per rollout, calls ``reset(**row)`` with the dataset row's columns
(here ``seed`` and ``role``) and appends the returned text to the prompt; every public method
with a docstring is a tool the model may call, and its return value is the tool's answer (what
the seat perceived until its next turn). The reward is read from the instance by
``game_reward``. The game runs on an Among Us OpenEnv server, reached through ``AmongUsEnv``
(start one with ``amongus serve``); the other seats are played by the server's policies.

Run (needs ``pip install trl datasets`` and a GPU for any real model)::

    amongus serve --port 8000 &
    AMONGUS_URL=http://127.0.0.1:8000 python examples/trl_grpo.py --model Qwen/Qwen3-0.6B

Only ``main`` imports TRL: the environment class works (and is tested) without it.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from openenv_facade.client import AmongUsEnv, StepResult, SyncAmongUsEnv
from openenv_facade.models import GameObservation

DEFAULT_URL = "http://127.0.0.1:8000"
GAME_OVER = "The game is over: no more moves."


class AmongUsSeat:
    """One seat of one Among Us game on the server, for TRL's ``environment_factory``."""

    def __init__(self, base_url: str | None = None) -> None:
        self._client: SyncAmongUsEnv = AmongUsEnv(
            base_url or os.environ.get("AMONGUS_URL", DEFAULT_URL)
        ).sync()
        self.reward = 0.0  # the seat's total reward this game (TRL's reward function reads it)
        self.done = False
        self.observation: GameObservation | None = None  # the latest, for inspection

    def reset(self, **kwargs: Any) -> str:
        """Start a game (``seed``, ``role``, ``config``, ``policies`` from the dataset row; other
        columns such as ``prompt`` are ignored) and return the seat's first turn as text."""
        wanted = {
            k: kwargs[k] for k in ("seed", "role", "seat", "config", "policies") if k in kwargs
        }
        result = self._client.reset(obs_mode="chat", **wanted)
        self.reward, self.done = 0.0, False
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
        return self._take(self._client.step(message))

    def _take(self, result: StepResult[GameObservation]) -> str:
        observation = result.observation
        self.observation = observation
        if observation.error is not None:  # nothing changed: the model may try again
            return f"Not possible: {observation.error}"
        self.reward += result.reward or 0.0
        self.done = result.done
        messages = observation.messages or []
        return str(messages[-1]["content"]) if messages else observation.prompt

    def _close(self) -> None:  # private: TRL would offer a public method as a tool
        self._client.close()


def game_reward(environments: list[AmongUsSeat], **kwargs: Any) -> list[float]:
    """TRL reward function: each rollout's game reward (+1 won, -1 lost, 0 unfinished)."""
    return [environment.reward if environment.done else 0.0 for environment in environments]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="Qwen/Qwen3-0.6B")
    parser.add_argument("--games", type=int, default=64, help="dataset rows (one game each)")
    parser.add_argument("--role", choices=["crewmate", "impostor"], default="crewmate")
    parser.add_argument("--output-dir", default="amongus-grpo")
    args = parser.parse_args(argv)

    from datasets import Dataset  # the trainer's own dependencies, only when training
    from trl import GRPOConfig, GRPOTrainer

    rows = {
        "prompt": [
            [{"role": "user", "content": "You are playing Among Us. Make your moves with tools."}]
        ]
        * args.games,
        "seed": list(range(args.games)),
        "role": [args.role] * args.games,
    }
    trainer = GRPOTrainer(
        model=args.model,
        train_dataset=Dataset.from_dict(rows),
        reward_funcs=game_reward,
        args=GRPOConfig(output_dir=args.output_dir),
        environment_factory=AmongUsSeat,
    )
    trainer.train()


if __name__ == "__main__":
    main()
