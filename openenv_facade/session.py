"""One client's seat in one game: the pinned-seat driver behind every server session.

A ``SeatSession`` owns a PettingZoo ``raw_env``. ``reset`` starts a game and pins the client to
one seat; ``step`` plays the client's action for that seat, then lets the other seats' policies
act (through ``env.agent_view()``) until it is the seat's turn again or the game is over. If the
seat dies, the rest of the game is played at once and the observation says ``done``.

Hidden information: everything this module sends is computed from the seat's own records (its
location message, the real-time messages and monitor readouts it received, its own actions and
tasks), its own role, and facts every player can see (timestep, phase, names, rooms, meetings).
Other players' roles and anything that happened out of the seat's sight never reach a payload;
the server's logs are the only place where a policy's misbehaviour is reported. A dead seat
perceives nothing more: its location, company and prompt stay as they were when it died (the
engine keeps filing messages for bodies, as the reference does), and only the game's end is
reported to it.

There is no I/O here and no FastAPI: the server calls these methods from its event loop.
"""

from __future__ import annotations

import logging
import random
import secrets
import uuid
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Final, NamedTuple

from amongagents.actions import ActionKind
from amongagents.config import ConfigError, GameConfig, resolve_config
from amongagents.game import Game, IllegalActionError
from amongagents.records import Phase, SeenAction
from amongagents.text import clock_tag, observation_text, own_action_text
from amongus_marl.env import raw_env
from amongus_marl.observations import text_observation
from amongus_marl.policies import Policy, is_known_policy, make_policy, registered_policies
from openenv_facade.actions import legal_game_actions, resolve
from openenv_facade.env_factory import ENV_FACTORY
from openenv_facade.models import (
    ErrorCode,
    GameAction,
    GameObservation,
    GameState,
    PhaseName,
    PolicyChoice,
    ResetParams,
    TaskStatus,
    VisiblePlayer,
)
from openenv_facade.settings import ServerSettings

log = logging.getLogger("openenv_facade.session")

DEFAULT_CONFIG: Final[str] = "seven_member"
#: At most this many event lines go into one observation (a played-out game can have hundreds).
MAX_EVENTS: Final[int] = 200
_POLICY_SEED_SALT: Final[int] = 0x5EED_0F_9A3E


class SessionError(Exception):
    """A request this session cannot serve; ``code`` is the wire's error code."""

    def __init__(self, message: str, code: ErrorCode = ErrorCode.EXECUTION_ERROR) -> None:
        super().__init__(message)
        self.code = code


