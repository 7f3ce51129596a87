"""Wire types of the Among Us OpenEnv server: every payload a client sends or receives.

All models are strict (unknown fields are rejected), so a typo in a request is an error rather
than a silently ignored field; request models also refuse to coerce types. This module imports
nothing from the engine, the environment or the server, so the client can use it without
installing either.

Messages on ``/ws`` (one JSON text frame each; see ``docs`` of the server for the full protocol):

    client -> server   {"type": "reset", "data": ResetParams}
                       {"type": "step", "data": GameAction}
                       {"type": "step", "data": ListToolsStep | CallToolStep}  (OpenEnv MCP)
                       {"type": "state"} | {"type": "close"}
                       {"type": "mcp", "data": <JSON-RPC 2.0 request>}
                       {"type": "spectate", "data": SpectateParams}
                       {"type": "spectate_step", "data": SpectateStepParams}
                       {"type": "replay", "data": ReplayParams} | {"type": "replay_files"}
    server -> client   {"type": "observation",
                        "data": {"observation": ..., "reward": ..., "done": ...}}
                       {"type": "state", "data": GameState}
                       {"type": "error", "data": {"message": ..., "code": ErrorCode}}
                       {"type": "mcp", "data": <JSON-RPC 2.0 response>}
                       {"type": "spectator" | "replay", "data": GameView}
                       {"type": "replay_files", "data": ReplayFiles}

As in OpenEnv, the ``observation`` of an observation reply holds the ``GameObservation`` fields
except ``reward``, ``done`` and ``metadata``; ``reward`` and ``done`` travel beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_serializer,
    model_validator,
)

ActionType = Literal[
    "move", "vent", "task", "kill", "report", "call_meeting", "talk", "vote", "monitor"
]
#: The moves a seat can make, as ``GameAction.type``.
ACTION_TYPES: Final[tuple[str, ...]] = get_args(ActionType)
Role = Literal["crewmate", "impostor"]
SeatGroup = Literal["all", "impostors", "crewmates"]
ObsMode = Literal["text", "chat"]
PhaseName = Literal["not_started", "task", "discussion", "voting", "game_over"]

#: The largest seed: the largest integer every JSON parser reads exactly (larger ones pass
#: through doubles in many clients and schema tools, and would name a different game).
MAX_SEED: Final[int] = 2**53 - 1
#: Longest accepted ``target`` or ``raw`` text (speech is cut to 500 characters by the game).
MAX_ACTION_TEXT: Final[int] = 2_000


def _integral_number(value: Any) -> Any:
    """``7.0`` as ``7``: JSON Schema counts a number with no fraction as an integer, so the
    schema's ``integer`` fields must take it; any other float, a string or a bool stays
    refused by strict validation."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: Makes an integer field of a request take integers as JSON Schema defines them. It goes
#: after the field's bounds in ``Annotated``, so that they stay in its JSON schema.
_INTEGRAL: Final = BeforeValidator(_integral_number)
JsonInt = Annotated[int, _INTEGRAL]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Request(_Strict):
    """What clients send: also no type coercion (``true`` is not seat 1, ``"7"`` is not 7), and
    only Unicode text in strings and keys."""

    model_config = ConfigDict(strict=True)  # merged with the parent's extra="forbid"

    @model_validator(mode="before")
    @classmethod
    def _unicode_text_only(cls, data: Any) -> Any:
        # JSON's grammar lets "\ud800" through; such a string cannot be encoded as UTF-8, so a
        # reply or log line that repeats it would fail after the request had been carried out.
        if not is_unicode_text(data):
            raise ValueError(
                "a string holds a lone surrogate escape (such as \\ud800), which is not text"
            )
        return data


