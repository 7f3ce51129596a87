"""Prompts for LLM players and the reading of their answers.

Everything here is a pure function of public game data, so it is tested without a network.

System prompt
    Role-specific, built from the game's ``GameConfig`` (``rules_summary``), the task table and
    the Skeld's own map objects (rooms, corridors and the three vents that really exist), so the
    prompt cannot disagree with the engine. An impostor is told every member of its team (the
    reference showed each impostor only the teammates built before it).

User message
    The reference's shape: ``Summarization:`` (the player's previous thinking), the 7vik
    information block, ``Memory:`` (the player's condensed memory) and a phase hint.

Answer contract
    ``[Condensed Memory]``, ``[Thinking Process]`` and ``[Action]`` sections. ``parse_reply``
    splits them tolerantly (any case, markdown decoration, reasoning-model ``<think>`` blocks);
    ``match_action`` maps the action text to a legal action: exact string, list number, ``SPEAK``
    and ``VIEW MONITOR`` forms (keeping the message and the room), case/spacing/punctuation-blind
    equality, containment either way, a unique word subset, the best ``difflib`` ratio above a
    threshold, a vote or kill by the player's number alone (``player``), and finally the one
    legal action of the verb the answer starts with, when it names nothing that action does not
    (``verb``). In a discussion round, where SPEAK is the only legal action, an answer naming no
    action is what the player says (``speech``).

Compact style (``--llm-prompt compact``)
    For small models: a system prompt of the one-paragraph rule summary, the seat's role and
    goal, and a one-line answer (``compact_system_prompt``); the user message is the information
    block and a request for one line (``compact_user_message``). Free-form, a made-up turn of
    the same kind with its one-line answer comes before the real one (``compact_examples``). No
    memory or thinking is carried, and the answer is read from its first line. SmolLM2-135M
    given the full prompt rarely writes an ``[Action]`` section; see the README's figures.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from amongagents import actions as act
from amongagents.actions import DEFAULT_SPEECH, Action, ActionKind
from amongagents.config import COLORS
from amongagents.game import Game
from amongagents.records import Phase
from amongagents.skeld import CAFETERIA, CORRIDOR_NEIGHBOURS, ROOMS, SECURITY, VENTS
from amongagents.tasks import TASK_KINDS, TaskType
from amongagents.text import HISTORY_WINDOW, available_actions_text
from amongus_marl.observations import rules_summary

MEMORY_HEADER: Final[str] = "[Condensed Memory]"
THINKING_HEADER: Final[str] = "[Thinking Process]"
ACTION_HEADER: Final[str] = "[Action]"
#: What a player remembers and thought before its first turn.
INITIAL_MEMORY: Final[str] = "Nothing remembered yet; this is your first turn."
INITIAL_THINKING: Final[str] = "No thinking yet; this is your first turn."
#: ``difflib`` ratio a fuzzy match must reach (on normalised strings).
DEFAULT_MATCH_THRESHOLD: Final[float] = 0.75


# ---------------------------------------------------------------------- system prompt
def system_prompt(game: Game, seat: int, answer: str | None = None) -> str:
    """The system prompt of ``seat``: the game, the map, the role and the answer format
    (``answer``: another "How to answer" text, e.g. structured output's)."""
    me = game.players[seat]
    article = "an" if me.is_impostor else "a"
    # What every seat of the game is told comes first and the seat's own part last, so a local
    # server that reuses the longest prompt prefix it has evaluated (llama.cpp does) evaluates
    # the rules and the map once for all the seats it plays, not once per seat change.
    parts = [
        "This is a text game of Among Us on the Skeld spaceship. Every turn you get what you can "
        "see and the actions you may take, and you answer with one of those actions.",
        "# The game\n" + rules_summary(game) + "\n" + _rule_details(game),
        "# The map\n" + map_description(),
        "# How to answer\n" + (answer or answer_format()),
        f"# Your role\nYou are {me.name}, {article} {me.identity.lower()}.\n"
        + (_impostor_brief(game, seat) if me.is_impostor else _crewmate_brief(game)),
    ]
    return "\n\n".join(parts)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _task_actions(task_type: TaskType) -> int:
    return max((kind.duration for kind in TASK_KINDS.values() if kind.type is task_type), default=1)


def _rule_details(game: Game) -> str:
    config = game.config
    counts = [
        _plural(config.num_common_tasks, "common task"),
        _plural(config.num_short_tasks, "short task"),
        _plural(config.num_long_tasks, "long task"),
    ]
    long_actions = _task_actions(TaskType.LONG)
    lines = [
        "- Turns: in each timestep of the task phase every living player acts once, in seat "
        "order. Walking to a neighbouring room takes one turn. A meeting call ends the round at "
        "once.",
        f"- Tasks: each crewmate gets {', '.join(counts)}. A task is done in its own room with "
        f"COMPLETE TASK; a long task takes {_plural(long_actions, 'action')}, the others one. "
        "Your observation lists your tasks with the shortest route to each. The task bar counts "
        "only living crewmates' tasks.",
        "- Seeing: you see who is in your room. Players in a room see what is done there; a move "
        "is seen both in the room left and in the room entered. Someone working on a task only "
        'shows as "Seemingly doing task", so real and fake tasks look alike.',
        f"- Memory: each turn shows only your last {HISTORY_WINDOW} observations and your last "
        f"{HISTORY_WINDOW} actions. Keep whatever else matters in your condensed memory.",
        "- Bodies: a killed player's body stays where it fell. Anyone in that room can report it "
        "(REPORT DEAD BODY), which starts a meeting and marks every body on the ship as found. "
        f"The emergency button in {CAFETERIA} also starts one. The button works "
        f"{_plural(config.max_num_buttons, 'time')} per game, and every meeting, reported "
        "or called, uses one of them up; a body can be reported even when none are left.",
        f"- Meetings: everyone is brought to {CAFETERIA}. There are "
        f"{_plural(config.discussion_rounds, 'discussion round')} in which every living player "
        "says one thing (SPEAK), then one voting round. You must vote for another living player; "
        "there is no skip. The player with the most votes is ejected and dies; a tie ejects "
        "nobody. The result is not announced: an ejected player shows as (dead) in "
        f"{CAFETERIA}, and while that body is unreported anyone there may call a meeting, even "
        "with no button presses left.",
        f"- Security camera: in {SECURITY} anyone may VIEW MONITOR to see the latest action of "
        f"every player in one room. Write VIEW MONITOR followed by a room name to choose it. The "
        "camera shows actions as they really are, fake tasks included.",
        "- Dead players take no further part.",
    ]
    return "\n".join(lines)


def map_description() -> str:
    """Rooms, corridors and vents of the Skeld, from the engine's map data."""
    corridors = "\n".join(f"- {room}: {', '.join(CORRIDOR_NEIGHBOURS[room])}" for room in ROOMS)
    vents = ", ".join(f"{a} - {b}" for a, b in VENTS)
    vent_rooms = sorted({room for pair in VENTS for room in pair}, key=ROOMS.index)
    return (
        f"Rooms: {', '.join(ROOMS)}.\n"
        "Corridors (MOVE goes to a neighbouring room in one turn):\n"
        f"{corridors}\n"
        f"Vents (VENT, impostors only, one turn, seen in both rooms): {vents}. Only "
        f"{', '.join(vent_rooms[:-1])} and {vent_rooms[-1]} have vents; no other room does.\n"
        f"The emergency button is in {CAFETERIA}; the security monitor is in {SECURITY}."
    )


def _impostor_brief(game: Game, seat: int) -> str:
    config = game.config
    team = game.impostor_seats()
    names = [game.names[s] + (" (you)" if s == seat else "") for s in team]
    mates = [game.names[s] for s in team if s != seat]
    lines = [
        f"You are an IMPOSTOR. The impostors are: {', '.join(names)}.",
        (
            f"Your fellow impostor{'s are' if len(mates) > 1 else ' is'} {', '.join(mates)}: "
            "work with them, never expose them."
            if mates
            else "You are the only impostor."
        ),
        "Goal: kill crewmates until the impostors are at least as many as the living crewmates, "
        f"or survive until timestep {config.max_timesteps}. You lose if every impostor is "
        "ejected or the crewmates finish all their tasks first.",
        "- KILL a crewmate in your room. Everyone in the room sees the kill, so strike when you "
        "are alone with the victim. After a kill you must wait "
        f"{_plural(config.kill_cooldown, 'turn')} "
        "(meeting turns count) before you can kill again. You can kill from the start.",
        "- VENT between the vent rooms to escape or to travel fast, but anyone in either room "
        "sees you vent.",
        "- COMPLETE FAKE TASK to look busy; it does not help the task bar.",
        "- In meetings, stay calm and credible: give an alibi, cast doubt on crewmates and vote "
        "one of them out. Never vote for a fellow impostor.",
    ]
    return "\n".join(lines)


def _crewmate_brief(game: Game) -> str:
    config = game.config
    others = config.num_players - 1
    return "\n".join(
        [
            f"You are a CREWMATE. {_plural(config.num_impostors, 'impostor')} "
            f"{'hides' if config.num_impostors == 1 else 'hide'} among the other {others} "
            "players; you do not know who.",
            "Goal: finish your tasks, or find the impostors and vote every one of them out "
            f"before they kill enough of you or timestep {config.max_timesteps} is reached.",
            "- Walk to your task rooms and complete your tasks; you cannot kill or vent.",
            "- Watch who goes where. A player seen killing or venting is an impostor. Report "
            "bodies, and call a meeting when you have evidence.",
            "- In meetings, share what you saw, question stories that do not fit, and vote for "
            "the player you most suspect.",
        ]
    )


def answer_format() -> str:
    return (
        "Answer with exactly these three sections, in this order:\n"
        f"{MEMORY_HEADER}\n"
        "What you want to remember for the rest of the game: where players were and when, what "
        "they did or said, whom you suspect or trust and why. It replaces your previous memory, "
        "so carry over whatever still matters.\n"
        f"{THINKING_HEADER}\n"
        "Brief reasoning about the situation and the best action.\n"
        f"{ACTION_HEADER}\n"
        'One action copied exactly from the "Available actions" list, on one line. To speak, '
        "write SPEAK: followed by your message. In Security you may write VIEW MONITOR followed "
        "by the room to watch."
    )


# ---------------------------------------------------------------------- compact prompts
#: Prompt styles: ``full`` (the reference's three-section answer, rules, map and role brief) and
#: ``compact`` (for small models: a short rule summary and a one-line answer).
PROMPT_STYLES: Final[tuple[str, ...]] = ("full", "compact")
#: Longest speech taken from a free answer in a discussion round (the ``speech`` rule).
SPEECH_CHARS: Final[int] = 300


def compact_system_prompt(game: Game, seat: int, answer: str | None = None) -> str:
    """A short system prompt for small models (a few hundred tokens, not a few thousand).

    SmolLM2-135M given the full prompt mostly carries on writing game text and never reaches an
    ``[Action]`` section; asked for one line, it answers in one line far more often. The rules
    are the one-paragraph summary, the role its goal; the seat's part comes last, as in
    ``system_prompt``.
    """
    me = game.players[seat]
    if me.is_impostor:
        mates = [game.names[s] for s in game.impostor_seats() if s != seat]
        role = "an IMPOSTOR" + (f" with {', '.join(mates)}" if mates else "")
        goal = "kill crewmates when no one else is in the room, and avoid being voted out"
    else:
        role = "a CREWMATE"
        goal = "do your tasks, report bodies, and vote out the impostor"
    how = answer or (
        "Reply with one line: one action copied exactly from the numbered list of available "
        "actions. In a meeting discussion, reply with SPEAK: and one short sentence."
    )
    return (
        "This is a text game of Among Us. " + rules_summary(game) + "\n\n" + how + "\n\n"
        f"You are {me.name}, {role}. Your goal: {goal}."
    )


def compact_user_message(information: str) -> str:
    """The information block and a one-line request (no memory or thinking to carry)."""
    return f"{information.rstrip()}\n\nYour action, one line from the list above:"


#: The made-up turn of ``compact_examples`` for each kind of turn: a few lines of the
#: information block, the legal actions, and which of them is answered.
_TASK_EXAMPLE: Final[tuple[str, tuple[Action, ...], int]] = (
    "Current phase: Task phase\nCurrent Location: Weapons\nPlayers in Weapons: Player 5: lime\n\n",
    (
        act.move("Weapons", "Cafeteria"),
        act.move("Weapons", "O2"),
        act.move("Weapons", "Navigation"),
    ),
    1,
)
_VOTE_EXAMPLE: Final[tuple[str, tuple[Action, ...], int]] = (
    "Current phase: Meeting phase - voting\nCurrent Location: Cafeteria\n\n",
    (act.vote(0, "Player 1: red"), act.vote(3, "Player 4: cyan"), act.vote(5, "Player 6: white")),
    2,
)


def compact_examples(game: Game) -> list[dict[str, str]]:
    """A made-up exchange to put between the system prompt and the real turn of a free-form
    compact chat: a short user turn of the same kind as the real one (a task-phase move, a
    vote), ending in its "Available actions" list and the usual request, and the assistant's
    answer, one line copied from the list. Discussion rounds get none: there any words are a
    speech (the ``speech`` rule).

    SmolLM2-135M asked for a line from the list mostly wrote made-up text in the task phase and
    in votes; shown the format first, it copies a line far more often. Shown both examples on
    every turn, it also copied the vote's form into the task phase (``VOTE Player 4: yellow``
    with no vote open), hence one example, matched to the turn (the README's figures). About 85
    prompt tokens. Not for structured output, whose answer is a JSON object.
    """
    if game.phase is Phase.TASK:
        example = _TASK_EXAMPLE
    elif game.is_voting:
        example = _VOTE_EXAMPLE
    else:
        return []
    situation, legal, chosen = example
    return [
        {
            "role": "user",
            "content": compact_user_message(situation + available_actions_text(legal)),
        },
        {"role": "assistant", "content": legal[chosen].text},
    ]


# ---------------------------------------------------------------------- user message
def phase_hint(game: Game) -> str:
    if game.phase is Phase.TASK:
        return "Task phase"
    if game.is_voting:
        return "Meeting phase, voting"
    rounds = game.config.discussion_rounds
    return f"Meeting phase, discussion round {game.discussion_round + 1} of {rounds}"


def user_message(information: str, memory: str, thinking: str, hint: str) -> str:
    """The reference's user-message shape: previous thinking, information, memory, phase."""
    return (
        f"Summarization: {thinking}\n\n"
        f"{information.rstrip()}\n\n"
        f"Memory: {memory}\n\n"
        f"Phase: {hint}. Return your output."
    )


# ---------------------------------------------------------------------- reading answers
@dataclass(frozen=True, slots=True)
class Reply:
    """An answer split into its sections (``None``: the section is missing or empty)."""

    memory: str | None
    thinking: str | None
    action: str  # the action section, or the whole answer when it has none
    structured: bool  # the answer had an [Action] section


_THINK_BLOCK = re.compile(r"<think>.*?(?:</think>|$)", re.IGNORECASE | re.DOTALL)
#: Reasoning closed but never opened (a chat template that puts ``<think>`` in the prompt).
_UNOPENED_THINK = re.compile(r"^.*</think>", re.IGNORECASE | re.DOTALL)
_HEADER = re.compile(r"\[\s*(condensed\s+memory|thinking\s+process|action)\s*\]", re.IGNORECASE)
_SECTION_KEYS = {"condensed memory": "memory", "thinking process": "thinking", "action": "action"}


def parse_reply(text: str) -> Reply:
    """Split an answer into memory, thinking and action sections.

    Each header may appear in any case and with markdown around it. A section runs to the next
    header. Without an ``[Action]`` header the whole answer is the action text, as in the
    reference (``match_reply`` then looks for an action line by line).
    """
    cleaned = _UNOPENED_THINK.sub("", _THINK_BLOCK.sub("", text or ""))
    headers = list(_HEADER.finditer(cleaned))
    sections: dict[str, str] = {}
    for i, header in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(cleaned)
        key = _SECTION_KEYS[" ".join(header.group(1).lower().split())]
        raw = cleaned[header.end() : end]
        body = (
            _strip_decoration(raw) if key == "action" else _strip_fences(raw).strip(_SECTION_EDGE)
        )
        if body:
            sections[key] = body  # a repeated header: the later one wins
    structured = "action" in sections
    action = sections["action"] if structured else _strip_decoration(cleaned)
    return Reply(sections.get("memory"), sections.get("thinking"), action, structured)


def match_reply(
    reply: Reply,
    legal: Sequence[Action],
    threshold: float = DEFAULT_MATCH_THRESHOLD,
    *,
    from_start: bool = False,
) -> ActionMatch | None:
    """The legal action an answer names. An ``[Action]`` section is matched as a whole; an
    answer without one is read line by line from the end, where models put their conclusion
    (``from_start``: from the top, for a one-line answer a small model may run on after).

    In a discussion round, where speaking is all a player can do, an answer that names no
    action is taken as what the player says: its first line, as the ``speech`` rule.
    """
    if reply.structured:
        found = match_action(reply.action, legal, threshold)
    else:
        lines = [line for line in reply.action.splitlines() if line.strip(_DECORATION)]
        found = None
        for line in lines if from_start else reversed(lines):
            found = match_action(line, legal, threshold)
            if found is not None:
                break
    if found is None and legal and all(a.kind is ActionKind.SPEAK for a in legal):
        said = _unquote(" ".join(_first_line(reply.action).strip(_DECORATION).split()))
        if normalize(said):  # words, not just marks
            return ActionMatch(f"SPEAK: {said[:SPEECH_CHARS]}", "speech")
    return found


#: Markdown and punctuation that may surround an action (``**MOVE ...**``, ``[Action]: ...``).
_DECORATION = " \t\r\n*#>`\"'_:-"
#: What may surround a memory or thinking section (``**[Condensed Memory]**:``, ``### [Action]``).
_SECTION_EDGE = " \t\r\n*#:"


def _strip_fences(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith("```"))


def _strip_decoration(text: str) -> str:
    return _undecorate(_strip_fences(text))


def _undecorate(text: str) -> str:
    """Markdown and quotes around an answer come off. Every mark that opens it goes (``**``,
    ``#``, ``>``, ``-``, quotes, backticks); at its end, one closing partner per opening mark,
    then any mark with no partner before it, so that a spoken message keeps a quotation it
    ends with (``SPEAK: I said "hi"``) and its emphasis (``*wink*``)."""
    text = text.strip()
    body = text.lstrip(_LEADING_MARKS)
    opened = text[: len(text) - len(body)]
    body = body.rstrip(_TRAILING_SPACE)
    for mark in opened:  # the outermost opening mark closes last, at the very end
        closing = _WRAPPERS.get(mark)
        if closing is not None and body.endswith(closing):
            body = body[: -len(closing)].rstrip(_TRAILING_SPACE)
    while body and body[-1] in _OPENING_OF:
        last = body[-1]
        rest = body.rstrip(last)
        if _used_inside(rest, last) or _used_inside(rest, _OPENING_OF[last]):
            break
        body = rest.rstrip(_TRAILING_SPACE)
    return body


@dataclass(frozen=True, slots=True)
class ActionMatch:
    """The action string to play and how it was recognised."""

    action: str
    how: str  # exact, index, speak, monitor, normalized, contains, contained, words, fuzzy,
    # player (a vote or kill by the player's number), verb (the one legal action of its verb),
    # speech (free words in a discussion round)
    score: float | None = None  # the difflib ratio, for fuzzy matches


_ACTION_LABEL = re.compile(r"^(?:my\s+|final\s+|chosen\s+)?action\s*[:=\-]\s*", re.IGNORECASE)
_LIST_PREFIX = re.compile(r"^\s*(?:\(\s*\d+\s*\)|\d+\s*[.):]|[-*\u2022])\s*")
_INDEX_ONLY = re.compile(
    r"^(?:action\s*|option\s*|number\s*|no\.?\s*)?[#(]?\s*(\d+)\s*[.):]?$", re.IGNORECASE
)
_SPEAK = re.compile(
    r"^speak\b[\s*_`]*[:\-\u2013\u2014]?(?:[*_`]+(?=\s))?\s*(.*)$", re.IGNORECASE | re.DOTALL
)  # "SPEAK: ...", "**SPEAK:** ..." (marks closing the label), "SPEAK - ..."; "*wink*" stays
_VIEW_MONITOR = re.compile(
    r"\bview\s*(?:the\s+)?monitor\b\s*[:\-\u2013\u2014]?\s*(.*)$", re.IGNORECASE | re.DOTALL
)
_QUOTES = " \t\r\n\"'`*\u201c\u201d\u2018\u2019"


def normalize(text: str) -> str:
    """Lower case, words and numbers only, single spaces."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip(_DECORATION):
            return line.strip()
    return ""


def _clean_action_text(text: str) -> str:
    return _undecorate(_ACTION_LABEL.sub("", _undecorate(text)))


def match_action(
    text: str, legal: Sequence[Action], threshold: float = DEFAULT_MATCH_THRESHOLD
) -> ActionMatch | None:
    """The legal action ``text`` names, or ``None`` when nothing fits well enough.

    ``legal`` is the player's legal-action list in listing order (the numbers of the
    "Available actions" list). SPEAK keeps the message and VIEW MONITOR the room; every other
    match returns the legal action's exact string.
    """
    kinds = {action.kind for action in legal}
    whole = _clean_action_text(text)
    if not whole:
        return None
    # Speech may run over several lines; every other action is read from its first line.
    line = _clean_action_text(_first_line(whole))
    for action in legal:
        if action.text == line or action.text == whole:
            return ActionMatch(action.text, "exact")
    unlisted = _LIST_PREFIX.sub("", line, count=1).strip(_QUOTES)
    index = _INDEX_ONLY.match(unlisted) or _INDEX_ONLY.match(line)
    if index and 1 <= int(index.group(1)) <= len(legal):
        return ActionMatch(legal[int(index.group(1)) - 1].text, "index")
    if ActionKind.SPEAK in kinds:
        speech = _SPEAK.match(_LIST_PREFIX.sub("", whole, count=1))
        if speech:
            message = _unquote(" ".join(speech.group(1).split()))
            return ActionMatch(f"SPEAK: {message or DEFAULT_SPEECH}", "speak")
    # Speech and the monitor are recognised only by their own forms.
    candidates = [
        a.text for a in legal if a.kind not in (ActionKind.SPEAK, ActionKind.VIEW_MONITOR)
    ]
    if ActionKind.VIEW_MONITOR in kinds:
        monitor = _VIEW_MONITOR.search(unlisted)
        # The earliest action mentioned wins, the monitor as any other.
        if monitor and not _mentioned_before(unlisted[: monitor.start()], candidates):
            room = match_room(monitor.group(1))
            return ActionMatch(f"VIEW MONITOR {room}" if room else "VIEW MONITOR", "monitor")
    return _match_text(unlisted, candidates, threshold)


def _mentioned_before(prefix: str, candidates: Sequence[str]) -> bool:
    """Whether a legal action is spelled out in full in ``prefix``."""
    padded = f" {normalize(prefix)} "
    return any(f" {normalize(c)} " in padded for c in candidates)


_WRAPPERS: Final[dict[str, str]] = {
    '"': '"',
    "'": "'",
    "\u201c": "\u201d",
    "\u2018": "\u2019",
    "`": "`",
    "*": "*",
    "_": "_",
}


_OPENING_OF: Final[dict[str, str]] = {closing: opening for opening, closing in _WRAPPERS.items()}
#: What may open an answer: markdown, list and quote marks (only the wrappers close it again).
_LEADING_MARKS: Final[str] = _DECORATION + "".join(_WRAPPERS)
_TRAILING_SPACE: Final[str] = " \t\r\n:"


def _unquote(message: str) -> str:
    """A spoken message without the quotes or emphasis wrapped around all of it. A mark goes
    only with its partner, and only when it is not also used inside: ``"Red vented," I said.
    "Trust me."`` is two quotations and stays whole (an apostrophe, as in ``I'm``, is no quote)."""
    message = message.strip()
    while len(message) >= 2:
        opening = message[0]
        closing = _WRAPPERS.get(opening)
        if closing is None:
            break
        run = len(message) - len(message.lstrip(opening)) if opening == closing else 1
        inner = message[run:-run]
        if (
            len(message) < 2 * run + 1
            or message[-run:] != closing * run
            or _used_inside(inner, opening)
            or _used_inside(inner, closing)
        ):
            break
        message = inner.strip()
    return message


def _used_inside(text: str, mark: str) -> bool:
    """Whether ``mark`` occurs in ``text`` other than as an apostrophe between two letters."""
    for i, char in enumerate(text):
        if char == mark and not (
            0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()
        ):
            return True
    return False


def _match_text(text: str, candidates: Sequence[str], threshold: float) -> ActionMatch | None:
    said = normalize(text)
    if not said or not candidates:
        return None
    normalized = [normalize(c) for c in candidates]
    for candidate, norm in zip(candidates, normalized, strict=True):
        if norm == said:
            return ActionMatch(candidate, "normalized")
    padded = f" {said} "
    # A legal action inside a longer answer: the earliest mentioned, then the longest.
    inside = [
        (padded.find(f" {norm} "), -len(norm), candidate)
        for candidate, norm in zip(candidates, normalized, strict=True)
        if f" {norm} " in padded
    ]
    if inside:
        return ActionMatch(min(inside)[2], "contains")
    # Part of exactly one legal action ("KILL Player 3", "to Admin").
    if len(said) >= 4:
        holding = [
            c for c, norm in zip(candidates, normalized, strict=True) if padded in f" {norm} "
        ]
        if len(holding) == 1:
            return ActionMatch(holding[0], "contained")
    # All the answer's words, in their order, in exactly one legal action ("kill green", "move
    # admin"; "from Cafeteria to Admin" is not the way back).
    words = said.split()
    having = [
        c for c, norm in zip(candidates, normalized, strict=True) if _in_order(words, norm.split())
    ]
    if len(having) == 1:
        return ActionMatch(having[0], "words")
    # Or all of exactly one legal action's words, in order, in the answer ("I vote for Player
    # 4: pink").
    spread = [
        c for c, norm in zip(candidates, normalized, strict=True) if _in_order(norm.split(), words)
    ]
    if len(spread) == 1:
        return ActionMatch(spread[0], "words")
    scores = sorted(
        (
            (similarity(said, norm), candidate)
            for candidate, norm in zip(candidates, normalized, strict=True)
        ),
        key=lambda pair: pair[0],
        reverse=True,
    )
    best_score, best = scores[0]
    runner_up = scores[1][0] if len(scores) > 1 else -1.0
    if best_score >= threshold and best_score > runner_up:
        return ActionMatch(best, "fuzzy", round(best_score, 4))
    return _match_player_number(said, candidates, normalized) or _match_sole_verb(
        said, candidates, normalized
    )


_PLAYER_NUMBER = re.compile(r"\bplayer (\d+)\b")


def _match_player_number(
    said: str, candidates: Sequence[str], normalized: Sequence[str]
) -> ActionMatch | None:
    """A vote or kill naming a player by number with the wrong colour ("VOTE Player 3: blue"
    when Player 3 is yellow): the number is the player's name, the colour a detail small models
    copy wrongly. The answer must start with the action's verb and name one player only."""
    numbers = set(_PLAYER_NUMBER.findall(said))
    if len(numbers) != 1:
        return None
    verb, player = said.split()[0], f" player {numbers.pop()} "
    owners = [
        candidate
        for candidate, norm in zip(candidates, normalized, strict=True)
        if norm.split()[0] == verb and player in f" {norm} "
    ]
    return ActionMatch(owners[0], "player") if len(owners) == 1 else None


#: The words an action text starts with, per kind (normalised), longest first so that "complete
#: fake task" is not read as "complete".
_VERBS: Final[tuple[str, ...]] = (
    "complete fake task",
    "report dead body",
    "complete task",
    "call meeting",
    "kill",
    "move",
    "vent",
    "vote",
)
#: What names a particular action: rooms and colours (normalised), and numbers (players).
_PARTICULARS: Final[tuple[str, ...]] = tuple(normalize(room) for room in ROOMS) + COLORS


def _match_sole_verb(
    said: str, candidates: Sequence[str], normalized: Sequence[str]
) -> ActionMatch | None:
    """An answer that starts with the verb of exactly one legal action and names nothing that
    action does not: "KILL PIPER 5: white" when "KILL Player 5: white" is the only kill, "CALL
    MEETING using the emergency button at Caferead". The words in between may be garbled; a
    room, colour or number the action lacks ("KILL Player 3: blue", "MOVE from Cafeteria to
    Reactor") makes it some other action, and nothing is taken."""
    verb = next((v for v in _VERBS if said == v or said.startswith(v + " ")), None)
    if verb is None:
        return None
    owners = [
        (candidate, norm)
        for candidate, norm in zip(candidates, normalized, strict=True)
        if norm == verb or norm.startswith(verb + " ")
    ]
    if len(owners) != 1:
        return None
    candidate, norm = owners[0]
    padded, within = f" {said} ", f" {norm} "
    named = [p for p in _PARTICULARS if f" {p} " in padded]
    if any(f" {p} " not in within for p in named):
        return None
    if not set(_NUMBER.findall(said)) <= set(_NUMBER.findall(norm)):
        return None
    return ActionMatch(candidate, "verb")


def _in_order(words: list[str], within: list[str]) -> bool:
    rest = iter(within)
    return all(word in rest for word in words)  # each found after the previous one


_NUMBER = re.compile(r"\d+")


def similarity(said: str, candidate: str) -> float:
    """How well normalised ``said`` spells normalised ``candidate``, judged on the words where
    they differ: legal actions share long prefixes ("move from cafeteria to ..."), and a ratio
    over the whole string would let "... to Reactor" pass for "... to Weapons". A shortened
    ending ("emergency buton") is compared with the candidate's ending cut to the same length.
    """
    a, b = said.split(), candidate.split()
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    rest_said = " ".join(a[start : len(a) - end])
    rest_candidate = " ".join(b[start : len(b) - end])
    if not rest_said or not rest_candidate:
        return 1.0 if rest_said == rest_candidate else 0.0
    numbers = _NUMBER.findall(rest_said)
    if numbers != _NUMBER.findall(rest_candidate)[: len(numbers)]:
        return 0.0  # a player's number is never a near miss ("Player 1" is not "Player 12")
    whole = difflib.SequenceMatcher(None, rest_said, rest_candidate).ratio()
    cut = difflib.SequenceMatcher(None, rest_said, rest_candidate[: len(rest_said)]).ratio()
    return max(whole, cut)


def match_room(text: str, threshold: float = DEFAULT_MATCH_THRESHOLD) -> str | None:
    """The Skeld room ``text`` names (exactly, inside a phrase, or by a close spelling)."""
    said = normalize(text)
    if not said:
        return None
    rooms = {normalize(room): room for room in ROOMS}
    if said in rooms:
        return rooms[said]
    padded = f" {said} "
    # The room named first ("Admin (Electrical was quiet)" watches Admin).
    named = [
        (padded.find(f" {norm} "), -len(norm), room)
        for norm, room in rooms.items()
        if f" {norm} " in padded
    ]
    if named:
        return min(named)[2]
    # A misspelt room somewhere in a phrase: the best one- or two-word stretch.
    words = said.split()
    stretches = {" ".join(words[i : i + n]) for n in (1, 2) for i in range(len(words) - n + 1)}
    best, best_score = None, threshold
    for stretch in sorted(stretches):
        for norm, room in rooms.items():
            score = difflib.SequenceMatcher(None, stretch, norm).ratio()
            if score >= best_score and (best is None or score > best_score):
                best, best_score = room, score
    return best


def fallback_action(legal: Sequence[Action], choose: int) -> str:
    """What a player does when its answer is unusable: ``SPEAK: ...`` in a discussion round,
    otherwise the legal action at position ``choose`` (drawn by the caller's seeded RNG)."""
    if any(action.kind is ActionKind.SPEAK for action in legal):
        return f"SPEAK: {DEFAULT_SPEECH}"
    return legal[choose % len(legal)].text