class RequestError(SessionError):
    """Invalid reset arguments (bad config, unknown policy, seat out of range, ...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ErrorCode.VALIDATION_ERROR)


class LastSight(NamedTuple):
    """What a seat perceived when it died: all it will ever perceive of that game."""

    location: str
    visible: list[VisiblePlayer]
    prompt: str


class SeatSession:
    """The client's seat in a game driven through ``amongus_marl.raw_env``."""

    __slots__ = (
        "settings",
        "env",
        "seat",
        "agent",
        "episode_id",
        "step_count",
        "_policies",
        "_seen_observations",
        "_seen_actions",
        "_phase",
        "_public_living",
        "_fallback_rng",
        "_chat",
        "_last_sight",
    )

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.env: raw_env | None = None  # built at the first reset, so idle sessions stay small
        self.seat = -1
        self.agent = ""
        self.episode_id: str | None = None
        self.step_count = 0
        self._policies: dict[bool, Policy] = {}  # is_impostor -> policy
        self._seen_observations = 0
        self._seen_actions = 0
        self._phase: PhaseName = "not_started"
        self._public_living = 0
        self._fallback_rng: random.Random | None = None
        self._chat: list[str] = []  # speech the seat heard in its latest meeting
        self._last_sight: LastSight | None = None  # set when the seat dies

    # ------------------------------------------------------------------ properties
    @property
    def game(self) -> Game | None:
        return None if self.env is None else self.env.game

    @property
    def done(self) -> bool:
        game = self.game
        return game is not None and game.is_over

    # ------------------------------------------------------------------ reset
    def reset(self, params: ResetParams) -> GameObservation:
        """Start a new game for the client's seat and return its first observation. Bad
        arguments raise ``RequestError`` before anything changes."""
        config = self._resolve_config(params.config)
        policies = self._make_policies(params.policies or PolicyChoice(), config.num_players)
        n = config.num_players
        if params.seat is not None and params.seat >= n:
            raise RequestError(
                f"seat {params.seat} is out of range: this game has seats 0..{n - 1}"
            )

        options: dict[str, Any] | None = None
        if params.seat is not None and params.role is not None:
            players: list[dict[str, Any]] = [{} for _ in range(n)]
            players[params.seat] = {"role": params.role}
            options = {"scenario": {"players": players}}

        # An unseeded game gets fresh entropy: session environments are copies of one template,
        # and its seed stream must not make every unseeded game the same game.
        seed = params.seed if params.seed is not None else secrets.randbits(63)
        # The policies' seeds and the seat come from a generator of their own, derived from the
        # reset's seed: drawing them from the game's RNG would make the game's log unreplayable.
        # Policies are reset before the game: one that cannot play here changes nothing.
        policy_seeds = random.Random(seed ^ _POLICY_SEED_SALT)
        for policy in policies.values():
            try:
                policy.reset(seed=policy_seeds.getrandbits(63))
            except Exception as exc:
                raise RequestError(f"policy {policy.name!r} cannot play here: {exc}") from None
        fallback_rng = random.Random(policy_seeds.getrandbits(63))

        env = self.env
        if env is None or env.game_config != config:
            env = ENV_FACTORY.make(config)
        try:
            env.reset(seed=seed, options=options)
        except ConfigError as exc:  # a scenario the config cannot satisfy
            raise RequestError(str(exc)) from None
        game = env.game
        assert game is not None

        if params.seat is not None:
            seat = params.seat
        elif params.role is not None:
            wanted = params.role == "impostor"
            seat = policy_seeds.choice([p.seat for p in game.players if p.is_impostor == wanted])
        else:
            seat = policy_seeds.randrange(n)
        self.env = env
        self._fallback_rng = fallback_rng
        self._policies = policies
        self.seat = seat
        self.agent = env.possible_agents[seat]
        self.episode_id = uuid.uuid4().hex if params.episode_id is None else params.episode_id
        self.step_count = 0
        self._seen_observations = 0
        self._seen_actions = 0
        self._phase = _phase_name(game)
        self._public_living = n
        self._chat = []
        self._last_sight = None

        events: list[str] = []
        # Non-zero only when the game is over at once (impostors as many as the crew).
        reward = float(env.rewards[self.agent])
        reward += self._play_others(events)
        return self._observe(reward, events, None)

    def _resolve_config(self, config: str | Mapping[str, int] | None) -> GameConfig:
        try:
            resolved = resolve_config(DEFAULT_CONFIG if config is None else config)
        except (ConfigError, TypeError) as exc:
            raise RequestError(f"invalid config: {exc}") from None
        if resolved.max_timesteps > self.settings.max_timesteps:
            raise RequestError(
                f"invalid config: max_timesteps {resolved.max_timesteps} exceeds this server's "
                f"limit of {self.settings.max_timesteps}"
            )
        return resolved

    def _make_policies(self, choice: PolicyChoice, num_players: int) -> dict[bool, Policy]:
        allowed = self.settings.allowed_policies
        policies: dict[bool, Policy] = {}
        for is_impostor, chosen in ((True, choice.impostor), (False, choice.crewmate)):
            name = self.settings.default_policy if chosen is None else chosen
            if name not in allowed:
                raise RequestError(
                    f"policy {name!r} is not offered by this server; choose from {sorted(allowed)}"
                )
            if not is_known_policy(name):
                raise RequestError(
                    f"policy {name!r} is not available; registered: {registered_policies()}"
                )
            try:
                policies[is_impostor] = make_policy(name)
            except Exception as exc:
                raise RequestError(f"policy {name!r} cannot play here: {exc}") from None
            # A trained network plays the player count it was trained for (checkpoint:PATH).
            trained_for = getattr(policies[is_impostor], "num_players", None)
            if isinstance(trained_for, int) and trained_for != num_players:
                raise RequestError(
                    f"policy {name!r} plays {trained_for}-player games; this config has "
                    f"{num_players} players"
                )
        return policies

    # ------------------------------------------------------------------ step
    def step(self, action: GameAction) -> GameObservation:
        """Play ``action`` for the seat, then the others until the seat's turn (or the end).

        An illegal action changes nothing: the observation repeats the current one with
        ``error`` set and no events. Acting with no game or after the end raises
        ``SessionError``."""
        env, game = self._require_game()
        if game.is_over:
            raise SessionError(
                f"the game is over ({game.win_reason}); send reset to start a new game"
            )
        try:
            chosen = resolve(game, self.seat, action, self._body_visible(game))
            env.step(chosen)
        except IllegalActionError as exc:
            return self._observe(0.0, [], str(exc))
        self.step_count += 1
        events: list[str] = []
        reward = float(env.rewards[self.agent])
        self._collect(events)
        reward += self._play_others(events)
        return self._observe(reward, events, None)

    def _play_others(self, events: list[str]) -> float:
        """Let the policies act until it is the seat's turn or the game ends; the seat's reward
        meanwhile."""
        env = self.env
        assert env is not None
        game = env.game
        assert game is not None
        me = self.agent
        reward = 0.0
        players = game.players
        while not game.is_over and env.agent_selection != me:
            agent = env.agent_selection
            view = env.agent_view()
            policy = self._policies[players[view.seat].is_impostor]
            # The session's environment renders text; policies that read no observation get none.
            observation = env.observe(agent) if policy.obs_mode is not None else None
            choice = policy.act(observation, env.infos[agent], view)
            try:
                env.step(choice)
            except IllegalActionError as exc:
                # A policy bug must not wedge the game: log it (server side only) and play a
                # random legal action instead.
                log.warning("policy %s chose an illegal action for %s: %s", policy.name, agent, exc)
                table = sorted(view.table)
                assert self._fallback_rng is not None
                env.step(table[self._fallback_rng.randrange(len(table))])
            reward += float(env.rewards[me])
            self._collect(events)
        return reward

    # ------------------------------------------------------------------ perception
    def _collect(self, events: list[str]) -> None:
        """Append what the seat perceived in the last environment step to ``events`` (and any
        speech to the meeting's chat)."""
        game = self.game
        assert game is not None
        if self._last_sight is not None:  # the dead perceive nothing more, bar the game's end
            if game.is_over and self._phase != "game_over":
                events.append(_phase_change_text("game_over", game, before=self._phase))
                self._phase = "game_over"
            return
        player = game.players[self.seat]
        names = game.names
        phase = _phase_name(game)
        if phase != self._phase:
            if _in_meeting(phase) and not _in_meeting(self._phase):
                self._chat = []
            if _in_meeting(phase) or _in_meeting(self._phase):
                # A meeting's start and end are public: every living player stands in the
                # Cafeteria, and the vote is seen by all. Deaths in the task phase stay secret.
                self._public_living = sum(p.alive for p in game.players)
        if len(player.action_history) > self._seen_actions:
            for entry in player.action_history[self._seen_actions :]:
                events.append(f"You: {own_action_text(entry)}")
                if entry.action.kind is ActionKind.SPEAK:
                    clock = entry.clock
                    tag = clock_tag(clock, own=False)
                    self._chat.append(
                        f"Timestep {clock.timestep}: {tag} {names[self.seat]} {entry.action.text}"
                    )
            self._seen_actions = len(player.action_history)
        if len(player.observations) > self._seen_observations:
            for record in player.observations[self._seen_observations :]:
                line = observation_text(record, names)
                events.append(line)
                if isinstance(record, SeenAction) and record.action.kind is ActionKind.SPEAK:
                    self._chat.append(line)
            self._seen_observations = len(player.observations)
        if phase != self._phase:
            events.append(_phase_change_text(phase, game, before=self._phase))
            self._phase = phase
        if not player.alive:
            self._last_sight = self._sight_now(game)

    def _sight_now(self, game: Game) -> LastSight:
        """The seat's location, the others in its latest location message, and its prompt."""
        info = game.location_info(self.seat)
        names, players = game.names, game.players
        visible = [
            _visible(names[other], players[other].color, dead)
            for other, dead in zip(info.occupants, info.dead, strict=True)
            if other != self.seat
        ]
        return LastSight(players[self.seat].location, visible, text_observation(game, self.seat))

    def _body_visible(self, game: Game) -> bool:
        return any(game.location_info(self.seat).dead)

    def _observe(self, reward: float, events: list[str], error: str | None) -> GameObservation:
        game = self.game
        assert game is not None
        seat = self.seat
        me = game.players[seat]
        sight = self._last_sight if self._last_sight is not None else self._sight_now(game)
        tasks = [
            _task_status(t.spot.name, t.spot.room, t.spot.type.value, t.completed, t.progress)
            for t in me.tasks
        ]
        over = game.is_over
        legal = [] if over or game.current_seat != seat else game.legal_actions(seat)
        if len(events) > MAX_EVENTS:
            events[:] = [f"({len(events) - MAX_EVENTS + 1} earlier events not shown)"] + events[
                -(MAX_EVENTS - 1) :
            ]
        return GameObservation.model_construct(
            done=over,
            reward=reward,
            metadata={"episode_id": self.episode_id},
            seat=seat,
            name=me.name,
            role="impostor" if me.is_impostor else "crewmate",
            alive=me.alive,
            phase=_phase_name(game),
            timestep=game.timestep,
            location=sight.location,
            visible_players=sight.visible,
            internal_monologue=_monologue(game, seat),
            chat_history=list(self._chat),
            game_status=game.win_reason if over else "running",
            tasks=tasks,
            legal_actions=legal_game_actions(game, legal),
            prompt=sight.prompt,
            events=events,
            error=error,
        )

    # ------------------------------------------------------------------ state
    def state(self) -> GameState:
        game = self.game
        if game is None:
            return GameState()
        config = game.config
        return GameState(
            episode_id=self.episode_id,
            step_count=self.step_count,
            seat=self.seat,
            phase=_phase_name(game),
            timestep=game.timestep,
            max_timesteps=config.max_timesteps,
            discussion_round=game.discussion_round if game.phase is Phase.MEETING else None,
            num_players=config.num_players,
            num_impostors=config.num_impostors,
            living_players=self._public_living,
            emergency_meetings_left=max(0, config.max_num_buttons - game.button_uses),
            game_over=game.is_over,
            game_status=game.win_reason if game.is_over else "running",
        )

    def observation(self) -> GameObservation:
        """The current observation again (no events, no reward)."""
        self._require_game()
        return self._observe(0.0, [], None)

    def close(self) -> None:
        if self.env is not None:
            self.env.close()
        self.env = None
        self._policies = {}

    def _require_game(self) -> tuple[raw_env, Game]:
        env = self.env
        if env is None or env.game is None:
            raise SessionError("no game in this session yet: send reset first")
        return env, env.game


