"""The Parallel version: PettingZoo's conformance tests, the same game as the AEC version, NOOP
for waiting agents, dead agents kept to the end, and bad action dicts refused without change."""

from __future__ import annotations

from typing import Any

import numpy as np
import pettingzoo
import pytest
from pettingzoo.test import parallel_api_test, parallel_seed_test

from amongagents import GameConfig
from amongagents.game import IllegalActionError
from amongus_marl import ENV_ID, RewardConfig, parallel_env, raw_env
from tests.env.helpers import MAX_AGENT_STEPS, OBS_MODES, PRESET_NAMES, plain

MODES = [
    (preset, obs_mode, mask_in_info)
    for preset in PRESET_NAMES
    for obs_mode in OBS_MODES
    for mask_in_info in (False, True)
]
SHAPING = RewardConfig(task_progress=0.1, kill=0.5, vote_impostor=0.3, vote_crewmate=-0.3)


def mask_of(env: Any, observations: dict[str, Any], infos: dict[str, Any], agent: str) -> Any:
    if env.aec.mask_in_info:
        return infos[agent]["action_mask"]
    return observations[agent]["action_mask"]


def random_actions(
    env: Any, observations: dict[str, Any], infos: dict[str, Any], rng: np.random.Generator
) -> dict[str, int]:
    actions = {}
    for agent in env.agents:
        legal = np.flatnonzero(mask_of(env, observations, infos, agent))
        actions[agent] = int(legal[rng.integers(len(legal))])
    return actions


def play_game(env: Any, seed: int) -> list[dict[str, Any]]:
    """One whole game with random legal actions; every step's answer, in order."""
    rng = np.random.default_rng(seed)
    observations, infos = env.reset(seed=seed)
    trace = [{"observations": plain(observations), "infos": plain(infos)}]
    for _ in range(MAX_AGENT_STEPS):
        if not env.agents:
            return trace
        actions = random_actions(env, observations, infos, rng)
        observations, rewards, terminations, truncations, infos = env.step(actions)
        trace.append(
            {
                "actions": actions,
                "observations": plain(observations),
                "rewards": rewards,
                "terminations": terminations,
                "truncations": truncations,
                "infos": plain(infos),
            }
        )
    raise AssertionError("the game did not end")


# ---------------------------------------------------------------- PettingZoo's own tests
@pytest.mark.parametrize(("preset", "obs_mode", "mask_in_info"), MODES)
def test_parallel_api_test_passes(preset: str, obs_mode: str, mask_in_info: bool) -> None:
    # With the mask in the info, api_test samples unmasked actions: they must cost a penalty.
    illegal_action = "penalize" if mask_in_info else "raise"
    env = parallel_env(
        config=preset, obs_mode=obs_mode, mask_in_info=mask_in_info, illegal_action=illegal_action
    )
    # Masked actions play the game to its end; unmasked ones are nearly all penalized (the game
    # seldom advances), so a few hundred steps check the answers' form.
    parallel_api_test(env, num_cycles=500 if mask_in_info else MAX_AGENT_STEPS)
    if not mask_in_info:
        assert not env.agents and env.game.is_over


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_parallel_seed_test_passes(preset: str) -> None:
    # parallel_seed_test samples without masks: illegal actions are penalized, not raised.
    parallel_seed_test(lambda: parallel_env(config=preset, illegal_action="penalize"), 200)


@pytest.mark.parametrize(("preset", "obs_mode", "mask_in_info"), MODES)
def test_the_same_seed_and_actions_give_the_same_whole_game(
    preset: str, obs_mode: str, mask_in_info: bool
) -> None:
    def make() -> Any:
        return parallel_env(
            config=preset, obs_mode=obs_mode, mask_in_info=mask_in_info, rewards=SHAPING
        )

    first, second = play_game(make(), seed=5), play_game(make(), seed=5)
    assert first == second
    assert play_game(make(), seed=6) != first


def test_registered_beside_the_aec_version() -> None:
    env = pettingzoo.make("parallel", ENV_ID)
    observations, _ = env.reset(seed=0)
    assert set(observations) == set(env.possible_agents)


