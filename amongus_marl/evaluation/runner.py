"""Play whole games with a policy on every seat, fast, on one or many cores.

The runner drives the bare environment (``amongus_marl.env.raw_env``) on engine games it seeds
itself, so policies see exactly what they see in the environment (the same catalogue indices,
``AgentView`` and action resolution), but observations nobody reads are never built: a policy gets
``{"observation": ..., "action_mask": ...}`` only if it asks for one with an ``obs_mode``
attribute (``"vector"`` or ``"text"``), or if the caller forces one; otherwise it gets ``None``.

Seating. A ``Lineup`` names a policy for the impostors, one for the crewmates, and optional
per-seat overrides. The game draws roles first; the lineup is then applied to the drawn roles.
All seats that share a policy name are played by one policy object, which must keep its memory
per seat (``reset`` is called with a fresh seed before every game).

Seeds. Game ``i`` of a run with seed ``s`` uses the engine seed ``game_seed(s, i)``, and each policy
object is reset with a seed derived from that game seed and the policy's name. A game's result
therefore does not depend on which worker played it or in which order.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from amongagents.config import GameConfig, resolve_config
from amongagents.game import Game
from amongagents.records import WinCode
from amongus_marl.env import raw_env
from amongus_marl.observations import text_observation
from amongus_marl.policies.base import Policy, make_policy

OBS_MODES: Final[tuple[str, ...]] = ("vector", "text")
#: Engine seeds of one run are spaced this far apart per run seed.
SEED_STRIDE: Final[int] = 1 << 32
#: A game that has not ended after this many actions is a policy bug (presets need ~100-400).
MAX_ACTIONS_PER_GAME: Final[int] = 200_000

PolicySpec = str | Policy


@dataclass(frozen=True)
class Lineup:
    """Which policy plays which seat: by role, with per-seat overrides (seat -> policy)."""

    impostor: PolicySpec = "random"
    crewmate: PolicySpec = "random"
    seats: Mapping[int, PolicySpec] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Results and ratings are kept by policy name, so one name must mean one policy.
        by_name: dict[str, PolicySpec] = {}
        for spec in (self.impostor, self.crewmate, *self.seats.values()):
            name = policy_name(spec)
            known = by_name.setdefault(name, spec)
            if known is not spec and not (isinstance(known, str) and isinstance(spec, str)):
                raise ValueError(
                    f"two different policies are both named {name!r}; give each its own name "
                    "(its 'name' attribute) so that results and ratings can tell them apart"
                )

    def spec_for(self, seat: int, is_impostor: bool) -> PolicySpec:
        if seat in self.seats:
            return self.seats[seat]
        return self.impostor if is_impostor else self.crewmate

    def describe(self) -> str:
        text = f"impostor={policy_name(self.impostor)} crewmate={policy_name(self.crewmate)}"
        for seat in sorted(self.seats):
            text += f" seat{seat}={policy_name(self.seats[seat])}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "impostor": policy_name(self.impostor),
            "crewmate": policy_name(self.crewmate),
            "seats": {str(seat): policy_name(spec) for seat, spec in sorted(self.seats.items())},
        }


def policy_name(spec: PolicySpec) -> str:
    return spec if isinstance(spec, str) else str(getattr(spec, "name", type(spec).__name__))


@dataclass(frozen=True)
class GameResult:
    """The outcome of one game and the counts the summaries are made of."""

    index: int
    seed: int
    winner: int  # a WinCode value
    timesteps: int
    actions: int
    kills: int
    ejected: tuple[int, ...]  # seats voted out, in order
    task_completion: float  # the engine's task bar at the end (living crewmates' tasks)
    impostor_seats: tuple[int, ...]
    policies: tuple[str, ...]  # policy name per seat
    log: dict[str, Any] | None = None  # the engine event log, if asked for
    #: Per policy name, the decisions it made and how many fell back to a default action (only
    #: policies that count fallbacks, such as ``llm``, appear).
    fallbacks: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def impostors_win(self) -> bool:
        return WinCode(self.winner).impostors_win

    @property
    def impostors_ejected(self) -> int:
        return sum(1 for seat in self.ejected if seat in self.impostor_seats)

    @property
    def impostor_policies(self) -> tuple[str, ...]:
        return tuple(self.policies[s] for s in self.impostor_seats)

    @property
    def crewmate_policies(self) -> tuple[str, ...]:
        return tuple(p for s, p in enumerate(self.policies) if s not in self.impostor_seats)


def game_seed(run_seed: int, index: int) -> int:
    return run_seed * SEED_STRIDE + index


def policy_seed(seed: int, name: str) -> int:
    """A policy's per-game seed; crc32 rather than ``hash`` so it is stable across processes."""
    return (seed * 1_000_003 + zlib.crc32(name.encode())) % (1 << 63)