def check_servable(names: tuple[str, ...]) -> None:
    """Raise ``ValueError`` unless every named policy can play seats in this server: it must be
    registered, and build and reset with no options (the server has none to give; ``llm``, for
    one, needs a model and an endpoint)."""
    problems = []
    for name in names:
        if not is_known_policy(name):
            problems.append(f"{name!r} (unknown; registered: {', '.join(registered_policies())})")
            continue
        try:
            make_policy(name).reset(seed=0)
        except Exception as error:
            if ":" in name:  # a prefixed policy (checkpoint:PATH): its own message says why
                problems.append(f"{name!r} ({error})")
                continue
            # e.g. llm, whose own message names flags that serve does not have
            problems.append(
                f"{name!r} (it needs options, such as a model and an endpoint, that the server "
                "has no way to give it)"
            )
    if problems:
        raise ValueError(
            f"these policies cannot play the other seats in this server: {', '.join(problems)}"
        )


# ---------------------------------------------------------------------- helpers
# Observation parts repeat from turn to turn and between games; they are immutable, so share them.
@lru_cache(maxsize=1024)
def _visible(name: str, color: str, dead: bool) -> VisiblePlayer:
    return VisiblePlayer(name=name, color=color, dead=dead)


@lru_cache(maxsize=4096)
def _task_status(task: str, room: str, kind: str, completed: bool, progress: float) -> TaskStatus:
    return TaskStatus(task=task, room=room, kind=kind, completed=completed, progress=progress)  # type: ignore[arg-type]


