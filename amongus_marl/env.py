"""Among Us on the Skeld as a PettingZoo AEC environment (``amongus_v0``).

Agents
    ``player_0 … player_{n-1}`` in seat order (seat i is the reference's ``Player i+1``). The
    selected agent follows the engine's turn order: task rounds in seat order, which a meeting
    call cuts short, then ``discussion_rounds`` speaking rounds and one voting round. Dead players
    are never selected again but stay in ``agents`` until the game ends, so they still receive
    their team's end-of-game reward; then every agent is terminated. There is no truncation: the
    time limit is a rule of the game (the impostors win). A config with as many impostors as
    crewmates is a game the impostors win before anyone acts: its reset leaves every agent
    terminated with its result, which the rules allow but PettingZoo's ``api_test`` does not.

Actions
    ``Discrete(N)`` over a fixed catalogue (``amongus_marl.catalogue``): move and vent to each
    room, call a meeting (emergency button or body report), vote and kill each seat, complete and
    fake each task instance, watch each room on the Security monitor, and structured speech acts
    (neutral, accuse a seat, vouch for a seat, claim a room), and last ``NOOP``, which only the
    Parallel version (``amongus_marl.parallel``) uses and which is never legal here. The action
    mask marks the legal entries. ``step`` also takes a 7vik action string, free ``SPEAK: …``
    text and ``VIEW MONITOR <room>`` included. An illegal action raises ``IllegalActionError``
    and changes nothing; with ``illegal_action="penalize"`` it instead costs the agent
    ``RewardConfig.illegal_action`` and still changes nothing else (the agent acts again).

Observations
    ``obs_mode="vector"``: ``{"observation": Box(0, 1, (L,), float32), "action_mask":
    Box(0, 1, (N,), int8)}``, the layout documented in ``amongus_marl.observations``.
    ``obs_mode="text"``: the same with the 7vik-layout prompt (``Text``) as the observation.
    ``obs_mode="chat"``: the seat's view as Chat Completions messages (``amongus_marl.chat``:
    a system message from the config, a user message per turn, the seat's tool calls between);
    ``chat_tools(agent)`` gives its legal moves as OpenAI-style tools, and ``step`` also takes
    an assistant message with one tool call. ``seat_view(agent)`` is what a seat perceived
    (events since its previous action, its meeting's chat, its sight, frozen at its death),
    kept by ``step`` for every seat (``amongus_marl.seat_view``) when ``keep_seat_views`` is set
    before ``reset``: the default for text and chat, not for vectors (a tenth of a step).
    ``mask_in_info=True``: the observation is the plain Box (or Text) and the mask goes to
    ``infos[agent]["action_mask"]`` of every agent, which SuperSuit's observation wrappers
    require. Only the selected agent's mask has legal entries. ``state()`` is the global state
    (roles included) for centralised critics, never part of an agent's observation. The vector
    remembers what an agent's location message showed (who was seen where) at each of its
    turns, as a player reads its prompt then: ``step`` updates that memory when a turn comes,
    so an observation is a function of the game so far, the same whenever (and whether) earlier
    ones were taken, in a copy or pickle of the environment, and in a replayed log.

Rewards
    ``+1`` to each member of the winning team and ``-1`` to each loser at the end; optional
    shaping terms in ``RewardConfig``. ``infos[agent]`` carry ``win_code`` (1–4) and
    ``win_reason`` at the end.

Version history
    v0: first release; the catalogue later gained its last entry, ``NOOP`` (every other index
    kept its meaning).
"""

from __future__ import annotations

import random
import string
import unicodedata
import warnings
from collections.abc import Mapping
from typing import Any, Final

import numpy as np
from gymnasium import spaces
from pettingzoo import AECEnv
from pettingzoo.utils import wrappers

