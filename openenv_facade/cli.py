"""``amongus serve``: run the OpenEnv server with uvicorn.

``add_serve_command(subparsers)`` adds the subcommand to an ``argparse`` CLI and
``run_serve(args)`` runs it; ``main()`` is the same command on its own
(``python -m openenv_facade``). Flags override the ``AMONGUS_*`` environment variables
(``openenv_facade.settings``).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openenv_facade.settings import parse_policy_list

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def add_serve_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``serve`` to ``subparsers`` (from ``ArgumentParser.add_subparsers``). The parsed
    namespace carries ``func=run_serve``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="run the OpenEnv server (WebSocket /ws, HTTP, MCP)",
        description="Run the Among Us OpenEnv server. Limits default to the AMONGUS_* environment "
        "variables.",
    )
    add_serve_arguments(parser)
    parser.set_defaults(func=run_serve)
    return parser


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"interface to listen on (default {DEFAULT_HOST})"
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--max-sessions", type=int, help="open sessions at once (AMONGUS_MAX_SESSIONS, default 256)"
    )
    parser.add_argument(
        "--session-timeout",
        type=float,
        help="seconds a session may stay idle (AMONGUS_SESSION_TIMEOUT_S, default 300)",
    )
    parser.add_argument(
        "--max-frame-bytes",
        type=int,
        help="largest message or request body (AMONGUS_MAX_FRAME_BYTES, default 65536)",
    )
    parser.add_argument(
        "--max-timesteps",
        type=int,
        help="largest max_timesteps a game may ask for (AMONGUS_MAX_TIMESTEPS, default 500)",
    )
    parser.add_argument(
        "--max-json-depth",
        type=int,
        help="deepest JSON nesting a message may have (AMONGUS_MAX_JSON_DEPTH, default 32)",
    )
    parser.add_argument(
        "--allowed-policies",
        type=parse_policy_list,
        help="comma-separated policies a client may pick for the other seats "
        "(AMONGUS_ALLOWED_POLICIES, default random,heuristic)",
    )
    parser.add_argument(
        "--read-timeout",
        type=float,
        help="seconds a client has to send a request's headers, then its body "
        "(AMONGUS_READ_TIMEOUT_S, default 10)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        help="open connections at once, WebSocket sessions included "
        "(AMONGUS_MAX_CONNECTIONS, default max-sessions + 256)",
    )
    parser.add_argument(
        "--seed-secret",
        help="mix clients' seeds with this secret (16+ characters) so that a seed reveals no "
        "deal: for evaluation and competitions (AMONGUS_SEED_SECRET, which keeps it out of "
        "the process list; default none)",
    )
    parser.add_argument(
        "--replay-dir",
        metavar="DIR",
        help="folder of game logs (games.jsonl or .jsonl.gz, as `amongus play --log-dir` writes "
        "them) that the web page may replay (AMONGUS_REPLAY_DIR; default none)",
    )
    parser.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )


def run_serve(args: argparse.Namespace) -> int:
    """Serve until interrupted; returns the exit status."""
    import uvicorn

    from openenv_facade.server import create_app
    from openenv_facade.settings import ServerSettings
    from openenv_facade.transport import uvicorn_config

    try:
        settings = ServerSettings.from_env(
            max_sessions=args.max_sessions,
            session_timeout_s=args.session_timeout,
            max_frame_bytes=args.max_frame_bytes,
            max_timesteps=args.max_timesteps,
            max_json_depth=args.max_json_depth,
            allowed_policies=args.allowed_policies,
            seed_secret=args.seed_secret,
            read_timeout_s=args.read_timeout,
            max_connections=args.max_connections,
        )
        replay_dir = Path(args.replay_dir) if args.replay_dir else None
        if replay_dir is not None and not replay_dir.is_dir():
            raise ValueError(f"--replay-dir {args.replay_dir!r} is not a folder")
        app = create_app(settings, replay_dir=replay_dir)
    except ValueError as exc:
        raise SystemExit(f"amongus serve: {exc}") from None
    tune_garbage_collector()
    config = uvicorn_config(app, settings, host=args.host, port=args.port, log_level=args.log_level)
    server = uvicorn.Server(config)
    # uvicorn re-raises the Ctrl-C it shut down on, once it has shut down: that is success.
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    return 0 if server.started else 3  # uvicorn's own status when it could not start


def tune_garbage_collector() -> None:
    """Every turn allocates many short-lived objects and few cycles, and with many open games
    the default thresholds run costly older-generation collections often: at 64 clients they
    tripled the p99 step latency (70 ms against 24 ms; benchmarks/server_throughput.py). Collect
    the youngest generation less often, and keep start-up objects out of collections."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m openenv_facade", description="Run the Among Us OpenEnv server."
    )
    add_serve_arguments(parser)
    return run_serve(parser.parse_args(argv))
