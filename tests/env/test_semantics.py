"""What the environment promises on top of the engine's rules (the spec card in ``env.py``):
turn order, death and the end of a game, rewards, the action forms ``step`` accepts, illegal
actions, reset and seeding, constructor errors, and the global state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from amongagents import PRESETS, ConfigError, IllegalActionError
from amongagents.records import WIN_REASONS, WinCode
from amongagents.skeld import ROOM_INDEX
from amongus_marl import RewardConfig, raw_env
from amongus_marl import env as make_env
from amongus_marl.observations import (
    ACCUSED,
    I_VOTED_FOR,
    PLAYER_FEATURES,
    STATE_PLAYER_FEATURES,
    vector_size,
)
from tests.env.helpers import (
    EMERGENCY,
    OBS_MODES,
    PRESET_NAMES,
    act,
    cast_env,
    five_cast,
    idle_action,
    idle_until,
    observations,
    play_out,
    random_legal_index,
    seven_cast,
    snapshot,
    take,
)

SEEDS = (0, 1, 2, 3)


def segment_index(env: Any, segment: str, offset: int = 0) -> int:
    start: int = env.unwrapped.catalogue.segments[segment].start
    return start + offset


# ---------------------------------------------------------------------- turn order and the end
@pytest.mark.parametrize("preset", PRESET_NAMES)
@pytest.mark.parametrize("seed", SEEDS)
def test_the_selected_agent_is_always_the_engines_acting_seat(preset: str, seed: int) -> None:
    env = make_env(config=preset)
    env.reset(seed=seed)
    game = env.unwrapped.game
    checked = []

    def check(agent: str) -> None:
        assert agent == f"player_{game.current_seat}"
        assert game.players[game.current_seat].alive
        checked.append(agent)

    play_out(env, np.random.default_rng(seed), on_step=check)
    assert len(checked) == len(game.steps), "every engine step was taken by the selected agent"


@pytest.mark.parametrize("preset", PRESET_NAMES)
@pytest.mark.parametrize("seed", SEEDS)
def test_at_the_end_every_agent_is_terminated_and_told_the_result(preset: str, seed: int) -> None:
    env = make_env(config=preset)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    while not env.unwrapped.game.is_over:
        observation, *_, info = env.last()
        env.step(int(rng.choice(np.flatnonzero(observation["action_mask"]))))
    game = env.unwrapped.game
    assert all(env.terminations[agent] for agent in env.possible_agents)
    assert not any(env.truncations.values()), (
        "the time limit is a rule of the game, not a truncation"
    )
    for agent in env.possible_agents:
        assert env.infos[agent]["win_code"] == int(game.winner)
        assert env.infos[agent]["win_code"] in (1, 2, 3, 4)
        assert env.infos[agent]["win_reason"] == WIN_REASONS[WinCode(game.winner)]
        assert not env.observe(agent)["action_mask"].any(), "nobody may act in a finished game"
    finished = []
    for agent in env.agent_iter():
        _, _, terminated, truncated, _ = env.last()
        assert terminated and not truncated
        finished.append(agent)
        env.step(None)
    assert sorted(finished) == sorted(env.possible_agents)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_killed_player_is_never_selected_again_but_gets_its_teams_result(seed: int) -> None:
    env = cast_env(five_cast(), seed=seed)
    take(env, "KILL Player 2: blue")  # Player 1: red, the impostor, kills at once in Cafeteria
    rng = np.random.default_rng(seed)
    while not env.game.is_over:
        assert env.agent_selection != "player_1"
        assert "player_1" in env.agents and not env.terminations["player_1"]
        observation, *_ = env.last()
        assert not env.observe("player_1")["action_mask"].any()
        env.step(int(rng.choice(np.flatnonzero(observation["action_mask"]))))
    crew_won = env.game.winner.crewmates_win
    final_rewards = {}
    for agent in env.agent_iter():
        _, reward, terminated, _, _ = env.last()
        assert terminated
        final_rewards[agent] = reward
        env.step(None)
    assert final_rewards["player_1"] == (1.0 if crew_won else -1.0), (
        "the dead crewmate shares the crew's result"
    )
    assert final_rewards["player_0"] == (-1.0 if crew_won else 1.0)


# ---------------------------------------------------------------------- rewards
def completes_a_task(env: Any) -> None:
    act(env, "player_1", "COMPLETE TASK - Download Data")


def fakes_a_task(env: Any) -> None:
    take(env, "COMPLETE FAKE TASK - Fix Wiring")


def kills(env: Any) -> None:
    take(env, "KILL Player 2: blue")


def meeting_with_votes(votes: dict[int, int]) -> Callable[[Any], None]:
    """Player 1 presses the button, everyone talks, then each seat votes as ``votes`` says."""

    def play(env: Any) -> None:
        take(env, EMERGENCY)
        while not env.unwrapped.game.is_voting:
            env.step(idle_action(env))
        game = env.unwrapped.game
        for seat in sorted(votes):
            assert env.agent_selection == f"player_{seat}"
            env.step(f"VOTE {game.names[votes[seat]]}")

    return play


# Seven-member cast: Players 1 and 2 (seats 0, 1) are the impostors.
EJECT_IMPOSTOR = meeting_with_votes(
    {0: 2, 1: 2, 2: 0, 3: 0, 4: 0, 5: 0, 6: 1}
)  # seat 0 out, 4 votes
EJECT_CREWMATE = meeting_with_votes(
    {0: 2, 1: 2, 2: 0, 3: 2, 4: 2, 5: 1, 6: 1}
)  # seat 2 out, 4 votes

# (event, cast, the play ending with the event, shaping settings, rewards paid by that step)
SHAPING = [
    ("task_progress", five_cast, completes_a_task, {"task_progress": 0.25}, {"player_1": 0.25}),
    (
        "task_progress: a fake task earns nothing",
        five_cast,
        fakes_a_task,
        {"task_progress": 0.25},
        {},
    ),
    ("kill", five_cast, kills, {"kill": 0.5}, {"player_0": 0.5}),
    (
        "vote_impostor: crewmates who voted the ejected impostor",
        seven_cast,
        EJECT_IMPOSTOR,
        {"vote_impostor": 0.5, "vote_crewmate": -0.5},
        {"player_2": 0.5, "player_3": 0.5, "player_4": 0.5, "player_5": 0.5},
    ),
    (
        "vote_crewmate: crewmates who voted the ejected crewmate (impostors earn nothing)",
        seven_cast,
        EJECT_CREWMATE,
        {"vote_impostor": 0.5, "vote_crewmate": -0.5},
        {"player_3": -0.5, "player_4": -0.5},
    ),
]


@pytest.mark.parametrize(
    ("event", "cast", "play", "settings", "paid"), SHAPING, ids=[case[0] for case in SHAPING]
)
def test_shaping_terms_pay_the_responsible_agent_when_the_event_happens(
    event: str,
    cast: Callable[[], list[dict[str, Any]]],
    play: Callable[[Any], None],
    settings: dict[str, float],
    paid: dict[str, float],
) -> None:
    env = cast_env(cast(), rewards=settings)
    play(env)
    assert not env.game.is_over
    assert env.rewards == {agent: paid.get(agent, 0.0) for agent in env.possible_agents}


@pytest.mark.parametrize(
    ("event", "cast", "play", "settings", "paid"), SHAPING, ids=[case[0] for case in SHAPING]
)
def test_shaping_is_off_by_default(
    event: str,
    cast: Callable[[], list[dict[str, Any]]],
    play: Callable[[Any], None],
    settings: dict[str, float],
    paid: dict[str, float],
) -> None:
    env = cast_env(cast())
    play(env)
    assert env.rewards == {agent: 0.0 for agent in env.possible_agents}


def test_default_rewards_are_the_sparse_team_result() -> None:
    assert RewardConfig() == RewardConfig(
        win=1.0,
        loss=-1.0,
        task_progress=0.0,
        kill=0.0,
        vote_impostor=0.0,
        vote_crewmate=0.0,
        illegal_action=-1.0,
    )


def test_the_vote_that_ends_the_game_pays_its_shaping_with_the_result() -> None:
    env = cast_env(five_cast(), rewards={"vote_impostor": 0.5})
    meeting_with_votes({0: 1, 1: 0, 2: 0, 3: 0, 4: 1})(env)  # red, the only impostor, is out
    assert env.game.winner is WinCode.IMPOSTORS_ELIMINATED
    assert env.rewards == {
        "player_0": -1.0,
        "player_1": 1.5,
        "player_2": 1.5,
        "player_3": 1.5,
        "player_4": 1.0,
    }


def test_a_vote_reward_reaches_the_voter_at_its_next_turn() -> None:
    env = cast_env(seven_cast(), rewards={"vote_impostor": 0.5})
    EJECT_IMPOSTOR(env)
    idle_until(env, "player_3")
    assert env.last()[1] == 0.5


# ---------------------------------------------------------------------- the forms of an action
def test_a_move_string_moves_the_selected_player() -> None:
    env = cast_env(five_cast())
    take(env, "MOVE from Cafeteria to Admin")
    assert env.game.players[0].location == "Admin"
    assert env.agent_selection == "player_1"


def test_a_catalogue_index_does_what_the_string_does() -> None:
    by_string, by_index = cast_env(five_cast()), cast_env(five_cast())
    take(by_string, "MOVE from Cafeteria to Admin")
    take(by_index, segment_index(by_index, "move", ROOM_INDEX["Admin"]))
    assert snapshot(by_index) == snapshot(by_string)


def test_free_speech_is_heard_by_the_others_as_spoken() -> None:
    env = cast_env(five_cast(), obs_mode="text")
    take(env, EMERGENCY)
    assert env.agent_selection == "player_0", "a meeting opens with the first living seat"
    take(env, "SPEAK: hello there")
    assert env.game.steps[-1].action == "SPEAK: hello there"
    assert "Player 1: red SPEAK: hello there" in env.observe("player_2")["observation"]


def test_speech_of_any_characters_keeps_the_text_observation_in_its_space() -> None:
    env = cast_env(five_cast(), obs_mode="text")
    take(env, EMERGENCY, "SPEAK: 你好\tthere\nnew line ünïcödé " + "x" * 10_000)
    for agent in env.possible_agents:
        assert env.observation_space(agent).contains(env.observe(agent))


def walk_red_to_security(env: Any) -> None:
    act(env, "player_0", "MOVE from Cafeteria to Upper Engine")
    act(env, "player_0", "MOVE from Upper Engine to Security")
    idle_until(env, "player_0")


def test_view_monitor_with_a_room_watches_that_room() -> None:
    env = cast_env(five_cast(), obs_mode="text")
    walk_red_to_security(env)
    take(env, "VIEW MONITOR Admin")
    last = env.game.steps[-1]
    assert (last.action, last.monitor_room, last.monitor_by_chance) == (
        "VIEW MONITOR",
        "Admin",
        False,
    )
    assert "Monitor Record: {Location: Admin" in env.observe("player_0")["observation"]


def test_view_monitor_by_index_watches_the_indexed_room() -> None:
    env = cast_env(five_cast())
    walk_red_to_security(env)
    take(env, segment_index(env, "view_monitor", ROOM_INDEX["Admin"]))
    assert env.game.steps[-1].monitor_room == "Admin"


def test_legal_actions_are_the_selected_agents_strings_and_nobody_elses() -> None:
    env = cast_env(five_cast())
    assert env.legal_actions() == env.legal_actions("player_0") == env.game.legal_action_strings()
    assert "KILL Player 2: blue" in env.legal_actions("player_0")
    for agent in env.possible_agents[1:]:
        assert env.legal_actions(agent) == []
    with pytest.raises(ValueError, match="unknown agent"):
        env.legal_actions("player_9")


def test_every_masked_index_and_every_legal_string_is_accepted() -> None:
    legal = cast_env(five_cast()).legal_actions()
    for action in legal:
        env = cast_env(five_cast())
        take(env, action)
        assert env.game.steps[-1].action == action
    mask = cast_env(five_cast()).observe("player_0")["action_mask"]
    for index in np.flatnonzero(mask):
        env = cast_env(five_cast())
        take(env, int(index))
        assert env.game.steps[-1].action in legal


# ---------------------------------------------------------------------- illegal actions
def at_the_start(env: Any) -> None:
    pass


def in_discussion(env: Any) -> None:
    take(env, EMERGENCY)


def in_the_vote(env: Any) -> None:
    take(env, EMERGENCY)
    while not env.unwrapped.game.is_voting:
        env.step(idle_action(env))


MOMENTS = {"task phase": at_the_start, "discussion": in_discussion, "voting": in_the_vote}


def first_masked_index(env: Any) -> int:
    return int(np.flatnonzero(env.observe(env.agent_selection)["action_mask"] == 0)[0])


ILLEGAL: dict[str, Callable[[Any], Any]] = {
    "index past the catalogue": lambda env: env.unwrapped.catalogue.size,
    "negative index": lambda env: -1,
    "masked index": first_masked_index,
    "masked numpy index": lambda env: np.int64(first_masked_index(env)),
    "malformed string": lambda env: "DANCE in Cafeteria",
    "empty string": lambda env: "",
    "a move along no corridor": lambda env: "MOVE from Cafeteria to Reactor",
    "monitor outside Security": lambda env: "VIEW MONITOR Admin",
    "None for a living agent": lambda env: None,
    "a float": lambda env: 1.5,
    "a bool": lambda env: True,
    "a list": lambda env: ["MOVE from Cafeteria to Admin"],
    "bytes": lambda env: b"MOVE from Cafeteria to Admin",
}


@pytest.mark.parametrize("moment", list(MOMENTS))
@pytest.mark.parametrize("illegal", list(ILLEGAL))
def test_an_illegal_action_raises_and_changes_nothing(moment: str, illegal: str) -> None:
    env = make_env(config="five_member")
    env.reset(seed=0, options={"scenario": {"players": five_cast()}})
    MOMENTS[moment](env)
    action = ILLEGAL[illegal](env)
    before = snapshot(env)
    with pytest.raises(IllegalActionError):
        env.step(action)
    assert snapshot(env) == before


def test_an_illegal_action_error_is_a_value_error() -> None:
    assert issubclass(IllegalActionError, ValueError)


@pytest.mark.parametrize("moment", list(MOMENTS))
@pytest.mark.parametrize("illegal", list(ILLEGAL))
def test_penalize_mode_charges_the_penalty_and_changes_nothing_else(
    moment: str, illegal: str
) -> None:
    env = cast_env(
        five_cast(),
        illegal_action="penalize",
        rewards={"illegal_action": -0.3, "task_progress": 0.25},
    )
    MOMENTS[moment](env)
    if moment == "task phase":
        completes_a_task(env)  # leaves player_1 a pending reward that the penalty must not touch
    action = ILLEGAL[illegal](env)
    agent = env.agent_selection
    before = snapshot(env)
    env.step(action)
    after = snapshot(env)
    assert after["rewards"] == {a: (-0.3 if a == agent else 0.0) for a in env.possible_agents}
    assert after["cumulative_rewards"] == {**before["cumulative_rewards"], agent: -0.3}
    assert env.last()[1] == -0.3, "the agent acts again and sees its penalty"
    for key in ("rewards", "cumulative_rewards"):
        del before[key], after[key]
    assert after == before


def test_penalize_mode_charges_minus_one_by_default_and_still_plays_legal_actions() -> None:
    env = cast_env(five_cast(), illegal_action="penalize")
    take(env, "DANCE")
    assert env.last()[1] == RewardConfig().illegal_action == -1.0
    take(env, "MOVE from Cafeteria to Admin")
    assert env.game.players[0].location == "Admin"
    assert env.rewards["player_0"] == 0.0


# ---------------------------------------------------------------------- reset and seeding
def test_a_scenario_fixes_colours_roles_and_tasks() -> None:
    cast = seven_cast()
    env = cast_env(cast, base="seven_member")
    players = env.event_log()["players"]
    assert [p["color"] for p in players] == [seat["color"] for seat in cast]
    assert [p["identity"] for p in players] == [seat["role"] for seat in cast]
    assert [p["tasks"] for p in players] == [seat["tasks"] for seat in cast]


def test_a_scenario_in_the_reference_games_player_format_is_accepted() -> None:
    source = make_env(config="seven_member")
    source.reset(seed=5)
    recorded = source.unwrapped.event_log()["players"]  # name, color, identity, tasks
    env = make_env(config="seven_member")
    env.reset(seed=99, options={"scenario": {"players": recorded}})
    assert env.unwrapped.event_log()["players"] == recorded


@pytest.mark.parametrize("obs_mode", OBS_MODES)
def test_the_same_seed_gives_the_same_game(obs_mode: str) -> None:
    first, second = make_env(obs_mode=obs_mode), make_env(obs_mode=obs_mode)
    first.reset(seed=42)
    second.reset(seed=42)
    assert snapshot(first) == snapshot(second)
    play_out(first, np.random.default_rng(0))
    play_out(second, np.random.default_rng(0))
    assert first.unwrapped.event_log() == second.unwrapped.event_log()


def test_a_numpy_integer_seed_is_the_same_seed() -> None:
    # Seeding wrappers often pass numpy integers.
    by_int, by_numpy = raw_env(), raw_env()
    by_int.reset(seed=7)
    by_numpy.reset(seed=np.int64(7))
    assert by_int.event_log() == by_numpy.event_log()


@pytest.mark.parametrize(
    ("seed", "error", "message"),
    [
        (3.7, TypeError, "seed must be an integer"),
        (True, TypeError, "seed must be an integer"),
        ("7", TypeError, "seed must be an integer"),
        (-7, ValueError, "non-negative"),  # Random(-7) would replay seed 7's game
    ],
)
def test_a_seed_that_is_no_natural_number_is_refused_and_changes_nothing(
    seed: Any, error: type[Exception], message: str
) -> None:
    env = raw_env()
    env.reset(seed=1)
    before = env.event_log()
    with pytest.raises(error, match=message):
        env.reset(seed=seed)
    assert env.event_log() == before


def test_different_seeds_give_different_casts() -> None:
    casts = set()
    for seed in range(5):
        env = make_env()
        env.reset(seed=seed)
        casts.add(repr(env.unwrapped.event_log()["players"]))
    assert len(casts) == 5


def test_unseeded_resets_after_a_seeded_one_are_reproducible() -> None:
    logs = []
    for _ in range(2):
        env = make_env()
        env.reset(seed=3)
        env.reset()
        env.reset()
        logs.append(env.unwrapped.event_log())
    assert logs[0] == logs[1]


def test_an_unknown_reset_option_warns() -> None:
    env = make_env()
    with pytest.warns(UserWarning, match="scenario"):
        env.reset(seed=0, options={"senario": []})


def read_all(env: Any) -> None:
    observations(env)


@pytest.mark.parametrize("obs_mode", OBS_MODES)
@pytest.mark.parametrize("mask_in_info", [False, True])
def test_reset_clears_every_trace_of_the_previous_game(obs_mode: str, mask_in_info: bool) -> None:
    kwargs = {
        "obs_mode": obs_mode,
        "mask_in_info": mask_in_info,
        "rewards": {"task_progress": 0.1, "kill": 0.2},
    }
    used = make_env(**kwargs)
    for seed in (1, 2):  # two long games, reading every observation along the way
        used.reset(seed=seed)
        play_out(used, np.random.default_rng(seed), on_step=lambda _agent: read_all(used))
    used.reset(seed=7)
    fresh = make_env(**kwargs)
    fresh.reset(seed=7)
    assert snapshot(used) == snapshot(fresh)
    rng_used, rng_fresh = np.random.default_rng(0), np.random.default_rng(0)
    for _ in range(60):  # and the two stay the same as the new game goes on
        if not used.agents:
            break
        for env, rng in ((used, rng_used), (fresh, rng_fresh)):
            observation, _, terminated, _, info = env.last()
            mask = info["action_mask"] if mask_in_info else observation["action_mask"]
            env.step(None if terminated else int(rng.choice(np.flatnonzero(mask))))
        assert snapshot(used) == snapshot(fresh)


# ---------------------------------------------------------------------- constructor errors
BAD_ARGUMENTS = [
    ({"obs_mode": "pixels"}, ValueError, "obs_mode"),
    ({"illegal_action": "ignore"}, ValueError, "illegal_action"),
    ({"render_mode": "rgb"}, ValueError, "render_mode"),
    ({"config": "nine_member"}, ConfigError, "preset"),
    ({"config": {"num_players": 7}}, ConfigError, "missing"),
    ({"config": {**raw_env().game_config.to_dict(), "num_players": 1}}, ConfigError, "num_players"),
    ({"config": {**raw_env().game_config.to_dict(), "speed": 2}}, ConfigError, "speed"),
    ({"config": 7}, ConfigError, "config"),
    ({"rewards": {"wins": 1.0}}, ValueError, "wins"),
    ({"rewards": {"win": "big"}}, ValueError, "win"),
    # Anything but a RewardConfig or a mapping should be refused as such.
    ({"rewards": 5}, (TypeError, ValueError), "RewardConfig|[Mm]apping|dict"),
    ({"rewards": "sparse"}, (TypeError, ValueError), "RewardConfig|[Mm]apping|dict"),
]


@pytest.mark.parametrize(
    ("kwargs", "error", "names"), BAD_ARGUMENTS, ids=[repr(case[0])[:60] for case in BAD_ARGUMENTS]
)
def test_bad_constructor_arguments_raise_a_clear_error(
    kwargs: dict[str, Any], error: type[Exception] | tuple[type[Exception], ...], names: str
) -> None:
    with pytest.raises(error, match=names):
        raw_env(**kwargs)


# ---------------------------------------------------------------------- state and observations
@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_the_state_stays_in_the_state_space_and_reveals_every_role(preset: str) -> None:
    env = make_env(config=preset)
    env.reset(seed=8)
    game = env.unwrapped.game

    def check(_agent: str) -> None:
        state = env.state()
        assert env.state_space.contains(state)
        roles = state[: len(game.players) * STATE_PLAYER_FEATURES : STATE_PLAYER_FEATURES]
        assert roles.tolist() == [float(p.is_impostor) for p in game.players]

    play_out(env, np.random.default_rng(8), on_step=check)


@pytest.mark.parametrize("preset", PRESET_NAMES)
@pytest.mark.parametrize("obs_mode", OBS_MODES)
def test_observations_stay_in_their_space_through_random_games(preset: str, obs_mode: str) -> None:
    env = make_env(config=preset, obs_mode=obs_mode)
    for seed in SEEDS:
        env.reset(seed=seed)

        def check(_agent: str) -> None:
            for agent in env.possible_agents:
                assert env.observation_space(agent).contains(env.observe(agent))

        play_out(env, np.random.default_rng(seed), on_step=check)


def test_observations_stay_in_their_space_when_everyone_accuses_the_same_player() -> None:
    # Every speaker accuses Player 3 in each of the three discussion rounds.
    env = cast_env(seven_cast(), base="seven_member")
    take(env, EMERGENCY)
    while not env.game.is_voting:
        speaker = env.game.current_seat
        accused = "Player 4: pink" if speaker == 2 else "Player 3: green"
        env.step(f"SPEAK: I think {accused} is an impostor.")
        for agent in env.possible_agents:
            observation = env.observe(agent)["observation"]
            assert env.observation_space(agent)["observation"].contains(observation), (
                f"{agent}'s observation left [0, 1]: max {observation.max()}"
            )


def test_observations_stay_in_their_space_when_everyone_votes_the_same_player() -> None:
    # Eleven players: ten additions of 1/10 in float32 would exceed 1 without the clamp.
    config = replace(PRESETS["five_member"], num_players=11, num_impostors=1)
    env = raw_env(config=config)
    env.reset(seed=1)
    game = env.game
    assert game is not None
    env.step("CALL MEETING using the emergency button at Cafeteria")
    while not game.is_voting:
        env.step("SPEAK: hi")
    target = game.players[10].name
    for _ in range(10):
        env.step(f"VOTE {target}")
        for agent in env.possible_agents:
            assert env.observation_space(agent).contains(env.observe(agent)), agent


def test_a_new_meeting_starts_with_no_accusations_or_votes() -> None:
    """The per-meeting counters belong to the meeting under way: at the first turn of a new
    meeting nobody has yet been accused or voted against in it."""
    config = replace(PRESETS["five_member"], discussion_rounds=1)
    colors = ["red", "blue", "green", "pink", "orange"]
    scenario = {
        "players": [
            {
                "color": color,
                "role": "Impostor" if i == 4 else "Crewmate",
                "tasks": [["Fix Wiring", "Admin"]],
            }
            for i, color in enumerate(colors)
        ]
    }
    env = raw_env(config=config)
    env.reset(seed=0, options={"scenario": scenario})
    game = env.game
    assert game is not None
    button = "CALL MEETING using the emergency button at Cafeteria"
    env.step(button)
    for _ in range(5):
        env.step("SPEAK: I think Player 2: blue is an impostor.")
    for seat in range(5):
        env.step(f"VOTE {game.players[2 if seat == 1 else 1].name}")
    assert not game.players[1].alive  # blue was ejected; the task phase is back
    env.step(button)  # a second meeting: nobody has spoken in it yet
    agent = env.agent_selection
    seat = env.agent_name_mapping[agent]
    n = config.num_players
    evidence = env.observe(agent)["observation"][vector_size(n) - n * PLAYER_FEATURES :]
    rows = evidence.reshape(n, PLAYER_FEATURES)
    assert game.is_over is False and seat != 1
    assert rows[:, ACCUSED : I_VOTED_FOR + 1].max() == 0.0


def test_with_the_mask_in_the_info_every_agent_always_has_one() -> None:
    env = raw_env(mask_in_info=True)
    env.reset(seed=3)
    rng = np.random.default_rng(3)
    checked_at_the_end = False
    for agent in env.agent_iter():
        for other in env.agents:
            mask = env.infos[other]["action_mask"]
            assert np.array_equal(mask, env.action_mask(other))
            assert mask.any() == (other == agent and not env.game.is_over)
        observation, _, terminated, truncated, info = env.last()
        if terminated or truncated:
            checked_at_the_end = True
            env.step(None)
        else:
            env.step(random_legal_index(observation, info, rng))
    assert checked_at_the_end