from amongagents import actions as act
from amongagents.actions import Action, ActionKind
from amongagents.config import GameConfig, resolve_config
from amongagents.game import Game, IllegalActionError, integer_seed
from amongagents.records import Phase
from amongus_marl import chat, rendering
from amongus_marl.action_space import MaskedDiscrete, MaskMemory
from amongus_marl.agent_view import AgentView
from amongus_marl.catalogue import ActionCatalogue
from amongus_marl.observations import (
    VectorObserver,
    speech_table,
    state_size,
    state_vector,
    text_observation,
    vector_size,
)
from amongus_marl.rewards import RewardConfig
from amongus_marl.seat_view import Perceptions, SeatView

OBS_MODES: Final[tuple[str, ...]] = ("vector", "text", "chat")
RENDER_MODES: Final[tuple[str, ...]] = ("human", "ansi", "rgb_array")
ILLEGAL_ACTION_MODES: Final[tuple[str, ...]] = ("raise", "penalize")
#: Characters a text observation may contain (free speech is folded to these).
TEXT_CHARSET: Final[str] = "".join(c for c in string.printable if c not in "\t\r\x0b\x0c")
TEXT_MAX_LENGTH: Final[int] = 16_384
#: Free speech longer than this is cut, so a prompt stays within ``TEXT_MAX_LENGTH``.
MAX_SPEECH_LENGTH: Final[int] = 500


class ChatSpace(spaces.Space[Any]):
    """Chat observations: a list of Chat Completions messages (dicts with a ``role``)."""

    def __init__(self) -> None:
        super().__init__(None, object)

    def contains(self, x: Any) -> bool:
        return isinstance(x, list) and all(
            isinstance(m, dict) and m.get("role") in ("system", "user", "assistant", "tool")
            for m in x
        )

    def sample(self, mask: Any = None, probability: Any = None) -> list[dict[str, Any]]:
        return [{"role": "user", "content": "..."}]

    @property
    def is_np_flattenable(self) -> bool:
        return False


class ChatObservation(list):
    """A chat observation: a plain ``list`` of message dicts that also reports the
    ``ChatSpace``'s dtype, as PettingZoo's api_test asks every observation for its ``dtype``."""

    __slots__ = ()
    dtype: Final = np.dtype(object)


class TextObservation(str):
    """A text observation: a plain ``str`` that also reports the ``Text`` space's dtype, as
    PettingZoo's api_test asks every observation for its ``dtype``."""

    __slots__ = ()
    dtype: Final = np.dtype(str)


def env(
    *,
    config: str | Mapping[str, Any] | GameConfig = "seven_member",
    obs_mode: str = "vector",
    mask_in_info: bool = False,
    rewards: RewardConfig | Mapping[str, Any] | None = None,
    illegal_action: str = "raise",
    render_mode: str | None = None,
    reveal_roles: bool = False,
) -> AECEnv:
    """The environment wrapped with PettingZoo's order-enforcing wrapper.

    Args:
        config: a preset name (``"five_member"``, ``"seven_member"``, ``"sample_five_member"``),
            a dict with the reference's nine keys, or a ``GameConfig``.
        obs_mode: ``"vector"`` (a float32 Box, see ``amongus_marl.observations``), ``"text"``
            (the 7vik-layout prompt) or ``"chat"`` (chat messages, see ``amongus_marl.chat``).
        mask_in_info: give the plain observation and put the action mask in
            ``infos[agent]["action_mask"]`` (what SuperSuit's observation wrappers need).
        rewards: shaping terms (``RewardConfig`` or its fields as a dict); none by default.
        illegal_action: ``"raise"`` (an illegal action raises and changes nothing) or
            ``"penalize"`` (it costs the agent ``RewardConfig.illegal_action`` and it acts again).
        render_mode: ``None``, ``"ansi"``, ``"human"`` (text view) or ``"rgb_array"`` (the map).
        reveal_roles: rendering only: mark the impostors, for spectators.

    PettingZoo's out-of-bounds assertion wrapper is not applied: ``step`` also accepts 7vik
    action strings, and the raw environment validates every action itself with a clear error.
    """
    return ForwardingOrderEnforcingWrapper(
        raw_env(
            config=config,
            obs_mode=obs_mode,
            mask_in_info=mask_in_info,
            rewards=rewards,
            illegal_action=illegal_action,
            render_mode=render_mode,
            reveal_roles=reveal_roles,
        )
    )


