"""Server throughput: K concurrent WebSocket clients playing full games, against a reference.

For K in 1, 8 and 64 clients, each client plays whole games over ``/ws`` with random legal moves
(the other seats: random policies by default, ``--policies heuristic`` for the scripted ones) and
the run reports seat-steps/s and the p50/p99 latency of one step (send to reply). Then it opens
``--sessions`` idle sessions at once (each with a game started) and reports the server's resident
memory per open session (RSS after minus RSS before, over the count).

The reference is a trivial echo environment served by openenv-core's own server
(``create_fastapi_app``), measured the same way in the same run: it is the protocol's floor. Both
servers are separate processes on 127.0.0.1 with the same uvicorn transport settings; the clients
share this process.

Targets: at 1 and 8 clients at least the echo server's steps/s; p99 below 50 ms at 64 clients;
1,000 open sessions at most 100 MB above idle.

``--scale 10000`` measures one server process holding 10,000 sessions instead (each a ``/ws``
connection with a game started): the server's memory above idle with all of them open (target
at most 1 GB), then the p99 step latency while ``--active`` (256) of them play whole games and
the rest stay open (target below 100 ms). It needs, per process (server and this client), a
file-descriptor limit above the session count (``ulimit -n 20000``; the script raises its soft
limit to the hard one, and the server inherits it), a listen backlog for the burst of
connections (``net.core.somaxconn``, 4096 here), about 1.5 GB of memory for the server and 1 GB
for the clients, and local ports (``net.ipv4.ip_local_port_range``, 28,000 here).

Beside the rates, the run reports each server's CPU time per step (from ``/proc``) and two
floors for ours. At 1 and 8 clients it also measures our server answering ``state`` messages
only (after one reset): its transport and framing with no game work. And it measures the CPU
time the rules engine alone (no environment, no policies, no observation, no network) spends
per seat-step on the turns a seat-step contains, in random games of the same preset, and that
time plus rendering the pinned seat's 7vik prompt once per seat-step (the observation must carry
it). Echo's step minus our transport is the room left for a seat-step's game work if we are to
match echo; the run prints that room beside what the game work takes, and beside the floor any
server must spend on the turns and the prompt alone.

    python benchmarks/server_throughput.py [--seconds 8] [--clients 1,8,64] [--sessions 1000]
    python benchmarks/server_throughput.py --scale 10000 [--active 256] [--seconds 8]

``--shared`` measures the multi-seat modes instead (issue 18): one client holding every seat of
a game (turns/s, beside one client holding one seat, in the same run), and ``--games`` (64)
five-player games each played by five clients joined by token (the p99 turn latency: from a
client sending its move to the next client in that game receiving its turn; target below
50 ms).

    python benchmarks/server_throughput.py --shared [--seconds 8] [--games 64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from amongagents import Game
from amongus_marl.observations import text_observation

ROOT = Path(__file__).resolve().parent.parent
TARGET_P99_MS = 50.0
TARGET_SESSION_MB = 100.0
TARGET_SCALE_MB = 1024.0  # 10,000 sessions above idle
TARGET_SCALE_P99_MS = 100.0  # 256 active clients among them
DEFAULT_PRESET = "seven_member"  # the server's default game, which the benchmark's resets play


# ----------------------------------------------------------------------------- the echo reference
def serve_echo(port: int, max_sessions: int) -> None:
    """The reference: an echo environment on openenv-core's own server helpers."""
    from uuid import uuid4

    import uvicorn
    from openenv.core.env_server.http_server import create_fastapi_app
    from openenv.core.env_server.interfaces import Environment
    from openenv.core.env_server.types import Action, Observation, State

    class EchoAction(Action):
        message: str

    class EchoObservation(Observation):
        echoed_message: str

    class EchoEnvironment(Environment):
        SUPPORTS_CONCURRENT_SESSIONS = True

        def __init__(self) -> None:
            super().__init__()
            self._state = State(episode_id=str(uuid4()), step_count=0)

        def reset(
            self, seed: int | None = None, episode_id: str | None = None, **kwargs: Any
        ) -> EchoObservation:
            self._state = State(episode_id=episode_id or str(uuid4()), step_count=0)
            return EchoObservation(echoed_message="ready", reward=0.0)

        def step(
            self, action: EchoAction, timeout_s: float | None = None, **kwargs: Any
        ) -> EchoObservation:
            self._state.step_count += 1
            return EchoObservation(echoed_message=action.message, reward=0.0)

        @property
        def state(self) -> State:
            return self._state

    app = create_fastapi_app(
        EchoEnvironment, EchoAction, EchoObservation, max_concurrent_envs=max_sessions
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", ws_per_message_deflate=False)


# ------------------------------------------------------------------------------------ processes
@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the server process so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(name: str, command: list[str], env: dict[str, str], port: int) -> Server:
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    server = Server(name, process, port)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise RuntimeError(
                f"{name} server exited: {process.stderr.read().decode() if process.stderr else ''}"
            )
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"{name} server did not start")
        time.sleep(0.1)


