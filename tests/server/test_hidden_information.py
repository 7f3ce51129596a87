"""Nothing sent to a crewmate seat reveals the impostors or what happened out of its sight.

Full games are played over /ws as crewmate seats, mixing legal moves with probes that draw
error messages (illegal kills, votes, reports, garbage), state queries and MCP tool calls. Every
frame the server sends is scanned, and each event line is checked against the seat's own records
in the engine (the test server runs in this process, so the test can read the true game).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from typing import Any

import pytest

from amongagents.config import COLORS
from amongagents.game import Game
from amongagents.records import SeenAction
from amongagents.replay import apply_logged_step, new_game_from_log
from amongagents.text import clock_tag, observation_text, own_action_text
from amongus_marl.observations import text_observation
from openenv_facade.models import GameAction, GameState, ResetParams
from openenv_facade.session import SeatSession
from openenv_facade.settings import ServerSettings
from tests.server.conftest import RANDOM_POLICIES, RunningServer, serve
from tests.server.helpers import RawSession

ROLE_WORDS = re.compile(r"impostor|crewmate", re.IGNORECASE)
COLOR_WORD = re.compile(r"\b(" + "|".join(COLORS) + r")\b", re.IGNORECASE)
PHASE_LINES = (
    re.compile(
        r"Timestep \d+: a meeting was called; everyone gathers in the Cafeteria to "
        r"(discuss|vote)\."
    ),
    re.compile(r"Timestep \d+: the discussion is over; vote to eject a player\."),
    re.compile(r"Timestep \d+: the meeting is over; back to the task phase\."),
    re.compile(r"Game over: .*"),
    re.compile(r"\(\d+ earlier events not shown\)"),
)
PROBES: list[dict[str, Any]] = [
    *({"type": "kill", "target": color} for color in COLORS[:7]),
    *({"type": "vote", "target": color} for color in COLORS[:7]),
    {"type": "vent", "target": "Admin"},
    {"type": "report"},
    {"raw": "KILL Player 1: red"},
    {"raw": "COMPLETE FAKE TASK - Fix Wiring"},
]


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def without_speech(line: str) -> str:
    """A line with what players *said* cut off: claims in speech are not facts."""
    return line.split("SPEAK:", 1)[0]


def find_session(server: RunningServer, episode_id: str) -> Any:
    for slot in server.registry:
        if slot.session.episode_id == episode_id:
            return slot.session
    raise AssertionError(f"no session plays episode {episode_id}")


def allowed_event_lines(game: Game, seat: int) -> set[str]:
    me = game.players[seat]
    lines = {observation_text(record, game.names) for record in me.observations}
    lines |= {f"You: {own_action_text(entry)}" for entry in me.action_history}
    return lines


def allowed_chat_lines(game: Game, seat: int) -> set[str]:
    me = game.players[seat]
    lines = {
        observation_text(r, game.names)
        for r in me.observations
        if isinstance(r, SeenAction) and r.action.text.startswith("SPEAK:")
    }
    lines |= {
        f"Timestep {e.clock.timestep}: {clock_tag(e.clock, own=False)} {game.names[seat]} "
        + e.action.text
        for e in me.action_history
        if e.action.text.startswith("SPEAK:")
    }
    return lines


def play_crewmate_game(
    session: RawSession, seed: int, policies: dict[str, str], rng: random.Random
) -> list[dict[str, Any]]:
    """One full game as a crewmate with probes; the parsed state replies in order."""
    states: list[dict[str, Any]] = []
    reply = session.reset(
        seed=seed, role="crewmate", episode_id=f"hidden-{seed}", policies=policies
    )
    states.append(session.state()["data"])
    rpc_id = 0
    while not reply["data"]["done"]:
        obs = reply["data"]["observation"]
        assert obs["role"] == "crewmate"
        if rng.random() < 0.3:
            probe = rng.choice(PROBES)
            answer = session.step(probe)
            assert answer["type"] == "observation"
            if answer["data"]["observation"]["error"] is None:
                reply = answer  # the probe happened to be legal (a vote): it was played
                states.append(session.state()["data"])
                continue
        action = rng.choice(obs["legal_actions"])
        if rng.random() < 0.2:  # the same move as an MCP tool call on this session
            rpc_id += 1
            name, target = action["type"], action.get("target")
            key = {
                "move": "room",
                "vent": "room",
                "monitor": "room",
                "kill": "player",
                "vote": "player",
                "task": "task",
                "talk": "message",
            }.get(name)
            arguments = {key: target} if key and target is not None else {}
            answer = session.send(
                {
                    "type": "mcp",
                    "data": {
                        "jsonrpc": "2.0",
                        "id": rpc_id,
                        "method": "tools/call",
                        "params": {"name": name, "arguments": arguments},
                    },
                }
            )
            assert answer["type"] == "mcp" and "result" in answer["data"], answer
            payload = answer["data"]["result"]["structuredContent"]
            reply = {"type": "observation", "data": payload}
        else:
            reply = session.step(action)
        states.append(session.state()["data"])
    return states


GAMES = [(seed, RANDOM_POLICIES) for seed in range(30)] + [
    (seed, {"impostor": "heuristic", "crewmate": "heuristic"}) for seed in range(100, 110)
]


@pytest.fixture(scope="module")
def played() -> Iterator[list[tuple[Game, int, list[str], list[dict[str, Any]]]]]:
    """Every game: (true game, seat, frames the seat received, states it queried)."""
    results = []
    with serve() as server:
        rng = random.Random(2024)
        for seed, policies in GAMES:
            with RawSession(server.ws_url) as session:
                states = play_crewmate_game(session, seed, policies, rng)
                seat_session = find_session(server, f"hidden-{seed}")
                results.append((seat_session.game, seat_session.seat, list(session.frames), states))
    yield results


def test_no_payload_ties_a_player_to_a_role(
    played: list[tuple[Game, int, list[str], list[dict[str, Any]]]],
) -> None:
    checked = 0
    for game, seat, frames, _ in played:
        own = game.players[seat].color
        for frame in frames:
            for text in strings(json.loads(frame)):
                for line in text.splitlines():
                    fact = without_speech(line)
                    if not ROLE_WORDS.search(fact):
                        continue
                    named = {m.lower() for m in COLOR_WORD.findall(fact)}
                    assert named <= {own}, f"a role word next to {named - {own}} in: {line!r}"
                    checked += 1
    assert checked > 0


def test_crewmate_payloads_carry_no_team_knowledge(
    played: list[tuple[Game, int, list[str], list[dict[str, Any]]]],
) -> None:
    for game, seat, frames, _ in played:
        impostor_names = [game.names[s] for s in game.impostor_seats()]
        for frame in frames:
            message = json.loads(frame)
            text = frame
            assert "The impostors are" not in text
            assert "fellow impostor" not in text.lower()
            if message["type"] == "observation":
                obs = message["data"]["observation"]
                assert obs["role"] == "crewmate"
                assert not any(
                    name in obs["internal_monologue"]
                    for name in game.names
                    if name != game.names[seat]
                )
                legal_kinds = {a["type"] for a in obs["legal_actions"]}
                assert not legal_kinds & {"kill", "vent"}
            if message["type"] == "error":
                assert not any(name in message["data"]["message"] for name in impostor_names)


def test_states_hold_public_facts_only(
    played: list[tuple[Game, int, list[str], list[dict[str, Any]]]],
) -> None:
    public = set(GameState.model_fields)
    for _, _, _, states in played:
        for state in states:
            assert set(state) == public
            values = [
                v for k, v in state.items() if k != "game_status"
            ]  # the end's reason is public
            assert not ROLE_WORDS.search(json.dumps(values))


def test_events_come_only_from_the_seats_own_records(
    played: list[tuple[Game, int, list[str], list[dict[str, Any]]]],
) -> None:
    total = 0
    for game, seat, frames, _ in played:
        allowed = allowed_event_lines(game, seat)
        chat = allowed_chat_lines(game, seat)
        for frame in frames:
            message = json.loads(frame)
            if message["type"] == "observation":
                payload = message["data"]
            elif message["type"] == "mcp" and "result" in message["data"]:
                payload = message["data"]["result"]["structuredContent"]
            else:
                continue
            obs = payload["observation"]
            for line in obs["events"]:
                total += 1
                assert line in allowed or any(p.fullmatch(line) for p in PHASE_LINES), line
            for line in obs["chat_history"]:
                assert line in chat, line
    assert total > 1000


def test_deaths_out_of_sight_do_not_change_the_living_count(
    played: list[tuple[Game, int, list[str], list[dict[str, Any]]]],
) -> None:
    changes = 0
    for _, _, frames, _ in played:
        previous: int | None = None
        news = False  # a meeting began or ended in what the seat was told since the last state
        for frame in frames:
            message = json.loads(frame)
            if message["type"] == "observation":
                events = message["data"]["observation"]["events"]
            elif message["type"] == "mcp" and "result" in message["data"]:
                events = message["data"]["result"]["structuredContent"]["observation"]["events"]
            elif message["type"] == "state":
                living = message["data"]["living_players"]
                if previous is not None and living != previous:
                    changes += 1
                    assert news, "the living count changed without a meeting the seat attended"
                previous, news = living, False
                continue
            else:
                continue
            news = news or any("meeting" in line for line in events)
    assert changes > 0


def test_some_kill_happened_out_of_a_seats_sight(
    played: list[tuple[Game, int, list[str], list[dict[str, Any]]]],
) -> None:
    """The hidden-information tests above are only meaningful if such kills occurred."""
    unseen = 0
    for game, seat, _, _ in played:
        seen_kills = sum(
            1
            for r in game.players[seat].observations
            if isinstance(r, SeenAction) and r.action.text.startswith("KILL")
        )
        kills = sum(1 for e in game.important_events if e["action"].startswith("KILL"))
        unseen += kills - seen_kills
    assert unseen > 0


def game_at_death(game: Game, seat: int) -> Game:
    """The game replayed from its log up to the step that killed ``seat``."""
    log = game.event_log()
    rebuilt = new_game_from_log(log)
    for index, step in enumerate(log["steps"]):
        apply_logged_step(rebuilt, step, index, seeded=True)
        if not rebuilt.players[seat].alive:
            return rebuilt
    raise AssertionError("the seat did not die")


def test_a_dead_seat_perceives_nothing_after_its_death() -> None:
    """The engine keeps filing messages for bodies (as the reference does), but a seat's last
    observation holds only what it perceived up to its death, and then the game's end."""
    after_death = 0
    deaths = 0
    session = SeatSession(ServerSettings())
    rng = random.Random(5)
    for seed in range(60):
        observation = session.reset(
            ResetParams(seed=seed, role="crewmate", policies=RANDOM_POLICIES)
        )
        while not observation.done:
            action = rng.choice(observation.legal_actions)
            observation = session.step(GameAction.model_validate(action.model_dump()))
        game, seat = session.game, session.seat
        assert game is not None
        if game.players[seat].alive:
            continue
        deaths += 1
        then = game_at_death(game, seat)
        known = len(then.players[seat].observations)
        after_death += len(game.players[seat].observations) - known
        allowed = allowed_event_lines(then, seat)
        for line in observation.events:
            assert line in allowed or any(p.fullmatch(line) for p in PHASE_LINES), line
        assert observation.events[-1].startswith("Game over")
        assert observation.prompt == text_observation(then, seat)
        assert observation.location == then.players[seat].location
    assert deaths > 10 and after_death > 0  # bodies did receive messages after their deaths