def _forwarded(name: str) -> property:
    def read(self: ForwardingOrderEnforcingWrapper) -> Any:
        if not self._has_reset:
            raise AttributeError(f"{name} cannot be accessed before reset")
        return getattr(self.env, name)

    return property(read, doc=f"The environment's ``{name}`` (an error before reset).")


class ForwardingOrderEnforcingWrapper(wrappers.OrderEnforcingWrapper):
    """PettingZoo's order-enforcing wrapper, with the attributes read at every step forwarded
    by properties.

    The base wrapper reaches the environment's attributes through ``__getattr__`` (two Python
    calls per read, its own and its base's), and the documented loop reads eight of them per
    step (``agent_iter``, ``last``, ``step``): about a fifth of a step of this environment.
    Properties read them directly, with the same error before ``reset``, and ``last`` and
    ``step`` call the bare environment's after the base's checks; every other attribute still
    goes through ``__getattr__``.
    """

    agents = _forwarded("agents")
    agent_selection = _forwarded("agent_selection")
    rewards = _forwarded("rewards")
    terminations = _forwarded("terminations")
    truncations = _forwarded("truncations")
    infos = _forwarded("infos")
    _cumulative_rewards = _forwarded("_cumulative_rewards")

    def last(self, observe: bool = True) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        if not self._has_reset:  # what the base's first read, agent_selection, raises
            raise AttributeError("agent_selection cannot be accessed before reset")
        last: tuple[Any, float, bool, bool, dict[str, Any]] = self.env.last(observe)
        return last  # the bare environment's, observe() included

    def step(self, action: Any) -> None:
        if self._has_reset and self.env.agents:  # the base's checks, then the step itself
            self._has_updated = True
            self.env.step(action)
        else:
            super().step(action)  # the base's error or warning

    def __str__(self) -> str:
        return str(self.env)  # as the base prints itself: the environment's name


