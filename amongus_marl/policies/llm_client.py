"""An asynchronous client for OpenAI-compatible Chat Completions endpoints.

Only what LLM players need: ``POST {base_url}/chat/completions``, ``GET {base_url}/models`` and a
preflight check. Requests go through ``httpx.AsyncClient`` (one per event loop, so connections are
reused), under a ``ConcurrencyLimiter`` that caps requests in flight across every game sharing it.

Retries. Timeouts, connection errors, HTTP 408, 409, 425, 429 and every 5xx are retried up to
``retries`` times. The wait before retry ``k`` (0-based) is the server's ``Retry-After`` (or
``retry-after-ms``) when it sends one, plus up to ``backoff_base / 2`` of jitter; otherwise
``b / 2 + uniform(0, b / 2)`` with ``b = min(backoff_max, backoff_base * 2**k)``. The jitter comes
from the caller's seeded ``random.Random``. A ``Retry-After`` longer than ``max_retry_after`` ends
the retries at once (a quota, not a hiccup). Other 4xx answers are not retried.

Preflight (``ChatClient.preflight``). ``GET /models`` first: it costs no tokens and proves that
the endpoint is reachable and the key accepted. When the model is listed, that is enough. When
the listing is unavailable or does not name the model (some gateways serve aliases they do not
list), a one-token chat completion decides.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import httpx

#: HTTP statuses worth retrying besides the 5xx range.
RETRY_STATUSES: Final[frozenset[int]] = frozenset({408, 409, 425, 429})
#: At most this many model names are quoted in an error message.
MODELS_QUOTED: Final[int] = 20


class LLMError(RuntimeError):
    """Base class of the LLM players' errors."""


class LLMConfigError(LLMError):
    """The configuration cannot work: no key, a rejected key, an unknown model, a bad URL."""


class LLMUnavailableError(LLMError):
    """The endpoint cannot be reached, or keeps failing."""


