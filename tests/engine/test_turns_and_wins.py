"""Turn structure, meetings, ejection and the win check (RULES §3, §5, §6.4)."""

from __future__ import annotations

import ast
from collections.abc import Callable

import pytest

from amongagents import Game, GameOverError, Phase, WinCode
from amongagents.actions import ActionKind
from amongagents.text import own_action_text
from tests.engine.helpers import (
    FIX_WIRING_CAFETERIA,
    SUBMIT_SCAN_MEDBAY,
    UPLOAD_DATA_ADMIN,
    act,
    crewmate,
    finish_round,
    hold_meeting,
    idle_action,
    idle_until,
    impostor,
    kill,
    move,
    new_game,
    play,
    vote,
)

EMERGENCY = "CALL MEETING using the emergency button at Cafeteria"
FIX_WIRING = "COMPLETE TASK - Fix Wiring"
WIN_REASONS = {
    1: "Impostors win! (Crewmates being outnumbered or tied to impostors))",
    2: "Crewmates win! (Impostors eliminated)",
    3: "Crewmates win! (All task completed)",
    4: "Impostors win! (Time limit reached)",
}


def five(**overrides: int) -> Game:
    """Player 1: red is the impostor; blue, green, pink and orange are crewmates with a second
    task outside Cafeteria, so Fix Wiring alone never finishes the tasks."""
    return new_game(
        impostor("red", FIX_WIRING_CAFETERIA),
        crewmate("blue", FIX_WIRING_CAFETERIA, UPLOAD_DATA_ADMIN),
        crewmate("green", FIX_WIRING_CAFETERIA, SUBMIT_SCAN_MEDBAY),
        crewmate("pink", FIX_WIRING_CAFETERIA, ("Chart Course", "Navigation")),
        crewmate("orange", FIX_WIRING_CAFETERIA, ("Empty Garbage", "Cafeteria")),
        **overrides,
    )


def two_impostors(**overrides: int) -> Game:
    """Red (seat 0) and pink (seat 3) are impostors; blue, green and orange crewmates hold only
    Fix Wiring. One kill brings the impostors to parity."""
    return new_game(
        impostor("red", FIX_WIRING_CAFETERIA),
        crewmate("blue", FIX_WIRING_CAFETERIA),
        crewmate("green", FIX_WIRING_CAFETERIA),
        impostor("pink", FIX_WIRING_CAFETERIA),
        crewmate("orange", FIX_WIRING_CAFETERIA),
        **overrides,
    )


def seats_at(game: Game, timestep: int) -> list[int]:
    return [s.seat for s in game.steps if s.timestep == timestep]


def assert_over(game: Game, code: int) -> None:
    assert game.is_over
    assert int(game.winner) == code
    assert game.win_reason == WIN_REASONS[code]
    assert game.event_log()["winner_reason"] == WIN_REASONS[code]
    assert game.legal_actions() == []
    with pytest.raises(GameOverError):
        game.step("SPEAK: ...")


# ---------------------------------------------------------------------- turn order
def test_turns_go_in_seat_order_skipping_the_dead() -> None:
    game = five()
    play(game, kill(game, 2))  # green dies before its turn
    finish_round(game)
    finish_round(game)
    assert seats_at(game, 0) == [0, 1, 3, 4]
    assert seats_at(game, 1) == [0, 1, 3, 4]


def test_a_meeting_call_ends_the_task_round_at_once() -> None:
    game = new_game(
        crewmate("red", FIX_WIRING_CAFETERIA, UPLOAD_DATA_ADMIN),
        crewmate("blue", FIX_WIRING_CAFETERIA, SUBMIT_SCAN_MEDBAY),
        crewmate("green", FIX_WIRING_CAFETERIA, ("Chart Course", "Navigation")),
        impostor("pink", FIX_WIRING_CAFETERIA),
        crewmate("orange", FIX_WIRING_CAFETERIA, ("Prime Shields", "Shields")),
    )
    play(game, FIX_WIRING, move("Cafeteria", "Admin"), move("Cafeteria", "Admin"), kill(game, 4))
    assert game.players[3].kill_cooldown == 3
    play(game, EMERGENCY)  # red, still in Cafeteria, calls at Timestep 1
    assert game.phase is Phase.MEETING
    assert seats_at(game, 1) == [0]
    assert game.players[3].kill_cooldown == 3  # pink got no turn, so no tick
    assert (game.timestep, game.current_seat) == (2, 0)


