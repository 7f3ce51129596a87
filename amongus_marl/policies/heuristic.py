"""``heuristic``: a scripted player for each role that uses only what its seat may know.

What a seat reads
    Its own player record (role, location, tasks, kill cooldown, observations, action history),
    its location message (``game.location_info(seat)``: who is in its room, alive or dead), the
    public facts (map, names, config, timestep, phase, emergency buttons used) and its legal
    actions (``view.table``). An impostor also reads its team (``game.impostor_seats()``). It
    never reads another player's role, tasks, location or liveness from the game: who is alive
    comes from location messages and from the vote and speech options of a meeting. A task seen
    done counts the same whether it was real or faked, as observers cannot tell them apart.

Memory and randomness
    One policy object may play several seats at once, in several games at once (one scripted
    opponent for many vectorised environments), so everything it remembers, its random generator
    included, is kept per game and per seat (``_SeatMemory``) and dropped by ``reset`` or when the
    game is gone: a seat's choices depend only on its own records and its own draws. Each turn
    folds in only the records that arrived since the seat's previous turn, so a turn costs the
    same early and late in a game.

Crewmates
    Report a body in the room (except the body of a player the seat saw voted out), and call a
    meeting after witnessing a kill or a vent (walking to the button if buttons are left).
    Otherwise do the tasks, walking the shortest path to the nearest unfinished one; with every
    task done, go to Security and watch the rooms other players were last seen in. In meetings,
    accuse the most suspicious seat when there is evidence (seen killing > seen venting > seen
    faking a task on the monitor > accused me, a crewmate, falsely > found by a body > accused by
    others), vouch for seats seen doing tasks with it, and otherwise claim where it was. Vote for
    the most suspicious seat; with no real evidence, vote among the seats nobody vouched for and
    nobody saw working, so that the tally stays tied rather than eject someone at random.

Impostors
    Kill when off cooldown and alone with exactly one crewmate (teammates are no witnesses), then
    vent away if a vent leads somewhere nobody was just seen, else walk away; fake their task,
    head for where a crewmate was last seen, and keep away from their victims. As the last
    impostor standing, report their own kill (a meeting sends everyone back to Cafeteria, which
    costs the crew their walking); press the emergency button while waiting for the cooldown;
    report the body of a crewmate just voted out to vote again. In meetings, counter-accuse
    whoever accused them or a teammate, pile onto a crewmate others already accuse, claim the
    room they were in before their kill, never vouch, and vote for the crewmate with the most
    votes or accusations, never for a teammate.
"""

from __future__ import annotations

import random
import weakref
from dataclasses import dataclass, fields
from typing import Any, Final, NamedTuple

from amongagents import Game, Player
from amongagents.actions import ActionKind
from amongagents.records import MonitorReadout, Phase, SeenAction
from amongagents.skeld import (
    CAFETERIA,
    CORRIDOR_NEIGHBOURS,
    ROOM_INDEX,
    ROOMS,
    SECURITY,
    VENT_NEIGHBOURS,
    shortest_path,
)
from amongagents.tasks import TASK_SPOT_INDEX
from amongus_marl.catalogue import ActionCatalogue, SpeechAct
from amongus_marl.observations import speech_table
from amongus_marl.policies.base import AgentView, register_policy

#: How many recent moves each seat remembers (to see who left a room a body is later found in).
RECENT_MOVES: Final[int] = 24
SELF_REPORT_MODES: Final[tuple[str, ...]] = ("never", "solo", "always")


