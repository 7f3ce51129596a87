"""Edge cases of the environment: when an observation is taken, odd actions, odd games."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import amongus_marl
from amongagents import actions as act
from amongagents.config import GameConfig
from amongagents.game import IllegalActionError
from amongus_marl.catalogue import NUM_ROOMS
from amongus_marl.observations import (
    KNOWN_DEAD,
    OWN_FIXED,
    PLAYER_FEATURES,
    VectorObserver,
    speech_table,
)
from amongus_marl.policies import HeuristicPolicy
from tests.engine.helpers import config
from tests.env.helpers import cast_env, five_cast, snapshot


def play_recording(seed: int, eager: bool) -> list[tuple[str, np.ndarray]]:
    """Random legal play; the acting agent's vector at each turn. ``eager`` also observes every
    agent after every step, which must not change what any agent observes at its own turn."""
    env = amongus_marl.raw_env(config="seven_member", mask_in_info=True)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    seen = []
    while not env.game.is_over:
        agent = env.agent_selection
        seen.append((agent, env.observe(agent)))
        legal = np.flatnonzero(env.action_mask(agent))
        env.step(int(legal[rng.integers(len(legal))]))
        if eager:
            for other in env.agents:
                env.observe(other)
    return seen


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31))
def test_a_vector_observation_does_not_depend_on_when_earlier_ones_were_taken(seed: int) -> None:
    lazy, eager = play_recording(seed, eager=False), play_recording(seed, eager=True)
    assert [agent for agent, _ in lazy] == [agent for agent, _ in eager]
    for turn, ((agent, lazy_vector), (_, eager_vector)) in enumerate(zip(lazy, eager, strict=True)):
        differing = np.flatnonzero(lazy_vector != eager_vector)
        assert differing.size == 0, f"turn {turn}, {agent}: features {differing.tolist()} differ"


def test_a_game_over_at_reset_pays_its_rewards_through_last() -> None:
    config = GameConfig(num_players=4, num_impostors=2, num_long_tasks=0)  # impostors tie the crew
    env = amongus_marl.env(config=config)
    env.reset(seed=1)
    paid = {}
    for agent in env.agent_iter():
        _, reward, terminated, _, info = env.last()
        assert terminated and info["win_code"] == 1
        paid[agent] = reward
        env.step(None)
    roles = {f"player_{p.seat}": p.is_impostor for p in env.unwrapped.game.players}
    assert paid == {agent: (1.0 if roles[agent] else -1.0) for agent in roles}


def test_speech_given_as_an_action_object_is_folded_into_the_text_space() -> None:
    env = amongus_marl.env(config="five_member", obs_mode="text")
    env.reset(seed=3)
    legal = env.unwrapped.legal_actions()
    meeting_calls = [a for a in legal if a.startswith("CALL MEETING")]
    env.step(meeting_calls[0])  # everyone starts in Cafeteria, next to the emergency button
    assert env.unwrapped.legal_actions() == ["SPEAK: ..."]
    env.step(act.speak("caf\u00e9 \u2603 " * 3000))
    spoken = env.unwrapped.game.steps[-1].action
    assert spoken.startswith("SPEAK: cafe ? cafe ?") and len(spoken) <= len("SPEAK: ") + 500
    for agent in env.agents:
        assert env.observation_space(agent).contains(env.observe(agent))


def test_a_failed_reset_changes_nothing() -> None:
    bad_scenario = {"scenario": {"players": [{"color": "mauve"}] + [{}] * 4}}
    plain, disturbed = (amongus_marl.env(config="five_member") for _ in range(2))
    for env in (plain, disturbed):
        env.reset(seed=11)
    before = snapshot(disturbed)
    with pytest.raises(ValueError, match="mauve"):
        disturbed.reset(options=bad_scenario)
    assert snapshot(disturbed) == before
    plain.reset()
    disturbed.reset()
    assert snapshot(plain) == snapshot(disturbed)


def test_a_zero_dimensional_integer_array_is_an_action() -> None:
    env = amongus_marl.env(config="five_member")
    env.reset(seed=5)
    observation, *_ = env.last()
    legal = int(np.flatnonzero(observation["action_mask"])[0])
    assert env.action_space(env.agent_selection).contains(np.array(legal))
    steps = len(env.unwrapped.game.steps)
    env.step(np.array(legal))
    assert len(env.unwrapped.game.steps) == steps + 1
    with pytest.raises(IllegalActionError):
        env.step(np.array([legal, legal]))


def _play_randomly(env: Any, turns: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(turns):
        if env.game.is_over:
            return
        legal = np.flatnonzero(env.action_mask(env.agent_selection))
        env.step(int(legal[rng.integers(len(legal))]))


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copied_environment_observes_what_the_original_observes(how: str) -> None:
    """Copies serve search, checkpoints and worker processes: their vectors must keep up."""
    env = amongus_marl.raw_env(config="seven_member")
    env.reset(seed=4)
    _play_randomly(env, 10, seed=0)
    for agent in env.agents:
        env.observe(agent)  # every observer exists when the copy is made
    clone = copy.deepcopy(env) if how == "deepcopy" else pickle.loads(pickle.dumps(env))
    _play_randomly(env, 30, seed=1)
    _play_randomly(clone, 30, seed=1)
    assert clone.game.event_log() == env.game.event_log()
    for agent in env.agents:
        assert np.array_equal(
            clone.observe(agent)["observation"], env.observe(agent)["observation"]
        )


def test_an_impostor_knows_its_victim_is_dead_from_its_own_kill() -> None:
    """Folded from the killer's own action history alone: no message shows it the body (the
    killer is not told of its own action, and no location message is read here)."""
    env = cast_env(five_cast())
    game = env.game
    killer = VectorObserver(game, 0, speech_table(game))
    env.step(f"KILL {game.names[1]}")  # red kills blue in Cafeteria
    killer._fold()  # the records only; vector() would also read the room, body included
    assert not game.players[1].alive and killer._evidence[1, KNOWN_DEAD] == 1.0


def test_known_dead_is_only_ever_set_for_the_dead() -> None:
    """Every way a seat learns of a death (a kill seen, a body, its own kill, the monitor, a
    meeting's roll call) names someone really dead, to the last observation of the game."""
    for seed in range(60):
        env = amongus_marl.raw_env(config="seven_member")
        env.reset(seed=seed)
        policy = HeuristicPolicy(seed=seed)
        while True:
            game = env.game
            for agent in env.agents:
                seat = env.agent_name_mapping[agent]
                if not game.players[seat].alive:
                    continue
                n = game.config.num_players
                rows = env.observe(agent)["observation"][n + OWN_FIXED :].reshape(n, -1)
                flagged = {s for s in range(n) if rows[s, KNOWN_DEAD] == 1.0}
                assert flagged <= set(game.dead_seats), (seed, game.timestep, agent)
            if game.is_over:
                break
            env.step(policy.act(None, {}, env.agent_view()))


@pytest.mark.parametrize("weights", [{"win": "1"}, {"loss": float("nan")}, {"kill": float("inf")}])
def test_a_bad_reward_setting_is_refused_when_built(weights: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="reward setting"):
        amongus_marl.RewardConfig(**weights)
    with pytest.raises(ValueError, match="reward setting"):
        amongus_marl.raw_env(rewards=weights)


def test_numpy_numbers_are_reward_settings_too_and_become_plain_floats() -> None:
    weights = amongus_marl.RewardConfig(kill=np.float32(0.5), win=np.int64(2))
    assert (weights.kill, weights.win) == (0.5, 2.0)
    assert type(weights.kill) is float and type(weights.win) is float


def test_an_info_from_last_is_not_changed_by_later_steps() -> None:
    env = amongus_marl.env(config="five_member", mask_in_info=True)
    env.reset(seed=0)
    *_, info = env.last()
    mask = info["action_mask"].copy()
    env.step(int(np.flatnonzero(mask)[0]))
    assert np.array_equal(info["action_mask"], mask)


def test_stepping_before_reset_says_to_reset() -> None:
    with pytest.raises(RuntimeError, match="reset"):
        amongus_marl.raw_env().step(0)


@pytest.mark.parametrize("flag", ["no", 1, None])
def test_mask_in_info_must_be_a_bool(flag: Any) -> None:
    with pytest.raises(ValueError, match="mask_in_info"):
        amongus_marl.raw_env(mask_in_info=flag)


FIVE_ONE_ROUND = config("five_member", discussion_rounds=1)


def _known_dead(env: Any, seat: int) -> list[float]:
    n = env.game_config.num_players
    vector = env.observe(f"player_{seat}")["observation"]
    return list(vector[n + OWN_FIXED :].reshape(n, PLAYER_FEATURES)[:, KNOWN_DEAD])


def test_a_death_reported_out_of_sight_is_known_to_all_at_the_meeting() -> None:
    """Seat 0 kills seat 1 in Admin and reports it; seat 4, in Medbay, never saw the body, but
    the meeting gathers every living player in the Cafeteria and seat 1 is not there."""
    env = amongus_marl.raw_env(config=FIVE_ONE_ROUND)
    env.reset(seed=0, options={"scenario": [{"role": "Impostor"}] + [{"role": "Crewmate"}] * 4})
    names = env.game.names
    for action in [
        "MOVE from Cafeteria to Admin",
        "MOVE from Cafeteria to Admin",
        "MOVE from Cafeteria to Weapons",
        "MOVE from Cafeteria to Weapons",
        "MOVE from Cafeteria to Medbay",
        f"KILL {names[1]}",
        "MOVE from Weapons to Cafeteria",
        "MOVE from Weapons to Cafeteria",
        "MOVE from Medbay to Cafeteria",
    ]:
        env.step(action)
    assert _known_dead(env, 4)[1] == 0.0  # not yet: nothing has told seat 4
    env.step("REPORT DEAD BODY at Admin")
    assert _known_dead(env, 4)[1] == 1.0


def test_a_kill_seen_on_the_monitor_marks_the_victim_dead() -> None:
    """Seat 4 reaches Security and watches Admin right after seat 0 kills seat 1 there."""
    admin = [["Fix Wiring", "Admin"]]
    env = amongus_marl.raw_env(config="five_member")
    env.reset(
        seed=0,
        options={
            "scenario": [{"role": "Impostor", "tasks": admin}]
            + [{"role": "Crewmate", "tasks": admin + [["Upload Data", "Admin"]]}]
            + [{"role": "Crewmate"}] * 3
        },
    )
    names = env.game.names
    timesteps = [
        ["MOVE from Cafeteria to Admin"] * 2
        + ["MOVE from Cafeteria to Weapons"] * 2
        + ["MOVE from Cafeteria to Upper Engine"],
        ["COMPLETE FAKE TASK - Fix Wiring", "COMPLETE TASK - Upload Data"]
        + ["MOVE from Weapons to Navigation"] * 2
        + ["MOVE from Upper Engine to Security"],
        [f"KILL {names[1]}"] + ["MOVE from Navigation to Shields"] * 2,
    ]
    for actions in timesteps:
        for action in actions:
            env.step(action)
    assert _known_dead(env, 4)[1] == 0.0
    env.step("VIEW MONITOR Admin")
    assert _known_dead(env, 4)[1] == 1.0


def test_a_dead_impostor_cannot_kill_now() -> None:
    seven = config("five_member", num_players=7, num_impostors=2, discussion_rounds=0)
    env = amongus_marl.raw_env(config=seven)
    env.reset(seed=0, options={"scenario": [{"role": "Impostor"}] * 2 + [{"role": "Crewmate"}] * 5})
    names = env.game.names
    env.step("CALL MEETING using the emergency button at Cafeteria")
    for seat in range(7):  # everyone votes seat 0 out
        env.step(f"VOTE {names[0] if seat != 0 else names[1]}")
    vector = env.observe("player_0")["observation"]
    alive_at, can_kill_now_at = 7 + 1, 7 + 2 + NUM_ROOMS + 6  # see VectorObserver's layout
    assert not env.game.players[0].alive and vector[alive_at] == 0.0
    assert vector[can_kill_now_at] == 0.0


def test_the_environment_does_not_load_the_policies_or_their_http_client() -> None:
    """The env builds AgentViews for policies but needs none of them (nor the LLM client)."""
    probe = (
        "import sys, amongus_marl; "
        "print([m for m in sys.modules "
        "if m == 'httpx' or m.startswith('amongus_marl.policies')])"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
