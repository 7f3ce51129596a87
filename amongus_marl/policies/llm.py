"""``llm``: a player driven by any OpenAI-compatible Chat Completions endpoint.

Each turn the model gets a role-specific system prompt (rules, map and goals, generated from the
game's config and map data; see ``llm_prompts``) and a user message in the reference's shape:
its previous thinking, the 7vik information block, its condensed memory and a phase hint. It
answers with ``[Condensed Memory]``, ``[Thinking Process]`` and ``[Action]``; memory and thinking
carry over to the seat's next turn. The action is matched tolerantly to a legal action
(``llm_prompts.match_action``); ``SPEAK: …`` keeps the message and ``VIEW MONITOR <room>`` the
room. An unusable answer, or a request that fails for good, falls back to ``SPEAK: ...`` in a
discussion round and otherwise to a random legal action from the seat's seeded generator. Every
fallback is counted (``decisions``, ``fallbacks``, ``fallback_rate``, ``stats()``, and per game
``game_stats(game)``) and logged.

Prompt styles. ``prompt_style="full"`` (the default) is the above; ``"compact"`` is for small
models: a short system prompt and a one-line answer, no memory or thinking (``llm_prompts``);
free-form, a task-phase or voting turn comes after a made-up one of its kind that shows the
answer's format (``compact_examples``).

Sampling seeds. Every request carries ``seed``, drawn from the policy seed, the game's seed, the
step and the seat, so a seeded run asks a server that honours it (llama.cpp, vLLM; OpenAI on a
best-effort basis) for the same sample again: a game replays, and a test of a real model does
not pass or fail by the sampler's luck. A ``seed`` in ``extra_body`` wins.

Structured output. With ``structured_output="json_schema"`` (OpenAI, vLLM, ``llama-server``) or
``"json_object"`` (``llama-cpp-python``'s server), every request carries ``response_format``
with a JSON Schema whose ``action`` is an enum of the legal actions (``llm_structured``); an
answer naming one exactly counts as the match rule ``structured``. An answer that is not JSON,
or whose action is not in the enum, is read by the tolerant matcher like a free-form one.

Configuration: ``base_url`` and ``api_key`` default to the ``OPENAI_BASE_URL`` and
``OPENAI_API_KEY`` environment variables (the URL then to ``https://api.openai.com/v1``); a local
server that ignores keys still needs some non-empty key. ``model`` names the model;
``impostor_model`` and ``crewmate_model`` override it per role, so one policy object can play both
sides with different models (the runner keeps one object per policy name).

Preflight. ``check()`` (``check_async()``) fails fast with ``LLMConfigError`` (no model at all, no
key, a rejected key, an unknown model) or ``LLMUnavailableError`` (nothing answers). For each
configured model it calls ``GET /models`` and, when the model is not listed there, a one-token
chat completion (``ChatClient.preflight``). A seat whose role has no model raises
``LLMConfigError`` on its first turn. With ``preflight=True`` (the default) the first ``reset()``
runs the check, so a misconfigured run stops before its first game.

Concurrency. ``act_async`` is the real implementation, so many games can run in one event loop;
requests in flight are capped by a ``ConcurrencyLimiter`` (by default the process-wide one for
the endpoint and ``concurrency``, or the object passed as ``limiter``). The synchronous ``act``
required by the ``Policy`` protocol runs ``act_async`` on a private background event loop, so it
works whether or not the calling thread already runs a loop. One policy object may serve many
seats and many concurrent games: memory is kept per game object and seat.

Logs. With ``log_dir``, every decision appends one JSON line to ``<log_dir>/<game id>.jsonl``:
game id, step (actions taken in the game so far), timestep, phase, seat, player, role, model,
the sampling seed, the prompt (system and user), the raw response, the parsed sections, the
chosen action and how it matched, the fallback flag and reason, the request error if any,
attempts and retries, latency and the token usage the server reported. The game id is
``seed<engine seed>`` (with a ``-<n>`` suffix if a process sees that seed again), the same for
every policy playing in the game; a log directory that is reused appends to its files (records
carry a ``time`` stamp).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import random
import threading
import time
import weakref
from collections import Counter
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

from amongagents.actions import Action
from amongagents.game import Game
from amongus_marl.observations import text_observation
from amongus_marl.policies.base import AgentView, register_policy
from amongus_marl.policies.llm_client import (
    ChatClient,
    Completion,
    ConcurrencyLimiter,
    LLMConfigError,
    LLMError,
    LLMRequestError,
    LLMUnavailableError,
    shared_limiter,
)
from amongus_marl.policies.llm_prompts import (
    DEFAULT_MATCH_THRESHOLD,
    INITIAL_MEMORY,
    INITIAL_THINKING,
    PROMPT_STYLES,
    compact_examples,
    compact_system_prompt,
    compact_user_message,
    fallback_action,
    match_action,
    match_reply,
    parse_reply,
    phase_hint,
    system_prompt,
    user_message,
)
from amongus_marl.policies.llm_structured import (
    DIALECTS,
    StructuredReply,
    read_structured,
    response_format,
    structured_action,
)
from amongus_marl.policies.llm_structured import answer_format as structured_answer_format

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final[str] = "https://api.openai.com/v1"
BASE_URL_ENV: Final[str] = "OPENAI_BASE_URL"
API_KEY_ENV: Final[str] = "OPENAI_API_KEY"
#: The reference agent's sampling temperature.
DEFAULT_TEMPERATURE: Final[float] = 0.7
DEFAULT_MAX_TOKENS: Final[int] = 1024
DEFAULT_TIMEOUT: Final[float] = 60.0
DEFAULT_RETRIES: Final[int] = 3
DEFAULT_CONCURRENCY: Final[int] = 8
#: Memory and thinking carried to the next turn are cut to this many characters each, so a
#: verbose model cannot grow its own prompt without bound.
DEFAULT_MEMORY_CHARS: Final[int] = 2000
#: After this many failed requests in a row the endpoint is declared down and the game stops,
#: rather than quietly playing on with fallback moves.
DEFAULT_MAX_CONSECUTIVE_ERRORS: Final[int] = 10

T = TypeVar("T")

__all__ = [
    "ConcurrencyLimiter",
    "LLMConfigError",
    "LLMError",
    "LLMPolicy",
    "LLMRequestError",
    "LLMUnavailableError",
    "add_llm_arguments",
    "game_id",
    "policy_kwargs_from_args",
    "run_sync",
    "shared_limiter",
]


# ---------------------------------------------------------------------- the sync bridge
class _BackgroundLoop:
    """One event loop on a daemon thread per process, where every sync ``act`` runs.

    Keeping one loop keeps the HTTP connections and the concurrency limiter's semaphore alive
    between turns. After a fork the child starts its own loop (the parent's thread is gone).
    """

    _lock = threading.Lock()
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _pid: int | None = None

    @classmethod
    def get(cls) -> asyncio.AbstractEventLoop:
        with cls._lock:
            alive = cls._thread is not None and cls._thread.is_alive() and cls._pid == os.getpid()
            if cls._loop is None or not alive:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="amongus-llm-loop", daemon=True
                )
                thread.start()
                cls._loop, cls._thread, cls._pid = loop, thread, os.getpid()
            return cls._loop


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion from synchronous code, inside or outside a running loop."""
    loop = _BackgroundLoop.get()
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        coroutine.close()
        raise RuntimeError(
            "a coroutine on the LLM background loop must await act_async(), not call act()"
        )
    future = asyncio.run_coroutine_threadsafe(coroutine, loop)
    try:
        return future.result()
    except BaseException:
        future.cancel()  # e.g. KeyboardInterrupt: do not leave the request running
        raise


# ---------------------------------------------------------------------- game ids
_GAME_IDS: weakref.WeakKeyDictionary[Game, str] = weakref.WeakKeyDictionary()
_USED_GAME_IDS: Counter[str] = Counter()
_GAME_IDS_LOCK = threading.Lock()


def game_id(game: Game) -> str:
    """A name for ``game`` that every policy in this process agrees on: ``seed<seed>``, with a
    ``-<n>`` suffix when the same seed was seen before (a replayed or repeated game)."""
    with _GAME_IDS_LOCK:
        known = _GAME_IDS.get(game)
        if known is None:
            base = f"seed{game.seed}"
            _USED_GAME_IDS[base] += 1
            count = _USED_GAME_IDS[base]
            known = _GAME_IDS[game] = base if count == 1 else f"{base}-{count}"
        return known


# ---------------------------------------------------------------------- per-game state
@dataclass
class _SeatState:
    memory: str = INITIAL_MEMORY
    thinking: str = INITIAL_THINKING
    system: str | None = None

    def keep(self, memory: str | None, thinking: str | None, chars: int) -> None:
        """Carry an answer's memory and thinking to the seat's next turn (what it left out
        stays as it was)."""
        if memory:
            self.memory = memory[:chars]
        if thinking:
            self.thinking = thinking[:chars]


@dataclass
class _GameState:
    game_id: str
    rng: random.Random
    #: What every sampling seed of this game is drawn from (the policy seed and the game's).
    seed_base: str
    seats: dict[int, _SeatState] = field(default_factory=dict)
    decisions: int = 0
    fallbacks: int = 0

    def fallback(self, legal: Sequence[Action]) -> str:
        """The move played for an unusable answer, drawn from this game's generator."""
        return fallback_action(legal, self.rng.randrange(len(legal)))


class LLMPolicy:
    """Plays seats through a Chat Completions endpoint (see the module docstring)."""

    name = "llm"
    #: The runner hands this policy the text observation.
    obs_mode: str | None = "text"

    def __init__(
        self,
        model: str | None = None,
        *,
        impostor_model: str | None = None,
        crewmate_model: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        temperature: float | None = DEFAULT_TEMPERATURE,
        max_tokens: int | None = DEFAULT_MAX_TOKENS,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        max_retry_after: float = 120.0,
        concurrency: int = DEFAULT_CONCURRENCY,
        limiter: ConcurrencyLimiter | None = None,
        log_dir: str | os.PathLike[str] | None = None,
        seed: int | None = None,
        match_threshold: float = DEFAULT_MATCH_THRESHOLD,
        memory_chars: int = DEFAULT_MEMORY_CHARS,
        max_consecutive_errors: int = DEFAULT_MAX_CONSECUTIVE_ERRORS,
        preflight: bool = True,
        extra_body: Mapping[str, Any] | None = None,
        structured_output: str | None = None,
        prompt_style: str = "full",
    ) -> None:
        self.model = model
        self.impostor_model = impostor_model
        self.crewmate_model = crewmate_model
        self.base_url = (base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")
        self._api_key = api_key if api_key is not None else os.environ.get(API_KEY_ENV, "")
        if temperature is not None and not (math.isfinite(temperature) and temperature >= 0):
            raise ValueError(f"the temperature must be a finite number >= 0, got {temperature}")
        if max_tokens is not None and max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
        if structured_output is not None and structured_output not in DIALECTS:
            raise ValueError(
                f"structured_output must be one of {', '.join(DIALECTS)} or None, got "
                f"{structured_output!r}"
            )
        self.structured_output = structured_output
        if prompt_style not in PROMPT_STYLES:
            raise ValueError(
                f"prompt_style must be one of {', '.join(PROMPT_STYLES)}, got {prompt_style!r}"
            )
        self.prompt_style = prompt_style
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.match_threshold = match_threshold
        self.memory_chars = memory_chars
        self.max_consecutive_errors = max_consecutive_errors
        self.preflight = preflight
        self.extra_body = dict(extra_body or {})
        self.log_dir = Path(log_dir) if log_dir is not None else None
        self.limiter = limiter or shared_limiter(self.base_url, concurrency)
        self._seed = seed
        self._rng = random.Random(seed)
        self._client = ChatClient(
            self.base_url,
            self._api_key,
            timeout=timeout,
            retries=retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            max_retry_after=max_retry_after,
            limiter=self.limiter,
            rng=self._rng,
        )
        self._games: weakref.WeakKeyDictionary[Game, _GameState] = weakref.WeakKeyDictionary()
        self._checked = False
        self._consecutive_errors = 0
        self._log_lock = threading.Lock()
        # counters for game summaries
        self.decisions = 0
        self.fallbacks = 0
        self.requests_failed = 0
        self.retries_made = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.fallback_reasons: Counter[str] = Counter()
        self.matches: Counter[str] = Counter()

    def __repr__(self) -> str:  # never shows the key
        return f"LLMPolicy(models={self.models()!r}, base_url={self.base_url!r})"

    # ------------------------------------------------------------------ configuration
    def model_for(self, is_impostor: bool) -> str | None:
        override = self.impostor_model if is_impostor else self.crewmate_model
        return override or self.model

    def models(self) -> dict[str, str | None]:
        return {"impostor": self.model_for(True), "crewmate": self.model_for(False)}

    @property
    def fallback_rate(self) -> float:
        return self.fallbacks / self.decisions if self.decisions else 0.0

    def stats(self) -> dict[str, Any]:
        """Counters for a game or run summary."""
        return {
            "decisions": self.decisions,
            "fallbacks": self.fallbacks,
            "fallback_rate": self.fallback_rate,
            "fallback_reasons": dict(self.fallback_reasons),
            "matches": dict(self.matches),
            "requests_failed": self.requests_failed,
            "retries": self.retries_made,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
        }

    def game_stats(self, game: Game) -> dict[str, Any]:
        """This policy's decisions and fallbacks in ``game`` (kept until a ``reset`` after the
        game ends), for a per-game summary."""
        state = self._games.get(game)
        decisions = state.decisions if state else 0
        fallbacks = state.fallbacks if state else 0
        return {
            "game_id": game_id(game),
            "decisions": decisions,
            "fallbacks": fallbacks,
            "fallback_rate": fallbacks / decisions if decisions else 0.0,
        }

    async def check_async(self) -> dict[str, str]:
        """Fail fast on a configuration that cannot play (see the module docstring).

        Returns, per distinct model, how it was confirmed (``"models"`` or ``"completion"``).
        """
        if not self._api_key.strip():
            raise LLMConfigError(
                f"no API key for the LLM endpoint {self.base_url}: set {API_KEY_ENV} or pass "
                "--llm-api-key (any non-empty value for a local server that ignores keys)"
            )
        wanted = {m for m in self.models().values() if m}
        if not wanted:
            raise LLMConfigError(
                "no model for the LLM seats: pass --impostor-model and/or --crewmate-model"
            )
        confirmed = {}
        for model in sorted(wanted):
            confirmed[model] = await self._client.preflight(model)
        self._checked = True
        return confirmed

    def check(self) -> dict[str, str]:
        """``check_async`` from synchronous code."""
        return run_sync(self.check_async())

    async def aclose(self) -> None:
        """Close the connections this policy opened on the running event loop."""
        await self._client.aclose()

    def close(self) -> None:
        """Close the connections of the background loop used by ``act``."""
        run_sync(self._client.aclose())

    # ------------------------------------------------------------------ Policy protocol
    def reset(self, seed: int | None = None) -> None:
        """Forget finished games (ongoing ones keep their memory, so one object may serve
        concurrent games); reseed if a seed is given; run the preflight check once."""
        if seed is not None:
            self._seed = seed
            self._rng.seed(seed)
        for game in [g for g in self._games if g.is_over]:
            del self._games[game]
        # Failures in a row are counted across games: short games would otherwise never reach
        # the limit, and a dead endpoint would pass off random fallback games as results.
        if self.preflight and not self._checked:
            self.check()

    def act(self, observation: Any, info: dict[str, Any], view: AgentView) -> str:
        return run_sync(self.act_async(observation, info, view))

    async def act_async(self, observation: Any, info: dict[str, Any], view: AgentView) -> str:
        """The action for ``view.seat``: a 7vik action string (free ``SPEAK:`` text included)."""
        game, seat = view.game, view.seat
        legal = view.legal
        if not legal:
            raise ValueError(f"seat {seat} has no legal action to choose from")
        me = game.players[seat]
        model = self.model_for(me.is_impostor)
        if not model:
            role = me.identity.lower()
            raise LLMConfigError(f"no model for {role} seats played by 'llm': pass --{role}-model")
        state = self._game_state(game)
        memory = state.seats.setdefault(seat, _SeatState())
        compact = self.prompt_style == "compact"
        if memory.system is None:
            answer = structured_answer_format(not compact) if self.structured_output else None
            memory.system = (compact_system_prompt if compact else system_prompt)(
                game, seat, answer
            )
        information = _observation_text(observation, view)
        if compact:
            prompt = compact_user_message(information)
        else:
            prompt = user_message(information, memory.memory, memory.thinking, phase_hint(game))
        record: dict[str, Any] = {
            "game_id": state.game_id,
            "step": len(game.steps),
            "timestep": game.timestep,
            "phase": phase_hint(game),
            "seat": seat,
            "player": me.name,
            "role": me.identity,
            "model": model,
            "prompt": {"system": memory.system, "user": prompt},
        }
        # A small model answering free-form is first shown the one-line format on made-up turns.
        examples = compact_examples(game) if compact and self.structured_output is None else []
        if examples:
            record["prompt"]["examples"] = examples
        messages = [
            {"role": "system", "content": memory.system},
            *examples,
            {"role": "user", "content": prompt},
        ]
        # Seeded from where the decision is, not drawn in turn: concurrent games, and a fallback
        # taken or not, leave every other decision's seed as it was.
        sampling_seed = random.Random(f"{state.seed_base}:{len(game.steps)}:{seat}").getrandbits(31)
        record["sampling_seed"] = sampling_seed
        extra_body = {"seed": sampling_seed, **self.extra_body}
        if self.structured_output is not None:
            # The caller's own extra_body wins, as everywhere else.
            extra_body = {
                "response_format": response_format(legal, self.structured_output, not compact),
                **extra_body,
            }
        completion: Completion | None = None
        error: LLMRequestError | None = None
        try:
            completion = await self._client.complete(
                messages,
                model=model,
                temperature=self.temperature,
                max_tokens=self.max_tokens,
                extra_body=extra_body,
            )
        except LLMRequestError as failure:
            error = failure
        action, how, fallback_reason = self._decide(completion, error, legal, memory, state, record)
        self.decisions += 1
        state.decisions += 1
        if how is not None:
            self.matches[how] += 1
        if fallback_reason is not None:
            self.fallbacks += 1
            state.fallbacks += 1
            self.fallback_reasons[fallback_reason.split(":", 1)[0]] += 1
            logger.warning(
                "LLM fallback in game %s, step %s, %s (%s): %s -> %s",
                state.game_id,
                record["step"],
                me.name,
                model,
                fallback_reason,
                action,
            )
        record.update(
            action=action,
            match=how,
            fallback=fallback_reason is not None,
            fallback_reason=fallback_reason,
            time=time.time(),
        )
        self._write_log(state.game_id, record)
        if error is not None and self._consecutive_errors >= self.max_consecutive_errors:
            raise LLMUnavailableError(
                f"stopping: {self._consecutive_errors} LLM requests in a row failed; the last: "
                f"{error}"
            ) from error
        return action

    # ------------------------------------------------------------------ internals
    def _game_state(self, game: Game) -> _GameState:
        state = self._games.get(game)
        if state is None:
            # Fallback draws depend only on the policy seed and the game, not on how concurrent
            # games interleave.
            base = self._seed if self._seed is not None else self._rng.getrandbits(63)
            rng = random.Random(f"{base}:{game.seed}")
            state = self._games[game] = _GameState(game_id(game), rng, f"{base}:{game.seed}")
        return state

    def _decide(
        self,
        completion: Completion | None,
        error: LLMRequestError | None,
        legal: Sequence[Action],
        memory: _SeatState,
        state: _GameState,
        record: dict[str, Any],
    ) -> tuple[str, str | None, str | None]:
        """(action, how it matched, fallback reason); updates the seat's memory and the record."""
        if completion is None:
            assert error is not None
            self.requests_failed += 1
            self._consecutive_errors += 1
            self.retries_made += len(error.retries)
            record.update(
                raw_response=None,
                error=str(error),
                attempts=len(error.retries) + 1,
                retries=error.retries,
                latency=None,
                usage=None,
                parsed=None,
            )
            return state.fallback(legal), None, f"request failed: {error}"
        self._consecutive_errors = 0
        self.retries_made += len(completion.retries)
        usage = completion.usage
        if usage:
            self.prompt_tokens += _token_count(usage.get("prompt_tokens"))
            self.completion_tokens += _token_count(usage.get("completion_tokens"))
        record.update(
            raw_response=completion.text,
            error=None,
            attempts=completion.attempts,
            retries=completion.retries,
            latency=round(completion.latency, 4),
            usage=usage,
            finish_reason=completion.finish_reason,
        )
        if self.structured_output is not None:
            structured = read_structured(completion.text)
            if structured is not None:
                return self._decide_structured(structured, legal, memory, state, record)
        reply = parse_reply(completion.text)
        memory.keep(reply.memory, reply.thinking, self.memory_chars)
        record.update(
            parsed={
                "memory": reply.memory,
                "thinking": reply.thinking,
                "action": reply.action if reply.structured else None,
                "structured": reply.structured,
            },
        )
        found = match_reply(
            reply, legal, self.match_threshold, from_start=self.prompt_style == "compact"
        )
        if found is None:
            reason = "unusable answer: " + (
                "no legal action matches the [Action] section"
                if reply.structured
                else "no [Action] section and no action line"
            )
            return state.fallback(legal), None, reason
        if found.score is not None:
            record["match_score"] = found.score
        return found.action, found.how, None

    def _decide_structured(
        self,
        reply: StructuredReply,
        legal: Sequence[Action],
        memory: _SeatState,
        state: _GameState,
        record: dict[str, Any],
    ) -> tuple[str, str | None, str | None]:
        """A JSON answer: an exact enum value is the ``structured`` match; any other action
        text goes to the free-form matcher (a server that ignored the schema)."""
        memory.keep(reply.memory, reply.thinking, self.memory_chars)
        record["parsed"] = {
            "memory": reply.memory,
            "thinking": reply.thinking,
            "action": reply.action,
            "message": reply.message,
            "structured": True,
            "json": True,
            "cut": reply.cut,
        }
        chosen = structured_action(reply, legal)
        if chosen is not None:
            return chosen, "structured", None
        if reply.action is not None:
            text = reply.action
            if text.upper() == "SPEAK" and reply.message:
                text = f"SPEAK: {reply.message}"
            found = match_action(text, legal, self.match_threshold)
            if found is not None:
                if found.score is not None:
                    record["match_score"] = found.score
                return found.action, found.how, None
        reason = "unusable answer: " + (
            "no legal action matches the JSON answer's action"
            if reply.action is not None
            else "the JSON answer has no action"
        )
        return state.fallback(legal), None, reason

    def _write_log(self, game: str, record: dict[str, Any]) -> None:
        if self.log_dir is None:
            return
        line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
        with self._log_lock:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            with open(self.log_dir / f"{game}.jsonl", "a", encoding="utf-8") as handle:
                handle.write(line)


def _token_count(value: Any) -> int:
    """A usage field as a token count; servers that send something else count nothing."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return 0


def _observation_text(observation: Any, view: AgentView) -> str:
    """The text observation: given directly, inside the observation dict, or built from the
    game for policies handed a vector (or nothing)."""
    if isinstance(observation, Mapping):
        observation = observation.get("observation")
    if isinstance(observation, str):
        return str(observation)
    return text_observation(view.game, view.seat)


register_policy("llm", LLMPolicy)


# ---------------------------------------------------------------------- command line
def add_llm_arguments(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """Add the LLM players' options to ``parser`` (as one argument group)."""
    group = parser.add_argument_group(
        "LLM players",
        f"used by seats played by the 'llm' policy; the endpoint is any OpenAI-compatible "
        f"Chat Completions server ({BASE_URL_ENV} and {API_KEY_ENV} are the defaults)",
    )
    group.add_argument(
        "--impostor-model", metavar="NAME", help="model for impostor seats played by 'llm'"
    )
    group.add_argument(
        "--crewmate-model", metavar="NAME", help="model for crewmate seats played by 'llm'"
    )
    group.add_argument(
        "--llm-base-url",
        metavar="URL",
        help=(
            "endpoint base URL, e.g. http://127.0.0.1:8000/v1 "
            f"(default: ${BASE_URL_ENV} or {DEFAULT_BASE_URL})"
        ),
    )
    group.add_argument("--llm-api-key", metavar="KEY", help=f"API key (default: ${API_KEY_ENV})")
    group.add_argument(
        "--llm-temperature",
        type=float,
        default=DEFAULT_TEMPERATURE,
        metavar="T",
        help="sampling temperature (default: %(default)s)",
    )
    group.add_argument(
        "--llm-max-tokens",
        type=int,
        default=DEFAULT_MAX_TOKENS,
        metavar="N",
        help="answer length limit in tokens (default: %(default)s)",
    )
    group.add_argument(
        "--llm-timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="per-request timeout (default: %(default)s)",
    )
    group.add_argument(
        "--llm-retries",
        type=int,
        default=DEFAULT_RETRIES,
        metavar="N",
        help="retries per move request on timeouts, 429 and 5xx (default: %(default)s; the "
        "start-up check of the endpoint always tries twice)",
    )
    group.add_argument(
        "--llm-concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help="requests in flight at most, across games; `amongus play` runs at most this many "
        "games at once (default: %(default)s)",
    )
    group.add_argument(
        "--llm-structured",
        choices=DIALECTS,
        metavar="DIALECT",
        help="ask for structured output: a JSON Schema per turn whose action is an enum of the "
        "legal actions, sent as response_format in the server's dialect: json_schema (OpenAI, "
        "vLLM, llama.cpp's llama-server) or json_object (llama-cpp-python's server)",
    )
    group.add_argument(
        "--llm-prompt",
        choices=PROMPT_STYLES,
        metavar="STYLE",
        help="prompt style: full (rules, map, role brief; answers in three sections; the "
        "default) or compact (for small models: a short summary and a one-line answer)",
    )
    group.add_argument(
        "--local-model",
        action="store_true",
        help="serve SmolLM2-135M-Instruct on this machine for the run (llama.cpp on 127.0.0.1, "
        "the llm-local extra): sets the endpoint and key, the models left unset, one request "
        "at a time, and json_object for --llm-structured",
    )
    group.add_argument(
        "--llm-log-dir",
        metavar="DIR",
        help="write every prompt and response as JSONL, one file per game",
    )
    return group


def policy_kwargs_from_args(args: argparse.Namespace, role: str | None = None) -> dict[str, Any]:
    """``LLMPolicy`` keyword arguments from parsed ``add_llm_arguments`` options.

    ``role`` is ``"impostor"`` or ``"crewmate"`` (the policy plays that side with that side's
    model) or ``None`` (one policy for both sides, each with its own model). Options left unset
    are left out, so the policy's defaults (environment variables) apply. The values are plain
    data, safe to send to worker processes.
    """
    if role not in ("impostor", "crewmate", None):
        raise ValueError(f"role must be 'impostor', 'crewmate' or None, got {role!r}")
    kwargs: dict[str, Any] = {}
    if role is None:
        kwargs["impostor_model"] = getattr(args, "impostor_model", None)
        kwargs["crewmate_model"] = getattr(args, "crewmate_model", None)
    else:
        kwargs["model"] = getattr(args, f"{role}_model", None)
    options = {
        "base_url": "llm_base_url",
        "api_key": "llm_api_key",
        "temperature": "llm_temperature",
        "max_tokens": "llm_max_tokens",
        "timeout": "llm_timeout",
        "retries": "llm_retries",
        "concurrency": "llm_concurrency",
        "log_dir": "llm_log_dir",
        "structured_output": "llm_structured",
        "prompt_style": "llm_prompt",
    }
    for key, attribute in options.items():
        value = getattr(args, attribute, None)
        if value is not None:
            kwargs[key] = value
    return kwargs
