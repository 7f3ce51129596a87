"""The ``amongus`` command.

``amongus play``      play games between policies and summarise them (wins, win conditions,
                      game length, kills, ejections, task completion, ratings, a PNG chart).
``amongus ratings``   Deception and Detection ratings (and the chart) from logs ``play`` wrote.
``amongus --version`` the installed version.
``amongus train``     self-play training with Ray RLlib (``amongus_marl.training``, a leaf
                      package: its Ray and torch imports happen when the command runs).

Subcommands are plugins: each package lists its own in the ``amongus.commands`` entry-point
group of its distribution (``[project.entry-points."amongus.commands"]`` in
``pyproject.toml``; the server package adds ``serve`` this way), read here with
``importlib.metadata``, so this module names no other package. An entry point names a function
that receives argparse's subparsers object, adds its parser and sets ``handler`` (or ``func``)
to a callable ``(args) -> int`` with ``set_defaults``; heavy imports belong inside the handler.
Commands are listed by name. One whose module cannot be imported (a missing optional
dependency) is left out with a note on stderr, so it cannot break the others.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

# ``amongus play``'s game log: gzip-compressed JSON Lines once a run ends (a twentieth of the
# plain size), the plain ``games.jsonl`` while it runs; ``amongus ratings`` reads either.
from amongus_marl.evaluation.run_log import GAME_LOG_FILE, PLAIN_GAME_LOG_FILE

if TYPE_CHECKING:
    from amongagents.config import GameConfig

#: The entry-point group subcommands register in.
COMMAND_GROUP: Final[str] = "amongus.commands"
SUMMARY_FILE: Final[str] = "summary.json"
CHART_FILE: Final[str] = "ratings.png"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="amongus", description="Among Us on the Skeld: play, rate, serve."
    )
    parser.add_argument("--version", action="version", version=f"amongus {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name, registrar in _registrars():
        try:
            registrar(subparsers)
        except argparse.ArgumentError as error:  # e.g. two plugins claiming one name
            print(f"amongus: the {name!r} command could not be added: {error}", file=sys.stderr)
    return parser


def command_entry_points() -> list[EntryPoint]:
    """The ``amongus.commands`` entry points of every installed distribution, by name (the
    first of two with one name wins)."""
    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=COMMAND_GROUP):
        found.setdefault(point.name, point)
    return [found[name] for name in sorted(found)]


def _registrars() -> list[tuple[str, Callable[[Any], Any]]]:
    points = command_entry_points()
    if not points:  # a source tree run without installing: this module's own commands
        return [("play", add_play_command), ("ratings", add_ratings_command)]
    registrars = []
    for point in points:
        try:
            registrars.append((point.name, point.load()))
        except (ImportError, AttributeError) as error:
            print(
                f"amongus: the {point.name!r} command is unavailable ({point.value}): {error}",
                file=sys.stderr,
            )
    return registrars


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("amongus-marl")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0.0.0+source"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``amongus`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None) or getattr(args, "func", None)
    if handler is None:
        parser.error(f"the {args.command!r} command registered no handler")
    return int(handler(args) or 0)


# ---------------------------------------------------------------------- play
def add_play_command(subparsers: Any) -> None:
    play = subparsers.add_parser(
        "play",
        help="play games between policies and summarise them",
        description="Play N games with a policy per role (or per seat) and print a summary table "
        "and the policies' Deception/Detection Elo.",
    )
    play.add_argument("--games", type=int, default=100, help="number of games (default 100)")
    play.add_argument(
        "--config",
        default="seven_member",
        help="preset name or a JSON config file (default seven_member)",
    )
    play.add_argument(
        "--impostor",
        default="random",
        help="policy of the impostor seats: random, heuristic, llm or checkpoint:PATH (a run of "
        "`amongus train`) (default random)",
    )
    play.add_argument(
        "--crewmate",
        default="random",
        help="policy of the crewmate seats, as --impostor (default random)",
    )
    play.add_argument(
        "--seat",
        action="append",
        default=[],
        metavar="SEAT=POLICY",
        help="policy of one seat (0-based), whatever its role; repeatable",
    )
    play.add_argument(
        "--seed", type=int, default=0, help="run seed: game i uses engine seed seed*2**32+i"
    )
    play.add_argument(
        "--workers", type=int, default=None, help="processes to play in (default: all cores)"
    )
    play.add_argument(
        "--log-dir",
        type=Path,
        default=None,
        help=f"write {GAME_LOG_FILE} (one event log a line), {SUMMARY_FILE} and {CHART_FILE} here",
    )
    play.add_argument(
        "--resume",
        action="store_true",
        help=f"continue the run in --log-dir: keep the games its {GAME_LOG_FILE} holds (each is "
        "written as soon as it ends) and play only the rest; the options must be the run's",
    )
    play.add_argument(
        "--summary-json", type=Path, default=None, help="write the summary as JSON here"
    )
    play.add_argument(
        "--chart",
        type=Path,
        default=None,
        help=f"write the PNG chart here (default LOG_DIR/{CHART_FILE})",
    )
    play.add_argument(
        "--bootstrap",
        type=int,
        default=100,
        help="bootstrap resamples for the 7vik Elo's intervals (0: none; the fit's intervals "
        "are profile-likelihood ones and need none)",
    )
    play.add_argument(
        "--obs-mode",
        choices=("vector", "text"),
        default=None,
        help="observation passed to every policy (default: what each policy asks for)",
    )
    play.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar, and no warning per LLM fallback (the summary counts them)",
    )
    llm = _llm_module()
    if llm is not None:
        llm.add_llm_arguments(play)
    play.set_defaults(handler=run_play)


def _llm_module() -> Any:
    """``amongus_marl.policies.llm`` (the ``llm`` policy and its command-line options), or None
    if it cannot be imported here (its HTTP client is missing)."""
    try:
        module = importlib.import_module("amongus_marl.policies.llm")
    except ImportError:
        return None
    if not hasattr(module, "add_llm_arguments") or not hasattr(module, "policy_kwargs_from_args"):
        return None
    return module


def _policy_kwargs(args: argparse.Namespace, seats: dict[int, str]) -> dict[str, dict[str, Any]]:
    """Keyword arguments per policy name: the LLM options for ``llm`` seats, for the side(s) it
    plays (a seat override may land on either side, so it counts as both)."""
    llm = _llm_module()
    if llm is None:
        return {}
    sides = {
        side
        for side, name in (("impostor", args.impostor), ("crewmate", args.crewmate))
        if name == "llm"
    }
    if "llm" in seats.values():
        sides = {"impostor", "crewmate"}
    if not sides:
        return {}
    role = next(iter(sides)) if len(sides) == 1 else None
    return {"llm": dict(llm.policy_kwargs_from_args(args, role))}


def _check_llm(kwargs: dict[str, Any]) -> None:
    """Fail before the first game if the LLM options, endpoint, key or models are unusable."""
    from amongus_marl.policies.llm import LLMError, LLMPolicy

    for side in ("impostor", "crewmate"):
        # Playing both sides (role-less kwargs) needs a model for each: a seat dealt the side
        # without one would stop the run mid-game.
        if "model" not in kwargs and not kwargs.get(f"{side}_model"):
            raise SystemExit(
                f"amongus play: 'llm' may play {side} seats here: pass --{side}-model too"
            )
    try:
        LLMPolicy(**kwargs).check()
    except (LLMError, ValueError) as error:
        raise SystemExit(f"amongus play: {error}") from error


def _parse_seats(items: Sequence[str], num_players: int) -> dict[int, str]:
    seats: dict[int, str] = {}
    for item in items:
        seat_text, sep, policy = item.partition("=")
        if not sep or not policy or not seat_text.strip().isdigit():
            raise SystemExit(
                f"amongus play: --seat wants SEAT=POLICY (e.g. 0=heuristic), got {item!r}"
            )
        seat = int(seat_text)
        if not 0 <= seat < num_players:
            raise SystemExit(f"amongus play: seat {seat} is outside 0..{num_players - 1}")
        seats[seat] = policy.strip()
    return seats


def load_config(value: str) -> GameConfig:
    """A preset name, or a JSON file holding a config dict (or ``{"config": {...}}``)."""
    from amongagents.config import ConfigError, resolve_config

    path = Path(value)
    try:
        if path.suffix == ".json" or path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("config"), dict):
                data = data["config"]
            return resolve_config(data)
        return resolve_config(value)
    except (OSError, ValueError, ConfigError) as error:
        raise SystemExit(f"amongus: bad --config {value!r}: {error}") from error


def run_play(args: argparse.Namespace) -> int:
    if getattr(args, "local_model", False):
        return _play_with_local_model(args)
    return _run_play(args)


def _play_with_local_model(args: argparse.Namespace) -> int:
    """``run_play`` against SmolLM2 served on this machine for the run (``--local-model``)."""
    from amongus_marl.policies.local_model import (
        STRUCTURED_DIALECT,
        LocalModelError,
        LocalModelServer,
    )

    if args.llm_base_url is not None:
        raise SystemExit("amongus play: --local-model serves its own endpoint: drop --llm-base-url")
    try:
        with LocalModelServer() as server:
            args.llm_base_url, args.llm_api_key = server.base_url, server.api_key
            args.impostor_model = args.impostor_model or server.model
            args.crewmate_model = args.crewmate_model or server.model
            args.llm_concurrency = 1  # the server answers one request at a time
            if args.llm_structured is not None:
                args.llm_structured = STRUCTURED_DIALECT
            print(f"amongus play: serving {server.model} at {server.base_url}", file=sys.stderr)
            return _run_play(args)
    except LocalModelError as error:
        raise SystemExit(f"amongus play: {error}") from error


def _run_play(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    import amongus_marl.policies  # noqa: F401 - registers the policies
    from amongus_marl.evaluation.run_log import RunLog, RunLogError
    from amongus_marl.evaluation.runner import GameResult, Lineup, default_workers, iter_games
    from amongus_marl.evaluation.stats import format_summary, summarize
    from amongus_marl.policies.base import is_known_policy, make_policy, registered_policies

    if args.games < 1:
        raise SystemExit("amongus play: --games must be at least 1")
    if args.seed < 0:
        raise SystemExit("amongus play: --seed must be a non-negative integer")
    if args.workers is not None and args.workers < 1:
        raise SystemExit("amongus play: --workers must be at least 1 (leave it out: all cores)")
    _check_outputs("amongus play", args)
    config = load_config(args.config)
    seats = _parse_seats(args.seat, config.num_players)
    for name in sorted({args.impostor, args.crewmate, *seats.values()}):
        if not is_known_policy(name):
            raise SystemExit(
                f"amongus play: unknown policy {name!r}; policies: "
                f"{', '.join(registered_policies())}, checkpoint:PATH"
            )
        if ":" in name:  # checkpoint:PATH: load it once here, so a bad path stops the run now
            try:
                trained_for = getattr(make_policy(name), "num_players", config.num_players)
            except (ValueError, ImportError) as error:
                raise SystemExit(f"amongus play: {error}") from error
            if trained_for != config.num_players:
                raise SystemExit(
                    f"amongus play: {name} plays {trained_for}-player games; --config "
                    f"{args.config} has {config.num_players} players"
                )
    lineup = Lineup(args.impostor, args.crewmate, seats)
    policy_kwargs = _policy_kwargs(args, seats)
    workers = args.workers or default_workers()
    if "llm" in policy_kwargs:
        _check_llm(policy_kwargs["llm"])
        # Each worker plays one game at a time with at most one request in flight, so the
        # workers are what --llm-concurrency caps across games.
        workers = min(workers, policy_kwargs["llm"].get("concurrency", workers))
    keep_logs = args.log_dir is not None
    if args.resume and not keep_logs:
        raise SystemExit("amongus play: --resume continues the run in --log-dir: give --log-dir")
    run_log: RunLog | None = None
    if keep_logs:
        identity = {
            "config": config.to_dict(),
            "lineup": lineup.to_dict(),
            "seed": args.seed,
            "obs_mode": args.obs_mode,
        }
        try:
            run_log = RunLog(args.log_dir, identity, args.games, resume=args.resume)
        except RunLogError as error:
            raise SystemExit(f"amongus play: {error}") from None
    to_play = None if run_log is None else run_log.missing()
    print(
        f"amongus play: {args.games} games of {config_label(config)}, {lineup.describe()}, "
        f"seed {args.seed}, {workers} worker(s)"
        + (
            f"; {args.games - len(to_play)} already in {args.log_dir}"
            if args.resume and to_play is not None
            else ""
        ),
        file=sys.stderr,
    )
    unavailable: type[Exception] = (
        _llm_module().LLMUnavailableError if "llm" in policy_kwargs else _NeverRaised
    )
    results: list[GameResult] = []
    stopped: str | None = None
    with (
        _warnings_hidden(args.quiet),
        tqdm(
            total=args.games,
            initial=args.games - len(to_play) if to_play is not None else 0,
            desc="games",
            unit="game",
            file=sys.stderr,
            disable=args.quiet,
        ) as bar,
    ):
        try:
            for result in iter_games(
                config,
                lineup,
                args.games,
                seed=args.seed,
                workers=workers,
                keep_logs=keep_logs,
                obs_mode=args.obs_mode,
                policy_kwargs=policy_kwargs,
                # With a log, each game is handed back (and written) as soon as it ends.
                chunk_size=1 if run_log is not None else None,
                indices=to_play,
            ):
                if run_log is not None:
                    run_log.append(result)
                results.append(result)
                bar.update(1)
        except unavailable as error:  # the endpoint failed for good: keep what was played
            stopped = str(error)
    if run_log is not None:  # the resumed games too, in game order, and the file in game order
        run_log.close()
        results = run_log.results()
        print(f"game logs: {run_log.path}", file=sys.stderr)
    results.sort(key=lambda r: r.index)
    if stopped is not None:
        print(
            f"amongus play: stopped after {len(results)} of {args.games} games: {stopped}",
            file=sys.stderr,
        )
        if not results:
            return 1
    summary = summarize(results)
    summary.update(
        config=config.to_dict(),
        seed=args.seed,
        lineup=lineup.to_dict(),
    )
    if stopped is not None:
        summary["stopped"] = stopped
    from amongus_marl.evaluation.ratings import Match

    matches = [Match.from_result(r) for r in results]
    chart = args.chart or (args.log_dir / CHART_FILE if args.log_dir is not None else None)
    print(describe_config(config))
    print(format_summary(summary))
    summary["ratings"] = _report_ratings(
        matches,
        args.bootstrap,
        args.seed,
        chart,
        f"{config_label(config)}: {len(results)} games, {lineup.describe()}",
        order="seed order",
    )
    if args.log_dir is not None:
        _write_json(args.log_dir / SUMMARY_FILE, summary)
    if args.summary_json is not None:
        _write_json(args.summary_json, summary)
    return 0 if stopped is None else 1


@contextlib.contextmanager
def _warnings_hidden(hidden: bool) -> Iterator[None]:
    """With ``--quiet``, the players' per-decision warnings (an LLM fallback each) are not
    printed either: the summary counts them. Workers are forked inside, so they inherit it."""
    package = logging.getLogger("amongus_marl")
    level = package.level
    if hidden:
        package.setLevel(logging.ERROR)
    try:
        yield
    finally:
        package.setLevel(level)


class _NeverRaised(Exception):
    """Stands in for the LLM endpoint's failure when no seat is played by ``llm``."""