def test_a_meeting_costs_one_timestep() -> None:
    game = five()
    play(game, EMERGENCY)
    assert game.timestep == 1
    hold_meeting(game)
    assert {s.timestep for s in game.steps if s.phase is Phase.MEETING} == {1}
    assert (game.timestep, game.phase, game.current_seat) == (2, Phase.TASK, 0)


@pytest.mark.parametrize("rounds", [0, 1, 2, 3])
def test_a_meeting_is_r_discussion_rounds_and_one_voting_round(rounds: int) -> None:
    game = five(discussion_rounds=rounds)
    play(game, kill(game, 4), EMERGENCY)
    living = [0, 1, 2, 3]
    turns: list[tuple[int, int, ActionKind]] = []
    while game.phase is Phase.MEETING:
        action = game.resolve(idle_action(game))
        turns.append((game.current_seat, game.discussion_round, action.kind))
        game.step(action)
    expected = [(seat, r, ActionKind.SPEAK) for r in range(rounds) for seat in living]
    expected += [(seat, rounds, ActionKind.VOTE) for seat in living]
    assert turns == expected


def test_meeting_rounds_are_tagged_in_the_action_history() -> None:
    game = five()
    play(game, EMERGENCY)
    hold_meeting(game)
    history = [own_action_text(e) for e in game.players[1].action_history]
    assert [line.split("] ")[0] + "]" for line in history] == [
        "Timestep 1: [meeting phase - round 0]",
        "Timestep 1: [meeting phase - round 1]",
        "Timestep 1: [meeting phase - round 2]",
        "Timestep 1: [meeting phase - round 3]",
    ]


def test_everyone_dead_or_alive_is_teleported_to_cafeteria() -> None:
    game = five()
    finish_round(game)  # everyone walks to Admin
    play(game, kill(game, 1), "REPORT DEAD BODY at Admin")
    assert game.phase is Phase.MEETING
    assert [p.location for p in game.players] == ["Cafeteria"] * 5
    assert not game.players[1].alive


# ---------------------------------------------------------------------- votes (§5)
@pytest.mark.parametrize(
    ("votes", "ejected"),
    [
        pytest.param({0: 1, 1: 2, 2: 3, 3: 4, 4: 0}, None, id="all-ones"),
        pytest.param({0: 1, 1: 2, 2: 1, 3: 2, 4: 0}, None, id="two-two-one"),
        pytest.param({0: 1, 1: 2, 2: 1, 3: 1, 4: 2}, 1, id="three-two"),
        pytest.param({0: 4, 1: 4, 2: 3, 3: 2, 4: 1}, 4, id="two-one-one-one"),
    ],
)
def test_only_a_unique_maximum_is_ejected(votes: dict[int, int], ejected: int | None) -> None:
    game = five()
    play(game, EMERGENCY)
    hold_meeting(game, votes)
    dead = [p.seat for p in game.players if not p.alive]
    assert dead == ([] if ejected is None else [ejected])
    assert game.ejected_seats == dead  # the typed record of who was voted out
    ballots = [f"{game.names[v]} voted for {game.names[t]}" for v, t in votes.items()]
    outcome = (
        "No one was voted out." if ejected is None else f"{game.names[ejected]} was voted out!"
    )
    assert game.important_events[-1] == {
        "timestep": 1,
        "phase": "meeting",
        "round": 3,
        "action": f"{outcome} Detailed vote info:{ballots!r}",
        "player": "all players",
    }


def test_the_vote_out_entry_lists_ballots_in_voting_order() -> None:
    game = five()
    play(game, EMERGENCY)
    hold_meeting(game, {0: 4, 1: 4, 2: 4, 3: 4, 4: 1})
    assert game.important_events[-1]["action"] == (
        "Player 5: orange was voted out! Detailed vote info:["
        "'Player 1: red voted for Player 5: orange', "
        "'Player 2: blue voted for Player 5: orange', "
        "'Player 3: green voted for Player 5: orange', "
        "'Player 4: pink voted for Player 5: orange', "
        "'Player 5: orange voted for Player 2: blue']"
    )