class LLMRequestError(LLMError):
    """One request failed for good (after its retries, or with a status not worth retrying)."""

    def __init__(
        self, message: str, *, status: int | None = None, retries: Sequence[Mapping[str, Any]] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retries = list(retries)


class ConcurrencyLimiter:
    """A cap on requests in flight, shared by every policy and game that holds it.

    asyncio primitives belong to one event loop, so the limiter keeps one semaphore per loop;
    all sync ``act`` calls of a process share one background loop, hence one semaphore.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"the concurrency limit must be at least 1, got {limit}")
        self.limit = limit
        self._semaphores: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, asyncio.Semaphore
        ] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        with self._lock:
            semaphore = self._semaphores.get(loop)
            if semaphore is None:
                semaphore = self._semaphores[loop] = asyncio.Semaphore(self.limit)
        return semaphore

    async def __aenter__(self) -> ConcurrencyLimiter:
        await self.semaphore().acquire()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.semaphore().release()

    def __getstate__(self) -> dict[str, Any]:
        # Semaphores and locks do not cross processes; a copy starts empty.
        return {"limit": self.limit}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["limit"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"ConcurrencyLimiter(limit={self.limit})"


_SHARED_LIMITERS: dict[tuple[str, int], ConcurrencyLimiter] = {}
_SHARED_LOCK = threading.Lock()


def shared_limiter(base_url: str, limit: int) -> ConcurrencyLimiter:
    """The process-wide limiter for ``base_url`` with ``limit``: policies built with the same
    endpoint and limit (an impostor and a crewmate model, say) share one cap."""
    key = (base_url.rstrip("/"), limit)
    with _SHARED_LOCK:
        limiter = _SHARED_LIMITERS.get(key)
        if limiter is None:
            limiter = _SHARED_LIMITERS[key] = ConcurrencyLimiter(limit)
        return limiter


@dataclass(frozen=True, slots=True)
class Completion:
    """One chat completion: the text, the token counts the server reported, and the retries."""

    text: str
    usage: dict[str, Any] | None
    model: str | None
    finish_reason: str | None
    attempts: int
    retries: list[dict[str, Any]] = field(default_factory=list)
    latency: float = 0.0  # seconds, retries and waits included


def parse_retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None:
        try:
            return max(0.0, float(milliseconds) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(retry: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with jitter: half the step for sure, the other half at random."""
    step = min(cap, base * 2.0**retry)
    return step / 2 + rng.uniform(0.0, step / 2)


def _retryable(status: int) -> bool:
    return status >= 500 or status in RETRY_STATUSES


def _snippet(response: httpx.Response, limit: int = 300) -> str:
    try:
        text = response.text
    except Exception:  # noqa: BLE001 - an undecodable body is still an error worth reporting
        return "<unreadable body>"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


class ChatClient:
    """Chat Completions requests with timeouts, retries and a shared concurrency cap."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 60.0,
        retries: int = 3,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        max_retry_after: float = 120.0,
        limiter: ConcurrencyLimiter | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise LLMConfigError(
                f"the LLM base URL must start with http:// or https://, got {base_url!r}"
            )
        if retries < 0:
            raise ValueError(f"retries must be at least 0, got {retries}")
        if timeout <= 0:
            raise ValueError(f"the timeout must be positive, got {timeout}")
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.timeout = timeout
        self.retries = retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        self.limiter = limiter or ConcurrencyLimiter(8)
        self.rng = rng or random.Random()
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )

    def __repr__(self) -> str:  # never shows the key
        return (
            f"ChatClient(base_url={self.base_url!r}, timeout={self.timeout}, "
            f"retries={self.retries})"
        )

    # ------------------------------------------------------------------ connections
    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None or client.is_closed:
            client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout),
                headers={"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"},
            )
            self._clients[loop] = client
        return client

    async def aclose(self) -> None:
        """Close this event loop's connections (other loops' clients are left alone)."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()

    # ------------------------------------------------------------------ requests
    async def _request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        retries: int | None = None,
    ) -> tuple[httpx.Response, list[dict[str, Any]]]:
        """Send one request, retrying what is worth retrying. Returns the final response (any
        status below 400, or a 4xx not worth retrying) and the list of retries made."""
        url = f"{self.base_url}{path}"
        allowed = self.retries if retries is None else retries
        made: list[dict[str, Any]] = []
        for attempt in range(allowed + 1):
            retry_after: float | None = None
            status: int | None = None
            try:
                async with self.limiter:
                    # httpx times each connect and read on its own; the deadline is the whole
                    # request's, so a server trickling its reply cannot hold a seat for longer.
                    response = await asyncio.wait_for(
                        self._client().request(method, url, json=body), self.timeout
                    )
            except (httpx.TimeoutException, TimeoutError) as error:
                reason = f"timed out after {self.timeout:g}s ({type(error).__name__})"
            except httpx.HTTPError as error:  # transport failures, undecodable bodies
                reason = f"connection failed ({type(error).__name__}: {error})"
            else:
                status = response.status_code
                if status < 400 or not _retryable(status):
                    return response, made
                reason = f"HTTP {status}: {_snippet(response)}"
                retry_after = parse_retry_after(response.headers)
            if attempt == allowed:
                raise LLMRequestError(
                    f"{method} {url} failed after {attempt + 1} attempt(s): {reason}",
                    status=status,
                    retries=made,
                )
            if retry_after is not None and retry_after > self.max_retry_after:
                raise LLMRequestError(
                    f"{method} {url}: {reason}; the server asks to wait {retry_after:g}s, "
                    "more than "
                    f"max_retry_after={self.max_retry_after:g}s",
                    status=status,
                    retries=made,
                )
            if retry_after is not None:
                delay = retry_after + self.rng.uniform(0.0, self.backoff_base / 2)
            else:
                delay = backoff_delay(attempt, self.backoff_base, self.backoff_max, self.rng)
            made.append(
                {
                    "attempt": attempt + 1,
                    "reason": reason,
                    "retry_after": retry_after,
                    "delay": round(delay, 4),
                }
            )
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # the loop always returns or raises

    async def complete(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        extra_body: Mapping[str, Any] | None = None,
        retries: int | None = None,
    ) -> Completion:
        """One chat completion. Raises ``LLMRequestError`` when it fails for good."""
        body: dict[str, Any] = {"model": model, "messages": [dict(m) for m in messages]}
        if temperature is not None:
            body["temperature"] = temperature
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        body.update(extra_body or {})
        started = time.perf_counter()
        response, made = await self._request("POST", "/chat/completions", body, retries=retries)
        if response.status_code >= 400:
            raise LLMRequestError(
                f"POST {self.base_url}/chat/completions: HTTP {response.status_code}: "
                f"{_snippet(response)}",
                status=response.status_code,
                retries=made,
            )
        try:
            data = response.json()
            choice = data["choices"][0]
            message = choice.get("message") or {}
            if not isinstance(data, dict) or not isinstance(message, dict):
                raise TypeError("a completion and its message are JSON objects")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as error:
            raise LLMRequestError(
                "the chat completion is not in the Chat Completions format "
                f"({type(error).__name__}): "
                f"{_snippet(response)}",
                status=response.status_code,
                retries=made,
            ) from error
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else None
        return Completion(
            text=_content_text(message.get("content")),
            usage=usage,
            model=data.get("model") if isinstance(data.get("model"), str) else None,
            finish_reason=choice.get("finish_reason"),
            attempts=len(made) + 1,
            retries=made,
            latency=time.perf_counter() - started,
        )

    async def list_models(self, *, retries: int | None = None) -> list[str]:
        """The model ids ``GET /models`` lists. Raises ``LLMRequestError`` on failure."""
        response, made = await self._request("GET", "/models", retries=retries)
        if response.status_code >= 400:
            raise LLMRequestError(
                f"GET {self.base_url}/models: HTTP {response.status_code}: {_snippet(response)}",
                status=response.status_code,
                retries=made,
            )
        try:
            entries = response.json().get("data", [])
            return [
                str(entry["id"]) for entry in entries if isinstance(entry, dict) and "id" in entry
            ]
        except (ValueError, AttributeError, TypeError) as error:
            raise LLMRequestError(
                f"GET {self.base_url}/models did not return a model list: {_snippet(response)}",
                status=response.status_code,
            ) from error

    async def preflight(self, model: str, *, retries: int = 1) -> str:
        """Check that the endpoint answers, accepts the key and serves ``model``.

        Returns how the model was confirmed (``"models"`` or ``"completion"``); raises
        ``LLMUnavailableError`` or ``LLMConfigError`` with an explanation otherwise.
        """
        listed: list[str] | None = None
        try:
            listed = await self.list_models(retries=retries)
        except LLMRequestError as error:
            if error.status not in (404, 405, 501):  # those mean: no listing here, probe instead
                raise self._preflight_error(error, model, None) from error
        if listed is not None and model in listed:
            return "models"
        try:
            await self.complete(
                [{"role": "user", "content": "Say OK."}], model=model, max_tokens=1, retries=retries
            )
        except LLMRequestError as error:
            raise self._preflight_error(error, model, listed) from error
        return "completion"

    def _preflight_error(
        self, error: LLMRequestError, model: str, listed: list[str] | None
    ) -> LLMError:
        status = error.status
        if status is None:
            return LLMUnavailableError(
                f"the LLM endpoint {self.base_url} is unreachable: {error}. Check --llm-base-url "
                "(or OPENAI_BASE_URL) and that the server is running."
            )
        if status in (401, 403):
            return LLMConfigError(
                f"the LLM endpoint {self.base_url} rejected the API key (HTTP {status}). Check "
                "--llm-api-key (or OPENAI_API_KEY)."
            )
        if status in (400, 404, 422):
            shown = ""
            if listed is not None:
                names = ", ".join(listed[:MODELS_QUOTED]) + (
                    " ..." if len(listed) > MODELS_QUOTED else ""
                )
                shown = f" It lists: {names or 'no models'}."
            return LLMConfigError(
                f"the LLM endpoint {self.base_url} does not serve model {model!r}: {error}.{shown} "
                "Check --impostor-model / --crewmate-model."
            )
        if _retryable(status):
            return LLMUnavailableError(f"the LLM endpoint {self.base_url} keeps failing: {error}")
        return LLMConfigError(f"the LLM endpoint {self.base_url} refused the check: {error}")


def _content_text(content: Any) -> str:
    """Message content as text: a string, or the text parts of a content-part list."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, dict) and part.get("type", "text") == "text"
        )
    return str(content)