def _check_outputs(command: str, args: argparse.Namespace) -> None:
    """Refuse, before any game is played, output paths that could not be written: a folder
    where a file goes, or a file where a folder is (or would have to be made)."""
    if args.bootstrap < 0:
        raise SystemExit(f"{command}: --bootstrap must be at least 0 (0: no Elo intervals)")
    llm_log_dir = getattr(args, "llm_log_dir", None)
    folders = [
        ("--log-dir", getattr(args, "log_dir", None)),
        ("--llm-log-dir", None if llm_log_dir is None else Path(llm_log_dir)),
    ]
    files = [
        (flag, path)
        for flag, path in (("--chart", args.chart), ("--summary-json", args.summary_json))
        if path is not None
    ]
    for flag, folder in [*folders, *((flag, path.parent) for flag, path in files)]:
        blocker = None if folder is None else _blocking_file(folder)
        if blocker is not None:
            raise SystemExit(
                f"{command}: {flag} needs {folder} as a folder, but {blocker} is a file"
            )
    for flag, path in files:
        if path.is_dir():
            raise SystemExit(f"{command}: {flag} {path} is a directory; name a file")


def _blocking_file(folder: Path) -> Path | None:
    """The file standing at ``folder`` or at one of its parents, which keeps it from being a
    folder; ``None`` when it is one or can be made."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return None if candidate.is_dir() else candidate
    return None


def _report_ratings(
    matches: list[Any],
    bootstrap: int,
    seed: int,
    chart: Path | None,
    title: str,
    *,
    order: str,
) -> dict[str, Any]:
    """Print the ratings table, draw the chart if asked, and return the ratings as a dict: the
    7vik Elo at the top level (as before) and the Bradley–Terry fit under ``bradley_terry``.
    ``order`` says in which order the games were rated (Elo depends on it; the fit does not)."""
    from amongus_marl.evaluation import bradley_terry
    from amongus_marl.evaluation.ratings import (
        INITIAL_RATING,
        K_FACTOR,
        bootstrap_intervals,
        rate,
        win_records,
    )

    elo = rate(matches)
    elo_intervals = (
        bootstrap_intervals(matches, rounds=bootstrap, seed=seed) if bootstrap > 0 else None
    )
    fitted = bradley_terry.fit(matches)
    # Profile-likelihood intervals need no resampling (and stay honest when a side won every
    # game; see bradley_terry), so the fit always has them.
    fitted_intervals = bradley_terry.profile_intervals(matches)
    one_sided = bradley_terry.one_sided_seatings(matches)
    records = win_records(matches)
    print(
        f"ratings: Bradley-Terry fit over all {len(matches)} games (Elo scale, mean "
        f"{INITIAL_RATING:g}, 95% profile-likelihood interval); 7vik Elo (K={K_FACTOR:g}, "
        f"start {INITIAL_RATING:g}, games in {order})"
    )
    print(
        f"  {'policy':16}{'Deception':>20}{'Detection':>20}{'Deception Elo':>15}"
        f"{'Detection Elo':>15}{'win as imp.':>13}{'win as crew':>13}"
    )
    for policy in sorted(set(fitted.policies) | set(elo.policies)):
        cells = []
        for side in ("deception", "detection"):
            value = getattr(fitted, side).get(policy)
            spread = getattr(fitted_intervals, side)
            if value is None:
                cells.append(f"{'-':>20}")
            elif policy in spread:
                open_end = fitted_intervals.open_ends.get(side, {}).get(policy)
                cells.append(_interval_cell(value, spread[policy], open_end))
            else:
                cells.append(f"{value:>20.0f}")
        for side in ("deception", "detection"):
            value = getattr(elo, side).get(policy)
            cells.append(f"{'-':>15}" if value is None else f"{value:>15.0f}")
        sides = []
        for side in ("impostor", "crewmate"):
            wins, games = records.get(policy, {}).get(side, (0, 0))
            sides.append(f"{100 * wins / games:>12.1f}%" if games else f"{'-':>13}")
        print(f"  {policy:16}{cells[0]:>20}{cells[1]:>20}{cells[2]}{cells[3]}{sides[0]}{sides[1]}")
    if fitted_intervals.open_ends:
        print(
            "  (>= x) / (<= x): x is the 95% limit the games set; they set none on the other side"
            " (the JSON's end there is the prior's); (no limits): they set none on either side"
        )
    for seating in one_sided:
        print(f"  {seating.describe()}")
    result: dict[str, Any] = elo.to_dict()
    result["k_factor"] = K_FACTOR
    result["initial_rating"] = INITIAL_RATING
    if elo_intervals is not None:
        result["intervals"] = elo_intervals.to_dict()
    result["bradley_terry"] = bradley_terry.to_dict(fitted, fitted_intervals, one_sided)
    if chart is not None:
        from amongus_marl.evaluation.chart import draw_chart

        draw_chart(records, fitted, chart, intervals=fitted_intervals, elo=elo, title=title)
        print(f"chart: {chart}", file=sys.stderr)
    return result


def _interval_cell(value: float, interval: tuple[float, float], open_end: str | None) -> str:
    """A rating and its interval in 21 characters; an end the data leave open is not shown as
    a number (it is the prior's), so a one-sided interval reads "at least" or "at most"."""
    low, high = interval
    if open_end == "upper":
        return f"{value:>6.0f} (>= {low:>5.0f})    "
    if open_end == "lower":
        return f"{value:>6.0f} (<= {high:>5.0f})    "
    if open_end == "both":
        return f"{value:>6.0f} (no limits)    "
    return f"{value:>6.0f} [{low:>5.0f}, {high:>5.0f}]"


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------- ratings
def add_ratings_command(subparsers: Any) -> None:
    ratings = subparsers.add_parser(
        "ratings",
        help="Deception/Detection ratings (fit and 7vik Elo) from `amongus play --log-dir` logs",
        description=f"Read the game logs in LOGDIR (its {GAME_LOG_FILE} or {PLAIN_GAME_LOG_FILE} "
        "from `amongus play` when "
        "there is one, else every *.jsonl / *.jsonl.gz file) or one log file, print the "
        "policies' Deception and Detection Elo, and write the chart.",
    )
    ratings.add_argument(
        "logs", type=Path, metavar="LOGDIR", help="a log directory or a JSONL log file"
    )
    ratings.add_argument(
        "--chart", type=Path, default=None, help=f"PNG chart path (default LOGDIR/{CHART_FILE})"
    )
    ratings.add_argument(
        "--bootstrap",
        type=int,
        default=100,
        help="bootstrap resamples for the 7vik Elo's intervals (0: none; the fit's intervals "
        "are profile-likelihood ones and need none)",
    )
    ratings.add_argument(
        "--seed",
        type=int,
        default=None,
        help=f"seed of the bootstrap resampling (default: the run's seed from LOGDIR/{SUMMARY_FILE}"
        ", as `amongus play` used it; else 0)",
    )
    ratings.add_argument(
        "--summary-json", type=Path, default=None, help="write the ratings as JSON here"
    )
    ratings.set_defaults(handler=run_ratings)


def run_ratings(args: argparse.Namespace) -> int:
    from amongagents.replay import read_jsonl
    from amongus_marl.evaluation.ratings import Match

    source: Path = args.logs
    _check_outputs("amongus ratings", args)
    if source.is_dir():
        files = _game_log_files(source)
    elif source.is_file():
        files = [source]
    else:
        raise SystemExit(f"amongus ratings: no such file or directory: {source}")
    matches: list[Match] = []
    configs: dict[str, None] = {}  # the configs' labels, in the order met
    try:
        for path in files:
            for log in read_jsonl(path):
                matches.append(Match.from_log(log))
                configs[_logged_config_label(log)] = None
    except ValueError as error:  # JSON errors included
        raise SystemExit(f"amongus ratings: {error}") from error
    except (OSError, EOFError) as error:  # a corrupt or cut-off .gz file, an unreadable one
        raise SystemExit(f"amongus ratings: cannot read the logs: {error}") from error
    if not matches:
        raise SystemExit(f"amongus ratings: no game logs in {source}")
    print(f"amongus ratings: {len(matches)} games from {len(files)} file(s)", file=sys.stderr)
    folder = source if source.is_dir() else source.parent
    chart = args.chart or (folder / CHART_FILE)
    run = _run_summary(folder / SUMMARY_FILE)
    seed = args.seed if args.seed is not None else _run_seed(run)
    result = _report_ratings(
        matches,
        args.bootstrap,
        seed,
        chart,
        f"{' + '.join(configs)}: {len(matches)} games, {_lineup_label(run, matches)}",
        order="log order (files by name)",
    )
    if args.summary_json is not None:
        _write_json(args.summary_json, {"games": len(matches), "ratings": result})
    return 0


def _game_log_files(folder: Path) -> list[Path]:
    """The game logs of a folder: ``amongus play``'s log when it is there (the folder may also
    hold the LLM players' prompt logs), else every ``*.jsonl`` / ``*.jsonl.gz`` file. Of a
    ``games.jsonl.gz`` and a ``games.jsonl`` side by side, the newer is the run's."""
    own = [
        path for path in (folder / GAME_LOG_FILE, folder / PLAIN_GAME_LOG_FILE) if path.is_file()
    ]
    if own:
        newest = max(own, key=lambda path: path.stat().st_mtime)
        if len(own) > 1:
            print(f"amongus ratings: reading {newest.name}, the newer game log", file=sys.stderr)
        return [newest]
    return sorted(p for p in folder.iterdir() if p.name.endswith((".jsonl", ".jsonl.gz")))


def _run_summary(path: Path) -> dict[str, Any]:
    """The summary ``amongus play --log-dir`` wrote beside its logs, or ``{}``."""
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return summary if isinstance(summary, dict) else {}


def _run_seed(summary: dict[str, Any]) -> int:
    """The seed of the run that wrote ``summary``, or 0."""
    seed = summary.get("seed", 0)
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else 0


def config_label(config: GameConfig) -> str:
    """A config's preset name, or its player and impostor counts when it is no preset."""
    from amongagents.config import PRESETS

    for name, preset in PRESETS.items():
        if preset == config:
            return name
    return f"custom config ({config.num_players} players, {config.num_impostors} impostors)"


def describe_config(config: GameConfig) -> str:
    """The line ``amongus play`` opens its summary with: which config the games were played
    with, every rule parameter spelled out."""
    values = ", ".join(f"{key}={value}" for key, value in config.to_dict().items())
    return f"config: {config_label(config)} ({values})"


def _logged_config_label(log: dict[str, Any]) -> str:
    from amongagents.config import ConfigError, resolve_config

    try:
        return config_label(resolve_config(log.get("config")))
    except (ConfigError, TypeError, AttributeError):
        return "unknown config"


def _lineup_label(summary: dict[str, Any], matches: Sequence[Any]) -> str:
    """The run's lineup as ``amongus play`` described it (from its summary), else which policies
    the logs show on each side."""
    lineup = summary.get("lineup")
    if isinstance(lineup, dict) and {"impostor", "crewmate"} <= set(lineup):
        text = f"impostor={lineup['impostor']} crewmate={lineup['crewmate']}"
        seats = lineup.get("seats")
        if isinstance(seats, dict):
            for seat, policy in sorted(seats.items(), key=lambda item: (len(item[0]), item[0])):
                text += f" seat{seat}={policy}"
        return text
    impostors = sorted({p for m in matches for p in m.impostors})
    crewmates = sorted({q for m in matches for q in m.crewmates})
    return f"impostor={'/'.join(impostors)} crewmate={'/'.join(crewmates)}"


if __name__ == "__main__":
    sys.exit(main())