def is_unicode_text(value: Any) -> bool:
    """Whether every string in a decoded JSON value (object keys included) is Unicode text,
    i.e. holds no lone surrogate. A loop over an explicit stack, not recursion, so no nesting
    depth can exhaust the interpreter's stack."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return False
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


class ErrorCode(StrEnum):
    """Codes of ``error`` replies (the OpenEnv reference server's codes)."""

    INVALID_JSON = "INVALID_JSON"
    UNKNOWN_TYPE = "UNKNOWN_TYPE"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    EXECUTION_ERROR = "EXECUTION_ERROR"
    CAPACITY_REACHED = "CAPACITY_REACHED"
    FACTORY_ERROR = "FACTORY_ERROR"
    SESSION_ERROR = "SESSION_ERROR"


# ---------------------------------------------------------------------------------------- actions
class GameAction(_Request):
    """One move of the client's seat: a ``type`` with an optional ``target``, or a ``raw`` 7vik
    action string such as ``"MOVE from Cafeteria to Admin"``.

    ``target`` is a room for move, vent and monitor (monitor without a target watches a room the
    game draws); a player colour or name (``"blue"`` or ``"Player 2: blue"``) for kill and vote;
    the task name for task (optional when only one task can be done here); the message for talk
    (default ``"..."``). report and call_meeting take no target.
    """

    type: ActionType | None = Field(
        default=None, description="the kind of move; omit when sending raw"
    )
    target: str | None = Field(
        default=None,
        max_length=MAX_ACTION_TEXT,
        description="room, player colour or name, task name, or the message to say",
    )
    raw: str | None = Field(
        default=None,
        max_length=MAX_ACTION_TEXT,
        description="a 7vik action string, used instead of type/target",
    )
    metadata: dict[str, Any] = Field(
        default_factory=dict, description="ignored by the game; echoed nowhere"
    )

    # The rule the validator below enforces, in the JSON schema too (so in the OpenAPI
    # document): either a non-null ``type`` and no ``raw``, or a non-null ``raw`` and neither
    # ``type`` nor ``target``.
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["type"],
                    "properties": {
                        "type": {"type": "string", "enum": list(ACTION_TYPES)},
                        "raw": {"type": "null"},
                    },
                },
                {
                    "required": ["raw"],
                    "properties": {
                        "raw": {"type": "string"},
                        "type": {"type": "null"},
                        "target": {"type": "null"},
                    },
                },
            ]
        }
    )

    @model_validator(mode="after")
    def _type_or_raw(self) -> GameAction:
        if (self.type is None) == (self.raw is None):
            raise ValueError("give exactly one of 'type' (with an optional 'target') or 'raw'")
        if self.raw is not None and self.target is not None:
            raise ValueError("'target' goes with 'type', not with 'raw'")
        return self


class ToolCallFunction(_Request):
    name: str = Field(max_length=128)
    arguments: str = Field(max_length=MAX_ACTION_TEXT, description="a JSON object, as text")


class ToolCall(_Request):
    """One OpenAI-style tool call."""

    id: str | None = Field(default=None, max_length=255)
    type: Literal["function"] = "function"
    function: ToolCallFunction


class AssistantMessage(_Request):
    """A seat's move as a Chat Completions assistant message: exactly one tool call (extra
    text in ``content`` is kept nowhere)."""

    role: Literal["assistant"]
    content: str | None = Field(default=None, max_length=100_000)
    tool_calls: list[ToolCall] = Field(min_length=1, max_length=1)
    reasoning_content: str | None = Field(default=None, max_length=100_000)


# ----------------------------------------------------------------------------------- observations
class VisiblePlayer(_Strict):
    """Someone in the seat's room according to its latest location message."""

    name: str = Field(description='e.g. "Player 2: blue"')
    color: str
    dead: bool = Field(description="a body lying in the room")


class TaskStatus(_Strict):
    """One of the seat's assigned tasks (an impostor's are the tasks it can fake)."""

    task: str
    room: str
    kind: Literal["common", "short", "long"]
    completed: bool
    progress: float = Field(ge=0.0, le=1.0)


class SeatResult(_Strict):
    """A held seat's end of the game, as its own single-seat session would have reported it."""

    seat: int
    name: str
    role: Role
    alive: bool
    won: bool
    reward: float = Field(description="the seat's reward since its previous action")
    events: list[str] = Field(description="what the seat perceived since its previous action")