def _phase_name(game: Game) -> PhaseName:
    if game.is_over:
        return "game_over"
    if game.phase is Phase.TASK:
        return "task"
    return "voting" if game.is_voting else "discussion"


def _in_meeting(phase: PhaseName) -> bool:
    return phase == "discussion" or phase == "voting"


def _phase_change_text(after: PhaseName, game: Game, *, before: PhaseName) -> str:
    t = game.timestep
    if after == "discussion":
        return f"Timestep {t}: a meeting was called; everyone gathers in the Cafeteria to discuss."
    if after == "voting" and not _in_meeting(before):  # a game without discussion rounds
        return f"Timestep {t}: a meeting was called; everyone gathers in the Cafeteria to vote."
    if after == "voting":
        return f"Timestep {t}: the discussion is over; vote to eject a player."
    if after == "task":
        return f"Timestep {t}: the meeting is over; back to the task phase."
    return f"Game over: {game.win_reason}"


def _monologue(game: Game, seat: int) -> str:
    """The seat's private knowledge of itself, in its own words."""
    me = game.players[seat]
    parts = [f"I am {me.name}, {'an impostor' if me.is_impostor else 'a crewmate'}."]
    if me.is_impostor:
        mates = [game.names[s] for s in game.impostor_seats() if s != seat]
        if mates:
            parts.append(
                f"My fellow impostor{'s are' if len(mates) > 1 else ' is'} {', '.join(mates)}."
            )
        parts.append("I must kill crewmates without being caught." if me.alive else "I am dead.")
    else:
        left = sum(1 for t in me.tasks if not t.completed)
        parts.append(f"I have {left} of {len(me.tasks)} tasks left." if me.alive else "I am dead.")
    return " ".join(parts)
