"""What each agent may know, rendered as a vector, as text, and (for critics) the global state.

Every per-agent view is computed from the records the engine delivered to that player (location
messages, real-time messages, monitor readouts, its own action history), its own role and, for an
impostor, its team. Nothing else is read, so a crewmate's observation cannot depend on hidden
roles it has no evidence about.

The vector view remembers (who was seen where and when, who is known dead, what was said this
meeting). That memory is a function of the game so far, never of when anyone observed: the
environment calls ``VectorObserver.read_turn`` whenever a seat's turn comes, as a player reads
its prompt then, and an observation only renders the memory (folding in, in order, the records
delivered since). So every observation schedule, a copy, a pickle and a replayed log give the
same vectors.

Vector layout (n = number of players, 14 rooms, 39 task instances), all values in [0, 1]:

own block, ``n + 102`` values
    seat one-hot (n) | is impostor | alive | location one-hot (14) |
    phase one-hot: task, discussion, voting (3) | meeting round / (R + 1) |
    timestep / max_timesteps | kill cooldown / kill_cooldown | can kill now (alive, task phase,
    off cooldown) |
    emergency buttons left / max_num_buttons | assigned, per task instance (39) |
    progress, per task instance (39)
then one block of ``PLAYER_FEATURES`` values per seat, in seat order
    is me | known fellow impostor | alive and in my room (latest location message) |
    body in my room | known dead (seen dead or killed, on the monitor too; killed by me; missing
    from a meeting) | last seen room one-hot (14) | when last seen:
    (timestep + 1) / (max_timesteps + 1), 0 if never | seen killing | seen venting |
    seen doing a task (count / 4, real and fake alike, as observers cannot tell them apart) |
    seen faking a task on the monitor | others' accusations against them this meeting /
    ((n - 1) R) | others' vouches for them this meeting / ((n - 1) R) | accused me this meeting |
    votes received this meeting / (n - 1) | voted for me this meeting |
    I voted for them this meeting | last room they claimed one-hot (14)
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from amongagents.actions import ActionKind
from amongagents.game import Game
from amongagents.records import LocationInfo, MonitorReadout, Phase, SeenAction
from amongagents.skeld import ROOM_INDEX, ROOMS
from amongagents.tasks import TASK_SPOT_INDEX
from amongagents.text import information_block, phase_instruction
from amongus_marl.catalogue import NUM_ROOMS, NUM_TASK_SPOTS, SpeechAct

# offsets inside one player block
IS_ME, TEAMMATE, HERE_ALIVE, HERE_BODY, KNOWN_DEAD = 0, 1, 2, 3, 4
LAST_SEEN_ROOM = 5
LAST_SEEN_TIME = LAST_SEEN_ROOM + NUM_ROOMS
SEEN_KILL, SEEN_VENT, SEEN_TASKS, SEEN_FAKE = (
    LAST_SEEN_TIME + 1,
    LAST_SEEN_TIME + 2,
    LAST_SEEN_TIME + 3,
    LAST_SEEN_TIME + 4,
)
ACCUSED, VOUCHED, ACCUSED_ME = SEEN_FAKE + 1, SEEN_FAKE + 2, SEEN_FAKE + 3
VOTES_RECEIVED, VOTED_FOR_ME, I_VOTED_FOR = ACCUSED_ME + 1, ACCUSED_ME + 2, ACCUSED_ME + 3
CLAIMED_ROOM = I_VOTED_FOR + 1
PLAYER_FEATURES: Final[int] = CLAIMED_ROOM + NUM_ROOMS
OWN_FIXED: Final[int] = 1 + 1 + NUM_ROOMS + 3 + 1 + 1 + 1 + 1 + 1 + 2 * NUM_TASK_SPOTS
STATE_PLAYER_FEATURES: Final[int] = 3 + NUM_ROOMS + 2
STATE_GLOBAL_FEATURES: Final[int] = 3 + 4


def vector_size(num_players: int) -> int:
    return num_players + OWN_FIXED + num_players * PLAYER_FEATURES


def state_size(num_players: int) -> int:
    return num_players * STATE_PLAYER_FEATURES + STATE_GLOBAL_FEATURES


def speech_table(game: Game) -> dict[str, tuple[str, int]]:
    """Chat text of every structured speech act -> (act, seat or room index)."""
    table: dict[str, tuple[str, int]] = {}
    for seat, name in enumerate(game.names):
        table[SpeechAct.accuse(name)] = (SpeechAct.ACCUSE, seat)
        table[SpeechAct.vouch(name)] = (SpeechAct.VOUCH, seat)
    for i, room in enumerate(ROOMS):
        table[SpeechAct.claim(room)] = (SpeechAct.CLAIM, i)
    return table


class VectorObserver:
    """One agent's evidence, folded incrementally from the records the engine gave it."""

    def __init__(self, game: Game, seat: int, speech: dict[str, tuple[str, int]]) -> None:
        n = game.config.num_players
        self.game, self.seat, self.n, self._speech = game, seat, n, speech
        own = n + OWN_FIXED
        # One buffer holds the whole vector; the own part and the evidence rows are views into it.
        self._buffer = np.zeros(own + n * PLAYER_FEATURES, dtype=np.float32)
        self._bind_views()
        self._last_room = [NUM_ROOMS] * n  # room index last seen in; NUM_ROOMS = never seen
        self._last_time = [-1] * n  # timestep last seen; -1 = never
        self._last_location: tuple[Any, ...] = ()  # room and company of the last location message
        self._last_location_time = -1
        self._last_claim = [NUM_ROOMS] * n  # room index each seat last claimed; NUM_ROOMS = none
        self._last_meeting_location: tuple[Any, ...] = ()
        self._here: tuple[int, ...] = ()  # seats flagged as present in the previous vector
        self._seen_observations = 0
        self._seen_actions = 0
        self._meeting = -1  # timestep of the meeting the per-meeting counters belong to
        me = game.players[seat]
        self._evidence[seat, IS_ME] = 1.0
        if me.is_impostor:
            for mate in game.impostor_seats():
                self._evidence[mate, TEAMMATE] = 1.0
        self._static = np.zeros(own, dtype=np.float32)
        self._static[seat] = 1.0
        self._static[n] = float(me.is_impostor)
        for task in me.tasks:
            self._static[n + 2 + NUM_ROOMS + 8 + TASK_SPOT_INDEX[task.spot]] = 1.0
        self._task_slots = [
            (task, n + 2 + NUM_ROOMS + 8 + NUM_TASK_SPOTS + TASK_SPOT_INDEX[task.spot])
            for task in me.tasks
        ]
        config = game.config
        self._me = me
        self._alive_at = n + 1
        self._location_at = n + 2
        self._phase_at = n + 2 + NUM_ROOMS
        self._max_buttons = config.max_num_buttons
        self._inverse_time = 1.0 / config.max_timesteps
        # Per meeting each other player speaks at most R times and votes once.
        self._per_speech = 1.0 / ((n - 1) * max(1, config.discussion_rounds))
        self._per_vote = 1.0 / max(1, n - 1)
        self._inverse_time_plus_one = 1.0 / (config.max_timesteps + 1)
        self._inverse_cooldown = 1.0 / max(config.kill_cooldown, 1)
        self._inverse_rounds = 1.0 / (config.discussion_rounds + 1)

    def _bind_views(self) -> None:
        own = self.n + OWN_FIXED
        self._own = self._buffer[:own]
        self._evidence = self._buffer[own:].reshape(self.n, PLAYER_FEATURES)

    # Copying or pickling turns views into arrays of their own, which the buffer would no longer
    # see: copies carry the buffer alone and rebuild the views from it.
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_own"], state["_evidence"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._bind_views()

    # -- evidence -------------------------------------------------------------------------
    def _new_meeting(self, timestep: int) -> None:
        if timestep != self._meeting:
            self._meeting = timestep
            self._evidence[:, ACCUSED : I_VOTED_FOR + 1] = 0.0

    def _seen_in(self, seat: int, room: int, timestep: int) -> None:
        """Remember where and when ``seat`` was last seen. Python mirrors of both let the vector
        be written only when something changed (numpy element writes are the costly part)."""
        if self._last_time[seat] != timestep:
            self._last_time[seat] = timestep
            self._evidence[seat, LAST_SEEN_TIME] = (timestep + 1) * self._inverse_time_plus_one
        previous = self._last_room[seat]
        if previous != room:
            row = self._evidence[seat]
            if previous != NUM_ROOMS:
                row[LAST_SEEN_ROOM + previous] = 0.0
            row[LAST_SEEN_ROOM + room] = 1.0
            self._last_room[seat] = room

    def _fold(self) -> None:
        player = self._me
        if len(player.observations) > self._seen_observations:
            for record in player.observations[self._seen_observations :]:
                if type(record) is SeenAction:
                    self._fold_seen(record)
                else:
                    self._fold_monitor(record)  # type: ignore[arg-type]  # the only other kind
            self._seen_observations = len(player.observations)
        if len(player.action_history) > self._seen_actions:
            for entry in player.action_history[self._seen_actions :]:
                kind = entry.action.kind
                # Own votes are folded after the messages heard since the last fold, which may
                # already belong to a later meeting: a vote of an earlier meeting is stale then.
                if kind is ActionKind.VOTE and entry.clock.timestep >= self._meeting:
                    self._new_meeting(entry.clock.timestep)
                    self._evidence[entry.action.target, I_VOTED_FOR] = 1.0
                elif kind is ActionKind.KILL:  # the killer needs no witness to know
                    self._evidence[entry.action.target, KNOWN_DEAD] = 1.0
            self._seen_actions = len(player.action_history)

    def _fold_seen(self, record: SeenAction) -> None:
        action, actor = record.action, record.actor
        kind = action.kind
        if kind is ActionKind.MOVE or kind is ActionKind.VENT:
            self._seen_in(actor, ROOM_INDEX[action.room], record.clock.timestep)  # type: ignore[index]
            if kind is ActionKind.VENT:
                self._evidence[actor, SEEN_VENT] = 1.0
            return
        if kind is ActionKind.SPEAK:
            # Speakers and voters stand in Cafeteria with everyone: the location fold sees them.
            if record.clock.timestep != self._meeting:
                self._new_meeting(record.clock.timestep)
            parsed = self._speech.get(action.message or "")
            if parsed is None:
                return
            speech_act, subject = parsed
            row = self._evidence[actor]
            if speech_act == SpeechAct.CLAIM:
                previous = self._last_claim[actor]
                if previous != subject:
                    if previous != NUM_ROOMS:
                        row[CLAIMED_ROOM + previous] = 0.0
                    row[CLAIMED_ROOM + subject] = 1.0
                    self._last_claim[actor] = subject
            elif speech_act == SpeechAct.ACCUSE:
                evidence = self._evidence
                evidence[subject, ACCUSED] = min(1.0, evidence[subject, ACCUSED] + self._per_speech)
                if subject == self.seat:
                    row[ACCUSED_ME] = 1.0
            else:
                evidence = self._evidence
                evidence[subject, VOUCHED] = min(1.0, evidence[subject, VOUCHED] + self._per_speech)
            return
        if kind is ActionKind.VOTE:
            if record.clock.timestep != self._meeting:
                self._new_meeting(record.clock.timestep)
            evidence, target = self._evidence, action.target
            assert target is not None  # a vote names its target
            # Clamped: in float32, k additions of 1/k exceed 1 for k >= 10.
            evidence[target, VOTES_RECEIVED] = min(
                1.0, evidence[target, VOTES_RECEIVED] + self._per_vote
            )
            if target == self.seat:
                self._evidence[actor, VOTED_FOR_ME] = 1.0
            return
        self._seen_in(actor, ROOM_INDEX[record.room], record.clock.timestep)
        if kind is ActionKind.KILL:
            self._evidence[actor, SEEN_KILL] = 1.0
            self._evidence[action.target, KNOWN_DEAD] = 1.0
        elif kind is ActionKind.COMPLETE_TASK or kind is ActionKind.COMPLETE_FAKE_TASK:
            row = self._evidence[actor]
            row[SEEN_TASKS] = min(1.0, row[SEEN_TASKS] + 0.25)

    def _fold_monitor(self, readout: MonitorReadout) -> None:
        now = readout.clock.timestep
        for entry in readout.entries:
            if entry.leaving:
                continue
            row = self._evidence[entry.seat]
            self._seen_in(entry.seat, ROOM_INDEX[readout.room], now)
            kind = entry.action.kind if entry.action is not None else None
            if kind is ActionKind.KILL:
                row[SEEN_KILL] = 1.0
                self._evidence[entry.action.target, KNOWN_DEAD] = 1.0  # type: ignore[union-attr]
            elif kind is ActionKind.VENT:
                row[SEEN_VENT] = 1.0
            elif kind is ActionKind.COMPLETE_FAKE_TASK:
                row[SEEN_FAKE] = 1.0

    # -- turns --------------------------------------------------------------------------
    def read_turn(self) -> None:
        """The agent's turn has come: it takes in what it was told since it last looked and
        reads its location message, whose content (who was seen where, and when) it remembers.

        The environment calls this at the start of every turn of the seat, whoever observes
        what, so the memory depends on the game alone.
        """
        self._fold()
        game = self.game
        in_task_phase = game.phase is Phase.TASK
        if not in_task_phase and game.timestep != self._meeting:
            self._new_meeting(game.timestep)  # a meeting nobody has spoken in yet: all zero
        self._fold_location(in_task_phase)

    # -- rendering ------------------------------------------------------------------------
    def vector(self, acting: bool) -> np.ndarray:
        """The agent's observation now: its memory, its own state, and its location message.

        ``acting``: the agent is the one to act, and ``read_turn`` has already taken its
        current message in. Any other agent is shown its current message laid over its memory
        without remembering it, so looking never changes what is seen later.
        """
        self._fold()  # records only: they arrive in order, so when they are folded is moot
        game, me, own, at = self.game, self._me, self._own, self._phase_at
        own[:] = self._static
        own[self._alive_at] = me.alive
        own[self._location_at + ROOM_INDEX[me.location]] = 1.0
        in_task_phase = game.phase is Phase.TASK
        if in_task_phase:
            own[at] = 1.0
        else:
            own[at + (2 if game.discussion_rounds_left == 0 else 1)] = 1.0
            own[at + 3] = game.discussion_round * self._inverse_rounds
        own[at + 4] = game.timestep * self._inverse_time
        if me.is_impostor:
            own[at + 5] = me.kill_cooldown * self._inverse_cooldown
            own[at + 6] = me.kill_cooldown == 0 and in_task_phase and me.alive
        if self._max_buttons:
            own[at + 7] = max(0, self._max_buttons - game.button_uses) / self._max_buttons
        for task, slot in self._task_slots:
            if task.remaining != task.duration:
                own[slot] = task.progress
        if acting:
            return self._buffer.copy()
        return self._glance()

    def _glance(self) -> np.ndarray:
        """A copy of the vector with the current location message laid over it, unremembered."""
        vector = self._buffer.copy()
        rows = vector[self._own.size :].reshape(self.n, PLAYER_FEATURES)
        if self.game.phase is Phase.MEETING and self.game.timestep != self._meeting:
            rows[:, ACCUSED : I_VOTED_FOR + 1] = 0.0  # a meeting nobody has spoken in yet
        info = self.game.location_info(self.seat)
        rows[:, HERE_ALIVE : HERE_BODY + 1] = 0.0
        room = ROOM_INDEX[info.room]
        seen_at = (info.clock.timestep + 1) * self._inverse_time_plus_one
        for other, dead in zip(info.occupants, info.dead, strict=True):
            row = rows[other]
            if dead:
                row[HERE_BODY] = row[KNOWN_DEAD] = 1.0
                continue
            row[HERE_ALIVE] = 1.0
            if other != self.seat and row[LAST_SEEN_TIME] <= seen_at:
                row[LAST_SEEN_ROOM : LAST_SEEN_ROOM + NUM_ROOMS] = 0.0
                row[LAST_SEEN_ROOM + room] = 1.0
                row[LAST_SEEN_TIME] = seen_at
        if self.game.phase is Phase.MEETING and self._me.alive and not self.game.is_over:
            self._mark_absent_dead(info, rows)
        return vector

    def _fold_location(self, in_task_phase: bool) -> None:
        """Who is in my room per my latest location message (skipped when it did not change).

        Within one meeting nobody moves, dies or gets reported, so the message's content is
        fixed once the meeting has begun and is not even rebuilt.
        """
        game = self.game
        if not in_task_phase:
            meeting = (game.timestep, len(game.dead_seats), self._me.location)
            if meeting == self._last_meeting_location:
                return
            self._last_meeting_location = meeting
        info = game.location_info(self.seat)
        company = (info.room, info.occupants, info.dead)
        timestep = info.clock.timestep
        if company == self._last_location and timestep == self._last_location_time:
            return
        self._last_location_time = timestep
        room = ROOM_INDEX[info.room]
        seat = self.seat
        if company != self._last_location:
            self._last_location = company
            evidence = self._evidence
            for other in self._here:
                evidence[other, HERE_ALIVE] = evidence[other, HERE_BODY] = 0.0
            self._here = info.occupants
            for other, dead in zip(info.occupants, info.dead, strict=True):
                if dead:
                    evidence[other, HERE_BODY] = 1.0
                    evidence[other, KNOWN_DEAD] = 1.0
                else:
                    evidence[other, HERE_ALIVE] = 1.0
        for other, dead in zip(info.occupants, info.dead, strict=True):
            if not dead and other != seat:
                self._seen_in(other, room, timestep)
        if not in_task_phase and self._me.alive and not game.is_over:
            self._mark_absent_dead(info, self._evidence)

    def _mark_absent_dead(self, info: LocationInfo, rows: np.ndarray) -> None:
        """A meeting gathers every living player in the Cafeteria: whoever is missing from it is
        dead, and everyone there knows it (the seat's own message shows it, as the roll call).
        Only for a meeting being held: a game that ends with the call never gathers anyone."""
        living = {other for other, dead in zip(info.occupants, info.dead, strict=True) if not dead}
        for other in range(self.n):
            if other not in living:
                rows[other, KNOWN_DEAD] = 1.0