#: Observation fields sent only when a reset asked for them (left out of the wire when unset).
OPTIONAL_FIELDS: Final[tuple[str, ...]] = (
    "acting_seat",
    "seat_results",
    "messages",
    "tools",
    "game_id",
    "seat_tokens",
)


class GameObservation(_Strict):
    """What the client's seat perceives when it is its turn again (or when the game ends)."""

    done: bool = Field(default=False, description="the game is over")
    reward: float | None = Field(
        default=None, description="the seat's reward since its previous action"
    )
    metadata: dict[str, Any] = Field(
        default_factory=dict, description="not sent on the wire (OpenEnv convention)"
    )

    seat: int = Field(description="the client's seat index (agent player_<seat>)")
    name: str = Field(description='the seat\'s player name, e.g. "Player 3: green"')
    role: Role
    alive: bool
    phase: PhaseName
    timestep: int
    location: str
    visible_players: list[VisiblePlayer] = Field(
        description="other players and bodies in the seat's room"
    )
    internal_monologue: str = Field(description="what the seat privately knows about itself")
    chat_history: list[str] = Field(description="speech the seat heard in the latest meeting")
    game_status: str = Field(description='"running", or the reason the game ended')
    tasks: list[TaskStatus]
    legal_actions: list[GameAction] = Field(description="every legal move, ready to send as a step")
    prompt: str = Field(description="the 7vik-layout text observation")
    events: list[str] = Field(description="what the seat perceived since its previous action")
    error: str | None = Field(
        default=None, description="why the last action was refused (nothing changed)"
    )
    # Sent only when asked for (a reset with ``seats`` or ``obs_mode="chat"``): the single-seat
    # payload stays as it always was.
    acting_seat: int | None = Field(
        default=None,
        description="with seats: the held seat to act now (this observation is its own); "
        "none at the game's end",
    )
    seat_results: list[SeatResult] | None = Field(
        default=None, description="with seats, at the game's end: every held seat's result"
    )
    messages: list[dict[str, Any]] | None = Field(
        default=None,
        description='with obs_mode "chat": the seat\'s view as Chat Completions messages '
        "(system, then one user message per turn, with the seat's tool calls between)",
    )
    tools: list[dict[str, Any]] | None = Field(
        default=None,
        description='with obs_mode "chat": the seat\'s legal moves as OpenAI-style tool '
        "definitions (legal targets as enums)",
    )
    game_id: str | None = Field(
        default=None, description="a shared game (reset with open_seats, or joined): its id"
    )
    seat_tokens: dict[str, str] | None = Field(
        default=None,
        description="to the creator of a shared game only: each client seat's secret token "
        "(seat index as text -> token); a token joins (or rejoins) its seat",
    )

    def wire_exclude(self) -> set[str]:
        """The fields a reply leaves out: the envelope (reward, done, metadata travel beside
        the observation) and the optional fields nobody asked for."""
        unset = {name for name in OPTIONAL_FIELDS if getattr(self, name) is None}
        if self.acting_seat is None and self.seat_results is not None:
            unset.discard("acting_seat")  # a multi-seat game's end: no held seat is to act
        return {"reward", "done", "metadata"} | unset

    @field_serializer("legal_actions")
    def _compact_actions(self, actions: list[GameAction]) -> list[dict[str, str]]:
        # Ready to send back as they are: only the fields that are set.
        compact = []
        for action in actions:
            item = {"type": str(action.type)}
            if action.target is not None:
                item["target"] = action.target
            compact.append(item)
        return compact


class StepReply(_Strict):
    """The ``data`` of an observation reply, and the body of HTTP ``/reset`` and ``/step``."""

    observation: dict[str, Any] = Field(
        description="GameObservation fields except reward, done and metadata"
    )
    reward: float | None = None
    done: bool = False