def server_env(sessions: int) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "among-agents"), str(ROOT), os.environ.get("PYTHONPATH", "")]
        ),
    }
    env.update(AMONGUS_MAX_SESSIONS=str(sessions + 100), AMONGUS_SESSION_TIMEOUT_S="3600")
    return env


def start_ours(sessions: int) -> Server:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "openenv_facade",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    return start("amongus", command, server_env(sessions), port)


def start_echo(sessions: int) -> Server:
    port = free_port()
    command = [
        sys.executable,
        __file__,
        "--serve-echo",
        str(port),
        "--sessions",
        str(sessions + 100),
    ]
    return start("echo (openenv-core)", command, server_env(sessions), port)


# --------------------------------------------------------------------------------------- clients
async def request(ws: ClientConnection, message: dict[str, Any]) -> dict[str, Any]:
    await ws.send(json.dumps(message))
    reply: dict[str, Any] = json.loads(await ws.recv())
    if reply.get("type") == "error":
        raise RuntimeError(f"server error: {reply['data']}")
    return reply


Player = Callable[[ClientConnection, float, list[float], random.Random], Awaitable[int]]


def game_player(policies: dict[str, str], seats: Any = None) -> Player:
    """A client playing whole games with random legal moves, the other seats ``policies``;
    with ``seats`` it holds those seats of each game (``"all"``: self-play)."""

    async def play(
        ws: ClientConnection, deadline: float, latencies: list[float], rng: random.Random
    ) -> int:
        steps = 0
        while time.perf_counter() < deadline:
            data: dict[str, Any] = {"seed": rng.getrandbits(32), "policies": policies}
            if seats is not None:
                data["seats"] = seats
            reply = await request(ws, {"type": "reset", "data": data})
            while not reply["data"]["done"] and time.perf_counter() < deadline:
                action = rng.choice(reply["data"]["observation"]["legal_actions"])
                started = time.perf_counter()
                reply = await request(ws, {"type": "step", "data": action})
                latencies.append(time.perf_counter() - started)
                steps += 1
        return steps

    return play


def state_player(policies: dict[str, str]) -> Player:
    """One reset, then ``state`` messages only: our server's transport and framing with no
    game work, the floor under every seat-step."""

    async def play(
        ws: ClientConnection, deadline: float, latencies: list[float], rng: random.Random
    ) -> int:
        steps = 0
        await request(
            ws, {"type": "reset", "data": {"seed": rng.getrandbits(32), "policies": policies}}
        )
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await request(ws, {"type": "state"})
            latencies.append(time.perf_counter() - started)
            steps += 1
        return steps

    return play


async def echo_player(
    ws: ClientConnection, deadline: float, latencies: list[float], rng: random.Random
) -> int:
    steps = 0
    await request(ws, {"type": "reset", "data": {}})
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        await request(ws, {"type": "step", "data": {"message": "hello"}})
        latencies.append(time.perf_counter() - started)
        steps += 1
    return steps


@dataclass
class Throughput:
    steps_per_s: float
    p50_ms: float
    p99_ms: float
    server_cpu_us: float  # the server's CPU time per step (resets included), in microseconds


async def measure(server: Server, clients: int, seconds: float, player: Player) -> Throughput:
    connections = [
        await connect(server.ws_url, max_size=None, compression=None) for _ in range(clients)
    ]
    try:
        return await play_on(server, connections, seconds, player)
    finally:
        for ws in connections:
            await ws.close()