@dataclass(frozen=True)
class HeuristicTuning:
    """The weights and switches of the scripted players; the defaults are the tuned ones
    (``benchmarks/policy_strength.py`` measures them)."""

    # crewmate suspicion points
    seen_kill: float = 100.0
    seen_vent: float = 60.0
    seen_fake: float = 60.0
    accused_me: float = 30.0
    by_body: float = 12.0
    left_body_room: float = 8.0
    accusation: float = 10.0  # per credible accuser this meeting
    vouch: float = 4.0  # per credible voucher this meeting (subtracted)
    earlier_accusation: float = 3.0  # per accuser in earlier meetings
    task_company: float = 1.0  # per task seen done in my room (subtracted), capped
    task_company_cap: int = 3
    #: Accuse from this many points on.
    accuse_threshold: float = 20.0
    #: Vote for the most suspicious seat from this many points on.
    follow_threshold: float = 10.0
    #: Below that, vote among the least-vouched seats (within this margin of the top score);
    #: off: among everyone. Either way the vote keeps the tally tied.
    unvouched_vote: bool = True
    unvouched_margin: float = 0.5
    # impostor behaviour
    #: Push a scapegoat of one's own when nobody threatens the team. Off by default: against
    #: the heuristic crew it backfires (the scapegoat counter-accuses, and crewmates who saw it
    #: working side with it), so impostors only counter-accuse and pile on.
    impostor_accuses: bool = False
    #: Report one's own kill on the next turn: "never", "always", or "solo" (only as the last
    #: impostor standing, when stalling the crew matters more than hunting with a teammate).
    impostor_self_report: str = "solo"
    #: Report the body of a crewmate just voted out, to hold another vote at once.
    impostor_chain_meetings: bool = True
    #: Press the emergency button from this timestep on while the kill cooldown runs (-1: never).
    impostor_button_after: int = 4
    impostor_vent_escape: bool = True

    def __post_init__(self) -> None:
        if self.impostor_self_report not in SELF_REPORT_MODES:
            raise ValueError(f"impostor_self_report must be one of {SELF_REPORT_MODES}")


_TUNING_FIELDS: Final[frozenset[str]] = frozenset(f.name for f in fields(HeuristicTuning))


class _Indices:
    """Catalogue offsets for one player count."""

    def __init__(self, num_players: int) -> None:
        segments = ActionCatalogue(num_players).segments
        self.move = segments["move"].start
        self.vent = segments["vent"].start
        self.call = segments["call_meeting"].start
        self.vote = segments["vote"].start
        self.kill = segments["kill"].start
        self.task = segments["complete_task"].start
        self.fake = segments["complete_fake_task"].start
        self.monitor = segments["view_monitor"].start
        self.accuse = segments["speak_accuse"].start
        self.vouch = segments["speak_vouch"].start
        self.claim = segments["speak_claim"].start