# ------------------------------------------------------------------------------------------ state
class GameState(_Strict):
    """Public facts about the session's game: nothing a player could not know (no roles)."""

    episode_id: str | None = None
    step_count: int = Field(
        default=0, ge=0, description="actions the client's seat has taken this game"
    )
    seat: int | None = None
    phase: PhaseName = "not_started"
    timestep: int = 0
    max_timesteps: int | None = None
    discussion_round: int | None = Field(
        default=None, description="the meeting round (voting is the last)"
    )
    num_players: int | None = None
    num_impostors: int | None = None
    living_players: int | None = Field(
        default=None,
        description="players known to be alive: as of the latest meeting (deaths since are secret)",
    )
    emergency_meetings_left: int | None = None
    game_over: bool = False
    game_status: str = "not_started"
    seats: list[int] | None = Field(
        default=None, description="the seats this session holds (with reset's seats)"
    )


# ----------------------------------------------------------------------------------------- resets
class PolicyChoice(_Request):
    """Which policy plays the other seats of each role; a role left out gets the server's
    default (``heuristic`` when the server offers it)."""

    impostor: str | None = Field(default=None, max_length=64)
    crewmate: str | None = Field(default=None, max_length=64)


class ResetParams(_Request):
    """Keyword arguments of ``reset``. Give ``seat`` or ``role`` (or both) to choose the client's
    seat; with neither, the game's seeded generator picks one."""

    seed: Annotated[int, Field(ge=0, le=MAX_SEED), _INTEGRAL] | None = Field(
        default=None, description="makes the game reproducible"
    )
    episode_id: str | None = Field(default=None, max_length=255)
    seat: Annotated[int, Field(ge=0), _INTEGRAL] | None = Field(
        default=None, description="the client's seat index"
    )
    role: Role | None = Field(default=None, description="play a seat of this role")
    config: str | dict[str, JsonInt] | None = Field(
        default=None,
        description="a preset name (seven_member, five_member, ...) or a full config dict",
    )
    policies: PolicyChoice | None = Field(
        default=None, description="the policies of the other seats, per role"
    )
    seats: list[int] | SeatGroup | None = Field(
        default=None,
        description='hold several seats: their indices, or "all", "impostors", "crewmates"; '
        "each observation is then the acting held seat's (instead of seat/role)",
    )
    open_seats: list[int] | SeatGroup | None = Field(
        default=None,
        description="create a shared game (over /ws): these seats are joined by other "
        "connections with a token; the creator plays seat/role",
    )
    game_id: str | None = Field(
        default=None, max_length=64, description="join a shared game (with token)"
    )
    token: str | None = Field(
        default=None, max_length=128, description="the seat's secret token, to join game_id"
    )
    turn_deadline_s: float | None = Field(
        default=None,
        gt=0,
        le=3600,
        description="shared games: a client seat's time to act; then its fallback policy acts",
    )
    obs_mode: ObsMode | None = Field(
        default=None,
        description='"chat" adds messages and tools to each observation; steps may then also '
        "be assistant messages with tool_calls",
    )


class HttpResetRequest(ResetParams):
    """Body of HTTP ``POST /reset``: the reset arguments, plus the session to reset if any."""

    session_id: str | None = Field(
        default=None,
        max_length=64,
        description="an HTTP session from openenv/session/create; none: a one-off game",
    )


class HttpStepRequest(_Request):
    """Body of HTTP ``POST /step``."""

    action: GameAction | AssistantMessage = Field(
        description="a move, or (chat) an assistant message with one tool call"
    )
    session_id: str | None = Field(default=None, max_length=64)
    timeout_s: float | None = Field(
        default=None, gt=0, description="accepted for OpenEnv compatibility"
    )
    request_id: str | None = Field(default=None, max_length=255)


# --------------------------------------------------------------------------- spectator and replay
#: Most actions one ``spectate_step`` message may advance a watched game by.
MAX_SPECTATE_STEPS: Final[int] = 200


class SpectateParams(_Request):
    """``spectate``: start a bot-only game to watch, every seat played by a policy. A spectator
    sees everything, roles included, so it can only watch a game of its own: there is no way
    to name someone else's game here."""

    seed: int | None = Field(
        default=None, ge=0, lt=2**63, description="makes the game reproducible"
    )
    config: str | dict[str, int] | None = Field(
        default=None,
        description="a preset name (seven_member, five_member, ...) or a full config dict",
    )
    policies: PolicyChoice | None = Field(default=None, description="the policy of each role")


