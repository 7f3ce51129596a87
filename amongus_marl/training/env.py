"""``RoleNamedEnv``: the AEC environment as an RLlib ``MultiAgentEnv`` whose agents are roles.

RLlib maps an agent to a policy before the agent's first info exists, so the mapping cannot
read the role from the game. Here the agents are named by role when each episode starts:
``impostor_0..`` and ``crewmate_0..`` in seat order, so ``policy_mapping_fn`` is a pure function
of the name. Seats whose controller this episode is not the learner (a fixed opponent, a pool
member: see ``roles.SeatAssigner``) are played inside ``reset``/``step`` and never reach RLlib.

Turn-based contract (what RLlib's multi-agent episodes need): an observation is returned only
for the learner seat to act next; every step rewards the agent that acted and the next one
(``0.0`` when nothing happened), plus any agent the step paid (shaping, the end of the game).
At the end every learner agent that has acted is terminated with its team's reward, dead ones
included. Observations are ``{"observation": Box, "action_mask": Box float32}``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium import spaces
from ray.rllib.env.multi_agent_env import MultiAgentEnv

from amongagents.config import GameConfig
from amongus_marl.env import raw_env
from amongus_marl.observations import vector_size
from amongus_marl.policies.base import Policy
from amongus_marl.policies.checkpoint import NetworkSpec
from amongus_marl.rewards import RewardConfig
from amongus_marl.training.roles import LEARNER, SeatAssigner, Snapshot


def role_of(agent_id: str) -> str:
    """The policy of an agent id (``impostor_1`` -> ``impostor``)."""
    return agent_id.rsplit("_", 1)[0]


def agent_ids(config: GameConfig) -> list[str]:
    impostors = [f"impostor_{i}" for i in range(config.num_impostors)]
    return impostors + [f"crewmate_{i}" for i in range(config.num_crewmates)]


class RoleNamedEnv(MultiAgentEnv):
    """See the module docstring. ``env_config`` keys: ``config`` (GameConfig), ``rewards``,
    ``modes`` (role -> mode), ``hidden``, ``max_learned_crewmates``, ``seed``."""

    def __init__(self, env_config: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        env_config = dict(env_config or {})
        config: GameConfig = env_config["config"]
        self.env = raw_env(
            config=config,
            obs_mode="vector",
            rewards=RewardConfig.from_any(env_config.get("rewards")),
        )
        n = config.num_players
        self.network_spec = NetworkSpec(
            vector_size(n), self.env.catalogue.size, tuple(env_config.get("hidden", (256, 256)))
        )
        self.assigner = SeatAssigner(
            env_config["modes"], self.network_spec, n, env_config.get("max_learned_crewmates")
        )
        # RLlib gives each sub-environment a worker and vector index: fold them into the seed.
        worker = getattr(env_config, "worker_index", 0)
        vector = getattr(env_config, "vector_index", 0)
        self._rng = random.Random(
            int(env_config.get("seed", 0)) * 1_000_003 + worker * 1009 + vector
        )
        self.possible_agents = list[Any](agent_ids(config))
        self.agents = []
        observation = spaces.Dict(
            {
                "observation": spaces.Box(
                    0.0, 1.0, (self.network_spec.observation_size,), np.float32
                ),
                "action_mask": spaces.Box(0.0, 1.0, (self.network_spec.action_count,), np.float32),
            }
        )
        action: spaces.Discrete = spaces.Discrete(self.network_spec.action_count)
        self.observation_spaces = {a: observation for a in self.possible_agents}
        self.action_spaces = {a: action for a in self.possible_agents}
        self._seat_agent: list[str] = []
        self._controllers: list[str] = []
        self._policies: dict[str, Policy] = {}
        self._started: set[str] = set()
        self._pending: dict[str, float] = {}
        self._outcomes: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ pool
    def set_snapshots(self, snapshots: list[Snapshot]) -> None:
        self.assigner.set_snapshots(snapshots)

    def pop_outcomes(self) -> list[dict[str, Any]]:
        """Finished episodes since the last call: who the learners were, who won."""
        outcomes, self._outcomes = self._outcomes, []
        return outcomes

    # ------------------------------------------------------------------ episode
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[Any, Any], dict[Any, Any]]:
        if seed is not None:
            self._rng.seed(seed)
        while True:
            self.env.reset(seed=self._rng.getrandbits(63))
            game = self.env.game
            assert game is not None
            impostor_seats = [p.is_impostor for p in game.players]
            counts = {"impostor": 0, "crewmate": 0}
            self._seat_agent = []
            for is_impostor in impostor_seats:
                role = "impostor" if is_impostor else "crewmate"
                self._seat_agent.append(f"{role}_{counts[role]}")
                counts[role] += 1
            self._controllers = self.assigner.assign(impostor_seats, self._rng)
            self._policies = self.assigner.policies(self._controllers)
            for _, policy in sorted(self._policies.items()):
                policy.reset(self._rng.getrandbits(63))
            self._started = set()
            self._pending = {}
            self.agents = [
                a for a, c in zip(self._seat_agent, self._controllers, strict=True) if c == LEARNER
            ]
            self._play_others()
            if not game.is_over:  # a game over before any learner acted teaches nothing
                agent = self._seat_agent[game.current_seat]
                self._started.add(agent)
                return {agent: self._observation()}, {}
            self._pending = {}

    def step(  # type: ignore[override]  # gymnasium's single-agent signature does not apply
        self, action_dict: dict[Any, Any]
    ) -> tuple[dict[Any, Any], dict[Any, Any], dict[Any, Any], dict[Any, Any], dict[Any, Any]]:
        game = self.env.game
        assert game is not None
        acting = self._seat_agent[game.current_seat]
        if acting not in action_dict:
            raise ValueError(f"expected an action for {acting}, got {sorted(action_dict)}")
        self.env.step(int(action_dict[acting]))
        self._collect_rewards()
        self._play_others()
        rewards: dict[Any, Any] = {acting: 0.0}
        if game.is_over:
            for agent in self._started:
                rewards.setdefault(agent, 0.0)
        for agent, reward in self._pending.items():
            if agent in self._started:
                rewards[agent] = rewards.get(agent, 0.0) + reward
        self._pending = {}
        if game.is_over:
            self._record_outcome()
            terminated: dict[Any, Any] = {agent: True for agent in self._started}
            terminated["__all__"] = True
            return {}, rewards, terminated, {"__all__": False}, {}
        following = self._seat_agent[game.current_seat]
        self._started.add(following)
        rewards.setdefault(following, 0.0)
        return {following: self._observation()}, rewards, {"__all__": False}, {"__all__": False}, {}

    # ------------------------------------------------------------------ internals
    def _observation(self) -> dict[str, np.ndarray]:
        agent = self.env.agent_selection
        observed = self.env.observe(agent)
        return {
            "observation": np.array(observed["observation"], dtype=np.float32),
            "action_mask": observed["action_mask"].astype(np.float32),
        }

    def _play_others(self) -> None:
        """Let the non-learner seats act until a learner's turn or the end."""
        env, game = self.env, self.env.game
        assert game is not None
        while not game.is_over and self._controllers[game.current_seat] != LEARNER:
            seat = game.current_seat
            policy = self._policies[self._controllers[seat]]
            agent = env.agent_selection
            observation = env.observe(agent) if policy.obs_mode is not None else None
            env.step(policy.act(observation, env.infos[agent], env.agent_view()))
            self._collect_rewards()

    def _collect_rewards(self) -> None:
        for seat, agent in enumerate(self._seat_agent):
            if self._controllers[seat] != LEARNER:
                continue
            reward = self.env.rewards.get(self.env.possible_agents[seat], 0.0)
            if reward:
                self._pending[agent] = self._pending.get(agent, 0.0) + reward

    def _record_outcome(self) -> None:
        game = self.env.game
        assert game is not None
        learners = {
            "impostor" if game.players[s].is_impostor else "crewmate"
            for s, c in enumerate(self._controllers)
            if c == LEARNER
        }
        others = {
            ("impostor" if game.players[s].is_impostor else "crewmate"): c
            for s, c in enumerate(self._controllers)
            if c != LEARNER
        }
        self._outcomes.append(
            {
                "impostors_win": bool(game.winner.impostors_win),
                "learner_roles": sorted(learners),
                "others": others,
            }
        )