class _SeatMemory:
    """What one seat has learned this game, folded in incrementally, and its own generator."""

    def __init__(self, seat: int, team: frozenset[int], seed: int, tuning: HeuristicTuning) -> None:
        self.seat = seat
        self.tuning = tuning
        self.team = team  # fellow impostors, self included; empty for a crewmate
        self.rng = random.Random(seed)
        self.cursor = 0  # observations folded so far
        self.dead: set[int] = set()
        self.ejected: set[int] = set()
        self.killers: set[int] = set()
        self.venters: set[int] = set()
        self.fakers: set[int] = set()
        self.unreported = False  # hard evidence not yet taken to a meeting
        self.task_company: dict[int, int] = {}
        self.last_seen: dict[int, tuple[int, str]] = {}  # seat -> (timestep, room)
        self.recent_moves: list[tuple[int, int, str]] = []  # (timestep, seat, room left)
        self.carried: dict[int, float] = {}  # suspicion carried over from earlier meetings
        self.found_by_body: dict[int, float] = {}
        # the meeting being held (or the last one held)
        self.meeting = -1
        self.meeting_closed = True
        self.accusations: dict[int, list[int]] = {}  # target -> distinct accusers
        self.vouches: dict[int, list[int]] = {}
        self.votes: dict[int, int] = {}  # voter -> target, own vote included
        self.ejected_crewmate_last = False  # (impostors) the last meeting ejected a crewmate
        self.scapegoat: int | None = None
        # own whereabouts
        self.claim_room = CAFETERIA  # where the seat will say it was
        self.previous_room = CAFETERIA
        self.kill_room: str | None = None
        self.kill_time = -1
        self.escaping = False
        self.monitor_turns = 0

    # -- folding records ----------------------------------------------------------------
    def fold(self, player: Player, speech: dict[str, tuple[str, int]]) -> None:
        observations = player.observations
        end = len(observations)
        if end == self.cursor:
            return
        for record in observations[self.cursor : end]:
            if isinstance(record, SeenAction):
                self._seen(record, speech)
            else:
                self._monitor(record)
        self.cursor = end

    def _seen(self, record: SeenAction, speech: dict[str, tuple[str, int]]) -> None:
        clock, action, actor = record.clock, record.action, record.actor
        kind = action.kind
        if clock.phase is Phase.MEETING:
            self.open_meeting(clock.timestep)
            if kind is ActionKind.SPEAK:
                parsed = speech.get(action.message or "")
                if parsed is not None:
                    self._speech(actor, *parsed)
            elif kind is ActionKind.VOTE and action.target is not None:
                self.votes[actor] = action.target
            return
        timestep = clock.timestep
        if kind is ActionKind.MOVE or kind is ActionKind.VENT:
            self.last_seen[actor] = (timestep, action.room or record.room)
            moves = self.recent_moves
            moves.append((timestep, actor, record.room))
            if len(moves) > RECENT_MOVES:
                del moves[0]
            if kind is ActionKind.VENT:
                self.venters.add(actor)
                self.unreported = True
            return
        self.last_seen[actor] = (timestep, record.room)
        if kind is ActionKind.KILL and action.target is not None:
            self.killers.add(actor)
            self.dead.add(action.target)
            self.unreported = True
        elif kind is ActionKind.COMPLETE_TASK or kind is ActionKind.COMPLETE_FAKE_TASK:
            # Observers see "Seemingly doing task" for both, so both count the same.
            self.task_company[actor] = self.task_company.get(actor, 0) + 1

    def _speech(self, actor: int, speech_act: str, subject: int) -> None:
        """Each accuser (voucher) counts once per meeting, however often it repeats itself.
        Room claims are not checked against what the seat saw (a possible refinement)."""
        if speech_act == SpeechAct.ACCUSE:
            accusers = self.accusations.setdefault(subject, [])
            if actor not in accusers:
                accusers.append(actor)
        elif speech_act == SpeechAct.VOUCH:
            vouchers = self.vouches.setdefault(subject, [])
            if actor not in vouchers:
                vouchers.append(actor)

    def _monitor(self, readout: MonitorReadout) -> None:
        # The camera shows the actions as they are, fake tasks included.
        for entry in readout.entries:
            action = entry.action
            if action is None or entry.leaving:
                continue
            if action.kind is ActionKind.KILL:
                self.killers.add(entry.seat)
                self.dead.add(action.target)  # type: ignore[arg-type]
                self.unreported = True
            elif action.kind is ActionKind.VENT:
                self.venters.add(entry.seat)
                self.unreported = True
            elif action.kind is ActionKind.COMPLETE_FAKE_TASK:
                self.fakers.add(entry.seat)
                self.unreported = True

    # -- meetings -----------------------------------------------------------------------
    def open_meeting(self, timestep: int) -> None:
        if timestep != self.meeting:
            # A meeting called before this seat's next task turn: settle the last one first.
            self.close_meeting()
            self.meeting = timestep
            self.meeting_closed = False
            self.accusations = {}
            self.vouches = {}
            self.votes = {}
            self.scapegoat = None
            self.unreported = False

    def close_meeting(self) -> None:
        """After a meeting: who was voted out (from the votes seen), and what to carry on."""
        if self.meeting_closed:
            return
        self.meeting_closed = True
        tally: dict[int, int] = {}
        for target in self.votes.values():
            tally[target] = tally.get(target, 0) + 1
        top = max(tally.values(), default=0)
        leaders = [seat for seat, count in tally.items() if count == top]
        self.ejected_crewmate_last = False
        if len(leaders) == 1:
            self.ejected.add(leaders[0])
            self.dead.add(leaders[0])
            self.ejected_crewmate_last = bool(self.team) and leaders[0] not in self.team
        for target, accusers in self.accusations.items():
            self.carried[target] = self.carried.get(
                target, 0.0
            ) + self.tuning.earlier_accusation * len(accusers)


class _GameMemory(NamedTuple):
    seed: int
    seats: dict[int, _SeatMemory]
    indices: _Indices
    speech: dict[str, tuple[str, int]]