class SpectateStepParams(_Request):
    """``spectate_step``: advance the watched game by ``steps`` actions (fewer if it ends)."""

    steps: int = Field(default=1, ge=1, le=MAX_SPECTATE_STEPS)


class ReplayParams(_Request):
    """``replay``: a saved game log to watch, either sent whole (``log``: one line of a
    ``games.jsonl``) or read from the server's replay folder (``path`` relative to it, and the
    ``game``'th line of that file)."""

    log: dict[str, Any] | None = Field(default=None, description="one game's event log")
    path: str | None = Field(
        default=None, max_length=255, description="a .jsonl file under the server's replay folder"
    )
    game: int = Field(default=0, ge=0, description="which game of the file (0-based line)")

    @model_validator(mode="after")
    def _log_or_path(self) -> ReplayParams:
        if (self.log is None) == (self.path is None):
            raise ValueError("give exactly one of 'log' (an event log) or 'path' (a file)")
        return self


class CastMember(_Strict):
    """A seat of a watched game, with its role (spectator and replay views only)."""

    seat: int
    name: str
    color: str
    role: Role


class FramePlayer(_Strict):
    """Where one seat is after a frame's action."""

    location: str
    alive: bool
    body: bool = Field(description="dead and lying unreported in ``location``")


class Vote(_Strict):
    voter: int
    target: int


class GameFrame(_Strict):
    """The whole game after one action (frame 0: before the first)."""

    step: int = Field(ge=0, description="actions taken so far")
    timestep: int
    phase: PhaseName
    discussion_round: int | None = Field(description="the meeting round, 0-based; none outside")
    actor: int | None = Field(description="the seat that took this frame's action")
    action: str | None = Field(description="that action, as the engine logs it")
    acting_seat: int | None = Field(description="the seat to act next; none once the game is over")
    players: list[FramePlayer]
    chat: list[str] = Field(description="speech of the current or latest meeting")
    votes: list[Vote] = Field(description="ballots cast so far in the current or latest vote")
    meeting_result: str | None = Field(description="how the latest vote ended")
    task_completion: float = Field(ge=0.0, le=1.0)
    game_over: bool
    game_status: str


class GameView(_Strict):
    """The ``data`` of ``spectator`` and ``replay`` replies: the cast and a run of frames
    (a ``spectate_step`` reply carries only the new frames)."""

    mode: Literal["spectator", "replay"]
    config: dict[str, int]
    seed: int | None
    cast: list[CastMember]
    frames: list[GameFrame]
    winner_reason: str | None = Field(default=None, description="set once the game is over")
    games_in_file: int | None = Field(default=None, description="replay from a file: its games")


class ReplayFile(_Strict):
    path: str
    bytes: int


class ReplayFiles(_Strict):
    """The ``data`` of a ``replay_files`` reply: the server's replay folder, if it has one."""

    enabled: bool = Field(description="the server was given a replay folder")
    files: list[ReplayFile]


# ---------------------------------------------------------------------------------------- metadata
class ValidationIssue(_Strict):
    """One reason a message did not fit its schema."""

    loc: list[str | int]
    msg: str
    type: str


