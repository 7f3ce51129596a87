"""Who plays which seat in a training episode, and the pool of past snapshots.

Per role the settings say ``self``, ``pool`` or a fixed policy. Each episode, after the game has
drawn the roles, every seat gets a controller: ``LEARNER`` (the seat is an RLlib agent, named by
role: ``impostor_0``, ``crewmate_0``..) or a ``Policy`` played inside the environment. With
``pool``, one pooled role is in focus each episode: all its impostor seats, or one to all of its
crewmate seats, learn (at most ``max_learned_crewmates``: with 1, a learned crewmate
never has a learned teammate); the other seats of pooled roles are played by a member drawn
from the pool: the heuristic, random, or one of the learner's own recent snapshots. A learned
crewmate thus plays beside teammates that know no code its copies may invent, and a learned impostor
meets whole crews of every kind (as the evaluation panel plays them). Every episode has a
learner seat.

Nothing here imports Ray; snapshots need torch only when a snapshot policy is built.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from amongus_marl.policies.base import Policy, make_policy
from amongus_marl.policies.checkpoint import NetworkSpec, policy_from_weights
from amongus_marl.training.settings import DEFAULT_POOL, LEARNING_MODES

LEARNER: Final[str] = "learner"
#: How often each kind of pool member is drawn (snapshots share theirs evenly).
MEMBER_SHARES: Final[dict[str, float]] = {"heuristic": 0.4, "random": 0.2, "snapshots": 0.4}


@dataclass(frozen=True)
class Snapshot:
    """The learner's weights at one iteration (numpy arrays, so they cross processes)."""

    name: str
    weights: Mapping[str, Mapping[str, np.ndarray]]  # role -> state_dict


class SeatAssigner:
    """Draws each episode's controllers, and keeps the policy objects it plays seats with."""

    def __init__(
        self,
        modes: Mapping[str, str],
        spec: NetworkSpec,
        num_players: int,
        max_learned_crewmates: int | None = None,
    ) -> None:
        self.modes = dict(modes)
        self.max_learned_crewmates = max_learned_crewmates
        self.spec = spec
        self.num_players = num_players
        self._fixed: dict[str, Policy] = {}
        self._snapshots: list[Snapshot] = []
        self._snapshot_policies: dict[str, Policy] = {}
        for mode in self.modes.values():
            if mode not in LEARNING_MODES:
                self._fixed[mode] = make_policy(mode)
        for name in DEFAULT_POOL:
            self._fixed.setdefault(name, make_policy(name))

    def set_snapshots(self, snapshots: Sequence[Snapshot]) -> None:
        """Replace the pool's snapshots (policies of snapshots that stay are kept)."""
        self._snapshots = list(snapshots)
        keep = {s.name for s in snapshots}
        self._snapshot_policies = {n: p for n, p in self._snapshot_policies.items() if n in keep}

    @property
    def snapshot_names(self) -> list[str]:
        return [s.name for s in self._snapshots]

    def pool_members(self, role: str) -> list[str]:
        names = list(DEFAULT_POOL)
        names += [s.name for s in self._snapshots if role in s.weights]
        return names

    def assign(self, impostor_seats: Sequence[bool], rng: random.Random) -> list[str]:
        """Per seat, ``LEARNER`` or the name of the policy that plays it this episode."""
        roles = ["impostor" if is_impostor else "crewmate" for is_impostor in impostor_seats]
        controllers = [
            LEARNER if self.modes[role] in LEARNING_MODES else self.modes[role] for role in roles
        ]
        pooled = [role for role in ("impostor", "crewmate") if self.modes[role] == "pool"]
        if not pooled:
            return controllers
        # The focus role learns this episode; a pooled role out of focus is played by one pool
        # member. In focus, every impostor seat learns, or 1..all crewmate seats do (the others
        # are one pool member: a learned crewmate also learns beside heuristic teammates).
        focus = pooled[rng.randrange(len(pooled))]
        for role in pooled:
            seats = [seat for seat, r in enumerate(roles) if r == role]
            member = self.draw_member(role, rng)
            if role == focus:
                most = len(seats)
                if role == "crewmate" and self.max_learned_crewmates is not None:
                    most = max(1, min(most, self.max_learned_crewmates))
                learners = len(seats) if role == "impostor" else rng.randint(1, most)
                for seat in rng.sample(seats, len(seats) - learners):
                    controllers[seat] = member
            else:
                for seat in seats:
                    controllers[seat] = member
        return controllers

    def draw_member(self, role: str, rng: random.Random) -> str:
        """A pool member for ``role``: the heuristic 40%, random 20%, snapshots 40% (shared
        evenly; with no snapshot yet, heuristic two thirds and random one third)."""
        snapshots = [s.name for s in self._snapshots if role in s.weights]
        draw = rng.random()
        if not snapshots:
            return "heuristic" if draw < 2 / 3 else "random"
        if draw < MEMBER_SHARES["heuristic"]:
            return "heuristic"
        if draw < MEMBER_SHARES["heuristic"] + MEMBER_SHARES["random"]:
            return "random"
        return snapshots[rng.randrange(len(snapshots))]

    def policy(self, name: str) -> Policy:
        fixed = self._fixed.get(name)
        if fixed is not None:
            return fixed
        policy = self._snapshot_policies.get(name)
        if policy is None:
            snapshot = next((s for s in self._snapshots if s.name == name), None)
            if snapshot is None:
                raise KeyError(f"no policy or snapshot named {name!r} in the pool")
            stand_ins = {role: "heuristic" for role in ("impostor", "crewmate")}
            policy = policy_from_weights(
                snapshot.weights, self.spec, self.num_players, name, stand_ins
            )
            self._snapshot_policies[name] = policy
        return policy

    def policies(self, names: Sequence[str]) -> dict[str, Any]:
        return {name: self.policy(name) for name in set(names) if name != LEARNER}
