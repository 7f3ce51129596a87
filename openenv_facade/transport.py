"""The server's HTTP transport: uvicorn, with slow and surplus connections bounded.

uvicorn closes a keep-alive connection that stays idle, but a connection that sends its request
headers a byte at a time is never timed out, and it counts against nothing: a thousand of them
stay open indefinitely, each holding a socket and its buffers, without ever becoming a session.
``GuardedHttpProtocol`` (uvicorn's httptools protocol with two guards) bounds them:

- **read timeout**: a request's headers must be complete within ``read_timeout_s`` of the
  connection opening (or of a kept-alive connection starting its next request); otherwise the
  connection is closed. ``BodyLimits`` gives the body the same time, once the headers are in.
- **connection limit**: past ``connection_limit`` open connections (WebSocket sessions
  included), a new connection is answered 503 and closed at once. uvicorn's own
  ``limit_concurrency`` (set to the same number) answers 503 only once a request's headers are
  complete, which a slow client never lets happen.

``amongus serve`` runs with these guards (``uvicorn_config``); another launcher of
``openenv_facade.server:app`` gets only the body timeout, which lives in the application.

Behind a reverse proxy (nginx, Caddy, a cloud load balancer) the proxy absorbs slow clients
itself; these guards then only meet the proxy's own connections.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from openenv_facade.settings import ServerSettings

_REFUSAL_TEXT = b"the server has too many open connections"
_SERVICE_UNAVAILABLE = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(_REFUSAL_TEXT), _REFUSAL_TEXT)
)


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header read timeout and a hard connection limit.
    ``guarded_protocol(settings)`` makes the subclass that carries a server's two limits."""

    read_timeout_s: float = 10.0
    connection_limit: int = 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.connection_limit:
            transport.write(_SERVICE_UNAVAILABLE)
            transport.close()
            return
        self._arm_header_deadline()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_header_deadline()  # a kept-alive connection's next request

    def on_headers_complete(self) -> None:
        self._disarm_header_deadline()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(
                self.read_timeout_s, self._header_deadline_passed
            )

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _header_deadline_passed(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def guarded_protocol(settings: ServerSettings) -> type[GuardedHttpProtocol]:
    """The protocol class with ``settings``' read timeout and connection limit."""
    return type(
        "GuardedHttpProtocol",
        (GuardedHttpProtocol,),
        {
            "read_timeout_s": settings.read_timeout_s,
            "connection_limit": settings.connection_limit,
        },
    )


def uvicorn_config(
    app: FastAPI,
    settings: ServerSettings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "info",
) -> uvicorn.Config:
    """How ``amongus serve`` (and the tests' servers) run ``app`` under uvicorn."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        http=guarded_protocol(settings),
        limit_concurrency=settings.connection_limit,
        # Frames above max_frame_bytes get an error reply; the transport's own cap is higher.
        ws_max_size=settings.transport_max_bytes,
        # Compression would cost each connection hundreds of KB of zlib state and CPU per frame.
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=5,
    )
