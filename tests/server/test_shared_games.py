"""Several clients, one game: a shared game over /ws, each seat held by its own connection.

Clients run in threads (a step's reply waits for the seat's next turn, which needs the other
clients to act), each on its own real socket to a server on 127.0.0.1.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from openenv_facade.settings import ServerSettings
from tests.server.conftest import RANDOM_POLICIES, RunningServer, serve
from tests.server.helpers import RawSession, eventually
from tests.server.test_hidden_information import (
    COLOR_WORD,
    PHASE_LINES,
    ROLE_WORDS,
    allowed_event_lines,
    strings,
    without_speech,
)


@pytest.fixture(scope="module")
def shared_server() -> Iterator[RunningServer]:
    # A generous session timeout: a client thread that is slow to send its next message (five
    # clients and the server share this process) must not have its connection closed as idle.
    # The reaping test has a server of its own, with a short timeout.
    with serve(ServerSettings(max_sessions=32, session_timeout_s=30.0)) as running:
        yield running


def play_seat(
    session: RawSession, reply: dict[str, Any], rng: random.Random
) -> list[dict[str, Any]]:
    """Wait for turns and make random legal moves until the game ends; the observations."""
    seen = []
    for _ in range(3000):
        assert reply["type"] == "observation", reply
        seen.append(reply["data"])
        if reply["data"]["done"]:
            return seen
        legal = reply["data"]["observation"]["legal_actions"]
        reply = session.step(rng.choice(legal)) if legal else session.send({"type": "wait"})
    raise AssertionError("the game did not end")


def create(session: RawSession, **data: Any) -> dict[str, Any]:
    data.setdefault("policies", RANDOM_POLICIES)
    reply = session.send({"type": "reset", "data": data})
    assert reply["type"] == "observation", reply
    return reply


def join(session: RawSession, game_id: str, token: str) -> dict[str, Any]:
    return session.send({"type": "reset", "data": {"game_id": game_id, "token": token}})


@pytest.mark.parametrize("seed", [1, 2])
def test_five_clients_play_one_game_each_seeing_only_its_seat(
    shared_server: RunningServer, seed: int
) -> None:
    creator = RawSession(shared_server.ws_url)
    first = create(creator, seed=seed, config="five_member", seat=0, open_seats="all")
    observation = first["data"]["observation"]
    game_id, tokens = observation["game_id"], observation["seat_tokens"]
    assert sorted(tokens) == ["0", "1", "2", "3", "4"] and len(set(tokens.values())) == 5
    game = shared_server.app.state.shared_games.games[game_id].session.game  # the true game
    results: dict[int, list[dict[str, Any]]] = {}
    frames: dict[int, list[str]] = {}
    errors: list[BaseException] = []

    def client(seat: int) -> None:
        try:
            with RawSession(shared_server.ws_url) as session:
                reply = join(session, game_id, tokens[str(seat)])
                assert "seat_tokens" not in reply["data"]["observation"]  # creator's only
                results[seat] = play_seat(session, reply, random.Random(seat))
                frames[seat] = list(session.frames)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(seat,)) for seat in range(1, 5)]
    for thread in threads:
        thread.start()
    results[0] = play_seat(creator, first, random.Random(0))
    frames[0] = list(creator.frames)
    for thread in threads:
        thread.join(timeout=120)
    creator.close()
    assert not errors, errors
    assert sorted(results) == [0, 1, 2, 3, 4]
    roles = {}
    for seat, seen in results.items():
        assert all(data["observation"]["seat"] == seat for data in seen)
        assert all(data["observation"]["game_id"] == game_id for data in seen)
        roles[seat] = seen[0]["observation"]["role"]
        assert {data["observation"]["role"] for data in seen} == {roles[seat]}
        final = seen[-1]
        assert final["done"] and final["reward"] in (-1.0, 1.0)
        moved = sum(1 for data in seen[1:] if data["observation"]["legal_actions"] or data["done"])
        assert moved > 0
    # The single-seat hidden-information scan, per connection.
    for seat, texts in frames.items():
        allowed = allowed_event_lines(game, seat)
        own_color = game.players[seat].color
        for data in results[seat]:
            for line in data["observation"]["events"]:
                assert line in allowed or any(p.fullmatch(line) for p in PHASE_LINES), line
        if game.players[seat].is_impostor:
            continue
        for text in texts:
            for value in strings(json.loads(text)):
                for line in value.splitlines():
                    fact = without_speech(line)
                    if ROLE_WORDS.search(fact):
                        named = {m.lower() for m in COLOR_WORD.findall(fact)}
                        assert named <= {own_color}, line
    winners = {seat for seat, seen in results.items() if seen[-1]["reward"] > 0}
    assert winners in (
        {s for s in roles if roles[s] == "impostor"},
        {s for s in roles if roles[s] == "crewmate"},
    )


def test_a_seat_nobody_plays_gets_its_fallback_after_the_deadline(
    shared_server: RunningServer,
) -> None:
    # The deadline holds for the creator's seat too: it is long enough for the creator to
    # answer every turn in time, even on a slow, loaded machine.
    with RawSession(shared_server.ws_url) as creator:
        reply = create(
            creator, seed=3, config="five_member", seat=0, open_seats=[1], turn_deadline_s=1.0
        )
        observation = reply["data"]["observation"]
        game_id, token = observation["game_id"], observation["seat_tokens"]["1"]
        rng = random.Random(3)
        for _ in range(2):  # seat 1's turns come and go without its client
            legal = reply["data"]["observation"]["legal_actions"]
            reply = creator.step(rng.choice(legal)) if legal else creator.send({"type": "wait"})
            if reply["data"]["done"]:
                break
        with RawSession(shared_server.ws_url) as late:
            joined = join(late, game_id, token)
            assert joined["type"] == "observation", joined
            events = joined["data"]["observation"]["events"]
            assert any("did not act within 1 s" in line for line in events), events


def test_errors_change_nothing(shared_server: RunningServer) -> None:
    other = RawSession(shared_server.ws_url)
    with RawSession(shared_server.ws_url) as creator:
        reply = create(creator, seed=4, config="five_member", seat=0, open_seats=[1, 2])
        observation = reply["data"]["observation"]
        game_id, tokens = observation["game_id"], observation["seat_tokens"]
        assert sorted(tokens) == ["0", "1", "2"]
        state = creator.state()
        bad = [
            ({"game_id": game_id, "token": "not-a-token"}, "opens no seat"),
            ({"game_id": "nope", "token": tokens["1"]}, "no shared game"),
            ({"game_id": game_id, "token": tokens["0"]}, "held by another connection"),
            ({"game_id": game_id, "token": tokens["1"], "seed": 3}, "game_id and token only"),
            ({"seed": 1, "open_seats": [0], "seat": 0}, "no seat besides"),
            ({"seed": 1, "open_seats": [9], "seat": 0}, "must name distinct seats"),
        ]
        for data, words in bad:
            answer = other.send({"type": "reset", "data": data})
            assert answer["type"] == "error" and words in answer["data"]["message"], answer
        assert creator.state() == state
        joined = join(other, game_id, tokens["1"])
        assert joined["type"] == "observation" and joined["data"]["observation"]["seat"] == 1
        mover, idle = (creator, other) if observation["legal_actions"] else (other, creator)
        if mover is creator:
            out_of_turn = idle.step({"type": "talk"})
            assert (
                out_of_turn["type"] == "error" and "not your turn" in out_of_turn["data"]["message"]
            )
            assert creator.state() == state
        # A connection that leaves can come back with its token.
        other.close()
        with RawSession(shared_server.ws_url) as again:
            rejoined = join(again, game_id, tokens["1"])
            assert rejoined["type"] == "observation"
            assert rejoined["data"]["observation"]["seat"] == 1


def test_shared_games_are_ws_only_and_wait_needs_one(shared_server: RunningServer) -> None:
    import httpx

    with httpx.Client(base_url=shared_server.base_url) as client:
        response = client.post("/reset", json={"seed": 1, "open_seats": [1], "seat": 0})
        assert response.status_code == 400 and "/ws" in response.text
    with RawSession(shared_server.ws_url) as session:
        answer = session.send({"type": "wait"})
        assert answer["type"] == "error" and "shared game" in answer["data"]["message"]


def test_a_game_without_clients_is_reaped() -> None:
    with serve(ServerSettings(max_sessions=4, session_timeout_s=0.6)) as server:
        games = server.app.state.shared_games.games
        with RawSession(server.ws_url) as creator:
            reply = create(creator, seed=5, config="five_member", seat=0, open_seats=[1])
            game_id = reply["data"]["observation"]["game_id"]
            assert game_id in games
        assert eventually(lambda: game_id not in games)
        with RawSession(server.ws_url) as late:
            token = reply["data"]["observation"]["seat_tokens"]["1"]
            answer = join(late, game_id, token)
            assert answer["type"] == "error" and "no shared game" in answer["data"]["message"]


def test_shared_games_are_capped() -> None:
    with (
        serve(ServerSettings(max_sessions=2, session_timeout_s=30.0)) as server,
        RawSession(server.ws_url) as creator,
    ):
        for seed in (1, 2):
            create(creator, seed=seed, config="five_member", seat=0, open_seats=[1])
        games = server.app.state.shared_games.games
        assert len(games) == 2
        refused = creator.send(
            {
                "type": "reset",
                "data": {"seed": 3, "config": "five_member", "seat": 0, "open_seats": [1]},
            }
        )
        assert refused["type"] == "error" and refused["data"]["code"] == "CAPACITY_REACHED"
        assert len(games) == 2
