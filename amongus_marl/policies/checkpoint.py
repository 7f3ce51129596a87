"""``checkpoint:PATH``: a policy trained by ``amongus train``, played with plain torch.

A training checkpoint is a folder. Beside RLlib's own files (``rllib/``, needed only to resume
training) it holds what play needs and nothing that needs Ray:

``policy.json``
    ``{"format": "amongus-marl-policy", "version": 1, "num_players", "observation_size",
    "action_count", "hidden": [...], "activation": "tanh", "roles": {role: {"weights": FILE} or
    {"stand_in": POLICY}}, ...}``. A role that was not learned (its seats were played by a fixed
    policy during training) names that policy as its stand-in.
``impostor.pt`` / ``crewmate.pt``
    the ``state_dict`` of each learned role's policy network (``build_policy_network``).

The policy plays any seat: it uses the network of the seat's own role (a fact the seat knows).
It reads no observation from the caller: it folds the seat's vector observation itself with the
environment's ``VectorObserver`` (so it plays in the server, whose environment renders text,
exactly as in the runner). Actions are drawn from the masked softmax with the policy's own
seeded generator (``greedy=True``: the most likely legal action). torch is imported when a
checkpoint is loaded, never when this module is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from amongus_marl.observations import VectorObserver, speech_table
from amongus_marl.policies.base import AgentView, Policy, make_policy

if TYPE_CHECKING:
    import torch

SPEC_FILE: Final[str] = "policy.json"
SPEC_FORMAT: Final[str] = "amongus-marl-policy"
SPEC_VERSION: Final[int] = 1
ROLES: Final[tuple[str, ...]] = ("impostor", "crewmate")
ACTIVATIONS: Final[tuple[str, ...]] = ("tanh", "relu")


@dataclass(frozen=True)
class NetworkSpec:
    """The shape of a role's policy network: what a plain torch module needs to be rebuilt."""

    observation_size: int
    action_count: int
    hidden: tuple[int, ...] = (256, 256)
    activation: str = "tanh"

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if self.observation_size < 1 or self.action_count < 1:
            raise ValueError("a network needs at least one input and one action")
        if any(int(width) < 1 for width in self.hidden):
            raise ValueError(f"hidden layer widths must be positive, got {list(self.hidden)}")


def build_network(spec: NetworkSpec, outputs: int) -> torch.nn.Sequential:
    """An MLP ``observation -> hidden... -> outputs`` (the trainer builds its modules with it,
    so a state_dict moves between RLlib and play unchanged)."""
    import torch

    activation = torch.nn.Tanh if spec.activation == "tanh" else torch.nn.ReLU
    layers: list[torch.nn.Module] = []
    width = spec.observation_size
    for hidden in spec.hidden:
        layers += [torch.nn.Linear(width, int(hidden)), activation()]
        width = int(hidden)
    layers.append(torch.nn.Linear(width, outputs))
    return torch.nn.Sequential(*layers)


def build_policy_network(spec: NetworkSpec) -> torch.nn.Sequential:
    return build_network(spec, spec.action_count)


@dataclass
class LearnedPolicy:
    """Plays seats with one policy network per role (or a stand-in policy for a role)."""

    networks: Mapping[str, torch.nn.Module]
    spec: NetworkSpec
    num_players: int
    name: str = "learned"
    stand_ins: Mapping[str, Policy] = field(default_factory=dict)
    greedy: bool = False
    obs_mode: str | None = None  # it folds its own vector observation from the AgentView

    def __post_init__(self) -> None:
        missing = [
            role for role in ROLES if role not in self.networks and role not in self.stand_ins
        ]
        if missing:
            raise ValueError(f"no network or stand-in for role(s) {missing}")
        self._rng = np.random.default_rng()
        self._observers: dict[int, VectorObserver] = {}
        self._game: Any = None
        self._speech: dict[str, tuple[str, int]] | None = None

    def reset(self, seed: int | None = None) -> None:
        self._observers = {}
        self._game = None
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        for stand_in in self.stand_ins.values():
            stand_in.reset(seed)

    def act(self, observation: Any, info: dict[str, Any], view: AgentView) -> int | str:
        game = view.game
        player = game.players[view.seat]
        role = "impostor" if player.is_impostor else "crewmate"
        if role not in self.networks:
            return self.stand_ins[role].act(observation, info, view)
        if game is not self._game:  # a game this object has not seen: forget the last one's
            self._game, self._observers, self._speech = game, {}, None
        if game.config.num_players != self.num_players:
            raise ValueError(
                f"policy {self.name} was trained for {self.num_players} players, "
                f"this game has {game.config.num_players}"
            )
        observer = self._observers.get(view.seat)
        if observer is None:
            if self._speech is None:
                self._speech = speech_table(game)
            observer = self._observers[view.seat] = VectorObserver(game, view.seat, self._speech)
        # Called at every turn of the seat, as the environment calls it: the same memory.
        observer.read_turn()
        return self.choose(role, observer.vector(acting=True), view.mask)

    def choose(self, role: str, vector: np.ndarray, mask: np.ndarray) -> int:
        """The action for one observation vector and its action mask."""
        import torch

        with torch.inference_mode():
            logits = self.networks[role](torch.from_numpy(np.asarray(vector, dtype=np.float32)))
        scores = logits.numpy().astype(np.float64)
        legal = np.flatnonzero(mask)
        if len(legal) == 0:
            raise ValueError("no legal action to choose from")
        legal_scores = scores[legal]
        if self.greedy:
            return int(legal[int(np.argmax(legal_scores))])
        weights = np.exp(legal_scores - legal_scores.max())
        return int(legal[self._rng.choice(len(legal), p=weights / weights.sum())])


