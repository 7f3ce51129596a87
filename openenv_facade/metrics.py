"""What the server is doing, in the Prometheus text format (``GET /metrics``).

Every app has its own ``CollectorRegistry``, so several servers in one process (the tests) keep
separate counts. The metrics:

=================================  =========  ===============================================
``amongus_sessions_open``          gauge      sessions open now (WebSocket and HTTP)
``amongus_sessions_max``           gauge      the server's ``max_sessions``
``amongus_games_started_total``    counter    games started by a reset
``amongus_games_finished_total``   counter    games that reached their end
``amongus_steps_total``            counter    actions the clients' seats played
``amongus_illegal_moves_total``    counter    moves refused by the game (nothing changed)
``amongus_errors_total``           counter    error replies, by ``surface`` (ws, http, mcp)
                                              and ``code`` (the wire's error code)
``amongus_internal_errors_total``  counter    bugs caught while answering, by ``where``
``amongus_step_seconds``           histogram  time to answer a step, other seats' turns included
``amongus_policy_seconds``         histogram  time the other seats' policies took per answer
=================================  =========  ===============================================

Bad requests are counted here rather than logged: a log line per bad request would let any
client fill the server's disk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

#: The media type of ``GET /metrics``.
METRICS_MEDIA_TYPE: Final[str] = CONTENT_TYPE_LATEST
#: A step takes well under a millisecond when the other seats are scripted, and can take
#: seconds when a client's seat dies and the rest of the game is played at once.
LATENCY_BUCKETS: Final[tuple[float, ...]] = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
)


class ServerMetrics:
    """The counters of one server; ``render()`` is the body of ``GET /metrics``."""

    def __init__(self, sessions_open: Callable[[], int], max_sessions: int) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        Gauge("amongus_sessions_open", "Sessions open now", registry=registry).set_function(
            lambda: float(sessions_open())
        )
        Gauge("amongus_sessions_max", "The server's session cap", registry=registry).set(
            max_sessions
        )
        self._games_started = Counter(
            "amongus_games_started", "Games started by a reset", registry=registry
        )
        self._games_finished = Counter(
            "amongus_games_finished", "Games that reached their end", registry=registry
        )
        self._steps = Counter(
            "amongus_steps", "Actions the clients' seats played", registry=registry
        )
        self._illegal_moves = Counter(
            "amongus_illegal_moves", "Moves refused by the game", registry=registry
        )
        self._errors = Counter(
            "amongus_errors", "Error replies", ("surface", "code"), registry=registry
        )
        self._internal_errors = Counter(
            "amongus_internal_errors",
            "Bugs caught while answering a message",
            ("where",),
            registry=registry,
        )
        self._step_seconds = Histogram(
            "amongus_step_seconds",
            "Time to answer a step, the other seats' turns included",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._policy_seconds = Histogram(
            "amongus_policy_seconds",
            "Time the other seats' policies took per answer (reset or step)",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._logged_internal_errors: set[str] = set()

    # ------------------------------------------------------------------ games
    def game_started(self) -> None:
        self._games_started.inc()

    def game_finished(self) -> None:
        self._games_finished.inc()

    def step_played(self, seconds: float) -> None:
        self._steps.inc()
        self._step_seconds.observe(seconds)

    def illegal_move(self) -> None:
        self._illegal_moves.inc()

    def policies_acted(self, seconds: float) -> None:
        self._policy_seconds.observe(seconds)

    # ------------------------------------------------------------------ errors
    def error(self, surface: str, code: str) -> None:
        """One error reply on ``surface`` (``ws``, ``http`` or ``mcp``) with wire code ``code``."""
        self._errors.labels(surface, code).inc()

    def internal_error(self, where: str, log: logging.Logger) -> None:
        """Count a bug caught in ``where``; only its first occurrence is logged with a traceback
        (call from an ``except`` block), so a client repeating the request cannot fill the log."""
        self._internal_errors.labels(where).inc()
        if where not in self._logged_internal_errors:
            self._logged_internal_errors.add(where)
            log.exception("internal error in %s (later ones are only counted in /metrics)", where)

    # ------------------------------------------------------------------ output
    def render(self) -> bytes:
        return generate_latest(self.registry)
