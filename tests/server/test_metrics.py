"""``/metrics`` (Prometheus text format) and ``/health`` report what the server is doing, read
during real games."""

from __future__ import annotations

import random

import httpx
from prometheus_client.parser import text_string_to_metric_families
from websockets.sync.client import connect

from openenv_facade.settings import ServerSettings
from tests.server.conftest import RANDOM_POLICIES, serve
from tests.server.helpers import RawSession


def read_metrics(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``/metrics``, keyed by name and sorted labels."""
    reply = client.get("/metrics")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(reply.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_and_health_follow_a_game() -> None:
    with (
        serve(ServerSettings(max_sessions=5, session_timeout_s=60.0)) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as client,
    ):
        idle = read_metrics(client)
        assert value(idle, "amongus_sessions_open") == 0
        assert value(idle, "amongus_sessions_max") == 5
        assert client.get("/health").json() == {
            "status": "healthy",
            "sessions": 0,
            "max_sessions": 5,
        }
        rng = random.Random(4)
        with RawSession(server.ws_url) as first, RawSession(server.ws_url) as second:
            reply = first.reset(seed=11, role="crewmate")
            second.reset(seed=12)
            playing = read_metrics(client)
            assert value(playing, "amongus_sessions_open") == 2
            assert client.get("/health").json()["sessions"] == 2
            assert value(playing, "amongus_games_started_total") == 2

            steps = 0
            while not reply["data"]["done"]:
                reply = first.step(rng.choice(reply["data"]["observation"]["legal_actions"]))
                steps += 1
            assert first.step({"raw": "DANCE"})["data"]["code"] == "EXECUTION_ERROR"  # game over
            second.send_raw("{nope")
            second.send({"type": "fly"})
            illegal = second.step({"raw": "DANCE"})
            assert illegal["data"]["observation"]["error"]

            done = read_metrics(client)
            assert value(done, "amongus_steps_total") == steps
            assert value(done, "amongus_step_seconds_count") == steps
            assert value(done, "amongus_step_seconds_sum") > 0
            assert value(done, "amongus_policy_seconds_count") == 2 + steps  # 2 resets, steps
            assert value(done, "amongus_games_finished_total") == 1
            assert value(done, "amongus_illegal_moves_total") == 1
            for code in ("EXECUTION_ERROR", "INVALID_JSON", "UNKNOWN_TYPE"):
                assert value(done, "amongus_errors_total", surface="ws", code=code) == 1

        assert client.post("/step", json={"session_id": "nope", "action": {"raw": "x"}}).is_error
        assert client.post("/step", json={"action": {}}).status_code == 422
        client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "fly"})
        after = read_metrics(client)
        assert value(after, "amongus_sessions_open") == 0
        assert value(after, "amongus_errors_total", surface="http", code="SESSION_ERROR") == 1
        assert value(after, "amongus_errors_total", surface="http", code="VALIDATION_ERROR") == 1
        assert value(after, "amongus_errors_total", surface="mcp", code="METHOD_NOT_FOUND") == 1


def test_a_refused_connection_is_counted_and_health_shows_the_server_full() -> None:
    with (
        serve(ServerSettings(max_sessions=1, session_timeout_s=60.0)) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as client,
        RawSession(server.ws_url) as holder,
    ):
        holder.reset(policies=RANDOM_POLICIES)
        with connect(server.ws_url) as refused:
            assert "CAPACITY_REACHED" in str(refused.recv(timeout=30))
        health = client.get("/health").json()
        assert (health["sessions"], health["max_sessions"]) == (1, 1)
        samples = read_metrics(client)
        assert value(samples, "amongus_errors_total", surface="ws", code="CAPACITY_REACHED") == 1
