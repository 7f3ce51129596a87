"""Among Us on the Skeld on PettingZoo's Parallel API (``amongus_v0``, parallel version).

How it relates to the AEC version (``amongus_marl.env``)
    Among Us is turn-based: one seat acts at a time. At each parallel ``step`` every agent in
    ``agents`` submits an action, but only the agent whose turn it is (the AEC version's
    ``agent_selection``) acts in the game; every other agent must submit ``NOOP``, the last
    catalogue entry (``env.unwrapped.catalogue.noop``), which is the only legal entry of its mask.
    ``NOOP`` is never legal for the agent to act (nor anywhere in the AEC version). So one
    parallel step is one AEC step, the same game advances the same way, and the same seed and the
    same acting agents' actions give the same game in both versions.

Agents
    ``player_0 … player_{n-1}``, as in the AEC version. A player killed or ejected in the game
    stays in ``agents`` (submitting ``NOOP``, like every waiting agent) until the game ends, so it
    still receives its team's final reward; then every agent is terminated and, as the Parallel
    API expects, ``agents`` is empty after that step. Every agent lives exactly as long as the
    game, which is what SuperSuit's vector environments need (no ``black_death`` wrapper).

Actions
    ``Discrete(N)``, the AEC version's spaces (its catalogue includes ``NOOP``). The acting
    agent's action may also be a 7vik action string or an engine ``Action``, as in the AEC
    version; a waiting agent's must be the ``NOOP`` index.

Observations, masks, rewards, infos
    Each step returns every agent's observation as the AEC version's ``observe`` returns it at that
    moment (the agent to act next reads its location message, as it does in the AEC version), with
    one difference: a waiting agent's ``action_mask`` has only ``NOOP`` legal instead of being all
    zero, so every mask handed out has a legal entry (also at the end). ``mask_in_info=True`` moves
    the masks to ``infos[agent]["action_mask"]``. Rewards are each agent's rewards of that step in
    the AEC version (the end-of-game +1/-1 and the optional shaping terms). Infos carry
    ``win_code`` and ``win_reason`` at the end. ``terminations`` become true for everyone when the
    game ends; ``truncations`` are never set (the time limit is a rule of the game). ``state()``,
    seeding (``reset(seed=...)``, ``options={"scenario": ...}``) and rendering are the AEC
    version's. A config whose game is over at reset (impostors as many as the crew) hands out
    observations at reset and the results at the first step, which must be all ``NOOP``.

Bad input
    An unknown or missing agent in the action dict raises ``ValueError`` naming it. A waiting
    agent's action other than ``NOOP`` and an illegal action of the acting agent raise
    ``IllegalActionError`` naming the agent; with ``illegal_action="penalize"`` each offending
    agent instead gets ``RewardConfig.illegal_action`` in that step's rewards. Either way the game
    does not advance (the acting agent's action is not played either) and nothing else changes.

Version history
    v0: first release (the catalogue gained its ``NOOP`` entry).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from amongagents.game import IllegalActionError
from amongus_marl.env import RENDER_MODES, raw_env

__all__ = ["AmongUsParallelEnv", "parallel_env"]

#: ``step``'s answer: observations, rewards, terminations, truncations, infos (all per agent).
StepResult = tuple[
    dict[str, Any], dict[str, float], dict[str, bool], dict[str, bool], dict[str, dict[str, Any]]
]


def parallel_env(**kwargs: Any) -> AmongUsParallelEnv:
    """The Parallel version; takes the same arguments as ``amongus_marl.env()``."""
    return AmongUsParallelEnv(**kwargs)


class AmongUsParallelEnv(ParallelEnv[str, Any, Any]):
    """PettingZoo ``ParallelEnv`` over the AEC environment; see the module docstring."""

    metadata = {
        "name": "amongus_v0",
        "render_modes": list(RENDER_MODES),
        "is_parallelizable": True,
        "render_fps": raw_env.metadata["render_fps"],
    }

    def __init__(self, **kwargs: Any) -> None:
        self.aec = raw_env(**kwargs)
        aec = self.aec
        self.possible_agents = aec.possible_agents[:]
        self.agents: list[str] = []
        self.render_mode = aec.render_mode
        self.catalogue = aec.catalogue
        self.observation_spaces = aec.observation_spaces
        self.action_spaces = aec.action_spaces
        self.state_space = aec.state_space
        self.noop = aec.catalogue.noop
        noop_mask = np.zeros(aec.catalogue.size, dtype=np.int8)
        noop_mask[self.noop] = 1
        noop_mask.flags.writeable = False  # shared: MaskedDiscrete remembers read-only masks
        self.noop_mask = noop_mask
        self._mask_in_info = aec.mask_in_info
        self._penalize = aec.illegal_action == "penalize"
        # The agent to act, or None when no one acts (before reset, or a game over at reset).
        self._acting: str | None = None

    def observation_space(self, agent: str) -> spaces.Space[Any]:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space[Any]:
        return self.action_spaces[agent]

    @property
    def game(self) -> Any:
        """The engine game being played (``None`` before the first reset)."""
        return self.aec.game

    # ------------------------------------------------------------------ episode
    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        aec = self.aec
        aec.reset(seed=seed, options=options)
        self.agents = self.possible_agents[:]
        game = aec.game
        assert game is not None
        self._acting = None if game.is_over else aec.agent_selection
        return self._observe_all()

    def step(self, actions: dict[str, Any]) -> StepResult:
        agents = self.agents
        if not agents:
            raise RuntimeError("the game is over (or never began): call reset() first")
        if len(actions) != len(agents) or any(agent not in actions for agent in agents):
            self._refuse_agents(actions)
        aec, acting, noop = self.aec, self._acting, self.noop
        offenders: dict[str, str] = {}
        for agent in agents:
            action = actions[agent]
            kind = type(action)
            if agent == acting or ((kind is int or kind is np.int64) and action == noop):
                continue
            if _index_of(action) != noop:
                offenders[agent] = (
                    f"{agent} is waiting ({acting or 'no one'} acts now): its only legal action "
                    f"is NOOP ({noop}), got {action!r}"
                )
                if not self._penalize:
                    raise IllegalActionError(offenders[agent])
        if acting is None:  # a game over at reset: this step hands out its results
            if offenders:
                return self._penalized(offenders)
            return self._finish_step(dict(aec.rewards))
        action = actions[acting]
        if isinstance(action, np.integer):
            action = int(action)  # the AEC version's fast path takes plain ints
        if offenders or self._penalize:
            # Penalties are decided before anything is played: the acting agent's action is
            # checked, and the game advances only if no agent offended.
            try:
                aec._resolve(action)
            except IllegalActionError as exc:
                offenders[acting] = f"{acting} (to act): {exc}"
            if offenders:
                return self._penalized(offenders)
        try:
            aec.step(action)  # changes nothing when it raises
        except IllegalActionError as exc:
            raise IllegalActionError(f"{acting} (to act): {exc}") from None
        game = aec.game
        assert game is not None
        self._acting = None if game.is_over else aec.agent_selection
        return self._finish_step(aec.rewards)

    def _refuse_agents(self, actions: dict[str, Any]) -> None:
        unknown = [agent for agent in actions if agent not in self.agents]
        if unknown:
            raise ValueError(
                f"actions for unknown agent(s) {unknown}; the agents are {self.agents}"
            )
        missing = [agent for agent in self.agents if agent not in actions]
        raise ValueError(
            f"no action for agent(s) {missing}: every agent in agents submits one "
            f"(NOOP = {self.noop} when it is not its turn)"
        )

    def _penalized(self, offenders: dict[str, str]) -> StepResult:
        penalty = self.aec.reward_config.illegal_action
        rewards = {agent: penalty if agent in offenders else 0.0 for agent in self.agents}
        observations, infos = self._observe_all()
        for agent, message in offenders.items():
            infos[agent] = {**infos[agent], "illegal_action": message}
        false = {agent: False for agent in self.agents}
        return observations, rewards, false, dict(false), infos

    def _finish_step(self, rewards: dict[str, float]) -> StepResult:
        agents = self.agents
        observations, infos = self._observe_all()
        step_rewards = {agent: float(rewards[agent]) for agent in agents}
        over = self._acting is None
        terminations = {agent: over for agent in agents}
        truncations = {agent: False for agent in agents}
        if over:
            self.agents = []
        return observations, step_rewards, terminations, truncations, infos

    # ------------------------------------------------------------------ observing
    def _observe_all(self) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        aec, acting, noop_mask = self.aec, self._acting, self.noop_mask
        observations: dict[str, Any] = {}
        infos: dict[str, dict[str, Any]] = {}
        aec_infos = aec.infos
        if self._mask_in_info:
            for agent in self.agents:
                observations[agent] = aec.observe(agent)
                mask = aec.action_mask(agent) if agent == acting else noop_mask
                infos[agent] = {**aec_infos[agent], "action_mask": mask}
            return observations, infos
        for agent in self.agents:
            observation = aec.observe(agent)
            if agent != acting:
                observation["action_mask"] = noop_mask
            observations[agent] = observation
            infos[agent] = dict(aec_infos[agent])
        return observations, infos

    def action_mask(self, agent: str) -> np.ndarray:
        """``agent``'s legal entries: the AEC mask for the agent to act, else only ``NOOP``."""
        if agent not in self.possible_agents:
            raise ValueError(f"unknown agent {agent!r}; agents are {self.possible_agents}")
        if agent == self._acting:
            return self.aec.action_mask(agent)
        return self.noop_mask

    @property
    def acting_agent(self) -> str | None:
        """The agent whose action the next step plays (``None`` when the game is over)."""
        return self._acting

    def state(self) -> np.ndarray:
        return self.aec.state()

    def render(self) -> Any:
        return self.aec.render()

    def close(self) -> None:
        self.aec.close()


def _index_of(action: Any) -> int | None:
    """A catalogue index from an int, a numpy integer or a 0-d integer array (else ``None``)."""
    if isinstance(action, bool):
        return None
    if isinstance(action, (int, np.integer)):
        return int(action)
    if isinstance(action, np.ndarray) and action.shape == () and action.dtype.kind in "iu":
        return int(action)
    return None
