"""A real, scripted Chat Completions server for the LLM-player tests.

``ScriptedServer`` runs a small FastAPI app under uvicorn on 127.0.0.1 (a free port, bound by
the test) in a background thread. It speaks the two routes LLM players use,
``POST /v1/chat/completions`` and ``GET /v1/models``, checks the bearer key, and answers each
completion from a script: queued steps first (a reply, an HTTP status with headers, a delay, a
body that is not JSON or not a completion, a reply trickled byte by byte), then the default
``responder``. It records every request and the peak
number of completions in flight.
"""

from __future__ import annotations

import asyncio
import random
import re
import socket
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

API_KEY = "test-key"
MODEL = "scripted-model"


@dataclass(frozen=True)
class Answer:
    """A 200 completion whose message content is ``text``."""

    text: str
    usage: bool = True


@dataclass(frozen=True)
class Status:
    """An error status with optional headers."""

    code: int
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Delay:
    """Wait ``seconds`` (longer than the client's timeout, in the timeout tests), then ``then``."""

    seconds: float
    then: Answer | Status


@dataclass(frozen=True)
class NotJson:
    """A 200 response whose body is not JSON."""

    body: str = "<html>oops</html>"


@dataclass(frozen=True)
class Shaped:
    """A 200 response whose JSON body is ``payload`` as it is (for malformed completions)."""

    payload: Any


@dataclass(frozen=True)
class Trickle:
    """``then``'s body sent a byte every ``interval`` seconds: each read is quick, the whole
    response slow."""

    interval: float
    then: Answer


Step = Answer | Status | Delay | NotJson | Shaped | Trickle
Responder = Callable[[dict[str, Any]], str]


def well_formed(memory: str, thinking: str, action: str) -> str:
    return f"[Condensed Memory]\n{memory}\n[Thinking Process]\n{thinking}\n[Action]\n{action}"


_ACTION_LINE = re.compile(r"^\d+\. (.+)$")


def available_actions(body: Mapping[str, Any]) -> list[str]:
    """The numbered "Available actions" of the request's user message."""
    user = body["messages"][-1]["content"]
    listing = user.split("Available actions:\n", 1)[1]
    actions = []
    for line in listing.split("\n"):
        found = _ACTION_LINE.match(line)
        if not found:
            break
        actions.append(found.group(1))
    return actions


class SensiblePlayer:
    """A default responder: a well-formed answer with a seeded pick from the listed actions,
    and a short statement in discussion rounds. ``garbage_every`` makes every n-th answer
    unusable, so tests know exactly how many fallbacks to expect."""

    def __init__(self, seed: int = 0, garbage_every: int = 0) -> None:
        self.rng = random.Random(seed)
        self.garbage_every = garbage_every
        self.answered = 0
        self.garbage_sent = 0

    def __call__(self, body: dict[str, Any]) -> str:
        self.answered += 1
        if self.garbage_every and self.answered % self.garbage_every == 0:
            self.garbage_sent += 1
            return "%%% ### ~~~"
        actions = available_actions(body)
        choice = self.rng.choice(actions)
        if choice.startswith("SPEAK:"):
            choice = f"SPEAK: I was busy with my tasks (answer {self.answered})."
        return well_formed(
            f"memory after answer {self.answered}", f"thinking {self.answered}", choice
        )


class ScriptedServer:
    """See the module docstring. Use as a context manager or call ``start``/``stop``."""

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        models: tuple[str, ...] = (MODEL,),
        api_key: str = API_KEY,
        models_status: int | None = None,
    ) -> None:
        self.responder = responder or SensiblePlayer()
        self.models = models
        self.api_key = api_key
        self.models_status = models_status
        #: Seconds every completion waits before answering (to make requests overlap).
        self.delay = 0.0
        self.script: deque[Step] = deque()
        self.completions: list[dict[str, Any]] = []
        self.model_listings = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # ------------------------------------------------------------------ script
    def push(self, *steps: Step) -> None:
        self.script.extend(steps)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # ------------------------------------------------------------------ app
    def _app(self) -> FastAPI:
        app = FastAPI()

        def authorised(request: Request) -> bool:
            return request.headers.get("authorization") == f"Bearer {self.api_key}"

        @app.get("/v1/models")
        async def models(request: Request) -> Response:
            self.model_listings += 1
            if not authorised(request):
                return JSONResponse({"error": {"message": "bad key"}}, status_code=401)
            if self.models_status is not None:
                return JSONResponse(
                    {"error": {"message": "no listing"}}, status_code=self.models_status
                )
            return JSONResponse(
                {"object": "list", "data": [{"id": m, "object": "model"} for m in self.models]}
            )

        @app.post("/v1/chat/completions")
        async def completions(request: Request) -> Response:
            body = await request.json()
            with self._lock:
                self.completions.append(body)
                self.in_flight += 1
                self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                if not authorised(request):
                    return JSONResponse({"error": {"message": "bad key"}}, status_code=401)
                if body.get("model") not in self.models:
                    return JSONResponse({"error": {"message": "model not found"}}, status_code=404)
                if self.delay:
                    await asyncio.sleep(self.delay)
                step: Step | None = self.script.popleft() if self.script else None
                if isinstance(step, Delay):
                    await asyncio.sleep(step.seconds)
                    step = step.then
                if step is None:
                    # Preflight probes and ordinary turns without a scripted step.
                    step = Answer("OK" if body.get("max_tokens") == 1 else self.responder(body))
                return self._respond(step, body)
            finally:
                with self._lock:
                    self.in_flight -= 1

        return app

    def _respond(self, step: Step, body: Mapping[str, Any]) -> Response:
        if isinstance(step, Status):
            return JSONResponse(
                {"error": {"message": f"scripted {step.code}"}},
                status_code=step.code,
                headers=dict(step.headers),
            )
        if isinstance(step, NotJson):
            return PlainTextResponse(step.body)
        if isinstance(step, Shaped):
            return JSONResponse(step.payload)
        if isinstance(step, Trickle):
            whole = bytes(self._respond(step.then, body).body)

            async def trickle() -> AsyncIterator[bytes]:
                for i in range(len(whole)):
                    await asyncio.sleep(step.interval)
                    yield whole[i : i + 1]

            return StreamingResponse(trickle(), media_type="application/json")
        assert isinstance(step, Answer)
        payload: dict[str, Any] = {
            "id": f"chatcmpl-{len(self.completions)}",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": step.text},
                    "finish_reason": "stop",
                }
            ],
        }
        if step.usage:
            payload["usage"] = {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
        return JSONResponse(payload)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> ScriptedServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app(), log_level="warning", lifespan="off", timeout_graceful_shutdown=5
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the scripted LLM server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=30)
            assert not self._thread.is_alive(), "the scripted LLM server did not stop"
        self._server = self._thread = None

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def unused_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