def write_spec(
    folder: str | Path,
    spec: NetworkSpec,
    num_players: int,
    weights: Mapping[str, Mapping[str, Any]],
    stand_ins: Mapping[str, str],
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``policy.json`` and one ``ROLE.pt`` per learned role into ``folder``."""
    import torch

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    roles: dict[str, dict[str, str]] = {}
    for role in ROLES:
        if role in weights:
            file = f"{role}.pt"
            torch.save({k: torch.as_tensor(v) for k, v in weights[role].items()}, folder / file)
            roles[role] = {"weights": file}
        elif role in stand_ins:
            roles[role] = {"stand_in": stand_ins[role]}
        else:
            raise ValueError(f"role {role!r} has neither weights nor a stand-in")
    document = {
        "format": SPEC_FORMAT,
        "version": SPEC_VERSION,
        "num_players": num_players,
        "observation_size": spec.observation_size,
        "action_count": spec.action_count,
        "hidden": list(spec.hidden),
        "activation": spec.activation,
        "roles": roles,
        **dict(extra or {}),
    }
    path = folder / SPEC_FILE
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


#: Loaded networks by (policy.json path, its modification time): a server builds a policy per
#: session, and the networks are read-only at play time, so sessions share them.
_LOADED: dict[tuple[str, int], tuple[NetworkSpec, int, dict[str, Any], dict[str, str]]] = {}


def load_checkpoint_policy(path: str, greedy: bool = False, **_: Any) -> LearnedPolicy:
    """The ``checkpoint:PATH`` factory: ``PATH`` is a checkpoint folder or its ``policy.json``."""
    spec_path = Path(path)
    if spec_path.is_dir():
        spec_path = spec_path / SPEC_FILE
    try:
        key = (str(spec_path.resolve()), spec_path.stat().st_mtime_ns)
    except OSError:
        key = None
    loaded = _LOADED.get(key) if key is not None else None
    if loaded is None:
        loaded = _load(path)
        if key is not None:
            _LOADED[key] = loaded
    spec, num_players, networks, stand_in_names = loaded
    return LearnedPolicy(
        networks,
        spec,
        num_players,
        name=f"checkpoint:{path}",
        stand_ins={role: make_policy(name) for role, name in stand_in_names.items()},
        greedy=greedy,
    )


def _load(path: str) -> tuple[NetworkSpec, int, dict[str, Any], dict[str, str]]:
    import torch

    spec_path = Path(path)
    if spec_path.is_dir():
        spec_path = spec_path / SPEC_FILE
    if not spec_path.is_file():
        raise ValueError(f"checkpoint:{path}: no {SPEC_FILE} there (is it an `amongus train` run?)")
    try:
        document = json.loads(spec_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"checkpoint:{path}: cannot read {spec_path}: {error}") from None
    if not isinstance(document, dict) or document.get("format") != SPEC_FORMAT:
        raise ValueError(f"checkpoint:{path}: {spec_path} is not a {SPEC_FORMAT} file")
    if document.get("version") != SPEC_VERSION:
        raise ValueError(
            f"checkpoint:{path}: version {document.get('version')!r}, "
            f"this code reads {SPEC_VERSION}"
        )
    try:
        spec = NetworkSpec(
            observation_size=int(document["observation_size"]),
            action_count=int(document["action_count"]),
            hidden=tuple(int(w) for w in document["hidden"]),
            activation=str(document["activation"]),
        )
        num_players = int(document["num_players"])
        roles: Mapping[str, Mapping[str, str]] = document["roles"]
        networks: dict[str, Any] = {}
        stand_ins: dict[str, str] = {}
        for role in ROLES:
            entry = roles[role]
            if "weights" in entry:
                network = build_policy_network(spec)
                state = torch.load(spec_path.parent / entry["weights"], weights_only=True)
                network.load_state_dict(state)
                network.eval()
                networks[role] = network
            else:
                stand_ins[role] = str(entry["stand_in"])
                make_policy(stand_ins[role])  # a stand-in this install cannot build is damage too
    except (KeyError, TypeError, ValueError, OSError, RuntimeError, AttributeError) as error:
        raise ValueError(f"checkpoint:{path}: damaged checkpoint: {error}") from None
    return spec, num_players, networks, stand_ins


def state_dict_arrays(network: torch.nn.Module) -> dict[str, np.ndarray]:
    """A network's weights as numpy arrays (they pickle to other processes without torch)."""
    return {k: v.detach().cpu().numpy().copy() for k, v in network.state_dict().items()}


def policy_from_weights(
    weights: Mapping[str, Mapping[str, np.ndarray]],
    spec: NetworkSpec,
    num_players: int,
    name: str,
    stand_ins: Mapping[str, str] | None = None,
) -> LearnedPolicy:
    """A ``LearnedPolicy`` from in-memory weights (a training snapshot)."""
    import torch

    networks: dict[str, torch.nn.Module] = {}
    for role, state in weights.items():
        network = build_policy_network(spec)
        network.load_state_dict({k: torch.as_tensor(np.asarray(v)) for k, v in state.items()})
        network.eval()
        networks[role] = network
    built = {role: make_policy(p) for role, p in (stand_ins or {}).items() if role not in networks}
    return LearnedPolicy(networks, spec, num_players, name=name, stand_ins=built)


__all__: Sequence[str] = [
    "LearnedPolicy",
    "NetworkSpec",
    "build_network",
    "build_policy_network",
    "load_checkpoint_policy",
    "policy_from_weights",
    "state_dict_arrays",
    "write_spec",
]