def validation_issues(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``ValidationIssue`` dicts of pydantic's error entries. The rejected input is left out:
    it need not be JSON (``1e999`` parses as infinity), and the client sent it anyway."""
    return [{"loc": list(err["loc"]), "msg": err["msg"], "type": err["type"]} for err in errors]


class ErrorData(_Strict):
    """The ``data`` of an ``error`` reply: fields beyond ``message`` and ``code`` appear only
    with the errors they describe."""

    message: str
    code: ErrorCode
    errors: list[ValidationIssue] | None = Field(
        default=None, description="with VALIDATION_ERROR for a message that fits no schema"
    )
    active_sessions: int | None = Field(default=None, description="with CAPACITY_REACHED")
    max_sessions: int | None = Field(default=None, description="with CAPACITY_REACHED")


class HttpErrorDetail(_Strict):
    message: str
    code: str


class HttpErrorReply(_Strict):
    """Body of an HTTP error reply (400, 404, 409, 413)."""

    detail: HttpErrorDetail


class EnvironmentInfo(_Strict):
    """Body of ``GET /metadata``."""

    name: str
    description: str
    readme_content: str | None = None
    version: str | None = None
    author: str | None = None
    documentation_url: str | None = None


class HealthReply(_Strict):
    """Body of ``GET /health``."""

    status: Literal["healthy", "unhealthy", "degraded"] = "healthy"
    sessions: int | None = Field(default=None, ge=0, description="sessions open now")
    max_sessions: int | None = Field(
        default=None, ge=1, description="sessions the server takes at once"
    )


class SchemaReply(_Strict):
    action: dict[str, Any]
    observation: dict[str, Any]
    state: dict[str, Any]
    web_messages: dict[str, Any] | None = Field(
        default=None,
        description="the /ws messages of the web page's spectator and replay views, by type",
    )
    chat_action: dict[str, Any] | None = Field(
        default=None,
        description="a step may also be this: an assistant message with one tool call",
    )


# --------------------------------------------------------------------------------------- JSON-RPC
class JsonRpcRequest(_Request):
    """A JSON-RPC 2.0 request (``/mcp`` and ``mcp`` messages on ``/ws``)."""

    jsonrpc: Literal["2.0"]
    method: str = Field(max_length=128)
    params: dict[str, Any] = Field(default_factory=dict)
    id: str | int | None = None


class JsonRpcError(_Strict):
    code: int
    message: str
    data: Any = None


# ------------------------------------------------------------- OpenEnv's MCP actions, as steps
class ListToolsStep(_Request):
    """``{"type": "list_tools"}`` as a step's data: OpenEnv's ``ListToolsAction``, which its
    ``MCPToolClient.list_tools()`` sends. The reply's observation is ``{"tools": [...]}``."""

    type: Literal["list_tools"]
    metadata: dict[str, Any] = Field(default_factory=dict, description="ignored")


class CallToolStep(_Request):
    """``{"type": "call_tool", "tool_name": ..., "arguments": {...}}`` as a step's data:
    OpenEnv's ``CallToolAction``, which ``MCPToolClient.call_tool()`` sends. The reply's
    observation is ``{"tool_name", "result", "error"}``."""

    type: Literal["call_tool"]
    tool_name: str = Field(max_length=128)
    arguments: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict, description="ignored")


#: ``type`` values of step data that are OpenEnv MCP actions rather than moves.
MCP_STEP_TYPES: Final[tuple[str, ...]] = ("list_tools", "call_tool")


class JsonRpcResponse(_Strict):
    """A JSON-RPC 2.0 response: ``result`` or ``error``, never both."""

    jsonrpc: Literal["2.0"]
    id: str | int | None
    result: Any = None
    error: JsonRpcError | None = None


# --------------------------------------------------------------------------------- MCP tool inputs
class _ToolArguments(_Request):
    pass


class MoveArguments(_ToolArguments):
    room: str = Field(max_length=MAX_ACTION_TEXT, description="an adjacent room to walk to")


class VentArguments(_ToolArguments):
    room: str = Field(
        max_length=MAX_ACTION_TEXT,
        description="a room connected to this one by vent (impostors only)",
    )


class TaskArguments(_ToolArguments):
    task: str | None = Field(
        default=None,
        max_length=MAX_ACTION_TEXT,
        description="the task's name; optional when only one can be done here",
    )


class KillArguments(_ToolArguments):
    player: str = Field(
        max_length=MAX_ACTION_TEXT,
        description="colour or name of a crewmate in your room (impostors only)",
    )


class NoArguments(_ToolArguments):
    pass


class TalkArguments(_ToolArguments):
    message: str = Field(
        default="...", max_length=MAX_ACTION_TEXT, description="what to say in the meeting"
    )


class VoteArguments(_ToolArguments):
    player: str = Field(
        max_length=MAX_ACTION_TEXT, description="colour or name of the living player to eject"
    )


class MonitorArguments(_ToolArguments):
    room: str | None = Field(
        default=None, description="the room to watch; none: a room the game draws"
    )