class GameRunner:
    """Plays games of one config and lineup; keeps its environment and policy objects."""

    def __init__(
        self,
        config: str | Mapping[str, Any] | GameConfig,
        lineup: Lineup,
        *,
        keep_logs: bool = False,
        obs_mode: str | None = None,
        policy_kwargs: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        if obs_mode is not None and obs_mode not in OBS_MODES:
            raise ValueError(f"obs_mode must be one of {OBS_MODES} or None, got {obs_mode!r}")
        self.config = resolve_config(config)
        self.lineup = lineup
        self.keep_logs = keep_logs
        self.obs_mode = obs_mode
        self._policy_kwargs = dict(policy_kwargs or {})
        self._policies: dict[str, Policy] = {}
        self._envs: dict[str, raw_env] = {}

    def _policy(self, spec: PolicySpec) -> Policy:
        name = policy_name(spec)
        policy = self._policies.get(name)
        if policy is None:
            if isinstance(spec, str):
                policy = make_policy(spec, **self._policy_kwargs.get(name, {}))
            else:
                policy = spec
            self._policies[name] = policy
        return policy

    def _env(self, obs_mode: str) -> raw_env:
        env = self._envs.get(obs_mode)
        if env is None:
            env = raw_env(config=self.config, obs_mode=obs_mode)
            self._envs[obs_mode] = env
        return env

    def play(self, index: int, seed: int) -> GameResult:
        """Play one game with engine seed ``seed`` to the end."""
        game = Game(self.config, seed=seed)
        specs = [self.lineup.spec_for(p.seat, p.is_impostor) for p in game.players]
        seat_policies = [self._policy(spec) for spec in specs]
        names = tuple(policy_name(spec) for spec in specs)
        for name in sorted(set(names)):
            self._policies[name].reset(policy_seed(seed, name))
        modes = [self.obs_mode or getattr(policy, "obs_mode", None) for policy in seat_policies]
        # The bare environment builds an observation only when asked for one; in text mode it
        # keeps no vector observers either, so that is the cheap mode for policies reading none.
        env = self._env("vector" if "vector" in modes else "text")
        env.reset_from_game(game)
        agents = env.possible_agents
        actions = 0
        while not game.is_over:
            seat = game.current_seat
            view = env.agent_view()
            mode = modes[seat]
            if mode is None:
                observation: Any = None
            elif mode == env.obs_mode:
                observation = env.observe(agents[seat])  # {"observation": ..., "action_mask": ...}
            else:
                observation = {
                    "observation": text_observation(game, seat),
                    "action_mask": view.mask,
                }
            choice = seat_policies[seat].act(observation, env.infos[agents[seat]], view)
            env.step(choice)
            actions += 1
            if actions > MAX_ACTIONS_PER_GAME:
                raise RuntimeError(
                    f"game {index} (seed {seed}) did not end after {actions} actions"
                )
        fallbacks = {}
        for name in sorted(set(names)):
            counter = getattr(self._policies[name], "game_stats", None)
            if counter is not None:
                stats = counter(game)
                fallbacks[name] = {"decisions": stats["decisions"], "fallbacks": stats["fallbacks"]}
        return _result(
            index,
            game,
            actions,
            names,
            fallbacks,
            _run_log(game.event_log(), names, fallbacks) if self.keep_logs else None,
        )


def _result(
    index: int,
    game: Game,
    actions: int,
    names: tuple[str, ...],
    fallbacks: dict[str, dict[str, int]],
    log: dict[str, Any] | None,
) -> GameResult:
    return GameResult(
        index=index,
        seed=game.seed,
        winner=int(game.winner),
        timesteps=game.timestep,
        actions=actions,
        kills=len(game.dead_seats) - len(game.ejected_seats),
        ejected=tuple(game.ejected_seats),
        task_completion=game.task_completion(),
        impostor_seats=tuple(game.impostor_seats()),
        policies=names,
        log=log,
        fallbacks=fallbacks,
    )


def _run_log(
    log: dict[str, Any], names: Sequence[str], fallbacks: Mapping[str, Mapping[str, int]]
) -> dict[str, Any]:
    """The event log plus a ``policies`` key (policy name per seat) and, for policies that count
    them, a ``fallbacks`` key; replay ignores both."""
    log["policies"] = list(names)
    if fallbacks:
        log["fallbacks"] = {name: dict(counts) for name, counts in fallbacks.items()}
    return log


def result_from_log(index: int, log: dict[str, Any]) -> GameResult:
    """The result of game ``index`` of a run, rebuilt from the log the run wrote (replayed, so a
    log that is not the game it claims raises ``ReplayError``)."""
    from amongagents.replay import replay

    game = replay(log)
    fallbacks = {
        str(name): {"decisions": int(c["decisions"]), "fallbacks": int(c["fallbacks"])}
        for name, c in log.get("fallbacks", {}).items()
    }
    return _result(index, game, len(log["steps"]), tuple(log["policies"]), fallbacks, log)


# ---------------------------------------------------------------------- many games
@dataclass(frozen=True)
class _Job:
    config: GameConfig
    lineup: Lineup
    keep_logs: bool
    obs_mode: str | None
    policy_kwargs: Mapping[str, Mapping[str, Any]]

    def runner(self) -> GameRunner:
        return GameRunner(
            self.config,
            self.lineup,
            keep_logs=self.keep_logs,
            obs_mode=self.obs_mode,
            policy_kwargs=self.policy_kwargs,
        )


_worker_runner: GameRunner | None = None


def _init_worker(job: _Job) -> None:
    global _worker_runner
    _worker_runner = job.runner()


def _play_chunk(
    chunk: Sequence[tuple[int, int]],
) -> tuple[list[GameResult], BaseException | None]:
    """The chunk's games, and the error that stopped it early (its finished games are kept)."""
    assert _worker_runner is not None, "the worker was not initialised"
    results: list[GameResult] = []
    for index, seed in chunk:
        try:
            results.append(_worker_runner.play(index, seed))
        except Exception as error:
            # The traceback does not cross the process boundary: keep it as a note.
            error.add_note(f"in a worker process:\n{traceback.format_exc()}")
            return results, error
    return results, None


def default_workers() -> int:
    """The cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def iter_games(
    config: str | Mapping[str, Any] | GameConfig,
    lineup: Lineup,
    games: int,
    *,
    seed: int = 0,
    workers: int = 1,
    keep_logs: bool = False,
    obs_mode: str | None = None,
    policy_kwargs: Mapping[str, Mapping[str, Any]] | None = None,
    chunk_size: int | None = None,
    indices: Sequence[int] | None = None,
) -> Iterator[GameResult]:
    """Yield game results as they finish (in no particular order when ``workers > 1``).
    ``indices`` plays only those games of the run (a resumed run's missing ones)."""
    job = _Job(resolve_config(config), lineup, keep_logs, obs_mode, dict(policy_kwargs or {}))
    seeds = [(i, game_seed(seed, i)) for i in (range(games) if indices is None else indices)]
    if not seeds:
        return
    workers = max(1, min(workers, len(seeds)))
    if workers == 1:
        runner = job.runner()
        for index, s in seeds:
            yield runner.play(index, s)
        return
    size = chunk_size or max(1, min(25, len(seeds) // (workers * 8)))
    chunks = [seeds[i : i + size] for i in range(0, len(seeds), size)]
    # fork is cheap and inherits registered policies; where it is missing, spawn re-imports.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with context.Pool(workers, initializer=_init_worker, initargs=(job,)) as pool:
        for chunk_results, error in pool.imap_unordered(_play_chunk, chunks):
            yield from chunk_results
            if error is not None:  # after the games finished before it, as with one worker
                raise error


def run_games(
    config: str | Mapping[str, Any] | GameConfig,
    lineup: Lineup,
    games: int,
    *,
    seed: int = 0,
    workers: int = 1,
    keep_logs: bool = False,
    obs_mode: str | None = None,
    policy_kwargs: Mapping[str, Mapping[str, Any]] | None = None,
    progress: Callable[[GameResult], None] | None = None,
) -> list[GameResult]:
    """Play ``games`` games and return their results in game order.

    ``workers > 1`` plays them in that many processes (policies are then named, not objects);
    ``progress`` is called once per finished game (e.g. to advance a progress bar).
    """
    results = []
    for result in iter_games(
        config,
        lineup,
        games,
        seed=seed,
        workers=workers,
        keep_logs=keep_logs,
        obs_mode=obs_mode,
        policy_kwargs=policy_kwargs,
    ):
        results.append(result)
        if progress is not None:
            progress(result)
    results.sort(key=lambda r: r.index)
    return results