# ---------------------------------------------------------------------- win conditions (§3.5)
def test_parity_by_a_kill_lets_the_round_finish_then_impostors_win() -> None:
    game = two_impostors()
    play(game, kill(game, 1))
    assert not game.is_over  # 2 impostors, 2 crewmates, but mid-round
    assert game.current_seat == 2
    play(game, FIX_WIRING, move("Cafeteria", "Admin"), move("Cafeteria", "Admin"))
    assert seats_at(game, 0) == [0, 2, 3, 4]
    assert game.timestep == 1
    assert_over(game, 1)


def test_a_call_after_parity_ends_the_game_before_the_meeting() -> None:
    game = two_impostors()
    play(game, kill(game, 1), EMERGENCY)
    assert seats_at(game, 0) == [0, 2]
    assert game.timestep == 1
    assert_over(game, 1)


def test_ejecting_the_last_impostor_ends_the_game_right_after_the_meeting() -> None:
    game = five()
    play(game, EMERGENCY)
    hold_meeting(game, {0: 1, 1: 0, 2: 0, 3: 0, 4: 0})
    assert not game.players[0].alive
    assert game.timestep == 2
    assert_over(game, 2)


def test_finishing_the_last_task_ends_the_game_after_the_round() -> None:
    game = new_game(
        crewmate("red", FIX_WIRING_CAFETERIA),
        crewmate("blue", FIX_WIRING_CAFETERIA),
        crewmate("green", FIX_WIRING_CAFETERIA),
        crewmate("pink", FIX_WIRING_CAFETERIA),
        impostor("orange", FIX_WIRING_CAFETERIA),
    )
    play(game, FIX_WIRING, FIX_WIRING, FIX_WIRING, FIX_WIRING)
    assert game.task_completion() == 1.0
    assert not game.is_over and game.current_seat == 4  # the impostor still gets its turn
    play(game, move("Cafeteria", "Admin"))
    assert game.timestep == 1
    assert_over(game, 3)


def test_the_time_limit_ends_the_game() -> None:
    game = five(max_timesteps=3)
    for _ in range(3):
        finish_round(game)
    assert {s.timestep for s in game.steps} == {0, 1, 2}
    assert game.timestep == 3
    assert_over(game, 4)


def test_killing_the_last_crewmate_with_open_tasks_hands_crewmates_a_task_win() -> None:
    game = new_game(
        impostor("red", FIX_WIRING_CAFETERIA),
        crewmate("blue", FIX_WIRING_CAFETERIA),
        crewmate("green", FIX_WIRING_CAFETERIA),
        crewmate("pink", FIX_WIRING_CAFETERIA, UPLOAD_DATA_ADMIN),
        crewmate("orange", FIX_WIRING_CAFETERIA),
    )
    play(
        game,
        move("Cafeteria", "Admin"),
        FIX_WIRING,
        FIX_WIRING,
        move("Cafeteria", "Admin"),
        FIX_WIRING,
    )
    assert game.task_completion() == 3 / 5
    play(game, kill(game, 3))
    assert game.task_completion() == 1.0
    finish_round(game)
    assert_over(game, 3)


def parity_and_tasks_in_one_round() -> Game:
    game = two_impostors()
    play(game, kill(game, 1), FIX_WIRING, move("Cafeteria", "Admin"), FIX_WIRING)
    assert game.task_completion() == 1.0
    return game


def tasks_on_the_last_timestep() -> Game:
    game = new_game(
        crewmate("red", FIX_WIRING_CAFETERIA),
        crewmate("blue", FIX_WIRING_CAFETERIA),
        impostor("green", FIX_WIRING_CAFETERIA),
        max_timesteps=1,
    )
    play(game, FIX_WIRING, FIX_WIRING, move("Cafeteria", "Admin"))
    return game


def parity_on_the_last_timestep() -> Game:
    game = two_impostors(max_timesteps=1)
    play(game, kill(game, 1))
    finish_round(game)
    return game


def ejection_on_the_last_timestep() -> Game:
    game = five(max_timesteps=2)
    play(game, EMERGENCY)
    hold_meeting(game, {0: 1, 1: 0, 2: 0, 3: 0, 4: 0})
    return game


