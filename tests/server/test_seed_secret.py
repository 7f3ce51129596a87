"""A server secret mixed into clients' seeds: the same request is the same game on that server,
but a seed no longer tells the client the deal (offline, or by probing other seats)."""

from __future__ import annotations

import pytest

from openenv_facade.models import ResetParams
from openenv_facade.session import SeatSession
from openenv_facade.settings import ServerSettings
from tests.server.conftest import RANDOM_POLICIES, serve
from tests.server.helpers import RawSession

SECRET = "0123456789abcdef-test-secret"
SEEDS = range(40)
#: Seven players, two impostors: two unrelated deals share their impostors 1 time in 21.
AT_MOST_BY_CHANCE = 10


def impostors(settings: ServerSettings, seed: int, seat: int) -> tuple[int, ...]:
    """The impostor seats dealt for a client's reset with ``seed`` at ``seat``."""
    session = SeatSession(settings)
    session.reset(ResetParams(seed=seed, seat=seat, policies=RANDOM_POLICIES))  # type: ignore[arg-type]
    assert session.game is not None
    return tuple(session.game.impostor_seats())


def test_without_a_secret_a_seed_gives_the_deal_away() -> None:
    """The attack: a seed's deal is the same whichever seat asks, so probing seats (or running
    the public engine offline) reveals every role of the game a client is about to play."""
    plain = ServerSettings()
    assert all(impostors(plain, seed, 0) == impostors(plain, seed, 3) for seed in SEEDS)


def test_with_a_secret_the_same_request_is_the_same_game() -> None:
    settings = ServerSettings(seed_secret=SECRET)
    params = ResetParams(seed=5, role="crewmate", policies=RANDOM_POLICIES)  # type: ignore[arg-type]
    first, second = SeatSession(settings), SeatSession(settings)
    one, two = first.reset(params), second.reset(params)
    for _ in range(20):
        assert one.model_dump(exclude={"metadata"}) == two.model_dump(exclude={"metadata"})
        if one.done:
            break
        action = one.legal_actions[-1]
        one, two = first.step(action), second.step(action)


def test_with_a_secret_a_seed_tells_nothing_about_the_deal() -> None:
    secret = ServerSettings(seed_secret=SECRET)
    other_secret = ServerSettings(seed_secret=SECRET[::-1])
    plain = ServerSettings()
    same_as_plain = sum(impostors(secret, s, 0) == impostors(plain, s, 0) for s in SEEDS)
    same_as_other_seat = sum(impostors(secret, s, 0) == impostors(secret, s, 3) for s in SEEDS)
    same_as_other_secret = sum(
        impostors(secret, s, 0) == impostors(other_secret, s, 0) for s in SEEDS
    )
    assert same_as_plain <= AT_MOST_BY_CHANCE
    assert same_as_other_seat <= AT_MOST_BY_CHANCE
    assert same_as_other_secret <= AT_MOST_BY_CHANCE


def test_the_secret_comes_from_the_environment_and_is_never_shown() -> None:
    settings = ServerSettings.from_env({"AMONGUS_SEED_SECRET": SECRET})
    assert settings.seed_secret == SECRET
    assert SECRET not in repr(settings)
    with pytest.raises(ValueError, match="at least 16"):
        ServerSettings(seed_secret="short")


def test_a_server_with_a_secret_replays_a_seed_over_the_wire() -> None:
    with (
        serve(ServerSettings(seed_secret=SECRET, max_sessions=4)) as server,
        RawSession(server.ws_url) as one,
        RawSession(server.ws_url) as two,
    ):
        first = one.reset(seed=9, seat=1, episode_id="e")
        assert first == two.reset(seed=9, seat=1, episode_id="e")
        assert SECRET not in str(first) and SECRET not in one.frames[0]