# ---------------------------------------------------------------- the same game as AEC
@pytest.mark.parametrize(("preset", "obs_mode"), [(p, m) for p in PRESET_NAMES for m in OBS_MODES])
def test_a_parallel_game_replays_through_the_aec_version(preset: str, obs_mode: str) -> None:
    """Every step: the acting agent's action played in the AEC version gives the same event log,
    state, observations (masks aside: NOOP for the waiting) and rewards."""
    parallel = parallel_env(config=preset, obs_mode=obs_mode, rewards=SHAPING)
    aec = raw_env(config=preset, obs_mode=obs_mode, rewards=SHAPING)
    noop = parallel.noop
    for seed in (3, 4):
        rng = np.random.default_rng(seed)
        observations, infos = parallel.reset(seed=seed)
        aec.reset(seed=seed)
        rewards: dict[str, float] = {}
        totals = {agent: 0.0 for agent in parallel.possible_agents}
        steps = 0
        while parallel.agents:
            acting = aec.agent_selection
            assert parallel.acting_agent == acting
            for agent in parallel.agents:
                aec_view = aec.observe(agent)
                mine = observations[agent]
                assert plain(mine["observation"]) == plain(aec_view["observation"]), agent
                if agent == acting:
                    assert np.array_equal(mine["action_mask"], aec_view["action_mask"])
                    assert mine["action_mask"][noop] == 0, "NOOP is illegal for the agent to act"
                else:
                    assert not aec_view["action_mask"].any()
                    assert np.flatnonzero(mine["action_mask"]).tolist() == [noop]
            assert np.array_equal(parallel.state(), aec.state())
            actions = random_actions(parallel, observations, infos, rng)
            observations, rewards, terminations, _, infos = parallel.step(actions)
            aec.step(actions[acting])
            steps += 1
            for agent, reward in rewards.items():
                assert reward == aec.rewards[agent]
                totals[agent] += reward
            assert all(terminations.values()) == aec.game.is_over
        assert parallel.game.event_log() == aec.event_log()
        game = parallel.game
        for agent in parallel.possible_agents:  # the results reached every seat
            assert infos[agent]["win_code"] == int(game.winner)
            assert observations[agent]["action_mask"].tolist().count(1) == 1
        assert totals != {agent: 0.0 for agent in totals}


def test_the_dead_stay_until_the_end_and_then_every_agent_leaves() -> None:
    env = parallel_env(config="seven_member")
    rng = np.random.default_rng(0)
    for seed in range(6):
        observations, infos = env.reset(seed=seed)
        saw_dead_waiting = False
        while True:
            actions = random_actions(env, observations, infos, rng)
            observations, rewards, terminations, truncations, infos = env.step(actions)
            assert not any(truncations.values())
            if any(terminations.values()):
                break
            assert env.agents == env.possible_agents
            dead = [p for p in env.game.players if not p.alive]
            saw_dead_waiting |= bool(dead)
            for player in dead:  # a dead player only ever waits
                agent = env.possible_agents[player.seat]
                assert np.flatnonzero(observations[agent]["action_mask"]).tolist() == [env.noop]
        assert all(terminations.values()) and set(terminations) == set(env.possible_agents)
        assert env.agents == []
        game = env.game
        for agent, player in zip(env.possible_agents, game.players, strict=True):
            won = player.is_impostor == game.winner.impostors_win
            assert rewards[agent] == (1.0 if won else -1.0)
        if saw_dead_waiting:
            return
    raise AssertionError("no game had a death before its end")


def test_a_game_over_at_reset_pays_at_the_first_all_noop_step() -> None:
    config = GameConfig(num_players=4, num_impostors=2, num_long_tasks=0)  # impostors tie the crew
    env = parallel_env(config=config)
    observations, infos = env.reset(seed=1)
    assert env.acting_agent is None and env.agents == env.possible_agents
    for agent in env.agents:
        assert np.flatnonzero(observations[agent]["action_mask"]).tolist() == [env.noop]
    with pytest.raises(IllegalActionError, match="player_0 is waiting"):
        env.step({agent: 0 for agent in env.agents})
    _, rewards, terminations, _, infos = env.step({agent: env.noop for agent in env.agents})
    roles = {f"player_{p.seat}": p.is_impostor for p in env.game.players}
    assert rewards == {agent: (1.0 if roles[agent] else -1.0) for agent in roles}
    assert all(terminations.values()) and env.agents == []
    assert all(info["win_code"] == 1 for info in infos.values())


def test_stepping_after_the_end_asks_for_reset() -> None:
    env = parallel_env(config="five_member")
    play_game(env, seed=2)
    with pytest.raises(RuntimeError, match="reset"):
        env.step({})


def test_noop_is_never_legal_in_the_aec_version() -> None:
    env = raw_env(config="five_member")
    noop = env.catalogue.noop
    assert noop == env.catalogue.size - 1 and env.catalogue.describe(noop) == "noop"
    rng = np.random.default_rng(1)
    env.reset(seed=1)
    while not env.game.is_over:
        mask = env.observe(env.agent_selection)["action_mask"]
        assert mask[noop] == 0
        env.step(int(rng.choice(np.flatnonzero(mask))))
    env.reset(seed=1)
    with pytest.raises(IllegalActionError, match=r"\(noop\) is not legal for player_0"):
        env.step(noop)


