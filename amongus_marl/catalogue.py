"""The fixed action catalogue: one ``Discrete(N)`` index for every 7vik action an agent may take.

The catalogue is laid out in segments (see ``ActionCatalogue.segments``); an index keeps one
meaning across turns and seats, so a policy's output layer has a stable interpretation. Speech,
which is free text for an LLM, is a small set of structured speech acts for RL agents, rendered
into the chat text other players read (and parsed back from it by the vector observer).

The last entry, ``noop``, is the Parallel API's "not my turn": in ``amongus_marl.parallel`` every
agent but the one to act has exactly that entry legal. It is never legal in the AEC environment,
where only the agent to act steps. Being last, it left every other index where it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from amongagents import actions as act
from amongagents.actions import Action, ActionKind
from amongagents.skeld import ROOM_INDEX, ROOMS
from amongagents.tasks import TASK_SPOT_INDEX, TASK_SPOTS

NUM_ROOMS: Final[int] = len(ROOMS)
NUM_TASK_SPOTS: Final[int] = len(TASK_SPOTS)


class SpeechAct:
    """Structured speech for RL agents and its chat rendering (parsed back by observers)."""

    NEUTRAL = "neutral"
    ACCUSE = "accuse"
    VOUCH = "vouch"
    CLAIM = "claim"

    @staticmethod
    def accuse(name: str) -> str:
        return f"I think {name} is an impostor."

    @staticmethod
    def vouch(name: str) -> str:
        return f"I believe {name} is innocent."

    @staticmethod
    def claim(room: str) -> str:
        return f"I was in {room}."


@dataclass(frozen=True, slots=True)
class Segment:
    name: str
    start: int
    size: int

    @property
    def stop(self) -> int:
        return self.start + self.size


class ActionCatalogue:
    """Index <-> action mapping for a game of ``num_players`` seats."""

    def __init__(self, num_players: int) -> None:
        self.num_players = num_players
        sizes = (
            ("move", NUM_ROOMS),
            ("vent", NUM_ROOMS),
            ("call_meeting", 1),
            ("vote", num_players),
            ("kill", num_players),
            ("complete_task", NUM_TASK_SPOTS),
            ("complete_fake_task", NUM_TASK_SPOTS),
            ("view_monitor", NUM_ROOMS),
            ("speak_neutral", 1),
            ("speak_accuse", num_players),
            ("speak_vouch", num_players),
            ("speak_claim", NUM_ROOMS),
            ("noop", 1),
        )
        segments: dict[str, Segment] = {}
        start = 0
        for name, size in sizes:
            segments[name] = Segment(name, start, size)
            start += size
        self.segments = segments
        self.size = start
        s = segments
        self._move, self._vent = s["move"].start, s["vent"].start
        self._call, self._vote, self._kill = (
            s["call_meeting"].start,
            s["vote"].start,
            s["kill"].start,
        )
        self._task, self._fake = s["complete_task"].start, s["complete_fake_task"].start
        self._monitor, self._neutral = s["view_monitor"].start, s["speak_neutral"].start
        self._accuse, self._vouch, self._claim = (
            s["speak_accuse"].start,
            s["speak_vouch"].start,
            s["speak_claim"].start,
        )
        #: The index of ``noop``: the only legal entry of a waiting agent in the Parallel API.
        self.noop = s["noop"].start

    def describe(self, index: int) -> str:
        """A human-readable name of a catalogue entry, e.g. ``move:Admin`` or ``vote:player_2``."""
        for segment in self.segments.values():
            if segment.start <= index < segment.stop:
                offset = index - segment.start
                if segment.name in ("move", "vent", "view_monitor", "speak_claim"):
                    return f"{segment.name}:{ROOMS[offset]}"
                if segment.name in ("vote", "kill", "speak_accuse", "speak_vouch"):
                    return f"{segment.name}:player_{offset}"
                if segment.name in ("complete_task", "complete_fake_task"):
                    spot = TASK_SPOTS[offset]
                    return f"{segment.name}:{spot.name}@{spot.room}"
                return segment.name
        raise IndexError(f"action index {index} is outside the catalogue 0..{self.size - 1}")

    def speech_actions(
        self, names: tuple[str, ...]
    ) -> tuple[tuple[Action, ...], tuple[Action, ...]]:
        """The accuse and vouch SPEAK actions naming each seat (built once per game)."""
        accuse = tuple(act.speak(SpeechAct.accuse(name)) for name in names)
        vouch = tuple(act.speak(SpeechAct.vouch(name)) for name in names)
        return accuse, vouch

    def legal_map(
        self,
        legal: list[Action],
        speakers: list[int],
        speech: tuple[tuple[Action, ...], tuple[Action, ...]],
    ) -> dict[int, Action]:
        """Catalogue index -> concrete action for every legal entry this turn.

        ``speakers`` are the seats a speech act may name (the living other players) and
        ``speech`` the accuse/vouch actions of ``speech_actions``.
        """
        table: dict[int, Action] = {}
        for action in legal:
            kind = action.kind
            if kind is ActionKind.MOVE:
                table[self._move + ROOM_INDEX[action.room]] = action  # type: ignore[index]
            elif kind is ActionKind.VENT:
                table[self._vent + ROOM_INDEX[action.room]] = action  # type: ignore[index]
            elif kind is ActionKind.CALL_MEETING:
                table[self._call] = action
            elif kind is ActionKind.VOTE:
                table[self._vote + action.target] = action  # type: ignore[operator]
            elif kind is ActionKind.KILL:
                table[self._kill + action.target] = action  # type: ignore[operator]
            elif kind is ActionKind.COMPLETE_TASK:
                table[self._task + TASK_SPOT_INDEX[action.task]] = action  # type: ignore[index]
            elif kind is ActionKind.COMPLETE_FAKE_TASK:
                table[self._fake + TASK_SPOT_INDEX[action.task]] = action  # type: ignore[index]
            elif kind is ActionKind.VIEW_MONITOR:
                for i in range(NUM_ROOMS):
                    table[self._monitor + i] = _MONITOR_ACTIONS[i]
            elif kind is ActionKind.SPEAK:
                table[self._neutral] = act.SPEAK_DEFAULT
                accuse, vouch = speech
                for seat in speakers:
                    table[self._accuse + seat] = accuse[seat]
                    table[self._vouch + seat] = vouch[seat]
                for i in range(NUM_ROOMS):
                    table[self._claim + i] = _CLAIM_ACTIONS[i]
        return table

    def mask(self, table: dict[int, Action]) -> np.ndarray:
        mask = np.zeros(self.size, dtype=np.int8)
        mask[list(table)] = 1
        return mask


_MONITOR_ACTIONS: Final[tuple[Action, ...]] = tuple(act.view_monitor(room) for room in ROOMS)
_CLAIM_ACTIONS: Final[tuple[Action, ...]] = tuple(
    act.speak(SpeechAct.claim(room)) for room in ROOMS
)