async def play_on(
    server: Server, connections: list[ClientConnection], seconds: float, player: Player
) -> Throughput:
    """``player`` on each of ``connections`` at once for ``seconds``."""
    latencies: list[float] = []
    cpu_before = server.cpu_seconds()
    started = time.perf_counter()
    deadline = started + seconds
    counts = await asyncio.gather(
        *(player(ws, deadline, latencies, random.Random(i)) for i, ws in enumerate(connections))
    )
    elapsed = time.perf_counter() - started
    cpu = server.cpu_seconds() - cpu_before
    cuts = statistics.quantiles(latencies, n=100)
    steps = sum(counts)
    return Throughput(steps / elapsed, cuts[49] * 1000, cuts[98] * 1000, cpu / steps * 1e6)


def engine_floor(preset: str, seconds: float, *, prompt: bool = False) -> tuple[float, float]:
    """CPU microseconds the rules engine alone spends per seat-step, and turns per seat-step.

    Random legal moves for every seat of ``preset`` games, one seat pinned per game as the
    server pins the client's: a seat-step is every turn from the pinned seat's move to its next
    one (or to the end of the game, as when the seat dies), and game set-up is included, as the
    server's resets are. With ``prompt``, the pinned seat's 7vik prompt is also rendered at each
    of its turns, as every observation the server sends carries it."""
    rng = random.Random(0)
    seat_steps = turns = 0
    started = time.process_time()
    while time.process_time() - started < seconds:
        game = Game(preset, seed=rng.getrandbits(63))
        pinned = rng.randrange(game.config.num_players)
        while not game.is_over:
            if game.current_seat == pinned:
                seat_steps += 1
                if prompt:
                    text_observation(game, pinned)
            legal = game.current_legal_actions
            game.step(legal[rng.randrange(len(legal))])
            turns += 1
    return (time.process_time() - started) / seat_steps * 1e6, turns / seat_steps


async def open_sessions(server: Server, count: int, reset: dict[str, Any]) -> tuple[float, float]:
    """RSS (MB) before and with ``count`` sessions open, each after one reset."""
    await asyncio.sleep(0.5)
    before = server.rss_mb()
    connections: list[ClientConnection] = []
    try:
        for _ in range(count):
            ws = await connect(server.ws_url, max_size=None, compression=None, open_timeout=60)
            connections.append(ws)
            await request(ws, {"type": "reset", "data": reset})
        await asyncio.sleep(1.0)
        after = server.rss_mb()
    finally:
        await asyncio.gather(*(ws.close() for ws in connections), return_exceptions=True)
    return before, after


