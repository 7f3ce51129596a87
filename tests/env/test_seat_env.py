"""The single-seat Gymnasium env: Gymnasium's checker, the AEC version's observations and rewards,
reproducible episodes, opponents by name or object, and MaskablePPO training on it."""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from amongagents.game import IllegalActionError
from amongagents.replay import logged_action, new_game_from_log
from amongus_marl import SEAT_ENV_ID, raw_env, seat_env
from amongus_marl.policies import RandomPolicy
from tests.env.helpers import MAX_AGENT_STEPS, OBS_MODES, plain


def play_episode(env: Any, seed: int | None) -> list[Any]:
    """One whole episode with random legal actions from ``action_masks()``; every answer."""
    rng = np.random.default_rng(0 if seed is None else seed)
    observation, info = env.reset(seed=seed)
    trace: list[Any] = [plain(observation), info["seat"]]
    for _ in range(MAX_AGENT_STEPS):
        legal = np.flatnonzero(env.action_masks())
        action = int(legal[rng.integers(len(legal))])
        observation, reward, terminated, truncated, info = env.step(action)
        trace.append((action, plain(observation), reward, terminated, truncated))
        if terminated:
            return trace
    raise AssertionError("the episode did not end")


@pytest.mark.parametrize("obs_mode", OBS_MODES)
@pytest.mark.parametrize("mask_in_info", [False, True])
def test_gymnasium_check_env_passes(obs_mode: str, mask_in_info: bool) -> None:
    env = gymnasium.make(
        SEAT_ENV_ID, config="five_member", obs_mode=obs_mode, mask_in_info=mask_in_info
    )
    check_env(env.unwrapped)  # render modes are checked through the registered spec
    env.close()


def test_check_env_also_passes_through_gymnasium_make() -> None:
    with pytest.warns(UserWarning):  # the checker prefers the unwrapped env, and says so
        check_env(gymnasium.make(SEAT_ENV_ID), skip_render_check=True)


@pytest.mark.parametrize("opponents", ["random", "heuristic"])
def test_seeded_episodes_are_reproducible_and_differ_across_seeds(opponents: str) -> None:
    def make() -> Any:
        return seat_env(config="seven_member", opponents=opponents)

    first = [play_episode(make(), seed) for seed in (1, 2)]
    again = [play_episode(make(), seed) for seed in (1, 2)]
    assert first == again
    assert first[0] != first[1]
    # Unseeded resets continue the seeded stream: the same again from the same start.
    env_a, env_b = make(), make()
    play_episode(env_a, 9)
    play_episode(env_b, 9)
    assert play_episode(env_a, None) == play_episode(env_b, None)


def test_the_seat_sees_the_aec_observation_and_earns_its_rewards() -> None:
    """The seat env's game replayed through the AEC version: at each of the seat's turns the
    observation is the AEC one, and the rewards add up to what the AEC version paid the seat."""
    env = seat_env(config="seven_member", seat=2, opponents="random")
    for seed in range(4):
        observation, info = env.reset(seed=seed)
        seat_observations = [plain(observation)]
        total = 0.0
        terminated = False
        rng = np.random.default_rng(seed)
        while not terminated:
            assert np.array_equal(env.action_masks(), info["action_mask"].astype(bool))
            legal = np.flatnonzero(env.action_masks())
            observation, reward, terminated, truncated, info = env.step(
                int(legal[rng.integers(len(legal))])
            )
            assert not truncated
            total += reward
            if not terminated:
                seat_observations.append(plain(observation))
        game = env.aec.game
        me = game.players[2]
        won = me.is_impostor == game.winner.impostors_win
        assert total == (1.0 if won else -1.0)
        assert info["win_code"] == int(game.winner)
        assert not env.action_masks().any()  # nothing left to do
        assert aec_observations_at_turns(game.event_log(), "player_2") == seat_observations


