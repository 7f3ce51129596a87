"""Whole-game views for the web page: a bot-only game to watch, and a saved game to replay.

Both views show everything (every seat's place and role), which is why neither can reach a game
a client is playing: a spectator starts a game of its own in which every seat is a policy, and a
replay rebuilds a finished game from its event log. A ``GameFrame`` is the game after one action;
``FrameRecorder`` turns the engine's state into frames as the game advances, keeping the meeting's
speech and ballots the engine does not keep for it.

Nothing here does I/O except ``load_replay`` and ``replay_files``, which read the server's
replay folder (and only that folder).
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from amongagents.actions import ActionKind
from amongagents.config import ConfigError, GameConfig, resolve_config
from amongagents.game import Game, IllegalActionError
from amongagents.records import Phase
from amongagents.replay import ReplayError, apply_logged_step, new_game_from_log, read_jsonl
from amongus_marl.env import raw_env
from amongus_marl.policies import Policy, make_policy, registered_policies
from openenv_facade.env_factory import ENV_FACTORY
from openenv_facade.models import (
    CastMember,
    FramePlayer,
    GameFrame,
    GameView,
    PhaseName,
    PolicyChoice,
    ReplayFile,
    ReplayFiles,
    ReplayParams,
    SpectateParams,
    Vote,
)
from openenv_facade.session import RequestError, SessionError
from openenv_facade.settings import ServerSettings

DEFAULT_CONFIG: Final[str] = "seven_member"
#: Suffixes of the files a replay folder may serve (``amongus play`` writes ``games.jsonl``).
REPLAY_SUFFIXES: Final[tuple[str, ...]] = (".jsonl", ".jsonl.gz")
_POLICY_SEED_SALT: Final[int] = 0x5EC7_A7E5


def phase_name(game: Game) -> PhaseName:
    if game.is_over:
        return "game_over"
    if game.phase is Phase.TASK:
        return "task"
    return "voting" if game.is_voting else "discussion"


def cast_of(game: Game) -> list[CastMember]:
    return [
        CastMember(
            seat=p.seat,
            name=p.name,
            color=p.color,
            role="impostor" if p.is_impostor else "crewmate",
        )
        for p in game.players
    ]


class FrameRecorder:
    """Frames of one game, one per action, with the meeting's speech and ballots.

    Call ``frame()`` once before the first action and ``after_step()`` after each one."""

    def __init__(self, game: Game) -> None:
        self.game = game
        self._chat: list[str] = []
        self._votes: list[Vote] = []
        self._meeting_result: str | None = None
        self._meeting_results_seen = 0

    def after_step(self, phase_before: Phase) -> GameFrame:
        """The frame of the action just taken; ``phase_before`` is the phase it was taken in."""
        game = self.game
        record = game.steps[-1]
        actor = game.players[record.seat]
        if phase_before is Phase.TASK and game.phase is Phase.MEETING:
            self._chat, self._votes, self._meeting_result = [], [], None
        action = actor.last_action
        if action is not None and action.kind is ActionKind.SPEAK:
            self._chat.append(f"{actor.name}: {action.message}")
        if phase_before is Phase.MEETING and action is not None and action.kind is ActionKind.VOTE:
            assert action.target is not None  # a ballot always names a seat
            self._votes.append(Vote(voter=actor.seat, target=action.target))
        results = [e for e in game.important_events if e.get("player") == "all players"]
        if len(results) > self._meeting_results_seen:
            self._meeting_result = str(results[-1]["action"])
            self._meeting_results_seen = len(results)
        return self.frame(actor=record.seat, action=record.action)

    def frame(self, actor: int | None = None, action: str | None = None) -> GameFrame:
        game = self.game
        over = game.is_over
        in_meeting = game.phase is Phase.MEETING and not over
        return GameFrame(
            step=len(game.steps),
            timestep=game.timestep,
            phase=phase_name(game),
            discussion_round=game.discussion_round if in_meeting else None,
            actor=actor,
            action=action,
            acting_seat=None if over else game.current_seat,
            players=[
                FramePlayer(
                    location=p.location,
                    alive=p.alive,
                    body=not p.alive and not p.reported_death,
                )
                for p in game.players
            ],
            chat=list(self._chat),
            votes=list(self._votes),
            meeting_result=self._meeting_result,
            task_completion=game.task_completion(),
            game_over=over,
            game_status=game.win_reason if over else "running",
        )


def _resolve_config(config: str | Mapping[str, int] | None, settings: ServerSettings) -> GameConfig:
    try:
        resolved = resolve_config(DEFAULT_CONFIG if config is None else config)
    except (ConfigError, TypeError) as exc:
        raise RequestError(f"invalid config: {exc}") from None
    if resolved.max_timesteps > settings.max_timesteps:
        raise RequestError(
            f"invalid config: max_timesteps {resolved.max_timesteps} exceeds this server's "
            f"limit of {settings.max_timesteps}"
        )
    return resolved


def _policy(name: str | None, settings: ServerSettings) -> Policy:
    chosen = settings.default_policy if name is None else name
    if chosen not in settings.allowed_policies or chosen not in registered_policies():
        raise RequestError(
            f"policy {chosen!r} is not offered by this server; "
            f"choose from {sorted(settings.allowed_policies)}"
        )
    return make_policy(chosen)


def spectator_game_seed(seed: int) -> int:
    """The engine seed of the watched game with spectator seed ``seed``. It is not ``seed``
    itself: spectating with the seed of a game someone is playing must not show that game."""
    digest = hashlib.blake2b(f"spectate:{seed}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


class SpectatorGame:
    """A bot-only game that advances only when its spectator asks (pause is not asking)."""

    def __init__(self, params: SpectateParams, settings: ServerSettings) -> None:
        config = _resolve_config(params.config, settings)
        choice = params.policies or PolicyChoice()
        policies = {
            True: _policy(choice.impostor, settings),
            False: _policy(choice.crewmate, settings),
        }
        seed = params.seed if params.seed is not None else secrets.randbits(63)
        policy_seeds = random.Random(seed ^ _POLICY_SEED_SALT)
        for policy in policies.values():
            try:
                policy.reset(seed=policy_seeds.getrandbits(63))
            except Exception as exc:
                raise RequestError(f"policy {policy.name!r} cannot play here: {exc}") from None
        env: raw_env = ENV_FACTORY.make(config)
        env.reset(seed=spectator_game_seed(seed))
        assert env.game is not None
        self.env = env
        self.game: Game = env.game
        self.seed = seed
        self._policies = policies
        self._fallback = random.Random(policy_seeds.getrandbits(63))
        self.recorder = FrameRecorder(self.game)

    def view(self, frames: list[GameFrame]) -> GameView:
        game = self.game
        return GameView(
            mode="spectator",
            config=game.config.to_dict(),
            seed=self.seed,
            cast=cast_of(game),
            frames=frames,
            winner_reason=game.win_reason if game.is_over else None,
        )

    def start(self) -> GameView:
        return self.view([self.recorder.frame()])

    def advance(self, steps: int) -> GameView:
        """Up to ``steps`` actions (none once the game is over), a frame each."""
        env, game = self.env, self.game
        frames: list[GameFrame] = []
        for _ in range(steps):
            if game.is_over:
                break
            agent = env.agent_selection
            view = env.agent_view()
            policy = self._policies[game.players[view.seat].is_impostor]
            observation = env.observe(agent) if policy.obs_mode is not None else None
            choice = policy.act(observation, env.infos[agent], view)
            phase_before = game.phase
            try:
                env.step(choice)
            except IllegalActionError:  # a policy bug must not stop the show
                table = sorted(view.table)
                env.step(table[self._fallback.randrange(len(table))])
            frames.append(self.recorder.after_step(phase_before))
        return self.view(frames)

    def close(self) -> None:
        self.env.close()


# ------------------------------------------------------------------------------------- replays
def replay_view(
    log: Mapping[str, Any], settings: ServerSettings, games_in_file: int | None = None
) -> GameView:
    """Every frame of a logged game, rebuilt and checked step by step by the engine."""
    try:
        config = log["config"]
        steps = log.get("steps", [])
        if not isinstance(config, Mapping) or not isinstance(steps, list):
            raise TypeError("'config' must be an object and 'steps' a list")
        _resolve_config(dict(config), settings)
        game = new_game_from_log(log)
        seeded = log.get("seed") is not None
        recorder = FrameRecorder(game)
        frames = [recorder.frame()]
        for index, step in enumerate(steps):
            phase_before = game.phase
            apply_logged_step(game, step, index, seeded=seeded)
            frames.append(recorder.after_step(phase_before))
    except RequestError:
        raise
    except (
        ReplayError,
        ConfigError,
        KeyError,
        IndexError,
        TypeError,
        ValueError,
        AttributeError,
    ) as exc:
        raise RequestError(f"invalid game log: {exc}") from None
    return GameView(
        mode="replay",
        config=game.config.to_dict(),
        seed=game.seed if seeded else None,
        cast=cast_of(game),
        frames=frames,
        winner_reason=game.win_reason if game.is_over else None,
        games_in_file=games_in_file,
    )


class ReplayFolder:
    """The folder a server may replay logs from; nothing outside it is ever read."""

    def __init__(self, root: Path | None) -> None:
        self.root = None if root is None else root.resolve()

    def files(self) -> ReplayFiles:
        if self.root is None or not self.root.is_dir():
            return ReplayFiles(enabled=self.root is not None, files=[])
        root = self.root
        found = sorted(
            p
            for p in root.rglob("*")
            if p.is_file()
            and p.name.endswith(REPLAY_SUFFIXES)
            and p.resolve().is_relative_to(root)  # a link out of the folder is not offered
        )
        return ReplayFiles(
            enabled=True,
            files=[
                ReplayFile(path=p.relative_to(self.root).as_posix(), bytes=p.stat().st_size)
                for p in found
            ],
        )

    def resolve(self, relative: str) -> Path:
        if self.root is None:
            raise SessionError("this server has no replay folder (AMONGUS_REPLAY_DIR)")
        candidate = (self.root / relative).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.name.endswith(REPLAY_SUFFIXES):
            raise RequestError(
                f"path {relative!r} is not a .jsonl or .jsonl.gz file in the replay folder"
            )
        if not candidate.is_file():
            raise RequestError(f"no file {relative!r} in the replay folder")
        return candidate

    def load(self, params: ReplayParams, settings: ServerSettings) -> GameView:
        assert params.path is not None
        path = self.resolve(params.path)
        chosen: dict[str, Any] | None = None
        count = 0
        try:
            logs: Iterator[dict[str, Any]] = read_jsonl(path)
            for index, log in enumerate(logs):
                if index == params.game:
                    chosen = log
                count += 1
        except (ValueError, OSError, EOFError) as exc:
            raise RequestError(f"cannot read {params.path!r}: {exc}") from None
        if chosen is None:
            raise RequestError(
                f"{params.path!r} holds {count} game(s); game {params.game} is out of range"
            )
        if not isinstance(chosen, dict):
            raise RequestError(f"game {params.game} of {params.path!r} is not a game log")
        return replay_view(chosen, settings, games_in_file=count)
