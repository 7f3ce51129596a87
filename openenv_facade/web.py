"""The web page at ``/web`` and the state behind its whole-game views.

The page (``openenv_facade/webpage/``: plain HTML, CSS and JavaScript, no build step, nothing
fetched from elsewhere) has three views, all over the ``/ws`` WebSocket:

* **play a seat**: the ordinary ``reset``/``step`` messages, so the page sees exactly the
  seat's observation and nothing more;
* **watch**: ``spectate`` starts a bot-only game owned by the connection, ``spectate_step``
  advances it (the page's pause, step and speed controls decide when to ask);
* **replay**: ``replay`` rebuilds a saved game (an uploaded ``games.jsonl`` line, or a file in
  the server's replay folder, listed by ``replay_files``) and sends all its frames.

Only the last two show roles, and neither can reach a game that a seat is being played in.
The map the page draws comes from ``GET /web/map.json``: the engine's own Skeld data (rooms,
outlines, corridors, vents) and the colours of the ``rgb_array`` renderer.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any, Final

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, JSONResponse, Response

from amongagents.config import PRESETS
from amongagents.skeld import CORRIDORS, MAP_SIZE, ROOM_LABELS, ROOM_POLYGONS, ROOMS, VENTS
from amongus_marl.rendering import COLOR_RGB
from openenv_facade.models import (
    GameView,
    ReplayFiles,
    ReplayParams,
    SpectateParams,
    SpectateStepParams,
)
from openenv_facade.session import SessionError
from openenv_facade.settings import ServerSettings
from openenv_facade.spectator import ReplayFolder, SpectatorGame, replay_view

WEB_MESSAGE_TYPES: Final[tuple[str, ...]] = ("spectate", "spectate_step", "replay", "replay_files")
REPLAY_DIR_VARIABLE: Final[str] = "AMONGUS_REPLAY_DIR"
#: The page's files and their media types: nothing else under /web is served from disk.
PAGE_ASSETS: Final[dict[str, str]] = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
#: The page loads nothing from elsewhere, so the browser may refuse everything else.
CONTENT_SECURITY_POLICY: Final[str] = (
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


class WebViews:
    """Each connection's watched game, and the server's replay folder."""

    def __init__(self, settings: ServerSettings, replay_dir: Path | None = None) -> None:
        self.settings = settings
        if replay_dir is None and os.environ.get(REPLAY_DIR_VARIABLE, "").strip():
            replay_dir = Path(os.environ[REPLAY_DIR_VARIABLE])
        self.folder = ReplayFolder(replay_dir)
        self._watched: dict[str, SpectatorGame] = {}

    def spectate(self, connection: str, params: SpectateParams) -> GameView:
        """A new bot-only game for ``connection`` (replacing the one it watched, if any)."""
        game = SpectatorGame(params, self.settings)  # bad arguments raise before anything changes
        self.forget(connection)
        self._watched[connection] = game
        return game.start()

    def spectate_step(self, connection: str, params: SpectateStepParams) -> GameView:
        game = self._watched.get(connection)
        if game is None:
            raise SessionError("no game to watch on this connection: send spectate first")
        return game.advance(params.steps)

    def replay(self, params: ReplayParams) -> GameView:
        if params.log is not None:
            return replay_view(params.log, self.settings)
        return self.folder.load(params, self.settings)

    def replay_files(self) -> ReplayFiles:
        return self.folder.files()

    def forget(self, connection: str) -> None:
        game = self._watched.pop(connection, None)
        if game is not None:
            game.close()

    def __len__(self) -> int:
        return len(self._watched)


def map_data() -> dict[str, Any]:
    """The Skeld as the page draws it, from the engine's map module."""
    rooms = []
    for room in ROOMS:
        polygon = ROOM_POLYGONS[room]
        xs, ys = [x for x, _ in polygon], [y for _, y in polygon]
        rooms.append(
            {
                "name": room,
                "label": ROOM_LABELS[room],
                "polygon": [list(point) for point in polygon],
                "center": [(min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2],
                "box": [min(xs), min(ys), max(xs), max(ys)],
            }
        )
    return {
        "size": list(MAP_SIZE),
        "rooms": rooms,
        "corridors": [list(pair) for pair in CORRIDORS],
        "vents": [list(pair) for pair in VENTS],
        "colors": {name: "#{:02x}{:02x}{:02x}".format(*rgb) for name, rgb in COLOR_RGB.items()},
    }


def web_message_schemas() -> dict[str, Any]:
    """JSON schemas of the web views' messages, for ``/schema``."""
    return {
        "spectate": SpectateParams.model_json_schema(),
        "spectate_step": SpectateStepParams.model_json_schema(),
        "replay": ReplayParams.model_json_schema(),
        "replay_files": {"type": "null", "description": "no data"},
        "replies": {
            "spectator": GameView.model_json_schema(),
            "replay": GameView.model_json_schema(),
            "replay_files": ReplayFiles.model_json_schema(),
        },
    }


def _asset(name: str) -> bytes:
    return resources.files("openenv_facade").joinpath("webpage", name).read_bytes()


def add_web_routes(app: FastAPI, settings: ServerSettings) -> None:
    """``/web`` (the page), ``/web/<asset>`` and ``/web/map.json`` (the map, plus the game
    presets and policies this server offers, for the page's menus)."""
    skeld = {
        **map_data(),
        "presets": sorted(PRESETS),
        "policies": list(settings.allowed_policies),
        "default_policy": settings.default_policy,
    }
    headers = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-cache"}

    @app.get(
        "/web",
        tags=["Web"],
        summary="The web page: play, watch, replay",
        response_class=HTMLResponse,  # documented as text/html in the OpenAPI contract
    )
    async def page() -> Response:
        return Response(_asset("index.html"), media_type=PAGE_ASSETS["index.html"], headers=headers)

    @app.get("/web/map.json", tags=["Web"], summary="The Skeld map the page draws")
    async def skeld_map() -> JSONResponse:
        return JSONResponse(skeld)

    @app.get("/web/{name}", include_in_schema=False)
    async def asset(name: str) -> Response:
        media_type = PAGE_ASSETS.get(name)
        if media_type is None:
            raise HTTPException(404, {"message": f"no page asset {name!r}", "code": "NOT_FOUND"})
        return Response(_asset(name), media_type=media_type, headers=headers)