def aec_observations_at_turns(log: dict[str, Any], agent: str) -> list[Any]:
    """The game of ``log`` played again through the AEC version, from its engine seed: what
    ``agent`` observed at each of its turns."""
    aec = raw_env(config="seven_member")
    aec.reset_from_game(new_game_from_log(log))
    seen = []
    for step in log["steps"]:
        assert aec.possible_agents[step["player"]] == aec.agent_selection
        if aec.agent_selection == agent:
            seen.append(plain(aec.observe(agent)))
        aec.step(logged_action(step, seeded=True))
    assert aec.game.is_over
    return seen


def test_a_role_or_a_seat_is_kept_and_opponents_may_be_objects() -> None:
    env = seat_env(
        config="seven_member",
        role="impostor",
        opponents={"impostor": "heuristic", "crewmate": RandomPolicy(seed=3)},
    )
    seats = set()
    for seed in range(6):
        env.reset(seed=seed)
        assert env.aec.game.players[env.aec.agent_name_mapping[env.agent]].is_impostor
        seats.add(env.agent)
    assert len(seats) > 1, "the impostor's seat is drawn per game"
    fixed = seat_env(config="five_member", seat=4, role="crewmate")
    for seed in range(3):
        _, info = fixed.reset(seed=seed)
        assert info["seat"] == 4 and not fixed.aec.game.players[4].is_impostor


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seat": 7}, "seat must be an integer in 0..6"),
        ({"seat": True}, "seat must be"),
        ({"role": "captain"}, "role must be one of"),
        ({"opponents": "nobody"}, "unknown policy 'nobody'"),
        ({"opponents": {"impostor": "random"}}, "opponents by role must name exactly"),
        ({"opponents": object()}, "neither a policy name nor a Policy"),
        ({"illegal_action": "ignore"}, "illegal_action must be one of"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        seat_env(config="seven_member", **kwargs)


def test_an_illegal_action_is_penalized_by_default_and_changes_nothing() -> None:
    env = seat_env(config="five_member", opponents="random")
    observation, _ = env.reset(seed=3)
    log = env.aec.event_log()
    illegal = int(np.flatnonzero(~env.action_masks())[0])
    again, reward, terminated, truncated, info = env.step(illegal)
    assert reward == env.aec.reward_config.illegal_action < 0
    assert env.agent in info["illegal_action"] and not terminated and not truncated
    assert plain(again) == plain(observation) and env.aec.event_log() == log
    raising = seat_env(config="five_member", opponents="random", illegal_action="raise")
    raising.reset(seed=3)
    with pytest.raises(IllegalActionError, match=raising.agent):
        raising.step(illegal)
    assert raising.aec.event_log() == log


def test_an_opponent_that_cheats_is_reported_by_name() -> None:
    class Cheater(RandomPolicy):
        name = "cheater"

        def act(self, observation: Any, info: dict[str, Any], view: Any) -> int:
            return int(np.flatnonzero(view.mask == 0)[0])

    env = seat_env(config="five_member", seat=4, opponents=Cheater())
    with pytest.raises(RuntimeError, match="opponent policy 'cheater' chose an illegal action"):
        env.reset(seed=0)


def test_maskable_ppo_trains_on_the_seat_env() -> None:
    torch = pytest.importorskip("torch")
    from sb3_contrib import MaskablePPO

    torch.set_num_threads(1)
    env = gymnasium.make(SEAT_ENV_ID, config="five_member", mask_in_info=True, opponents="random")
    model = MaskablePPO("MlpPolicy", env, n_steps=512, batch_size=128, n_epochs=2, seed=0)
    model.learn(total_timesteps=2048)
    assert model.num_timesteps >= 2048
    observation, _ = env.reset(seed=5)
    mask = env.unwrapped.action_masks()
    action, _ = model.predict(observation, action_masks=mask, deterministic=True)
    assert mask[int(action)], "the trained policy respects the mask"
    env.close()