class HeuristicPolicy:
    """Scripted crewmates and impostors (see the module docstring).

    ``HeuristicPolicy(seed, **settings)`` takes any ``HeuristicTuning`` field as a keyword.
    """

    name = "heuristic"
    obs_mode: str | None = None  # it reads the seat's own records through the AgentView

    def __init__(self, seed: int | None = None, **settings: Any) -> None:
        unknown = sorted(set(settings) - _TUNING_FIELDS)
        if unknown:
            raise TypeError(
                f"unknown heuristic setting(s) {unknown}; settings: {sorted(_TUNING_FIELDS)}"
            )
        self.tuning = HeuristicTuning(**settings)
        self._seed_source = random.Random(seed)
        # Per game (kept while the game lives): its seats' memories, seed, indices and speech.
        self._games: weakref.WeakKeyDictionary[Game, _GameMemory] = weakref.WeakKeyDictionary()
        self._game: Game | None = None  # the game of the latest turn, whose parts follow
        self._game_seed = 0
        self._memory: dict[int, _SeatMemory] = {}
        self._indices: dict[int, _Indices] = {}
        self._idx = _Indices(2)
        self._speech: dict[str, tuple[str, int]] = {}

    # Games are not pickled (nor are weak references): a copy starts afresh, as after reset.
    def __getstate__(self) -> dict[str, Any]:
        state = dict(vars(self))
        state.update(_games=None, _game=None, _memory={})
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state)
        self._games = weakref.WeakKeyDictionary()

    def reset(self, seed: int | None = None) -> None:
        self._games.clear()
        self._game = None
        if seed is not None:
            self._seed_source.seed(seed)

    # -- dispatch -----------------------------------------------------------------------
    def act(self, observation: Any, info: dict[str, Any], view: AgentView) -> int:
        game = view.game
        if game is not self._game:
            self._start_game(game)
        seat = view.seat
        me = game.players[seat]
        memory = self._memory.get(seat)
        if memory is None:
            # An impostor knows its team; a crewmate knows nobody's role.
            team = frozenset(game.impostor_seats()) if me.is_impostor else frozenset()
            memory = _SeatMemory(seat, team, self._game_seed * 64 + seat, self.tuning)
            self._memory[seat] = memory
        memory.fold(me, self._speech)
        if game.phase is Phase.TASK:
            memory.close_meeting()
            if memory.team:
                choice = self._impostor_task_turn(memory, game, me, view)
            else:
                choice = self._crewmate_task_turn(memory, game, me, view)
        else:
            memory.open_meeting(game.timestep)
            if game.is_voting:
                choice = self._vote(memory, view)
                memory.votes[seat] = choice - self._idx.vote
            else:
                choice = self._speak(memory, game, view)
        if choice not in view.table:  # a safety net: never return an illegal index
            choice = memory.rng.choice(sorted(view.table))
        return choice

    def _start_game(self, game: Game) -> None:
        """Switch to ``game``'s memory, starting it if the game is new to the policy."""
        memory = self._games.get(game)
        if memory is None:
            n = game.config.num_players
            if n not in self._indices:
                self._indices[n] = _Indices(n)
            memory = _GameMemory(
                self._seed_source.getrandbits(62), {}, self._indices[n], speech_table(game)
            )
            self._games[game] = memory
        self._game = game
        self._game_seed, self._memory, self._idx, self._speech = memory

    # -- task phase: crewmates ----------------------------------------------------------
    def _crewmate_task_turn(
        self, memory: _SeatMemory, game: Game, me: Player, view: AgentView
    ) -> int:
        idx, table = self._idx, view.table
        room = me.location
        bodies, present = self._look_around(memory, game)
        if idx.call in table:
            if bodies:
                self._note_body(memory, room, present, game.timestep)
                return idx.call
            if memory.unreported and room == CAFETERIA:
                return idx.call
        memory.previous_room = room
        pending = [task for task in me.tasks if task.remaining > 0]
        for task in pending:
            if task.spot.room == room:
                memory.claim_room = room
                return idx.task + TASK_SPOT_INDEX[task.spot]
        if memory.unreported and game.button_uses < game.config.max_num_buttons:
            return self._walk(memory, room, CAFETERIA)
        if pending:
            target = min(
                pending, key=lambda t: len(shortest_path(room, t.spot.room, impostor=False))
            )
            return self._walk(memory, room, target.spot.room)
        if room == SECURITY and idx.monitor in table:
            memory.claim_room = room
            return idx.monitor + ROOM_INDEX[self._room_to_watch(memory)]
        return self._walk(memory, room, SECURITY)

    def _look_around(self, memory: _SeatMemory, game: Game) -> tuple[list[int], list[int]]:
        """From the seat's location message: (bodies to report, other living players here)."""
        info = game.location_info(memory.seat)
        bodies: list[int] = []
        present: list[int] = []
        for other, dead in zip(info.occupants, info.dead, strict=True):
            if dead:
                memory.dead.add(other)
                if other not in memory.ejected:
                    bodies.append(other)
            elif other != memory.seat:
                present.append(other)
        return bodies, present

    def _note_body(self, memory: _SeatMemory, room: str, present: list[int], timestep: int) -> None:
        """Whoever stands by a body, or was seen leaving its room lately, earns suspicion."""
        tuning = self.tuning
        for other in present:
            memory.found_by_body[other] = memory.found_by_body.get(other, 0.0) + tuning.by_body
        for when, mover, left in memory.recent_moves:
            if left == room and when >= timestep - 2 and mover not in present:
                memory.found_by_body[mover] = (
                    memory.found_by_body.get(mover, 0.0) + tuning.left_body_room
                )

    def _room_to_watch(self, memory: _SeatMemory) -> str:
        """Cycle through the rooms where living players were seen most recently."""
        memory.monitor_turns += 1
        recent = sorted(
            (
                (when, room)
                for seat, (when, room) in memory.last_seen.items()
                if seat not in memory.dead and room != SECURITY
            ),
            reverse=True,
        )
        rooms = list(dict.fromkeys(room for _, room in recent)) or [
            r for r in ROOMS if r != SECURITY
        ]
        return rooms[memory.monitor_turns % len(rooms)]

    def _walk(self, memory: _SeatMemory, room: str, target: str) -> int:
        """A MOVE to the next room on the corridor path to ``target`` (any exit if there)."""
        if room == target:
            exits = CORRIDOR_NEIGHBOURS[room]
            hop = exits[memory.rng.randrange(len(exits))]
        else:
            hop = shortest_path(room, target, impostor=False)[1]
        memory.claim_room = hop
        return self._idx.move + ROOM_INDEX[hop]

    # -- task phase: impostors ----------------------------------------------------------
    def _impostor_task_turn(
        self, memory: _SeatMemory, game: Game, me: Player, view: AgentView
    ) -> int:
        idx, table, tuning, rng = self._idx, view.table, self.tuning, memory.rng
        room = me.location
        bodies, present = self._look_around(memory, game)
        crew_here = [s for s in present if s not in memory.team]
        if (
            tuning.impostor_chain_meetings
            and idx.call in table
            and room == CAFETERIA
            and memory.ejected_crewmate_last
            and game.timestep == memory.meeting + 1
        ):
            memory.ejected_crewmate_last = False
            return idx.call
        if len(crew_here) == 1 and idx.kill + crew_here[0] in table:
            memory.kill_room, memory.kill_time = room, game.timestep
            memory.escaping = True
            memory.claim_room = memory.previous_room
            return idx.kill + crew_here[0]
        if memory.escaping:
            memory.escaping = False
            if bodies and idx.call in table and self._self_report(memory):
                return idx.call
            return self._escape(memory, room, table, game.timestep)
        if (
            0 <= tuning.impostor_button_after <= game.timestep
            and room == CAFETERIA
            and idx.call in table
            and not bodies
            and me.kill_cooldown > 0
        ):
            return idx.call
        memory.previous_room = room
        for task in me.tasks:
            fake = idx.fake + TASK_SPOT_INDEX[task.spot]
            if task.remaining > 0 and task.spot.room == room and fake in table:
                memory.claim_room = room
                return fake
        avoid = {room} if bodies else set()
        if memory.kill_room is not None and game.timestep <= memory.kill_time + 3:
            avoid.add(memory.kill_room)
        target = self._hunting_ground(memory, game.timestep, room)
        if target in avoid:
            options = [r for r in ROOMS if r not in avoid]
            target = options[rng.randrange(len(options))]
        hop = shortest_path(room, target, impostor=False)[1] if target != room else room
        if hop == room or hop in avoid:  # step aside rather than through a room to keep away from
            exits = [r for r in CORRIDOR_NEIGHBOURS[room] if r not in avoid] or list(
                CORRIDOR_NEIGHBOURS[room]
            )
            hop = exits[rng.randrange(len(exits))]
        memory.claim_room = hop
        return idx.move + ROOM_INDEX[hop]

    def _escape(self, memory: _SeatMemory, room: str, table: dict[int, Any], timestep: int) -> int:
        """Leave the body: by a vent to a room nobody was just seen in, else by a quiet corridor."""
        idx, rng = self._idx, memory.rng
        if self.tuning.impostor_vent_escape:
            vents = [r for r in VENT_NEIGHBOURS[room] if idx.vent + ROOM_INDEX[r] in table]
            quiet = [r for r in vents if not self._seen_in_lately(memory, r, timestep)]
            if quiet:
                return idx.vent + ROOM_INDEX[quiet[rng.randrange(len(quiet))]]
        exits = list(CORRIDOR_NEIGHBOURS[room])
        away = [r for r in exits if not self._seen_in_lately(memory, r, timestep)] or exits
        return idx.move + ROOM_INDEX[away[rng.randrange(len(away))]]

    def _self_report(self, memory: _SeatMemory) -> bool:
        mode = self.tuning.impostor_self_report
        if mode == "solo":
            return memory.team - memory.ejected == {memory.seat}
        return mode == "always"

    @staticmethod
    def _seen_in_lately(memory: _SeatMemory, room: str, timestep: int) -> bool:
        return any(
            seen_room == room
            and when >= timestep - 2
            and seat not in memory.dead
            and seat not in memory.team
            for seat, (when, seen_room) in memory.last_seen.items()
        )

    def _hunting_ground(self, memory: _SeatMemory, timestep: int, room: str) -> str:
        """Where the crewmate seen most recently went (a random room if none was seen lately)."""
        best: tuple[int, str] | None = None
        for seat, (when, seen_room) in memory.last_seen.items():
            if seat in memory.team or seat in memory.dead:
                continue
            if seen_room == room and when >= timestep - 1:
                continue  # here already, and not alone with me
            if best is None or when > best[0]:
                best = (when, seen_room)
        if best is not None and best[0] >= timestep - 3:
            return best[1]
        return ROOMS[memory.rng.randrange(len(ROOMS))]

    # -- meetings -----------------------------------------------------------------------
    def _living_others(self, memory: _SeatMemory, view: AgentView) -> list[int]:
        """Who is alive, read off the meeting's options (one vote or accusation per living seat)."""
        idx, table = self._idx, view.table
        return [
            s
            for s in range(len(view.game.names))
            if s != memory.seat and (idx.vote + s in table or idx.accuse + s in table)
        ]

    def _suspicion(self, memory: _SeatMemory, living: list[int]) -> dict[int, float]:
        """A crewmate's suspicion of each living seat."""
        tuning, seat = self.tuning, memory.seat
        hard = memory.killers | memory.venters | memory.fakers
        scores: dict[int, float] = {}
        for other in living:
            score = memory.carried.get(other, 0.0) + memory.found_by_body.get(other, 0.0)
            if other in memory.killers:
                score += tuning.seen_kill
            if other in memory.venters:
                score += tuning.seen_vent
            if other in memory.fakers:
                score += tuning.seen_fake
            score -= tuning.task_company * min(
                memory.task_company.get(other, 0), tuning.task_company_cap
            )
            scores[other] = score
        # A crewmate knows an accusation of itself is false; others' accusations count unless
        # the accuser is caught red-handed or has accused this seat.
        false_accusers = set(memory.accusations.get(seat, ()))
        for accuser in false_accusers:
            if accuser in scores:
                scores[accuser] += tuning.accused_me
        for target, accusers in memory.accusations.items():
            if target != seat and target in scores:
                credible = sum(1 for a in accusers if a not in hard and a not in false_accusers)
                scores[target] += tuning.accusation * credible
        for target, vouchers in memory.vouches.items():
            if target in scores:
                credible = sum(1 for v in vouchers if v not in hard and v not in false_accusers)
                scores[target] -= tuning.vouch * credible
        return scores

    def _speak(self, memory: _SeatMemory, game: Game, view: AgentView) -> int:
        idx = self._idx
        living = self._living_others(memory, view)
        round_ = game.discussion_round
        if memory.team:
            return self._impostor_speech(memory, living, round_)
        scores = self._suspicion(memory, living)
        suspect = max(living, key=lambda s: (scores[s], -s), default=None)
        convinced = suspect is not None and scores[suspect] >= self.tuning.accuse_threshold
        # Vouch in the second round (the first is for accusations); with one round only, vouch
        # when there is nobody to accuse.
        if round_ == 1 or (game.config.discussion_rounds == 1 and not convinced):
            trusted = [s for s in living if memory.task_company.get(s, 0) > 0 and scores[s] <= 0]
            if trusted:
                return idx.vouch + max(trusted, key=lambda s: (memory.task_company[s], -s))
        if convinced:
            assert suspect is not None
            return idx.accuse + suspect
        return idx.claim + ROOM_INDEX[memory.claim_room]

    @staticmethod
    def _threatens_team(memory: _SeatMemory, seat: int | None) -> bool:
        return any(
            seat in accusers
            for target, accusers in memory.accusations.items()
            if target in memory.team
        )

    def _impostor_speech(self, memory: _SeatMemory, living: list[int], round_: int) -> int:
        idx, team = self._idx, memory.team
        crew = [s for s in living if s not in team]
        threats = [s for s in crew if self._threatens_team(memory, s)]
        if threats:
            memory.scapegoat = threats[0]
        elif memory.scapegoat is None or memory.scapegoat not in crew:
            accused = [s for s in crew if memory.accusations.get(s)]
            if accused:
                memory.scapegoat = max(accused, key=lambda s: (len(memory.accusations[s]), -s))
            elif crew and self.tuning.impostor_accuses:
                memory.scapegoat = crew[memory.rng.randrange(len(crew))]
        if memory.scapegoat is not None and round_ != 1:
            return idx.accuse + memory.scapegoat
        return idx.claim + ROOM_INDEX[memory.claim_room]

    def _vote(self, memory: _SeatMemory, view: AgentView) -> int:
        idx, rng = self._idx, memory.rng
        living = [s for s in range(len(view.game.names)) if idx.vote + s in view.table]
        tally: dict[int, int] = {}
        for target in memory.votes.values():
            tally[target] = tally.get(target, 0) + 1
        if memory.team:
            pool = [s for s in living if s not in memory.team] or living
            if memory.scapegoat in pool and self._threatens_team(memory, memory.scapegoat):
                return idx.vote + memory.scapegoat
            accusations = memory.accusations
            return idx.vote + max(
                pool,
                key=lambda s: (
                    tally.get(s, 0),
                    len(accusations.get(s, ())),
                    s == memory.scapegoat,
                    -s,
                ),
            )
        scores = self._suspicion(memory, living)
        noise = {s: rng.random() for s in living}
        best = max(living, key=lambda s: (scores[s], tally.get(s, 0), noise[s]))
        if scores[best] >= self.tuning.follow_threshold:
            return idx.vote + best
        if self.tuning.unvouched_vote:
            # No conviction: the seats nobody vouched for and nobody saw working are the
            # likelier impostors (an impostor has a single task to fake).
            top = scores[best]
            living = [s for s in living if scores[s] >= top - self.tuning.unvouched_margin]
        return idx.vote + self._tie_vote(memory, living, tally, scores)

    @staticmethod
    def _tie_vote(
        memory: _SeatMemory, living: list[int], tally: dict[int, int], scores: dict[int, float]
    ) -> int:
        """Vote so that no one leads alone (a tie ejects no one): level a lone leader with a
        candidate one vote behind, else vote for a candidate with the fewest votes."""
        rng = memory.rng
        top = max(tally.values(), default=0)
        if top > 0:
            leaders = [s for s, count in tally.items() if count == top]
            if len(leaders) == 1:
                chasers = [s for s in living if tally.get(s, 0) == top - 1]
                if chasers:
                    return max(chasers, key=lambda s: (scores[s], rng.random()))
        fewest = min(tally.get(s, 0) for s in living)
        candidates = [s for s in living if tally.get(s, 0) == fewest]
        return candidates[rng.randrange(len(candidates))]


register_policy("heuristic", HeuristicPolicy)
