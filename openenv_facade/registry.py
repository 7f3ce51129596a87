"""The server's open sessions: a capacity limit, activity times and idle expiry.

A session is one client's seat (``SeatSession``), reached either through one ``/ws`` connection
(``transport="ws"``, closed with the connection) or through HTTP by its id
(``transport="http"``, created by ``openenv/session/create``). Both kinds count towards
``max_sessions``. Everything here runs on the server's event loop, so no locks are needed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from openenv_facade.models import ErrorCode
from openenv_facade.session import SeatSession
from openenv_facade.settings import ServerSettings

if TYPE_CHECKING:
    from openenv_facade.metrics import ServerMetrics

Transport = Literal["ws", "http"]


class CapacityError(Exception):
    """Every session slot is taken (wire code ``CAPACITY_REACHED``)."""

    def __init__(self, active: int, maximum: int) -> None:
        super().__init__(
            f"the server is at capacity: {active} of {maximum} sessions are open; try again later"
        )
        self.active, self.maximum = active, maximum

    def data(self) -> dict[str, Any]:
        return {
            "code": ErrorCode.CAPACITY_REACHED,
            "active_sessions": self.active,
            "max_sessions": self.maximum,
        }


class SessionSlot:
    """One open session: its id, how it is reached, its seat, and when it was last used."""

    __slots__ = ("id", "transport", "session", "last_active")

    def __init__(self, transport: Transport, session: SeatSession) -> None:
        self.id = uuid.uuid4().hex
        self.transport = transport
        self.session = session
        self.last_active = time.monotonic()

    def touch(self) -> None:
        self.last_active = time.monotonic()


class SessionRegistry:
    def __init__(self, settings: ServerSettings, metrics: ServerMetrics | None = None) -> None:
        self.settings = settings
        self.metrics = metrics  # handed to every session's seat
        self._slots: dict[str, SessionSlot] = {}

    def __len__(self) -> int:
        return len(self._slots)

    def __iter__(self) -> Iterator[SessionSlot]:
        return iter(list(self._slots.values()))

    def open(self, transport: Transport) -> SessionSlot:
        if len(self._slots) >= self.settings.max_sessions:
            raise CapacityError(len(self._slots), self.settings.max_sessions)
        slot = SessionSlot(transport, SeatSession(self.settings, self.metrics))
        self._slots[slot.id] = slot
        return slot

    def get(self, session_id: str, transport: Transport) -> SessionSlot | None:
        slot = self._slots.get(session_id)
        return slot if slot is not None and slot.transport == transport else None

    def close(self, session_id: str) -> None:
        slot = self._slots.pop(session_id, None)
        if slot is not None:
            slot.session.close()

    def expire_idle(self, transport: Transport, now: float | None = None) -> list[str]:
        """Close the sessions of ``transport`` idle longer than the timeout; their ids."""
        now = time.monotonic() if now is None else now
        limit = self.settings.session_timeout_s
        stale = [
            s.id
            for s in self._slots.values()
            if s.transport == transport and now - s.last_active > limit
        ]
        for session_id in stale:
            self.close(session_id)
        return stale
