"""One seat of Among Us as a single-agent Gymnasium env (``amongus_marl/Seat-v0``).

For single-agent libraries (Stable-Baselines3, sb3-contrib's ``MaskablePPO``, CleanRL-style
scripts): one seat is the learner and policies from the registry (``amongus_marl.policies``:
``"random"``, ``"heuristic"``, whatever ``make_policy`` accepts) or policy objects play every other
seat in-process, until it is the seat's turn again.

Spaces, observations, masks, rewards
    The AEC version's, for the seat's agent: the same observation (``{"observation",
    "action_mask"}``, or the plain observation with ``mask_in_info=True``), the same
    ``Discrete(N)`` action space, and as reward the sum of the seat's AEC rewards over its own
    step and the other seats' steps up to its next turn. ``action_masks()`` returns the mask as
    booleans, as ``MaskablePPO`` asks. ``info`` carries the mask too (``"action_mask"``) and, at the
    end, ``win_code`` and ``win_reason``.

Episodes
    ``reset`` starts a game and plays the others up to the seat's first turn. ``seat`` fixes the
    seat, ``role`` (``"impostor"`` / ``"crewmate"``) its role; with neither, each game draws the
    seat. When the seat dies, ``step`` plays the rest of the game at once and returns
    ``terminated=True`` with the team's final reward. ``truncated`` is never set (the time limit
    is a rule of the game). A game in which the seat never gets a turn (it is killed first, or the
    game is over at once) is not an episode: ``reset`` draws the next one.

Seeding
    ``reset(seed=...)`` seeds ``np_random``, from which every game's seed, the seat and the
    opponents' seeds are drawn: a seeded reset and the same actions give the same episodes, and
    later unseeded resets continue the same reproducible stream.

Illegal actions
    Gymnasium expects every member of the action space to be a valid input to ``step`` (its
    ``check_env`` steps an unmasked random action), so the default is
    ``illegal_action="penalize"``: an illegal action costs ``RewardConfig.illegal_action``, is named
    in ``info["illegal_action"]`` and changes nothing else (the seat acts again).
    ``illegal_action="raise"`` raises ``IllegalActionError`` instead, as the AEC version does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import gymnasium
import numpy as np

from amongagents.config import GameConfig
from amongagents.game import IllegalActionError
from amongus_marl.env import RENDER_MODES, raw_env
from amongus_marl.observations import text_observation
from amongus_marl.rewards import RewardConfig

if TYPE_CHECKING:
    from amongus_marl.policies.base import Policy

__all__ = ["ROLES", "SEAT_ENV_ID", "SeatEnv", "seat_env"]

SEAT_ENV_ID: Final[str] = "amongus_marl/Seat-v0"
ROLES: Final[tuple[str, ...]] = ("impostor", "crewmate")
#: Games drawn at most by one reset looking for one in which the seat gets a turn.
MAX_DRAWS: Final[int] = 100


def seat_env(**kwargs: Any) -> SeatEnv:
    """The single-seat env; see ``SeatEnv`` for the arguments."""
    return SeatEnv(**kwargs)


class SeatEnv(gymnasium.Env[Any, Any]):
    """One seat against in-process policies; see the module docstring."""

    metadata = {
        "render_modes": list(RENDER_MODES),
        "render_fps": raw_env.metadata["render_fps"],
    }

    def __init__(
        self,
        config: str | Mapping[str, Any] | GameConfig = "seven_member",
        seat: int | None = None,
        role: str | None = None,
        opponents: Any = "heuristic",
        obs_mode: str = "vector",
        mask_in_info: bool = False,
        rewards: RewardConfig | Mapping[str, Any] | None = None,
        illegal_action: str = "penalize",
        render_mode: str | None = None,
    ) -> None:
        """``opponents``: a policy name or object for every other seat, or a mapping
        ``{"impostor": ..., "crewmate": ...}`` choosing one per role."""
        from amongus_marl.policies.base import make_policy  # the policies stay out of the import

        aec = raw_env(
            config=config,
            obs_mode=obs_mode,
            mask_in_info=mask_in_info,
            rewards=rewards,
            illegal_action=illegal_action,
            render_mode=render_mode,
        )
        n = aec.game_config.num_players
        if seat is not None and (
            isinstance(seat, bool) or not isinstance(seat, (int, np.integer)) or not 0 <= seat < n
        ):
            raise ValueError(f"seat must be an integer in 0..{n - 1} or None, got {seat!r}")
        if role is not None and role not in ROLES:
            raise ValueError(f"role must be one of {ROLES} or None, got {role!r}")
        if isinstance(opponents, Mapping):
            unknown = sorted(set(opponents) - set(ROLES))
            if unknown or len(opponents) != len(ROLES):
                raise ValueError(
                    f"opponents by role must name exactly {ROLES}, got {sorted(opponents)}"
                )
            specs = {role_name: opponents[role_name] for role_name in ROLES}
        else:
            specs = {role_name: opponents for role_name in ROLES}
        built: dict[tuple[str, Any], Policy] = {}  # one object per spec (a name, once)
        self._policies: dict[str, Policy] = {}
        for role_name, spec in specs.items():
            key = ("name", spec) if isinstance(spec, str) else ("object", id(spec))
            if key not in built:
                built[key] = make_policy(spec)
            self._policies[role_name] = built[key]
        for policy in self._policies.values():
            if policy.obs_mode not in (None, "text", aec.obs_mode):
                raise ValueError(
                    f"opponent policy {policy.name!r} reads {policy.obs_mode} observations: "
                    f"make this env with obs_mode={policy.obs_mode!r}"
                )
        self.aec = aec
        self.seat = None if seat is None else int(seat)
        self.role = role
        self.render_mode = render_mode
        self.observation_space = aec.observation_space(aec.possible_agents[0])
        self.action_space = aec.action_space(aec.possible_agents[0])
        self._penalty = aec.reward_config.illegal_action
        self._raise = illegal_action == "raise"
        self.agent = aec.possible_agents[0]  # the learner's agent in the current game
        self._pending_reward = 0.0  # what the seat earned before its first turn

    # ------------------------------------------------------------------ episode
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Start a game and play the others up to the seat's first turn. ``options`` go to the
        AEC version's ``reset`` (``{"scenario": ...}``), unless ``seat`` and ``role`` fix one."""
        super().reset(seed=seed)
        aec = self.aec
        n = aec.game_config.num_players
        options = dict(options or {})
        if self.seat is not None and self.role is not None:
            if "scenario" in options:
                raise ValueError("seat and role already fix the scenario; pass no other")
            players: list[dict[str, Any]] = [{} for _ in range(n)]
            players[self.seat] = {"role": self.role}
            options["scenario"] = {"players": players}
        rng = self.np_random
        for _ in range(MAX_DRAWS):
            aec.reset(seed=int(rng.integers(1 << 63)), options=options or None)
            game = aec.game
            assert game is not None
            if self.seat is not None:
                seat = self.seat
            elif self.role is not None:
                wanted = self.role == "impostor"
                candidates = [p.seat for p in game.players if p.is_impostor == wanted]
                seat = int(candidates[int(rng.integers(len(candidates)))])
            else:
                seat = int(rng.integers(n))
            for policy in self._policies.values():
                policy.reset(seed=int(rng.integers(1 << 63)))
            self.agent = aec.possible_agents[seat]
            self._pending_reward = float(aec.rewards[self.agent]) + self._play_others()
            if not game.is_over:
                return self._observation(), self._info()
        raise RuntimeError(
            f"the seat got no turn in {MAX_DRAWS} games in a row: does this config's game end "
            "before anyone acts?"
        )

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        aec = self.aec
        game = aec.game
        if game is None or game.is_over:
            raise RuntimeError("the episode is over (or never began): call reset() first")
        if isinstance(action, np.integer) or (
            isinstance(action, np.ndarray) and action.shape == () and action.dtype.kind in "iu"
        ):
            action = int(action)  # a member of the Discrete space, as a plain index
        try:
            aec._resolve(action)
        except IllegalActionError as exc:
            if self._raise:
                raise
            info = self._info()
            info["illegal_action"] = str(exc)
            return self._observation(), self._penalty, False, False, info
        aec.step(action)
        reward = self._pending_reward + float(aec.rewards[self.agent])
        self._pending_reward = 0.0
        reward += self._play_others()
        return self._observation(), reward, game.is_over, False, self._info()

    def _play_others(self) -> float:
        """Let the opponents act until it is the seat's turn or the game is over; the seat's
        rewards meanwhile."""
        aec, me = self.aec, self.agent
        game = aec.game
        assert game is not None
        players = game.players
        reward = 0.0
        while not game.is_over and aec.agent_selection != me:
            agent = aec.agent_selection
            view = aec.agent_view()
            policy = self._policies["impostor" if players[view.seat].is_impostor else "crewmate"]
            mode = policy.obs_mode
            if mode is None:
                observation: Any = None
            elif mode == aec.obs_mode:
                observation = aec.observe(agent)
            else:  # a text reader in a vector env: the prompt is computed on demand
                observation = {
                    "observation": text_observation(game, view.seat),
                    "action_mask": view.mask,
                }
            choice = policy.act(observation, aec.infos[agent], view)
            try:
                aec._resolve(choice)
            except IllegalActionError as exc:
                raise RuntimeError(
                    f"opponent policy {policy.name!r} chose an illegal action for {agent}: {exc}"
                ) from exc
            aec.step(choice)
            reward += float(aec.rewards[me])
        return reward

    # ------------------------------------------------------------------ observing
    def _observation(self) -> Any:
        return self.aec.observe(self.agent)

    def _info(self) -> dict[str, Any]:
        aec = self.aec
        info = dict(aec.infos[self.agent])
        info["action_mask"] = aec.action_mask(self.agent)
        info["seat"] = aec.agent_name_mapping[self.agent]
        return info

    def action_masks(self) -> np.ndarray:
        """The seat's legal entries as booleans (``MaskablePPO`` reads them through this)."""
        return self.aec.action_mask(self.agent).astype(bool)

    def state(self) -> np.ndarray:
        """The global state (roles included), for centralised critics, never for the policy."""
        return self.aec.state()

    def render(self) -> Any:
        return self.aec.render()

    def close(self) -> None:
        self.aec.close()