def state_vector(game: Game) -> np.ndarray:
    """The full global state for centralised critics: roles, positions, bodies, progress."""
    config = game.config
    rows = np.zeros((config.num_players, STATE_PLAYER_FEATURES), dtype=np.float32)
    for p in game.players:
        row = rows[p.seat]
        row[0], row[1], row[2] = float(p.is_impostor), float(p.alive), float(p.reported_death)
        row[3 + ROOM_INDEX[p.location]] = 1.0
        row[3 + NUM_ROOMS] = (
            p.kill_cooldown / max(config.kill_cooldown, 1) if p.is_impostor else 0.0
        )
        if p.tasks and not p.is_impostor:
            row[4 + NUM_ROOMS] = sum(t.progress for t in p.tasks) / len(p.tasks)
    tail = np.zeros(STATE_GLOBAL_FEATURES, dtype=np.float32)
    if game.phase is Phase.TASK:
        tail[0] = 1.0
    else:
        tail[2 if game.is_voting else 1] = 1.0
        tail[3] = game.discussion_round / (config.discussion_rounds + 1)
    tail[4] = min(1.0, game.timestep / config.max_timesteps)
    tail[5] = max(0, config.max_num_buttons - game.button_uses) / max(config.max_num_buttons, 1)
    tail[6] = game.task_completion()
    return np.concatenate((rows.reshape(-1), tail))


def text_observation(game: Game, seat: int) -> str:
    """The 7vik-layout information block, after a short header of who the reader is."""
    me = game.players[seat]
    article = "an" if me.is_impostor else "a"
    header = f"You are {me.name}, {article} {me.identity}."
    if me.is_impostor:
        team = ", ".join(game.names[s] for s in game.impostor_seats())
        header += f" The impostors are: {team}."
    if not me.alive:
        header += " You are dead and can no longer act."
    return f"{header}\n\n{information_block(game, seat)}"


def rules_summary(game: Game) -> str:
    """The rules in brief, generated from the game's own config (for LLM system prompts)."""
    config = game.config
    return (
        f"{config.num_players} players, {config.num_impostors} of them impostors, on the Skeld. "
        f"{phase_instruction(Phase.TASK, config)} A meeting starts when someone reports a body or "
        f"presses the emergency button ({config.max_num_buttons} presses per game, body reports "
        f"included). {phase_instruction(Phase.MEETING, config)} "
        "Impostors win when they are at least "
        f"as many as the crewmates or when {config.max_timesteps} timesteps pass; crewmates win by "
        "ejecting every impostor or finishing all their tasks."
    )