# ---------------------------------------------------------------- bad input
def fingerprint(env: Any) -> Any:
    """Everything a step could change: the game, the seed stream, what agents would observe."""
    aec = env.aec
    return (
        aec.event_log(),
        plain(env.state()),
        env.game.rng.getstate(),
        env.acting_agent,
        list(env.agents),
        {agent: plain(aec.observe(agent)) for agent in env.agents},
    )


def mid_game_env(illegal_action: str) -> tuple[Any, dict[str, Any]]:
    """A seven_member game a few steps in, with a dead player if the seed gives one."""
    env = parallel_env(config="seven_member", illegal_action=illegal_action)
    observations, infos = env.reset(seed=7)
    rng = np.random.default_rng(7)
    for _ in range(20):
        observations, *_, infos = env.step(random_actions(env, observations, infos, rng))
    return env, observations


def legal_actions(env: Any, observations: dict[str, Any]) -> dict[str, int]:
    acting = env.acting_agent
    legal = int(np.flatnonzero(observations[acting]["action_mask"])[0])
    return {agent: legal if agent == acting else env.noop for agent in env.agents}


def waiting_agent(env: Any) -> str:
    return next(agent for agent in env.agents if agent != env.acting_agent)


BAD_ACTIONS = {
    "a waiting agent moves": lambda env, actions: {**actions, waiting_agent(env): 0},
    "a waiting agent sends text": lambda env, actions: {
        **actions,
        waiting_agent(env): "MOVE to Admin",
    },
    "a waiting agent sends None": lambda env, actions: {**actions, waiting_agent(env): None},
    "the acting agent sends NOOP": lambda env, actions: {**actions, env.acting_agent: env.noop},
    "the acting agent sends an illegal index": lambda env, actions: {
        **actions,
        env.acting_agent: int(np.flatnonzero(env.action_mask(env.acting_agent) == 0)[0]),
    },
    "the acting agent sends an index past the catalogue": lambda env, actions: {
        **actions,
        env.acting_agent: env.catalogue.size,
    },
}


@pytest.mark.parametrize("case", list(BAD_ACTIONS))
def test_an_illegal_action_names_the_agent_and_changes_nothing(case: str) -> None:
    env, observations = mid_game_env("raise")
    good = legal_actions(env, observations)
    actions = BAD_ACTIONS[case](env, good)
    (offender,) = [agent for agent in actions if actions[agent] is not good[agent]]
    before = fingerprint(env)
    with pytest.raises(IllegalActionError, match=offender):
        env.step(actions)
    assert fingerprint(env) == before
    env.step(good)  # the environment is still usable, and the good actions play
    assert env.aec.event_log() != before[0]


@pytest.mark.parametrize("case", list(BAD_ACTIONS))
def test_with_penalize_an_illegal_action_costs_only_its_agent(case: str) -> None:
    env, observations = mid_game_env("penalize")
    good = legal_actions(env, observations)
    actions = BAD_ACTIONS[case](env, good)
    (offender,) = [agent for agent in actions if actions[agent] is not good[agent]]
    before = fingerprint(env)
    observations, rewards, terminations, truncations, infos = env.step(actions)
    penalty = env.aec.reward_config.illegal_action
    assert penalty < 0
    assert rewards == {agent: penalty if agent == offender else 0.0 for agent in env.agents}
    assert offender in infos[offender]["illegal_action"]
    assert not any(terminations.values()) and not any(truncations.values())
    assert fingerprint(env) == before


def test_penalize_charges_every_offender_and_plays_nothing() -> None:
    env, observations = mid_game_env("penalize")
    good = legal_actions(env, observations)
    waiting = [agent for agent in env.agents if agent != env.acting_agent][:2]
    actions = {**good, env.acting_agent: env.noop, **{agent: 0 for agent in waiting}}
    before = fingerprint(env)
    _, rewards, *_ = env.step(actions)
    offenders = {env.acting_agent, *waiting}
    penalty = env.aec.reward_config.illegal_action
    assert rewards == {agent: penalty if agent in offenders else 0.0 for agent in env.agents}
    assert fingerprint(env) == before


@pytest.mark.parametrize("illegal_action", ["raise", "penalize"])
def test_missing_and_unknown_agents_are_named_and_change_nothing(illegal_action: str) -> None:
    env, observations = mid_game_env(illegal_action)
    good = legal_actions(env, observations)
    before = fingerprint(env)
    missing = waiting_agent(env)
    with pytest.raises(ValueError, match=f"no action for agent.*{missing}"):
        env.step({agent: action for agent, action in good.items() if agent != missing})
    with pytest.raises(ValueError, match="unknown agent.*'player_99'"):
        env.step({**good, "player_99": env.noop})
    with pytest.raises(ValueError, match=f"no action for agent.*{env.acting_agent}"):
        env.step({agent: env.noop for agent in env.agents if agent != env.acting_agent})
    assert fingerprint(env) == before
