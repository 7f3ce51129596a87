"""Server limits: read from environment variables, overridden by command-line flags.

=============================  ===========================  =======  ==========================
setting                        environment variable         default  meaning
=============================  ===========================  =======  ==========================
``max_sessions``               ``AMONGUS_MAX_SESSIONS``     256      open sessions (WebSocket and
                                                                     HTTP) at once
``session_timeout_s``          ``AMONGUS_SESSION_TIMEOUT_S`` 300     a session with no message for
                                                                     this long is closed
``max_frame_bytes``            ``AMONGUS_MAX_FRAME_BYTES``  65536    largest accepted message
                                                                     (WebSocket frame, HTTP body)
``max_timesteps``              ``AMONGUS_MAX_TIMESTEPS``    500      largest ``max_timesteps`` a
                                                                     reset's config may ask for
``allowed_policies``           ``AMONGUS_ALLOWED_POLICIES`` random,  policies a client may pick for
                                                            heuristic the other seats
``seed_secret``                ``AMONGUS_SEED_SECRET``      none     mixed into every client seed
                                                                     (``openenv_facade.seeding``)
``read_timeout_s``             ``AMONGUS_READ_TIMEOUT_S``   10       a request's headers, then its
                                                                     body, must arrive this fast
``max_connections``            ``AMONGUS_MAX_CONNECTIONS``  none     open connections at once;
                                                                     none: max_sessions + 256
=============================  ===========================  =======  ==========================

A reset that names no policy for a role gets ``default_policy``: ``heuristic`` when it is
allowed, otherwise the first allowed policy.

``max_json_depth`` keeps recursion out of reach of clients: parsing, validating and walking a
decoded value recurse once per level, so over-deep messages are refused before any of that
(``openenv_facade.json_depth``). Real messages nest four or five levels.

``read_timeout_s`` and ``max_connections`` bound slow clients, which uvicorn alone lets hold a
connection forever by sending their headers a byte at a time (``openenv_facade.transport``).

``max_timesteps`` bounds the work one message can cause: when the client's seat dies, the rest
of the game is played in one go.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Final

from openenv_facade.seeding import MIN_SECRET_LENGTH

ENV_PREFIX: Final[str] = "AMONGUS_"


@dataclass(frozen=True, slots=True)
class ServerSettings:
    max_sessions: int = 256
    session_timeout_s: float = 300.0
    max_frame_bytes: int = 65_536
    max_timesteps: int = 500
    max_json_depth: int = 32
    allowed_policies: tuple[str, ...] = ("random", "heuristic")
    #: Never shown: ``repr`` leaves it out, so it cannot reach a log line.
    seed_secret: str | None = field(default=None, repr=False)
    read_timeout_s: float = 10.0
    max_connections: int | None = None

    def __post_init__(self) -> None:
        if self.max_sessions < 1:
            raise ValueError(f"max_sessions must be at least 1, got {self.max_sessions}")
        if not self.session_timeout_s > 0:
            raise ValueError(f"session_timeout_s must be positive, got {self.session_timeout_s}")
        if self.max_frame_bytes < 1024:
            raise ValueError(f"max_frame_bytes must be at least 1024, got {self.max_frame_bytes}")
        if self.max_timesteps < 1:
            raise ValueError(f"max_timesteps must be at least 1, got {self.max_timesteps}")
        if not 8 <= self.max_json_depth <= 256:
            raise ValueError(f"max_json_depth must be in 8..256, got {self.max_json_depth}")
        if not self.allowed_policies:
            raise ValueError("allowed_policies must name at least one policy")
        if not self.read_timeout_s > 0:
            raise ValueError(f"read_timeout_s must be positive, got {self.read_timeout_s}")
        if self.max_connections is not None and self.max_connections < self.max_sessions:
            raise ValueError(
                f"max_connections ({self.max_connections}) must be at least max_sessions "
                f"({self.max_sessions}): every WebSocket session holds a connection"
            )
        if self.seed_secret is not None and len(self.seed_secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"seed_secret must be at least {MIN_SECRET_LENGTH} characters long "
                "(e.g. the output of: python -c 'import secrets; print(secrets.token_hex(16))')"
            )

    @property
    def default_policy(self) -> str:
        """The policy of a role a reset leaves out."""
        return "heuristic" if "heuristic" in self.allowed_policies else self.allowed_policies[0]

    @property
    def connection_limit(self) -> int:
        """Open connections at once: ``max_connections``, or room for every session plus 256
        HTTP clients."""
        return self.max_connections if self.max_connections is not None else self.max_sessions + 256

    @property
    def transport_max_bytes(self) -> int:
        """The WebSocket transport's own message limit. Frames between ``max_frame_bytes`` and
        this get an error reply and the session continues; larger ones close the connection."""
        return max(16 * self.max_frame_bytes, 1 << 20)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> ServerSettings:
        """Settings from ``AMONGUS_*`` variables, then ``overrides`` (``None`` values skipped)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is None or not raw.strip():
                continue
            try:
                values[f.name] = _parse(f.name, raw)
            except ValueError as exc:
                raise ValueError(f"{ENV_PREFIX}{f.name.upper()}={raw!r}: {exc}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)


def parse_policy_list(raw: str) -> tuple[str, ...]:
    """``"random, heuristic"`` -> ``("random", "heuristic")`` (variable and flag alike)."""
    return tuple(p.strip() for p in raw.split(",") if p.strip())


def _parse(name: str, raw: str) -> Any:
    if name == "allowed_policies":
        return parse_policy_list(raw)
    if name in ("session_timeout_s", "read_timeout_s"):
        return float(raw)
    if name == "seed_secret":
        return raw
    return int(raw)
