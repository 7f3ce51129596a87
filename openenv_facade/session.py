"""One client's seat (or seats) in one game: the driver behind every server session.

A ``SeatSession`` owns a PettingZoo ``raw_env``. ``reset`` starts a game and pins the client to
one seat, or with ``seats`` to several; ``step`` plays the client's action for the acting held
seat, then lets the other seats' policies act (through ``env.agent_view()``) until a held seat
is to act again or the game is over. If every held seat dies, the rest of the game is played at
once and the observation says ``done``. With several seats each observation is the acting
seat's own, exactly what a single-seat session of that seat would send, and the end reports
every held seat's result.

Perception is the environment's (``env.seat_view``: events since the seat's previous action,
its meeting's chat, its sight, frozen at its death); this module only renders it, with the
seat's own role, tasks and legal moves, into wire models. Hidden information: other players'
roles and anything that happened out of the seat's sight never reach a payload; the server's
logs are the only place where a policy's misbehaviour is reported.

There is no I/O here and no FastAPI: the server calls these methods from its event loop.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
import uuid
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

from amongagents.config import ConfigError, GameConfig, resolve_config
from amongagents.game import Game, IllegalActionError
from amongagents.records import Phase
from amongus_marl.env import raw_env
from amongus_marl.policies import Policy, is_known_policy, make_policy, registered_policies
from amongus_marl.seat_view import SeatView, phase_name
from openenv_facade.actions import legal_game_actions, resolve
from openenv_facade.env_factory import ENV_FACTORY
from openenv_facade.models import (
    ErrorCode,
    GameAction,
    GameObservation,
    GameState,
    PolicyChoice,
    ResetParams,
    SeatResult,
    TaskStatus,
    VisiblePlayer,
)
from openenv_facade.seeding import secret_seed
from openenv_facade.settings import ServerSettings

if TYPE_CHECKING:
    from openenv_facade.metrics import ServerMetrics

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


class SeatSession:
    """The client's seat (or seats) in a game driven through ``amongus_marl.raw_env``."""

    __slots__ = (
        "settings",
        "metrics",
        "env",
        "seat",
        "agent",
        "held",
        "multi",
        "chat",
        "episode_id",
        "step_count",
        "_policies",
        "_fallback_rng",
        "_rewards",
    )

    def __init__(self, settings: ServerSettings, metrics: ServerMetrics | None = None) -> None:
        self.settings = settings
        self.metrics = metrics
        self.env: raw_env | None = None  # built at the first reset, so idle sessions stay small
        self.seat = -1  # the seat of the latest observation: the one to act, while it is
        self.agent = ""
        self.held: tuple[int, ...] = ()
        self.multi = False  # reset with seats: observations say which held seat acts
        self.chat = False  # reset with obs_mode="chat": observations carry messages and tools
        self.episode_id: str | None = None
        self.step_count = 0
        self._policies: dict[bool, Policy] = {}  # is_impostor -> policy
        self._fallback_rng: random.Random | None = None
        self._rewards: dict[int, float] = {}  # held seat -> reward since its previous action

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
        """Start a new game for the client's seat(s) and return the first observation. Bad
        arguments raise ``RequestError`` before anything changes."""
        if params.open_seats is not None or params.game_id is not None or params.token:
            raise RequestError(
                "shared games (open_seats, or game_id with a token) are played over /ws"
            )
        config = self._resolve_config(params.config)
        policies = self._make_policies(params.policies or PolicyChoice(), config.num_players)
        n = config.num_players
        if params.seat is not None and params.seat >= n:
            raise RequestError(
                f"seat {params.seat} is out of range: this game has seats 0..{n - 1}"
            )
        if params.seats is not None:
            if params.seat is not None or params.role is not None:
                raise RequestError("give either seats or seat/role, not both")
            if isinstance(params.seats, list):
                if not params.seats:
                    raise RequestError("seats must name at least one seat")
                if len(set(params.seats)) != len(params.seats):
                    raise RequestError(f"seats {params.seats} repeat a seat")
                bad = [s for s in params.seats if not 0 <= s < n]
                if bad:
                    raise RequestError(
                        f"seats {bad} are out of range: this game has seats 0..{n - 1}"
                    )

        options: dict[str, Any] | None = None
        if params.seat is not None and params.role is not None:
            players: list[dict[str, Any]] = [{} for _ in range(n)]
            players[params.seat] = {"role": params.role}
            options = {"scenario": {"players": players}}

        # An unseeded game gets fresh entropy: session environments are copies of one template,
        # and its seed stream must not make every unseeded game the same game.
        seed = params.seed if params.seed is not None else secrets.randbits(63)
        secret = self.settings.seed_secret
        if params.seed is not None and secret is not None:
            seed = secret_seed(secret, params.seed, params.seat, params.role, config.to_dict())
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

        chat = params.obs_mode == "chat"
        env = self.env
        if env is None or env.game_config != config:
            env = ENV_FACTORY.make(config)
        env.keep_chat_transcripts = chat
        try:
            env.reset(seed=seed, options=options)
        except ConfigError as exc:  # a scenario the config cannot satisfy
            raise RequestError(str(exc)) from None
        game = env.game
        assert game is not None

        if params.seats is not None:
            held = _seats_of(game, params.seats)
        elif params.seat is not None:
            held = (params.seat,)
        elif params.role is not None:
            wanted = params.role == "impostor"
            held = (policy_seeds.choice([p.seat for p in game.players if p.is_impostor == wanted]),)
        else:
            held = (policy_seeds.randrange(n),)
        self.env = env
        self._fallback_rng = fallback_rng
        self._policies = policies
        self.held = held
        self.multi = params.seats is not None
        self.chat = chat
        self._select(held[0])
        self.episode_id = uuid.uuid4().hex if params.episode_id is None else params.episode_id
        self.step_count = 0
        # Non-zero only when the game is over at once (impostors as many as the crew).
        self._rewards = {seat: float(env.rewards[env.possible_agents[seat]]) for seat in held}
        if self.metrics is not None:
            self.metrics.game_started()
        self._play_others()
        return self._observe(None)

    def _select(self, seat: int) -> None:
        self.seat = seat
        assert self.env is not None
        self.agent = self.env.possible_agents[seat]

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
        """Play ``action`` for the acting seat, then the others until a held seat's turn (or
        the end).

        An illegal action changes nothing: the observation repeats the current one with
        ``error`` set and no events. Acting with no game or after the end raises
        ``SessionError``."""
        return self._observe(self.play(action))

    def play(self, action: GameAction | Mapping[str, Any]) -> str | None:
        """Play a move (or an assistant message's tool call) for the acting seat, then the
        policies until a held seat is to act; why the move was refused, if it was (then
        nothing changed). Shared games observe each seat separately (``observe_seat``)."""
        env, game = self._require_turn()
        started = time.perf_counter()
        try:
            if isinstance(action, GameAction):
                env.step(resolve(game, self.seat, action, self._body_visible(game)))
            else:
                env.step(dict(action))
        except IllegalActionError as exc:
            if self.metrics is not None:
                self.metrics.illegal_move()
            return str(exc)
        self.step_count += 1
        self._take_rewards()
        self._play_others()
        if self.metrics is not None:
            self.metrics.step_played(time.perf_counter() - started)
        return None

    def play_fallback(self, policy: Policy) -> str:
        """``policy`` acts for the acting seat (its client was too slow); the move's text."""
        env, game = self._require_turn()
        view = env.agent_view()
        observation = env.observe(env.agent_selection) if policy.obs_mode is not None else None
        choice = policy.act(observation, env.infos[env.agent_selection], view)
        try:
            action = game.resolve(choice if isinstance(choice, str) else view.table[choice])
        except (IllegalActionError, KeyError):
            table = sorted(view.table)
            assert self._fallback_rng is not None
            action = view.table[table[self._fallback_rng.randrange(len(table))]]
        env.step(action)
        self._take_rewards()
        self._play_others()
        return action.text

    def observe_seat(self, seat: int, *, fresh: bool = True) -> GameObservation:
        """Held ``seat``'s observation now (its reward and events handed over when fresh)."""
        self._require_game()
        self._select(seat)
        return self._observe(None, fresh=fresh)

    def step_tool_call(self, message: Mapping[str, Any]) -> GameObservation:
        """Play an assistant message's tool call for the acting seat (``amongus_marl.chat``);
        a malformed or illegal call changes nothing and comes back as ``error``."""
        return self._observe(self.play(message))

    def _require_turn(self) -> tuple[raw_env, Game]:
        env, game = self._require_game()
        if game.is_over:
            raise SessionError(
                f"the game is over ({game.win_reason}); send reset to start a new game"
            )
        return env, game

    def _take_rewards(self) -> None:
        env = self.env
        assert env is not None
        rewards, agents = env.rewards, env.possible_agents
        for seat in self.held:
            self._rewards[seat] += float(rewards[agents[seat]])

    def _play_others(self) -> None:
        """Let the policies act until a held seat is to act or the game ends."""
        env = self.env
        assert env is not None
        game = env.game
        assert game is not None
        held = self.held
        players = game.players
        policy_seconds = 0.0
        while not game.is_over and game.current_seat not in held:
            agent = env.agent_selection
            view = env.agent_view()
            policy = self._policies[players[view.seat].is_impostor]
            # The session's environment renders text; policies that read no observation get none.
            observation = env.observe(agent) if policy.obs_mode is not None else None
            thinking = time.perf_counter()
            choice = policy.act(observation, env.infos[agent], view)
            policy_seconds += time.perf_counter() - thinking
            try:
                env.step(choice)
            except IllegalActionError as exc:
                # A policy bug must not wedge the game: log it (server side only) and play a
                # random legal action instead.
                log.warning("policy %s chose an illegal action for %s: %s", policy.name, agent, exc)
                table = sorted(view.table)
                assert self._fallback_rng is not None
                env.step(table[self._fallback_rng.randrange(len(table))])
            self._take_rewards()
        if self.metrics is not None:
            self.metrics.policies_acted(policy_seconds)
            if game.is_over:
                self.metrics.game_finished()
        if not game.is_over:
            self._select(game.current_seat)

    # ------------------------------------------------------------------ perception
    def _body_visible(self, game: Game) -> bool:
        return any(game.location_info(self.seat).dead)

    def _observe(self, error: str | None, *, fresh: bool = True) -> GameObservation:
        """The acting (or, at the end, latest) seat's observation. Its reward and events since
        its previous action are handed over unless the move was refused (``error``) or the
        observation is only repeated (``fresh`` false)."""
        env = self.env
        game = self.game
        assert env is not None and game is not None
        over = game.is_over
        handing = fresh and error is None
        results = None
        if over and self.multi and handing:
            results = [self._result(env, game, seat) for seat in self.held]
        seat = self.seat
        reward = self._rewards.get(seat, 0.0) if handing else 0.0
        if handing:
            self._rewards[seat] = 0.0
        view = env.seat_view(self.agent)
        events = list(view.events) if handing else []
        observation = self._render(env, game, seat, view, reward, events, error)
        if self.multi:
            observation.acting_seat = None if over else seat
            observation.seat_results = results
        return observation

    def _result(self, env: raw_env, game: Game, seat: int) -> SeatResult:
        player = game.players[seat]
        reward = self._rewards.get(seat, 0.0)
        events = _capped(list(env.seat_view(env.possible_agents[seat]).events))
        if seat != self.seat:
            self._rewards[seat] = 0.0
        return SeatResult(
            seat=seat,
            name=player.name,
            role="impostor" if player.is_impostor else "crewmate",
            alive=player.alive,
            won=player.is_impostor == game.winner.impostors_win,
            reward=reward,
            events=events,
        )

    def _render(
        self,
        env: raw_env,
        game: Game,
        seat: int,
        view: SeatView,
        reward: float,
        events: list[str],
        error: str | None,
    ) -> GameObservation:
        me = game.players[seat]
        sight = view.sight
        tasks = [
            _task_status(t.spot.name, t.spot.room, t.spot.type.value, t.completed, t.progress)
            for t in me.tasks
        ]
        over = game.is_over
        legal = [] if over or game.current_seat != seat else game.legal_actions(seat)
        observation = GameObservation.model_construct(
            done=over,
            reward=reward,
            metadata={"episode_id": self.episode_id},
            seat=seat,
            name=me.name,
            role="impostor" if me.is_impostor else "crewmate",
            alive=me.alive,
            phase=phase_name(game),
            timestep=game.timestep,
            location=sight.location,
            visible_players=[_visible(v.name, v.color, v.dead) for v in sight.visible],
            internal_monologue=_monologue(game, seat),
            chat_history=list(view.chat),
            game_status=game.win_reason if over else "running",
            tasks=tasks,
            legal_actions=legal_game_actions(game, legal),
            prompt=sight.prompt,
            events=_capped(events),
            error=error,
            acting_seat=None,
            seat_results=None,
            messages=env.chat_messages(self.agent) if self.chat else None,
            tools=(env.chat_tools(self.agent) if self.chat else None),
        )
        return observation

    # ------------------------------------------------------------------ state
    def state(self) -> GameState:
        game = self.game
        if game is None:
            return GameState()
        config = game.config
        env = self.env
        assert env is not None
        return GameState(
            episode_id=self.episode_id,
            step_count=self.step_count,
            seat=self.seat,
            phase=phase_name(game),
            timestep=game.timestep,
            max_timesteps=config.max_timesteps,
            discussion_round=game.discussion_round if game.phase is Phase.MEETING else None,
            num_players=config.num_players,
            num_impostors=config.num_impostors,
            living_players=env.known_living(self.agent),
            emergency_meetings_left=max(0, config.max_num_buttons - game.button_uses),
            game_over=game.is_over,
            game_status=game.win_reason if game.is_over else "running",
            seats=list(self.held) if self.multi else None,
        )

    def observation(self) -> GameObservation:
        """The current observation again (no events, no reward)."""
        self._require_game()
        return self._observe(None, fresh=False)

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


def _seats_of(game: Game, seats: list[int] | str) -> tuple[int, ...]:
    """The held seats a reset's ``seats`` names, in seat order for groups."""
    if isinstance(seats, list):
        return tuple(seats)
    if seats == "all":
        return tuple(range(len(game.players)))
    wanted = seats == "impostors"
    return tuple(p.seat for p in game.players if p.is_impostor == wanted)


def _capped(events: list[str]) -> list[str]:
    if len(events) > MAX_EVENTS:
        return [f"({len(events) - MAX_EVENTS + 1} earlier events not shown)"] + events[
            -(MAX_EVENTS - 1) :
        ]
    return events


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