class raw_env(AECEnv):  # noqa: N801 - PettingZoo's naming convention for the bare environment
    """The bare environment; see the module docstring for the spec card and ``env`` for the
    parameters."""

    metadata = {
        "name": "amongus_v0",
        "render_modes": list(RENDER_MODES),
        "is_parallelizable": False,
        "render_fps": 2,
    }

    def __init__(
        self,
        config: str | Mapping[str, Any] | GameConfig = "seven_member",
        obs_mode: str = "vector",
        mask_in_info: bool = False,
        rewards: RewardConfig | Mapping[str, Any] | None = None,
        illegal_action: str = "raise",
        render_mode: str | None = None,
        reveal_roles: bool = False,
    ) -> None:
        super().__init__()
        if obs_mode not in OBS_MODES:
            raise ValueError(f"obs_mode must be one of {OBS_MODES}, got {obs_mode!r}")
        if illegal_action not in ILLEGAL_ACTION_MODES:
            raise ValueError(
                f"illegal_action must be one of {ILLEGAL_ACTION_MODES}, got {illegal_action!r}"
            )
        if render_mode is not None and render_mode not in RENDER_MODES:
            raise ValueError(f"render_mode must be one of {RENDER_MODES} or None")
        self.game_config = resolve_config(config)
        self.obs_mode = obs_mode
        if not isinstance(mask_in_info, bool):
            raise ValueError(f"mask_in_info must be True or False, got {mask_in_info!r}")
        self.mask_in_info = mask_in_info
        self.reward_config = RewardConfig.from_any(rewards)
        weights = self.reward_config
        self._shaping = any(
            (weights.task_progress, weights.kill, weights.vote_impostor, weights.vote_crewmate)
        )
        self._rewards_dirty = False
        self.illegal_action = illegal_action
        self.render_mode = render_mode
        if not isinstance(reveal_roles, bool):
            raise ValueError(f"reveal_roles must be True or False, got {reveal_roles!r}")
        self.reveal_roles = reveal_roles  # rendering only: spectators may see the impostors
        n = self.game_config.num_players
        self.possible_agents = [f"player_{i}" for i in range(n)]
        self.agent_name_mapping = {agent: i for i, agent in enumerate(self.possible_agents)}
        self.catalogue = ActionCatalogue(n)
        masks_checked: MaskMemory = {}  # every seat is handed the same masks
        self.action_spaces: dict[str, spaces.Space[Any]] = {
            a: MaskedDiscrete(self.catalogue.size, memory=masks_checked)
            for a in self.possible_agents
        }
        self.observation_spaces = {a: self._make_observation_space() for a in self.possible_agents}
        self.state_space = spaces.Box(0.0, 1.0, (state_size(n),), dtype=np.float32)
        self.game: Game | None = None
        self._seed_source = random.Random()
        self._turn_table: dict[int, Action] | None = None
        self._turn_mask: np.ndarray | None = None
        self._empty_mask = np.zeros(self.catalogue.size, dtype=np.int8)
        self._empty_mask.flags.writeable = False
        #: Keep every seat's chat transcript in other observation modes too (the server sets it).
        self.keep_chat_transcripts = False
        #: Keep every seat's perception (``seat_view``) from the next ``reset``: on by default for
        #: the text and chat observations (LLM agents, the server), off for vectors, whose
        #: training loops never ask and would pay for it at every step.
        self.keep_seat_views = obs_mode != "vector"

    def _make_observation_space(self) -> spaces.Space[Any]:
        if self.obs_mode == "vector":
            observation: spaces.Space[Any] = spaces.Box(
                0.0, 1.0, (vector_size(self.game_config.num_players),), dtype=np.float32
            )
        elif self.obs_mode == "chat":
            observation = ChatSpace()
        else:
            observation = spaces.Text(
                max_length=TEXT_MAX_LENGTH, min_length=1, charset=TEXT_CHARSET
            )
        if self.mask_in_info:
            return observation
        mask = spaces.Box(0, 1, (self.catalogue.size,), dtype=np.int8)
        return spaces.Dict({"observation": observation, "action_mask": mask})

    def observation_space(self, agent: str) -> spaces.Space[Any]:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space[Any]:
        return self.action_spaces[agent]

    def _seed_action_spaces(self, seed: int) -> None:
        """Seed the agents' action spaces from a reset seed, so that after ``reset(seed=s)``
        the documented loop's ``action_space(agent).sample(mask)`` replays too. They share one
        generator, drawn from in play order. (PettingZoo's classic environments leave this to
        the caller; an unseeded reset leaves the spaces as they are, for callers who seed them
        themselves.)"""
        generator = np.random.default_rng(seed)
        for space in self.action_spaces.values():
            if isinstance(space, MaskedDiscrete):
                space.draw_from(generator)

    # ------------------------------------------------------------------ episode
    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        """Start a new game. ``options={"scenario": {"players": [...]}}`` fixes seats' colour,
        role and tasks; ``seed`` makes the game (and every later unseeded reset) reproducible,
        and seeds the agents' action spaces, so that ``sample(mask)`` draws replay as well."""
        options = dict(options or {})
        scenario = options.pop("scenario", None)
        if options:
            # PettingZoo's own api_test passes a dummy option, so unknown keys warn, not raise.
            warnings.warn(
                f"ignoring unknown reset option(s) {sorted(options)}; the option is 'scenario'",
                stacklevel=2,
            )
        # Draw from a copy of the seed stream, kept only once the game is built: a reset that
        # fails (a bad scenario) must leave the environment as it was.
        source = (
            random.Random(integer_seed(seed)) if seed is not None else _copy_rng(self._seed_source)
        )
        self.game = Game(self.game_config, seed=source.getrandbits(63), scenario=scenario)
        self._seed_source = source
        self._begin_episode()
        if seed is not None:
            self._seed_action_spaces(integer_seed(seed))

    def reset_from_game(self, game: Game) -> None:
        """Adopt an engine game that has not started yet (e.g. one rebuilt from a log) as the
        current episode. A game already under way is refused: the agents' memories of its
        earlier turns were never formed (``replay.replay_through_env`` plays a log through)."""
        if game.config != self.game_config:
            raise ValueError("the game's config differs from this environment's")
        if game.steps:
            raise ValueError(
                f"the game is under way ({len(game.steps)} steps taken): adopt a game before its "
                "first step, or replay its log with amongus_marl.replay.replay_through_env"
            )
        self.game = game
        self._begin_episode()

    def _begin_episode(self) -> None:
        game = self.game
        assert game is not None
        self.agents = self.possible_agents[:]
        self.rewards = {a: 0.0 for a in self.agents}
        self._cumulative_rewards = {a: 0.0 for a in self.agents}
        self.terminations = {a: False for a in self.agents}
        self.truncations = {a: False for a in self.agents}
        self.infos: dict[str, dict[str, Any]] = {a: {} for a in self.agents}
        # Built on first use: the speech table only for vector observers, the speech actions
        # only for meeting turns.
        self._speech: dict[str, tuple[str, int]] | None = None
        self._speech_actions: tuple[tuple[Action, ...], tuple[Action, ...]] | None = None
        # Vector observers are built on a seat's first turn or observation, whichever is first.
        self._observers: list[VectorObserver | None] = [None] * len(self.agents)
        keep_views = self.keep_seat_views or self.obs_mode == "chat" or self.keep_chat_transcripts
        self._perceptions: Perceptions | None = Perceptions(game) if keep_views else None
        self._chat_logs: list[list[chat.Message]] | None = (
            [[chat.system_message(game, seat)] for seat in range(len(self.agents))]
            if self.obs_mode == "chat" or self.keep_chat_transcripts
            else None
        )
        self._invalidate_turn()
        self._tables: dict[tuple[Any, ...], tuple[dict[int, Action], np.ndarray]] = {}
        self._rewards_dirty = False
        self.agent_selection = self.possible_agents[game.current_seat]
        if game.is_over:  # e.g. a config whose impostors already match the crew
            self._finish()
            self._accumulate_rewards()
        else:
            self._begin_turn()
        self._refresh_info_mask()
        if self.render_mode == "human":  # the starting position too (replays' included)
            self.render()

    # ------------------------------------------------------------------ acting
    def step(self, action: int | np.integer | str | Action | Mapping[str, Any] | None) -> None:
        game = self._require_game()
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        try:
            chosen = self._resolve(action)
        except IllegalActionError:
            if self.illegal_action == "raise":
                raise
            self._cumulative_rewards[agent] = 0.0
            self._clear_rewards()
            self.rewards[agent] = self.reward_config.illegal_action
            self._rewards_dirty = True
            self._accumulate_rewards()
            return
        self._cumulative_rewards[agent] = 0.0
        if self._rewards_dirty:
            self._clear_rewards()
            self._rewards_dirty = False
        seat = game.current_seat
        in_meeting = game.phase is Phase.MEETING
        alive_before = [p.alive for p in game.players] if in_meeting and self._shaping else None
        if self._chat_logs is not None:
            self._chat_logs[seat].extend(
                chat.assistant_message(game, chosen, f"call_{len(game.steps)}")
            )
        perceptions = self._perceptions
        if perceptions is not None:
            perceptions.begin_action(seat)
        game.step(chosen)
        if perceptions is not None:
            perceptions.after_step()
        self._invalidate_turn()
        if self._shaping:
            self._shape_rewards(seat, chosen, alive_before)
        if game.is_over:
            self._finish()
        else:
            self.agent_selection = self.possible_agents[game.current_seat]
            self._begin_turn()
        if self._rewards_dirty:
            self._accumulate_rewards()
        if self.mask_in_info:
            self._refresh_info_mask()
        if self.render_mode == "human":
            self.render()

    def _resolve(
        self, action: int | np.integer | str | Action | Mapping[str, Any] | None
    ) -> Action:
        # The common case: a catalogue index that is legal now (np.int64 from sample()).
        if type(action) is int or type(action) is np.int64:
            table = self._turn_table if self._turn_table is not None else self._table()
            chosen = table.get(action)  # type: ignore[arg-type]  # np.int64 hashes as int
            if chosen is not None:
                return chosen
        game = self._require_game()
        if isinstance(action, np.ndarray) and action.shape == () and action.dtype.kind in "iu":
            action = int(action)  # a 0-d integer array is a member of Discrete too
        if isinstance(action, (int, np.integer)) and not isinstance(action, bool):
            index = int(action)
            table = self._table()
            if index in table:
                return table[index]
            if not 0 <= index < self.catalogue.size:
                raise IllegalActionError(
                    f"action index {index} is outside the catalogue 0..{self.catalogue.size - 1}"
                )
            raise IllegalActionError(
                f"action {index} ({self.catalogue.describe(index)}) is not legal for "
                f"{self.agent_selection} now; legal: {sorted(table)}"
            )
        if isinstance(action, str):
            return game.resolve(_fold_speech(action))
        if isinstance(action, Mapping):  # an assistant message with a tool call
            named = chat.action_of_tool_call(game, action)
            return game.resolve(_fold_speech(named) if isinstance(named, str) else named)
        if isinstance(action, Action):
            if action.kind is ActionKind.SPEAK:
                action = act.speak(_fold_speech(action.text)[len("SPEAK: ") :] or "...")
            return game.resolve(action)
        raise IllegalActionError(
            "an action must be a catalogue index, a 7vik action string, an Action or an "
            "assistant message with a tool call, "
            f"got {action!r}"
        )

    def _shape_rewards(self, seat: int, chosen: Action, alive_before: list[bool] | None) -> None:
        """Pay the optional shaping terms for what ``seat``'s action just caused."""
        weights, game = self.reward_config, self._require_game()
        agent = self.possible_agents[seat]
        self._rewards_dirty = True
        if chosen.kind is ActionKind.COMPLETE_TASK and weights.task_progress:
            self.rewards[agent] += weights.task_progress
        elif chosen.kind is ActionKind.KILL and weights.kill:
            self.rewards[agent] += weights.kill
        if alive_before is not None and game.phase is Phase.TASK:
            ejected = [
                p
                for p, before in zip(game.players, alive_before, strict=True)
                if before and not p.alive
            ]
            for p in ejected:
                weight = weights.vote_impostor if p.is_impostor else weights.vote_crewmate
                for voter, target in game.votes.items():
                    if target == p.seat and not game.players[voter].is_impostor:
                        self.rewards[self.possible_agents[voter]] += weight

    def _finish(self) -> None:
        game = self._require_game()
        self._rewards_dirty = True
        weights = self.reward_config
        impostors_won = game.winner.impostors_win
        for agent, p in zip(self.possible_agents, game.players, strict=True):
            if agent in self.rewards:
                self.rewards[agent] += (
                    weights.win if p.is_impostor == impostors_won else weights.loss
                )
                self.terminations[agent] = True
                self.infos[agent] = {"win_code": int(game.winner), "win_reason": game.win_reason}
        if self._chat_logs is not None:  # the end, as each seat perceived it
            for seat, log in enumerate(self._chat_logs):
                view = self._seat_perceptions().view(seat)
                log.append(chat.turn_message(view.events, view.sight.prompt))
        self.agent_selection = self.agents[0]

    # ------------------------------------------------------------------ observing
    def _begin_turn(self) -> None:
        """The seat to act reads its prompt: its vector memory takes in its location message.
        Done here, at every turn, so that memory never depends on who observes when."""
        if self.obs_mode == "vector":
            seat = self._require_game().current_seat
            (self._observers[seat] or self._observer(seat)).read_turn()
        if self._chat_logs is not None:
            game = self._require_game()
            seat = game.current_seat
            log = self._chat_logs[seat]
            if log[-1]["role"] != "user":  # a seat acting again after a penalised move has one
                events = self._seat_perceptions().events(seat)
                log.append(chat.turn_message(events, text_observation(game, seat)))

    def _observer(self, seat: int) -> VectorObserver:
        observer = self._observers[seat]
        if observer is None:
            if self._speech is None:
                self._speech = speech_table(self._require_game())
            observer = self._observers[seat] = VectorObserver(
                self._require_game(), seat, self._speech
            )
        return observer

    def observe(self, agent: str) -> Any:
        game = self._require_game()
        seat = self.agent_name_mapping[agent]
        if self.obs_mode == "vector":
            acting = agent == self.agent_selection and not game.is_over
            observer = self._observers[seat] or self._observer(seat)
            observation: Any = observer.vector(acting)
        elif self.obs_mode == "chat":
            observation = ChatObservation(self.chat_messages(agent))
        else:
            observation = TextObservation(text_observation(game, seat))
        if self.mask_in_info:
            return observation
        return {"observation": observation, "action_mask": self.action_mask(agent)}

    def action_mask(self, agent: str) -> np.ndarray:
        """The legal catalogue entries of ``agent`` (all zero unless it is the one to act).

        Masks are shared, read-only arrays (cached per legal set): copy one before editing it.
        """
        game = self._require_game()
        if game.is_over or agent != self.agent_selection:
            return self._empty_mask
        self._table()
        return self._turn_mask  # type: ignore[return-value]

    def legal_actions(self, agent: str | None = None) -> list[str]:
        """The 7vik strings of the legal actions of ``agent`` (default: the selected agent)."""
        game = self._require_game()
        agent = self.agent_selection if agent is None else agent
        if agent not in self.agent_name_mapping:
            raise ValueError(f"unknown agent {agent!r}; agents are {self.possible_agents}")
        if game.is_over or agent != self.agent_selection:
            return []
        return game.legal_action_strings()

    def agent_view(self, agent: str | None = None) -> AgentView:
        """The selected agent's decision context for policies (see ``AgentView``)."""
        game = self._require_game()
        agent = self.agent_selection if agent is None else agent
        if agent != self.agent_selection or game.is_over:
            raise ValueError(f"{agent} is not the agent to act")
        table = self._table()
        mask = self._turn_mask
        assert mask is not None
        return AgentView(game.current_seat, game, game.current_legal_actions, mask, table)

    def seat_view(self, agent: str) -> SeatView:
        """What ``agent`` has perceived: the events since its previous action, the speech of its
        latest meeting, and its sight (as it was at its death, for a dead seat). Computed as the
        game goes (``amongus_marl.seat_view``), so it never depends on who observed when."""
        self._require_game()
        if agent not in self.agent_name_mapping:
            raise ValueError(f"unknown agent {agent!r}; agents are {self.possible_agents}")
        return self._seat_perceptions().view(self.agent_name_mapping[agent])

    def known_living(self, agent: str) -> int:
        """How many players ``agent`` knows to be alive: as of the latest meeting it saw (deaths
        since are secret). The same as ``seat_view(agent).public_living``, without rendering."""
        self._require_game()
        return self._seat_perceptions().known_living(self.agent_name_mapping[agent])

    def _seat_perceptions(self) -> Perceptions:
        if self._perceptions is None:
            raise RuntimeError(
                "seat views are kept with keep_seat_views=True set before reset (the default "
                'for obs_mode="text" and "chat")'
            )
        return self._perceptions

    def chat_messages(self, agent: str) -> list[chat.Message]:
        """``agent``'s view as Chat Completions messages (``amongus_marl.chat``): the system
        message, then its turns so far. Kept in ``obs_mode="chat"`` (or with
        ``keep_chat_transcripts`` set before ``reset``)."""
        self._require_game()
        if self._chat_logs is None:
            raise RuntimeError(
                'chat transcripts are kept with obs_mode="chat" or keep_chat_transcripts=True'
            )
        return [dict(m) for m in self._chat_logs[self.agent_name_mapping[agent]]]

    def chat_tools(self, agent: str | None = None) -> list[dict[str, Any]]:
        """``agent``'s legal moves as OpenAI-style tool definitions (none unless it is to act)."""
        game = self._require_game()
        agent = self.agent_selection if agent is None else agent
        if game.is_over or agent != self.agent_selection:
            return []
        return chat.tool_definitions(game, game.current_legal_actions)

    def state(self) -> np.ndarray:
        return state_vector(self._require_game())

    def event_log(self) -> dict[str, Any]:
        """The engine's event log of the current game (JSON-serialisable, replayable)."""
        return self._require_game().event_log()

    # ------------------------------------------------------------------ rendering
    def render(self) -> Any:
        if self.render_mode is None:
            return None
        game = self._require_game()
        if self.render_mode == "rgb_array":
            return rendering.render_rgb(game, reveal_roles=self.reveal_roles)
        text = rendering.render_ansi(game, reveal_roles=self.reveal_roles)
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def close(self) -> None:
        self._observers = []
        self._turn_table = None

    # ------------------------------------------------------------------ internals
    def _require_game(self) -> Game:
        if self.game is None:
            raise RuntimeError("call reset() before using the environment")
        return self.game

    def _table(self) -> dict[int, Action]:
        """Catalogue index -> legal action for this turn, with its mask in ``_turn_mask``.

        Turns repeat the same legal set often (same room, same speakers), so tables and masks are
        cached per episode, keyed by the legal actions themselves (the game reuses the same
        action objects, so their identities make the key) and, in meetings, by the speakers.
        """
        if self._turn_table is None:
            game = self._require_game()
            seat = game.current_seat
            legal = game.current_legal_actions
            if game.phase is Phase.MEETING:
                # Speech acts may name the living others; as the dead only accumulate, the
                # number of dead fixes who they are within one episode.
                key: tuple[Any, ...] = (seat, len(game.dead_seats), *map(id, legal))
            else:
                key = tuple(map(id, legal))
            cached = self._tables.get(key)
            if cached is None:
                speakers = [p.seat for p in game.players if p.alive and p.seat != seat]
                speech = self._speech_actions
                if speech is None:
                    speech = self._speech_actions = self.catalogue.speech_actions(game.names)
                table = self.catalogue.legal_map(list(legal), speakers, speech)
                mask = self.catalogue.mask(table)
                mask.flags.writeable = False
                cached = self._tables[key] = (table, mask)
            self._turn_table, self._turn_mask = cached
        return self._turn_table

    def _invalidate_turn(self) -> None:
        self._turn_table = None
        self._turn_mask = None

    def _refresh_info_mask(self) -> None:
        """Every agent's info carries its mask (all zero but the selected agent's)."""
        if not self.mask_in_info:
            return
        # Fresh dicts: an info returned by last() must not change under its holder's feet.
        for agent in self.agents:
            self.infos[agent] = {**self.infos[agent], "action_mask": self.action_mask(agent)}


def _copy_rng(rng: random.Random) -> random.Random:
    copy = random.Random()
    copy.setstate(rng.getstate())
    return copy


def _fold_speech(text: str) -> str:
    """Free speech is folded to printable ASCII and cut to ``MAX_SPEECH_LENGTH`` characters, so
    every prompt stays inside the text observation space."""
    stripped = text.strip()
    if not stripped.startswith("SPEAK:"):
        return text
    decomposed = unicodedata.normalize("NFKD", stripped[len("SPEAK:") :])
    message = "".join(c for c in decomposed if not unicodedata.combining(c))  # e + accent -> e
    ascii_message = message.encode("ascii", "replace").decode("ascii")
    printable = "".join(c if c in TEXT_CHARSET else " " for c in ascii_message)
    return "SPEAK: " + printable.strip()[:MAX_SPEECH_LENGTH]