# ------------------------------------------------------------------------------------------ main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each throughput run")
    parser.add_argument("--clients", default="1,8,64", help="comma-separated client counts")
    parser.add_argument(
        "--sessions", type=int, default=1000, help="idle sessions for the memory figure"
    )
    parser.add_argument(
        "--policies",
        default="random",
        choices=["random", "heuristic"],
        help="the other seats' policy",
    )
    parser.add_argument(
        "--scale",
        type=int,
        default=0,
        metavar="N",
        help="instead: hold N sessions in one server (memory), with --active of them playing",
    )
    parser.add_argument(
        "--active", type=int, default=256, help="clients playing among the --scale sessions"
    )
    parser.add_argument("--serve-echo", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--shared", action="store_true", help="measure the multi-seat modes")
    parser.add_argument("--games", type=int, default=64, help="shared games (--shared)")
    args = parser.parse_args()
    if args.serve_echo:
        serve_echo(args.serve_echo, args.sessions)
        return
    if args.shared:
        asyncio.run(run_shared(args.seconds, args.games))
        return
    policies = {"impostor": args.policies, "crewmate": args.policies}
    if args.scale:
        asyncio.run(run_scale(args.scale, args.active, args.seconds, policies))
        return
    asyncio.run(
        run([int(k) for k in args.clients.split(",")], args.seconds, args.sessions, policies)
    )


async def with_server(
    starter: Callable[[int], Server], sessions: int, job: Callable[[Server], Awaitable[Any]]
) -> Any:
    """Run ``job`` against a fresh server process, then stop it. Each measurement gets its own
    process: openenv-core 0.3.0's server stopped answering after 64 sessions closed at once."""
    server = starter(sessions)
    try:
        return await job(server)
    finally:
        server.stop()


async def run(
    client_counts: list[int], seconds: float, sessions: int, policies: dict[str, str]
) -> None:
    play = game_player(policies)
    bare = state_player(policies)

    async def throughput(server: Server, clients: int, player: Player) -> Throughput:
        await measure(server, 2, 1.0, player)  # warm-up: imports, caches, first games
        return await measure(server, clients, seconds, player)

    async def idle_sessions(
        server: Server, player: Player, reset: dict[str, Any]
    ) -> tuple[float, float]:
        await measure(server, 2, 1.0, player)  # the same warm-up, so "idle" is comparable
        return await open_sessions(server, sessions, reset)

    cpus = os.cpu_count()
    print(f"other seats: {policies['impostor']} policies; {cpus} CPUs; {seconds:g} s per run")
    header = f"{'clients':>7} {'server':<20} {'steps/s':>10} {'p50 ms':>8} {'p99 ms':>8}"
    print(f"{header} {'server CPU us/step':>19}")
    verdicts: list[str] = []
    echo_cpu: list[float] = []
    budgets: list[tuple[int, Throughput, Throughput, Throughput]] = []  # echo, ours, state only
    for clients in client_counts:
        reference = await with_server(
            start_echo, clients, partial(throughput, clients=clients, player=echo_player)
        )
        result = await with_server(
            start_ours, clients, partial(throughput, clients=clients, player=play)
        )
        rows = [("echo (openenv-core)", reference), ("amongus", result)]
        if clients in (1, 8):
            transport = await with_server(
                start_ours, clients, partial(throughput, clients=clients, player=bare)
            )
            rows.append(("amongus, state only", transport))
            budgets.append((clients, reference, result, transport))
        for name, t in rows:
            print(
                f"{clients:>7} {name:<20} {t.steps_per_s:>10,.0f} {t.p50_ms:>8.2f} {t.p99_ms:>8.2f}"
                f" {t.server_cpu_us:>19.0f}"
            )
        echo_cpu.append(reference.server_cpu_us)
        if clients in (1, 8):
            ratio = result.steps_per_s / reference.steps_per_s
            verdict = "meets" if ratio >= 1 else "MISSES"
            verdicts.append(
                f"{clients} client(s): {ratio:.2f}x the echo server's steps/s ({verdict} >= 1x)"
            )
        if clients == 64:
            verdict = "meets" if result.p99_ms < TARGET_P99_MS else "MISSES"
            verdicts.append(
                f"64 clients: p99 {result.p99_ms:.1f} ms ({verdict} < {TARGET_P99_MS:g} ms)"
            )

    floor, turns = engine_floor(DEFAULT_PRESET, seconds)
    prompted, _ = engine_floor(DEFAULT_PRESET, seconds, prompt=True)
    print(
        f"\nrules engine alone ({DEFAULT_PRESET}, random moves, no environment, observation or "
        f"network): {floor:.0f} us of CPU per seat-step ({turns:.1f} turns per seat-step); "
        f"with the seat's 7vik prompt rendered once per seat-step: {prompted:.0f} us; "
        f"the echo server's whole step: {statistics.median(echo_cpu):.0f} us (median)"
    )
    if budgets:
        print("server CPU per step, game work against the room echo leaves for it:")
    for clients, reference, result, transport in budgets:
        room = reference.server_cpu_us - transport.server_cpu_us
        print(
            f"  {clients} client(s): echo's step {reference.server_cpu_us:.0f} us - our transport "
            f"{transport.server_cpu_us:.0f} us = {room:.0f} us for a seat-step's game work to "
            f"match echo; it takes {result.server_cpu_us - transport.server_cpu_us:.0f} us; the "
            f"turns and the prompt alone take {prompted:.0f} us, leaving {room - prompted:.0f} us "
            "for the environment, the policies' choices, the legal actions and the JSON"
        )

    print(f"\n{sessions} idle open sessions (each after one reset):")
    print(f"{'server':<20} {'RSS idle MB':>12} {'RSS open MB':>12} {'KB/session':>11}")
    servers: tuple[tuple[str, Callable[[int], Server], Player, dict[str, Any]], ...] = (
        ("echo (openenv-core)", start_echo, echo_player, {}),
        ("amongus", start_ours, play, {"policies": policies}),
    )
    for name, starter, player, reset in servers:
        before, after = await with_server(
            starter, sessions, partial(idle_sessions, player=player, reset=reset)
        )
        per_session = (after - before) * 1024 / sessions
        print(f"{name:<20} {before:>12.1f} {after:>12.1f} {per_session:>11.1f}")
        if starter is start_ours:
            limit = TARGET_SESSION_MB * sessions / 1000
            verdict = "meets" if after - before <= limit else "MISSES"
            growth = after - before
            verdicts.append(
                f"{sessions} sessions: {growth:.1f} MB above idle ({verdict} <= {limit:g} MB)"
            )
    print("\n" + "\n".join(verdicts))


# ------------------------------------------------------------------------------- many sessions
def raise_file_limit(needed: int) -> None:
    """Raise this process's soft descriptor limit to the hard one (the server, started later,
    inherits it); refuse to start when even that is too low."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise SystemExit(f"needs {needed} file descriptors, the hard limit is {hard}: ulimit -Hn")
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def run_scale(total: int, active: int, seconds: float, policies: dict[str, str]) -> None:
    raise_file_limit(total + 512)
    play = game_player(policies)
    server = start_ours(total)
    connections: list[ClientConnection] = []
    try:
        await measure(server, 2, 1.0, play)  # warm-up, as for the other figures
        # The reference, in the same run: the same clients with no other session open.
        alone = await measure(server, active, seconds, play)
        await asyncio.sleep(0.5)
        idle = server.rss_mb()
        started = time.perf_counter()
        reset = {"type": "reset", "data": {"policies": policies}}
        batch = 100  # connections opened at once: well inside the listen backlog
        for first in range(0, total, batch):
            opened = await asyncio.gather(
                *(
                    connect(server.ws_url, max_size=None, compression=None, open_timeout=120)
                    for _ in range(min(batch, total - first))
                )
            )
            connections.extend(opened)
            await asyncio.gather(*(request(ws, reset) for ws in opened))
        opening = time.perf_counter() - started
        await asyncio.sleep(1.0)
        held = server.rss_mb()
        health = httpx.get(f"{server.url}/health", timeout=30).json()
        result = await play_on(server, connections[:active], seconds, play)
        after_play = server.rss_mb()
    finally:
        await asyncio.gather(*(ws.close() for ws in connections), return_exceptions=True)
        server.stop()
    growth = held - idle
    print(
        f"{total} sessions in one server process, each with a game started "
        f"(other seats: {policies['impostor']}; opened in {opening:.1f} s; /health: "
        f"{health['sessions']} of {health['max_sessions']})"
    )
    print(
        f"  server RSS: idle {idle:.1f} MB, {total} sessions open {held:.1f} MB "
        f"(+{growth:.1f} MB, {growth * 1024 / total:.1f} KB/session), "
        f"after play {after_play:.1f} MB"
    )
    for label, t in ((f"{active} of them playing", result), (f"{active} alone", alone)):
        print(
            f"  {label:<22} for {seconds:g} s: {t.steps_per_s:>6,.0f} seat-steps/s, "
            f"p50 {t.p50_ms:7.1f} ms, p99 {t.p99_ms:7.1f} ms, "
            f"server CPU {t.server_cpu_us:.0f} us/step"
        )
    # Each client waits for its reply before its next step, so a step waits for about the
    # other clients' steps: latency is about clients / throughput (Little's law).
    print(
        f"  p99 among {total} sessions / p99 alone: {result.p99_ms / alone.p99_ms:.2f}x; "
        f"{active} clients / throughput: {active / result.steps_per_s * 1000:.0f} ms"
    )
    memory = "meets" if growth <= TARGET_SCALE_MB else "MISSES"
    latency = "meets" if result.p99_ms < TARGET_SCALE_P99_MS else "MISSES"
    print(f"\n{total} sessions: {growth:.0f} MB above idle ({memory} <= {TARGET_SCALE_MB:g} MB)")
    print(
        f"{active} active among them: p99 {result.p99_ms:.1f} ms "
        f"({latency} < {TARGET_SCALE_P99_MS:g} ms)"
    )


# ------------------------------------------------------------------------------- multi-seat modes
RANDOM_POLICIES = {"impostor": "random", "crewmate": "random"}


async def seat_loop(
    ws: ClientConnection,
    reply: dict[str, Any],
    sent: list[float],
    handoffs: list[float],
    rng: random.Random,
) -> int:
    """One client of a shared game: wait for its turns and move; the moves made. ``sent`` holds
    when the game's latest move was sent: a turn reaching this client closes that hand-off."""
    made = 0
    while not reply["data"]["done"]:
        legal = reply["data"]["observation"]["legal_actions"]
        if not legal:
            reply = await request(ws, {"type": "wait"})
            continue
        if sent[0]:
            handoffs.append(time.perf_counter() - sent[0])
        sent[0] = time.perf_counter()
        reply = await request(ws, {"type": "step", "data": rng.choice(legal)})
        made += 1
    return made


async def shared_group(url: str, deadline: float, handoffs: list[float], rng: random.Random) -> int:
    """Five clients play five-player games together until the deadline; the moves made."""
    connections = [await connect(url, max_size=None, compression=None) for _ in range(5)]
    moves = 0
    try:
        while time.perf_counter() < deadline:
            first = await request(
                connections[0],
                {
                    "type": "reset",
                    "data": {
                        "seed": rng.getrandbits(32),
                        "config": "five_member",
                        "seat": 0,
                        "open_seats": "all",
                        "policies": RANDOM_POLICIES,
                    },
                },
            )
            observation = first["data"]["observation"]
            game_id, tokens = observation["game_id"], observation["seat_tokens"]
            replies = [first]
            for seat in range(1, 5):
                data = {"game_id": game_id, "token": tokens[str(seat)]}
                replies.append(await request(connections[seat], {"type": "reset", "data": data}))
            sent = [0.0]  # when the latest move of this game was sent
            counts = await asyncio.gather(
                *(
                    seat_loop(ws, reply, sent, handoffs, rng)
                    for ws, reply in zip(connections, replies, strict=True)
                )
            )
            moves += sum(counts)
    finally:
        for ws in connections:
            await ws.close()
    return moves


async def run_shared(seconds: float, games: int) -> None:
    print(f"multi-seat modes; {os.cpu_count()} CPUs; {seconds:g} s per run")
    one_seat = game_player(RANDOM_POLICIES)
    all_seats = game_player(RANDOM_POLICIES, seats="all")

    async def throughput(server: Server, player: Player) -> Throughput:
        await measure(server, 1, 1.0, player)  # warm-up
        return await measure(server, 1, seconds, player)

    single = await with_server(start_ours, 1, partial(throughput, player=one_seat))
    selfplay = await with_server(start_ours, 1, partial(throughput, player=all_seats))
    print(f"{'one client holding':<28} {'turns/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for name, t in (("one seat (policies: random)", single), ("every seat (self-play)", selfplay)):
        print(f"{name:<28} {t.steps_per_s:>10,.0f} {t.p50_ms:>8.2f} {t.p99_ms:>8.2f}")

    async def groups(server: Server) -> tuple[float, list[float], float]:
        handoffs: list[float] = []
        started = time.perf_counter()
        deadline = started + seconds
        moves = await asyncio.gather(
            *(
                shared_group(server.ws_url, deadline, handoffs, random.Random(i))
                for i in range(games)
            )
        )
        return sum(moves) / (time.perf_counter() - started), handoffs, 0.0

    rate, handoffs, _ = await with_server(start_ours, games * 5, groups)
    cuts = statistics.quantiles(handoffs, n=100)
    verdict = "meets" if cuts[98] * 1e3 < TARGET_P99_MS else "MISSES"
    print(
        f"{games} games x 5 clients: {rate:,.0f} moves/s, turn latency p50 {cuts[49] * 1e3:.2f} "
        f"ms, p99 {cuts[98] * 1e3:.2f} ms ({verdict} < {TARGET_P99_MS:g} ms; "
        f"{len(handoffs):,} hand-offs)"
    )


if __name__ == "__main__":
    main()
