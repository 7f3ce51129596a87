"""Who plays which seat in a training episode, and the pool of past snapshots.

Per role the settings say ``self``, ``pool`` or a fixed policy. Each episode, after the game has
drawn the roles, every seat gets a controller: ``LEARNER`` (the seat is an RLlib agent, named by
role: ``impostor_0``, ``crewmate_0``..) or a ``Policy`` played inside the environment. With
``pool``, each seat of the role is the learner with probability ``learner_share``, else one member
drawn from the role's pool: the heuristic, random, and the learner's own recent snapshots. A
learned crewmate thus plays beside teammates that do not know any code its copies may invent,
and a learned impostor meets crews of every kind. At least one seat per episode is a learner.

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
        learner_share: float = 0.5,
    ) -> None:
        self.modes = dict(modes)
        self.spec = spec
        self.num_players = num_players
        self.learner_share = learner_share
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
        controllers: list[str] = []
        for is_impostor in impostor_seats:
            role = "impostor" if is_impostor else "crewmate"
            mode = self.modes[role]
            if mode == "self":
                controllers.append(LEARNER)
            elif mode == "pool":
                controllers.append(LEARNER)  # decided per role below
            else:
                controllers.append(mode)
        for role, is_impostor in (("impostor", True), ("crewmate", False)):
            if self.modes[role] != "pool":
                continue
            members = self.pool_members(role)
            # One opponent kind per role and episode: a crew is all heuristic, or all one
            # snapshot, around the learned seats, as the evaluation panel plays them.
            member = members[rng.randrange(len(members))]
            for seat, seat_is_impostor in enumerate(impostor_seats):
                if seat_is_impostor == is_impostor and rng.random() >= self.learner_share:
                    controllers[seat] = member
        if LEARNER not in controllers:
            learnable = [
                seat
                for seat, seat_is_impostor in enumerate(impostor_seats)
                if self.modes["impostor" if seat_is_impostor else "crewmate"] in LEARNING_MODES
            ]
            controllers[learnable[rng.randrange(len(learnable))]] = LEARNER
        return controllers

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
