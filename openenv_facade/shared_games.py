"""Several clients, one game: shared games over ``/ws``.

A ``reset`` with ``open_seats`` creates a shared game: the creator's connection plays its
``seat``/``role`` seat, every open seat gets a secret token (all returned to the creator only,
its own seat's included, in ``seat_tokens``) and other connections join a seat with
``reset(game_id=..., token=...)``. Policies play the seats nobody holds. A connection sees only
its own seat's observations (the single-seat payload, plus ``game_id``).

Turns: ``step`` is accepted only on the seat's turn (otherwise a clear error that changes
nothing); its reply comes when that seat is to act again, or the game ends, whatever the other
clients do meanwhile. ``{"type": "wait"}`` asks for that reply without moving (a seat whose turn
has not come yet, e.g. just after joining). A client seat that does not act within the game's
``turn_deadline_s`` has its fallback policy (the policy of its role's other seats) act for it,
and the seat's next observation reports it. A client that disconnects leaves its seat to the
deadlines and can rejoin with its token; a game all of whose clients have been gone for the
session timeout (or that is over and empty) is reaped. Wrong tokens, a token already in use,
joining a finished game or acting out of turn are clear errors that change nothing.

Everything runs on the server's event loop: no locks, one ``asyncio.Condition`` per game for
the waiting seats, one task per game for its deadlines and its reaping.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import time
import uuid
from collections.abc import Mapping
from typing import Any, Final

from openenv_facade.models import (
    AssistantMessage,
    ErrorCode,
    GameAction,
    GameObservation,
    GameState,
    ResetParams,
)
from openenv_facade.session import RequestError, SeatSession, SessionError, _seats_of
from openenv_facade.settings import ServerSettings

log = logging.getLogger("openenv_facade.shared_games")

DEFAULT_TURN_DEADLINE_S: Final[float] = 30.0


class SharedGame:
    """One game whose client seats are held by different connections."""

    def __init__(
        self, session: SeatSession, tokens: dict[int, str], deadline_s: float, timeout_s: float
    ) -> None:
        self.id = uuid.uuid4().hex
        self.session = session
        self.tokens = tokens  # client seat -> secret token
        self.owners: dict[int, str | None] = dict.fromkeys(tokens)  # seat -> connection id
        self.notices: dict[int, list[str]] = {seat: [] for seat in tokens}
        self.deadline_s = deadline_s
        self.timeout_s = timeout_s
        self.changed = asyncio.Condition()
        self.empty_since: float | None = None
        self.task: asyncio.Task[None] | None = None
        self._turn: tuple[int, int] | None = None
        self._turn_started = time.monotonic()

    @property
    def over(self) -> bool:
        return self.session.done

    def turn(self) -> tuple[int, int]:
        """(steps taken, seat to act): changes whenever anyone acts."""
        game = self.session.game
        assert game is not None
        return len(game.steps), game.current_seat

    def observe(self, seat: int, *, fresh: bool = True) -> GameObservation:
        observation = self.session.observe_seat(seat, fresh=fresh)
        if fresh and self.notices[seat]:
            observation.events = self.notices[seat] + observation.events
            self.notices[seat] = []
        observation.game_id = self.id
        return observation

    async def notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def wait_for_turn(self, seat: int) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: self.over or self.turn()[1] == seat)

    async def run(self) -> None:
        """Deadlines: a client seat too slow to act gets its fallback policy. Reaping: the game
        ends once it has been without clients for the session timeout (or is over and empty)."""
        while True:
            if all(owner is None for owner in self.owners.values()):
                if self.over:
                    return
                self.empty_since = self.empty_since or time.monotonic()
                if time.monotonic() - self.empty_since > self.timeout_s:
                    return
            else:
                self.empty_since = None
            if self.over:
                await asyncio.sleep(min(self.timeout_s, 1.0))
                continue
            turn = self.turn()
            if turn != self._turn:
                self._turn, self._turn_started = turn, time.monotonic()
            remaining = self.deadline_s - (time.monotonic() - self._turn_started)
            if remaining > 0:
                with contextlib.suppress(TimeoutError):
                    async with self.changed:
                        await asyncio.wait_for(
                            self.changed.wait_for(functools.partial(self._moved_on, turn)),
                            min(remaining, self.timeout_s),
                        )
                continue
            self._act_for(turn[1])
            await self.notify()

    def _moved_on(self, turn: tuple[int, int]) -> bool:
        return self.over or self.turn() != turn

    def _act_for(self, seat: int) -> None:
        """The seat's fallback policy (its role's policy) acts; the seat will be told."""
        game = self.session.game
        assert game is not None
        policy = self.session._policies[game.players[seat].is_impostor]
        timestep = game.timestep
        played = self.session.play_fallback(policy)
        self.notices[seat].append(
            f"Timestep {timestep}: you did not act within {self.deadline_s:g} s; "
            f"the {policy.name} policy played for you: {played}"
        )


class SharedGames:
    """The server's shared games and which connection holds which seat."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.games: dict[str, SharedGame] = {}
        self.seats: dict[str, tuple[SharedGame, int]] = {}  # connection id -> its seat

    def holds(self, connection: str) -> bool:
        return connection in self.seats

    # ------------------------------------------------------------------ create and join
    def create(self, connection: str, params: ResetParams) -> GameObservation:
        open_seats = params.open_seats
        assert open_seats is not None
        if len(self.games) >= self.settings.max_sessions:  # games outlive their connections
            raise SessionError(
                f"the server holds {len(self.games)} shared games, its limit; try again later",
                ErrorCode.CAPACITY_REACHED,
            )
        if params.seats is not None:
            raise RequestError("give open_seats or seats, not both")
        single = params.model_copy(
            update={"open_seats": None, "turn_deadline_s": None, "game_id": None, "token": None}
        )
        session = SeatSession(self.settings)
        first = session.reset(single)  # validates everything; nothing shared exists yet
        game = session.game
        assert game is not None
        mine = first.seat
        n = len(game.players)
        if isinstance(open_seats, list):
            bad = [s for s in open_seats if not 0 <= s < n]
            if bad or len(set(open_seats)) != len(open_seats) or not open_seats:
                session.close()
                raise RequestError(
                    f"open_seats {open_seats} must name distinct seats of 0..{n - 1}"
                )
        opened = tuple(s for s in _seats_of(game, open_seats) if s != mine)
        if not opened:
            session.close()
            raise RequestError("open_seats names no seat besides the creator's own")
        # Start again holding every client seat: the single-seat reset above may have played
        # policies through the open seats' turns.
        session.close()
        session = SeatSession(self.settings)
        held = sorted((mine, *opened))
        session.reset(single.model_copy(update={"seat": None, "role": None, "seats": held}))
        session.multi = False  # each connection sees its own seat alone
        tokens = {seat: secrets.token_urlsafe(24) for seat in held}
        shared = SharedGame(
            session,
            tokens,
            params.turn_deadline_s or DEFAULT_TURN_DEADLINE_S,
            self.settings.session_timeout_s,
        )
        self.games[shared.id] = shared
        self.leave(connection)
        self._seat(connection, shared, mine)
        shared.task = asyncio.get_running_loop().create_task(self._run(shared))
        observation = shared.observe(mine)
        observation.seat_tokens = {str(seat): token for seat, token in tokens.items()}
        return observation

    def join(self, connection: str, params: ResetParams) -> GameObservation:
        if params.token is None or params.game_id is None:
            raise RequestError("joining a shared game takes game_id and token")
        others = params.model_dump(
            exclude_none=True, exclude={"game_id", "token", "obs_mode", "episode_id"}
        )
        if others:
            raise RequestError(
                f"joining a shared game takes game_id and token only, not {sorted(others)}"
            )
        shared = self.games.get(params.game_id)
        if shared is None:
            raise RequestError(f"no shared game {params.game_id!r} (never created, or reaped)")
        seat = next(
            (s for s, t in shared.tokens.items() if secrets.compare_digest(t, params.token)),
            None,
        )
        if seat is None:
            raise RequestError("that token opens no seat of this game")
        if shared.over:
            raise RequestError("this game is over: it cannot be joined")
        owner = shared.owners[seat]
        if owner is not None and owner != connection:
            raise RequestError("this seat is held by another connection: its token is in use")
        self.leave(connection)
        self._seat(connection, shared, seat)
        return shared.observe(seat)

    def _seat(self, connection: str, shared: SharedGame, seat: int) -> None:
        shared.owners[seat] = connection
        self.seats[connection] = (shared, seat)

    def leave(self, connection: str) -> None:
        """The connection gives its seat up (it may rejoin with the token)."""
        held = self.seats.pop(connection, None)
        if held is not None:
            shared, seat = held
            shared.owners[seat] = None

    async def _run(self, shared: SharedGame) -> None:
        try:
            await shared.run()
        except Exception:
            log.exception("shared game %s stopped", shared.id)
        finally:
            self.games.pop(shared.id, None)
            for connection, (game, _) in list(self.seats.items()):
                if game is shared:
                    del self.seats[connection]
            shared.session.close()

    def close(self) -> None:
        for shared in list(self.games.values()):
            if shared.task is not None:
                shared.task.cancel()

    # ------------------------------------------------------------------ a seat's messages
    async def step(self, connection: str, data: Mapping[str, Any]) -> GameObservation:
        shared, seat = self.seats[connection]
        if shared.over:
            raise SessionError("the game is over; send reset to start or join another game")
        if shared.turn()[1] != seat:
            raise SessionError(
                "it is not your turn: send wait to get your next turn's observation",
                ErrorCode.EXECUTION_ERROR,
            )
        action: GameAction | dict[str, Any]
        if "role" in data or "tool_calls" in data:
            action = AssistantMessage.model_validate(data).model_dump(exclude_none=True)
        else:
            action = GameAction.model_validate(data)
        shared.session._select(seat)
        error = shared.session.play(action)
        if error is not None:
            observation = shared.observe(seat, fresh=False)
            observation.error = error
            return observation
        await shared.notify()
        await shared.wait_for_turn(seat)
        return shared.observe(seat)

    async def wait(self, connection: str) -> GameObservation:
        shared, seat = self.seats[connection]
        await shared.wait_for_turn(seat)
        return shared.observe(seat)

    def state(self, connection: str) -> GameState:
        shared, seat = self.seats[connection]
        state = shared.session.state()
        state.seat = seat
        state.seats = None
        return state


def wants_shared(params: ResetParams) -> bool:
    return params.open_seats is not None or params.game_id is not None or params.token is not None
