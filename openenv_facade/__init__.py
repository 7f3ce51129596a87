"""The Among Us OpenEnv server (``openenv_facade.server:app``) and its client (``AmongUsEnv``).

One WebSocket session is one client's seat in its own game; the other seats are played by
policies. Importing this package loads neither the server nor the game: the client and the wire
models (``openenv_facade.models``) work without them.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("amongus-marl")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
