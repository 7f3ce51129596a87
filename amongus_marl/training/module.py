"""``MaskedPolicyModule``: PPO's RLModule with the action mask applied to the logits.

Observations are ``{"observation", "action_mask"}``. The policy network is the plain MLP of
``amongus_marl.policies.checkpoint.build_policy_network`` (so its state_dict is what a
checkpoint policy loads, with no RLlib at play time); the value network is a separate MLP of the
same widths. Illegal actions get a logit of ``-1e9``: never sampled, and with no infinities to
turn into NaNs in PPO's ratios and entropy.
"""

from __future__ import annotations

from typing import Any, Final

import torch
from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.apis.value_function_api import ValueFunctionAPI
from ray.rllib.core.rl_module.torch import TorchRLModule

from amongus_marl.policies.checkpoint import NetworkSpec, build_network, build_policy_network

ILLEGAL_LOGIT: Final[float] = -1e9


class MaskedPolicyModule(TorchRLModule, ValueFunctionAPI):
    """``model_config``: ``{"hidden": [256, 256], "activation": "tanh"}``."""

    def setup(self) -> None:
        config: dict[str, Any] = dict(self.model_config or {})  # type: ignore[arg-type]
        observation: Any = self.observation_space
        action: Any = self.action_space
        self.network_spec = NetworkSpec(
            observation_size=int(observation["observation"].shape[0]),
            action_count=int(action.n),
            hidden=tuple(config.get("hidden", (256, 256))),
            activation=str(config.get("activation", "tanh")),
        )
        self.policy_network = build_policy_network(self.network_spec)
        self.value_network = build_network(self.network_spec, 1)

    def _masked_logits(self, batch: dict[str, Any]) -> torch.Tensor:
        observation = batch[Columns.OBS]
        logits = self.policy_network(observation["observation"])
        legal = observation["action_mask"] > 0.5
        return torch.where(legal, logits, torch.full_like(logits, ILLEGAL_LOGIT))

    def _forward(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {Columns.ACTION_DIST_INPUTS: self._masked_logits(batch)}

    def _forward_train(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {Columns.ACTION_DIST_INPUTS: self._masked_logits(batch)}

    def compute_values(self, batch: dict[str, Any], embeddings: Any = None) -> torch.Tensor:
        values: torch.Tensor = self.value_network(batch[Columns.OBS]["observation"])
        return values.squeeze(-1)