@pytest.mark.parametrize(
    ("situation", "code"),
    [
        pytest.param(parity_and_tasks_in_one_round, 1, id="outnumber-beats-tasks"),
        pytest.param(parity_on_the_last_timestep, 1, id="outnumber-beats-time"),
        pytest.param(ejection_on_the_last_timestep, 2, id="eliminated-beats-time"),
        pytest.param(tasks_on_the_last_timestep, 3, id="tasks-beat-time"),
    ],
)
def test_win_conditions_are_checked_in_priority_order(
    situation: Callable[[], Game], code: int
) -> None:
    # Impostors eliminated together with all tasks done cannot happen: impostors only leave by
    # ejection, and the tasks would already have ended the game the step before.
    game = situation()
    assert_over(game, code)


@pytest.mark.parametrize("situation", [parity_on_the_last_timestep, ejection_on_the_last_timestep])
def test_no_seat_has_legal_actions_once_the_game_is_over(situation: Callable[[], Game]) -> None:
    game = situation()
    assert game.is_over
    assert {seat: game.legal_actions(seat) for seat in range(5)} == {seat: [] for seat in range(5)}


def test_the_win_codes_and_reasons() -> None:
    assert {int(c): c.impostors_win for c in WinCode if c} == {1: True, 2: False, 3: False, 4: True}
    assert {int(c): c.crewmates_win for c in WinCode if c} == {1: False, 2: True, 3: True, 4: False}


# ---------------------------------------------------------------------- important events (§6.4)
def test_a_kill_is_logged_with_its_room_and_witnesses() -> None:
    game = five()
    finish_round(game)  # everyone walks to Admin
    act(game, 0, kill(game, 1))
    entry = game.important_events[-1]
    assert entry == {
        "timestep": 1,
        "phase": "task",
        "action": "KILL Player 2: blue|||Location: Admin, Witness: ['Player 1: red', "
        "'Player 2: blue', 'Player 3: green', 'Player 4: pink', 'Player 5: orange']",
        "player": "Player 1: red",
    }
    witnesses = ast.literal_eval(entry["action"].split("Witness: ", 1)[1])
    assert witnesses == list(game.names)


def test_witnesses_are_the_living_players_in_the_room_before_the_kill() -> None:
    game = five(kill_cooldown=0)
    play(game, kill(game, 4), FIX_WIRING, move("Cafeteria", "Admin"), FIX_WIRING)
    play(game, kill(game, 1))
    assert game.important_events[-1]["action"] == (
        "KILL Player 2: blue|||Location: Cafeteria, Witness: ['Player 1: red', 'Player 2: blue', "
        "'Player 4: pink']"
    )


def test_only_real_tasks_kills_and_vote_outs_are_important() -> None:
    game = five()
    play(game, "COMPLETE FAKE TASK - Fix Wiring", FIX_WIRING, EMERGENCY)
    hold_meeting(game, {0: 4, 1: 4, 2: 4, 3: 4, 4: 1})
    actions = [e["action"] for e in game.important_events]
    assert actions[0] == "COMPLETE TASK - Fix Wiring"
    assert game.important_events[0] == {
        "timestep": 0,
        "phase": "task",
        "action": "COMPLETE TASK - Fix Wiring",
        "player": "Player 2: blue",
    }
    assert len(actions) == 2 and "was voted out!" in actions[1]


def test_every_real_task_action_is_important_not_just_the_finishing_one() -> None:
    game = five()
    idle_until(game, 4)
    play(game, "COMPLETE TASK - Empty Garbage")
    idle_until(game, 4)
    play(game, "COMPLETE TASK - Empty Garbage")
    assert [e["action"] for e in game.important_events] == ["COMPLETE TASK - Empty Garbage"] * 2
    assert [e["timestep"] for e in game.important_events] == [0, 1]


def test_votes_are_counted_per_target_in_voting_order() -> None:
    game = five()
    play(game, EMERGENCY)
    while not game.is_voting:
        game.step("SPEAK: ...")
    play(game, vote(game, 2), vote(game, 3))
    assert game.votes == {0: 2, 1: 3}
