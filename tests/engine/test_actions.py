"""Actions (RULES §1.3–1.4, §4, §5, §6.5, §7): who may do what, when, and what it changes."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from amongagents import Game, GameOverError, IllegalActionError, Phase
from amongagents.actions import ActionKind
from amongagents.actions import vote as vote_action
from amongagents.records import MonitorReadout
from amongagents.skeld import ROOMS
from tests.engine.helpers import (
    DOWNLOAD_DATA_CAFETERIA,
    EMPTY_GARBAGE_CAFETERIA,
    FIX_WIRING_ADMIN,
    FIX_WIRING_CAFETERIA,
    SUBMIT_SCAN_MEDBAY,
    UPLOAD_DATA_ADMIN,
    act,
    crewmate,
    finish_round,
    hold_meeting,
    idle_until,
    impostor,
    kill,
    legal_of_kind,
    location_line,
    move,
    new_game,
    play,
    seen_actions,
    snapshot,
    vote,
    walk,
)

EMERGENCY = "CALL MEETING using the emergency button at Cafeteria"
CHART_COURSE_NAVIGATION = ("Chart Course", "Navigation")


def five(**overrides: int) -> Game:
    """Player 1: red is the impostor; Players 2-5 (blue, green, pink, orange) are crewmates.

    Everyone holds the common Fix Wiring in Cafeteria and the crewmates one task elsewhere, so a
    round of Fix Wiring does not finish the tasks.
    """
    return new_game(
        impostor("red", FIX_WIRING_CAFETERIA),
        crewmate("blue", FIX_WIRING_CAFETERIA, UPLOAD_DATA_ADMIN),
        crewmate("green", FIX_WIRING_CAFETERIA, SUBMIT_SCAN_MEDBAY),
        crewmate("pink", FIX_WIRING_CAFETERIA, CHART_COURSE_NAVIGATION),
        crewmate("orange", FIX_WIRING_CAFETERIA, EMPTY_GARBAGE_CAFETERIA),
        **overrides,
    )


def seven() -> Game:
    """Players 3: green and 5: orange are the impostors; the rest (red, blue, pink, yellow, black)
    are crewmates."""
    return new_game(
        crewmate("red", FIX_WIRING_CAFETERIA, UPLOAD_DATA_ADMIN),
        crewmate("blue", FIX_WIRING_CAFETERIA, SUBMIT_SCAN_MEDBAY),
        impostor("green", FIX_WIRING_CAFETERIA),
        crewmate("pink", FIX_WIRING_CAFETERIA, CHART_COURSE_NAVIGATION),
        impostor("orange", FIX_WIRING_CAFETERIA),
        crewmate("yellow", FIX_WIRING_CAFETERIA, DOWNLOAD_DATA_CAFETERIA),
        crewmate("black", FIX_WIRING_CAFETERIA, ("Clean O2 Filter", "O2")),
    )


def walker(role: str) -> Game:
    """Player 1: red walks the map as ``role``; of the others only Player 5: orange may be the
    impostor (when red is not)."""
    red = impostor("red") if role == "Impostor" else crewmate("red", FIX_WIRING_CAFETERIA)
    orange = crewmate("orange", FIX_WIRING_CAFETERIA) if role == "Impostor" else impostor("orange")
    return new_game(
        red,
        crewmate("blue", FIX_WIRING_CAFETERIA, UPLOAD_DATA_ADMIN),
        crewmate("green", FIX_WIRING_CAFETERIA, SUBMIT_SCAN_MEDBAY),
        crewmate("pink", FIX_WIRING_CAFETERIA, CHART_COURSE_NAVIGATION),
        orange,
        max_timesteps=100,
    )


# ---------------------------------------------------------------------- MOVE and VENT (§1.3, §1.4)
MOVE_TARGETS = {
    "Cafeteria": ["Admin", "Weapons", "Upper Engine", "Medbay"],
    "Weapons": ["Navigation", "Cafeteria", "O2"],
    "Navigation": ["Shields", "Weapons"],
    "O2": ["Weapons", "Shields", "Admin"],
    "Shields": ["Navigation", "O2", "Communications", "Storage"],
    "Communications": ["Shields", "Storage"],
    "Storage": ["Shields", "Communications", "Admin", "Electrical", "Lower Engine"],
    "Admin": ["Cafeteria", "O2", "Storage", "Electrical"],
    "Electrical": ["Storage", "Admin", "Lower Engine"],
    "Lower Engine": ["Reactor", "Upper Engine", "Storage", "Electrical", "Security"],
    "Security": ["Lower Engine", "Reactor", "Upper Engine"],
    "Reactor": ["Lower Engine", "Upper Engine", "Security"],
    "Upper Engine": ["Reactor", "Lower Engine", "Cafeteria", "Security", "Medbay"],
    "Medbay": ["Cafeteria", "Upper Engine"],
}
VENT_TARGETS = {
    "Electrical": ["Security", "Medbay"],
    "Security": ["Electrical", "Medbay"],
    "Medbay": ["Electrical", "Security"],
}


def test_the_move_table_covers_every_room() -> None:
    assert sorted(MOVE_TARGETS) == sorted(ROOMS)


@pytest.mark.parametrize("role", ["Crewmate", "Impostor"])
@pytest.mark.parametrize("room", ROOMS)
def test_move_targets_are_the_corridor_neighbours_in_order(room: str, role: str) -> None:
    game = walker(role)
    walk(game, 0, room)
    idle_until(game, 0)
    assert game.players[0].location == room
    assert legal_of_kind(game, ActionKind.MOVE) == [move(room, n) for n in MOVE_TARGETS[room]]


@pytest.mark.parametrize("room", ROOMS)
def test_only_impostors_vent_and_only_on_the_triangle(room: str) -> None:
    for role, expected in (("Crewmate", []), ("Impostor", VENT_TARGETS.get(room, []))):
        game = walker(role)
        walk(game, 0, room)
        idle_until(game, 0)
        assert legal_of_kind(game, ActionKind.VENT) == [
            f"VENT from {room} to {n}" for n in expected
        ]


def test_move_and_vent_take_the_player_to_the_target() -> None:
    game = walker("Impostor")
    walk(game, 0, "Electrical")
    act(game, 0, "VENT from Electrical to Security")
    assert game.players[0].location == "Security"
    act(game, 0, move("Security", "Reactor"))
    assert game.players[0].location == "Reactor"


# ---------------------------------------------------------------------- KILL (§4.2, §4.3)
def test_kill_targets_are_living_crewmates_in_the_room_in_seat_order() -> None:
    game = seven()
    play(game, move("Cafeteria", "Admin"), move("Cafeteria", "Weapons"))  # red and blue leave
    assert game.current_seat == 2
    assert legal_of_kind(game, ActionKind.KILL) == [kill(game, 3), kill(game, 5), kill(game, 6)]
    play(game, kill(game, 5), move("Cafeteria", "Admin"))  # pink leaves too
    assert game.current_seat == 4  # the other impostor: not its partner, not the dead
    assert legal_of_kind(game, ActionKind.KILL) == [kill(game, 6)]


def test_an_impostor_may_kill_on_its_very_first_turn() -> None:
    game = five()
    assert game.players[0].kill_cooldown == 0
    assert legal_of_kind(game, ActionKind.KILL) == [kill(game, s) for s in (1, 2, 3, 4)]


def test_crewmates_never_get_kill() -> None:
    game = five()
    play(game, move("Cafeteria", "Admin"))
    assert legal_of_kind(game, ActionKind.KILL) == []


def test_the_victim_becomes_an_unreported_body_shown_as_dead() -> None:
    game = seven()
    play(game, move("Cafeteria", "Admin"), move("Cafeteria", "Weapons"), kill(game, 5))
    victim, killer = game.players[5], game.players[2]
    assert (victim.alive, victim.reported_death, victim.location) == (False, False, "Cafeteria")
    assert killer.location == "Cafeteria"
    assert killer.kill_cooldown == game.config.kill_cooldown
    assert location_line(game, 3) == (
        "Players in Cafeteria: Player 3: green, Player 4: pink, Player 5: orange, "
        "Player 7: black, Player 6: yellow (dead)"
    )


def _kill_then_follow_the_impostor(kill_cooldown: int) -> tuple[Game, list[tuple[int, bool]]]:
    """Red kills orange on its first turn; the crewmates stay (doing Fix Wiring), then everyone
    walks together behind red. Returns red's (cooldown at turn start, KILL offered) per turn."""
    game = five(kill_cooldown=kill_cooldown)
    play(
        game,
        kill(game, 4),
        "COMPLETE TASK - Fix Wiring",
        "COMPLETE TASK - Fix Wiring",
        "COMPLETE TASK - Fix Wiring",
    )
    turns = []
    for _ in range(kill_cooldown + 1):
        idle_until(game, 0)
        offered = bool(legal_of_kind(game, ActionKind.KILL))
        turns.append((game.players[0].kill_cooldown, offered))
        finish_round(game)
    return game, turns


@pytest.mark.parametrize("kill_cooldown", [1, 2, 3])
def test_kill_is_offered_again_on_the_cooldown_plus_first_following_turn(
    kill_cooldown: int,
) -> None:
    _, turns = _kill_then_follow_the_impostor(kill_cooldown)
    cooldowns = [c for c, _ in turns]
    offered = [o for _, o in turns]
    assert cooldowns == list(range(kill_cooldown, -1, -1))
    assert offered == [False] * kill_cooldown + [True]


def test_meeting_turns_tick_the_kill_cooldown() -> None:
    game = five()  # kill_cooldown 3
    play(game, kill(game, 4), EMERGENCY)  # blue calls at once: the body is the reason
    assert game.phase is Phase.MEETING
    seen = []
    while game.phase is Phase.MEETING:
        idle_until(game, 0)
        seen.append(game.players[0].kill_cooldown)
        finish_round(game)
    assert seen == [3, 2, 1, 0]  # three SPEAK turns and the VOTE turn
    idle_until(game, 0)
    assert legal_of_kind(game, ActionKind.KILL) == [kill(game, s) for s in (1, 2, 3)]


# ---------------------------------------------------------------------- the list's order (§4.1)
def test_legal_actions_are_listed_kind_by_kind_in_the_reference_order() -> None:
    game = new_game(
        impostor("red", ("Fix Wiring", "Security")),
        crewmate("blue", ("Fix Wiring", "Security")),
        crewmate("green", ("Fix Wiring", "Security")),
        crewmate("pink", ("Fix Wiring", "Security")),
        crewmate("orange", ("Fix Wiring", "Security")),
    )
    to_upper_engine = move("Cafeteria", "Upper Engine")
    play(game, move("Cafeteria", "Medbay"), to_upper_engine, to_upper_engine)
    finish_round(game)
    to_security = move("Upper Engine", "Security")
    play(game, "VENT from Medbay to Security", to_security, to_security)
    finish_round(game)
    assert game.legal_action_strings() == [
        move("Security", "Lower Engine"),
        move("Security", "Reactor"),
        move("Security", "Upper Engine"),
        "VIEW MONITOR",
        "VENT from Security to Electrical",
        "VENT from Security to Medbay",
        "KILL Player 2: blue",
        "KILL Player 3: green",
        "COMPLETE FAKE TASK - Fix Wiring",
    ]
    play(game, kill(game, 1))
    assert game.legal_action_strings() == [
        move("Security", "Lower Engine"),
        move("Security", "Reactor"),
        move("Security", "Upper Engine"),
        "REPORT DEAD BODY at Security",
        "VIEW MONITOR",
        "COMPLETE TASK - Fix Wiring",
    ]


def test_several_bodies_give_a_single_call() -> None:
    game = seven()
    play(game, move("Cafeteria", "Admin"), move("Cafeteria", "Admin"), kill(game, 3))
    play(game, kill(game, 5))
    assert game.current_seat == 6
    assert legal_of_kind(game, ActionKind.CALL_MEETING) == [EMERGENCY]


# ---------------------------------------------------------------------- CALL MEETING (§4.3)
def test_the_emergency_button_is_offered_to_everyone_in_cafeteria() -> None:
    game = five()
    for seat in range(5):
        assert legal_of_kind(game, ActionKind.CALL_MEETING, seat) == [EMERGENCY]


def test_no_meeting_can_be_called_away_from_cafeteria_without_a_body() -> None:
    game = five()
    finish_round(game)  # everyone walks to Admin
    assert all(p.location == "Admin" for p in game.players)
    for seat in range(5):
        assert legal_of_kind(game, ActionKind.CALL_MEETING, seat) == []


def _kill_blue_in_admin() -> Game:
    game = five()
    finish_round(game)  # everyone walks to Admin
    act(game, 0, kill(game, 1))
    return game


def test_a_body_can_be_reported_where_it_lies_even_by_its_killer() -> None:
    game = _kill_blue_in_admin()
    assert legal_of_kind(game, ActionKind.CALL_MEETING) == ["REPORT DEAD BODY at Admin"]
    assert legal_of_kind(game, ActionKind.CALL_MEETING, 0) == ["REPORT DEAD BODY at Admin"]
    play(game, "REPORT DEAD BODY at Admin")
    assert game.phase is Phase.MEETING
    assert game.players[1].reported_death
    assert game.button_uses == 1


def test_a_body_in_cafeteria_allows_a_call_that_reads_as_the_button() -> None:
    game = five(max_num_buttons=0)
    assert legal_of_kind(game, ActionKind.CALL_MEETING) == []
    play(game, kill(game, 4))
    assert legal_of_kind(game, ActionKind.CALL_MEETING) == [EMERGENCY]


def test_body_reports_use_up_the_button_budget() -> None:
    game = _kill_blue_in_admin()  # max_num_buttons 2
    play(game, "REPORT DEAD BODY at Admin")
    hold_meeting(game)
    assert game.button_uses == 1
    assert legal_of_kind(game, ActionKind.CALL_MEETING) == [EMERGENCY]  # one button left
    play(game, EMERGENCY)
    hold_meeting(game)
    assert game.button_uses == 2
    assert all(p.location == "Cafeteria" for p in game.players)
    for p in game.iter_living():
        assert legal_of_kind(game, ActionKind.CALL_MEETING, p.seat) == []


def test_one_call_marks_every_body_on_the_map_reported() -> None:
    game = seven()
    # Timestep 0: green kills pink in Cafeteria; red, blue and orange go to Admin.
    play(game, move("Cafeteria", "Admin"), move("Cafeteria", "Admin"), kill(game, 3))
    play(
        game, move("Cafeteria", "Admin"), move("Cafeteria", "Weapons"), move("Cafeteria", "Weapons")
    )
    # Timestep 1: red stays for Upload Data, blue goes back, orange kills red in Admin.
    play(game, "COMPLETE TASK - Upload Data", move("Admin", "Cafeteria"))
    act(game, 4, kill(game, 0))
    finish_round(game)
    assert not game.players[0].reported_death and not game.players[3].reported_death
    # Timestep 2: blue, in Cafeteria beside pink's body, calls.
    act(game, 1, EMERGENCY)
    assert game.players[0].reported_death and game.players[3].reported_death
    hold_meeting(game)
    assert "(dead)" not in location_line(game, 1)


def test_the_button_limit_holds() -> None:
    game = five(max_num_buttons=1)
    play(game, EMERGENCY)
    hold_meeting(game)  # a tie: nobody is ejected, nobody lies in Cafeteria
    assert game.phase is Phase.TASK
    for p in game.iter_living():
        assert legal_of_kind(game, ActionKind.CALL_MEETING, p.seat) == []


def test_an_ejected_player_lies_in_cafeteria_and_allows_a_call_without_buttons() -> None:
    game = five(max_num_buttons=1)
    play(game, EMERGENCY)
    hold_meeting(game, votes={0: 4, 1: 4, 2: 4, 3: 4, 4: 1})
    ejected = game.players[4]
    assert (ejected.alive, ejected.reported_death, ejected.location) == (False, False, "Cafeteria")
    assert location_line(game, 1).endswith("Player 5: orange (dead)")
    assert game.button_uses == game.config.max_num_buttons
    assert legal_of_kind(game, ActionKind.CALL_MEETING) == [EMERGENCY]
    play(game, EMERGENCY)  # reports the ejected body
    assert ejected.reported_death
    hold_meeting(game)
    for p in game.iter_living():
        assert legal_of_kind(game, ActionKind.CALL_MEETING, p.seat) == []


# ---------------------------------------------------------------------- SPEAK and VOTE
def test_speak_and_vote_are_never_offered_in_the_task_phase() -> None:
    game = five()
    for seat in range(5):
        kinds = {a.kind for a in game.legal_actions(seat)}
        assert not kinds & {ActionKind.SPEAK, ActionKind.VOTE}


def test_discussion_rounds_offer_only_speak() -> None:
    game = five()
    play(game, EMERGENCY)
    turns = 0
    while not game.is_voting:
        assert game.legal_action_strings() == ["SPEAK: ..."]
        game.step("SPEAK: ...")
        turns += 1
    assert turns == 5 * game.config.discussion_rounds


def test_speech_carries_its_message_to_the_others() -> None:
    game = five()
    play(game, EMERGENCY, "SPEAK: I saw red near Admin")
    heard = seen_actions(game, 2)[-1]
    assert heard.action.text == "SPEAK: I saw red near Admin"
    assert game.steps[-1].action == "SPEAK: I saw red near Admin"


def test_the_voting_round_offers_one_vote_per_living_other_player() -> None:
    game = seven()
    play(game, move("Cafeteria", "Admin"), move("Cafeteria", "Weapons"), kill(game, 5))
    act(game, 6, EMERGENCY)  # black reports yellow's body
    while not game.is_voting:
        game.step("SPEAK: ...")
    living = [p.seat for p in game.players if p.alive]
    for voter in living:
        assert game.current_seat == voter
        assert game.legal_action_strings() == [vote(game, s) for s in living if s != voter]
        game.step(vote(game, living[(living.index(voter) + 1) % len(living)]))


# ---------------------------------------------------------------------- VIEW MONITOR (§6.5)
def monitor_game() -> Game:
    """Red walks to Security (Timesteps 0-1) while the others go to Admin and back, except that
    green (the impostor) and orange stay in Admin at Timestep 1 to do Fix Wiring."""
    game = new_game(
        crewmate("red", FIX_WIRING_ADMIN),
        crewmate("blue", FIX_WIRING_ADMIN),
        impostor("green", FIX_WIRING_ADMIN),
        crewmate("pink", FIX_WIRING_ADMIN),
        crewmate("orange", FIX_WIRING_ADMIN, UPLOAD_DATA_ADMIN),
    )
    play(game, move("Cafeteria", "Upper Engine"), *[move("Cafeteria", "Admin")] * 4)
    play(
        game,
        move("Upper Engine", "Security"),
        move("Admin", "Cafeteria"),
        "COMPLETE FAKE TASK - Fix Wiring",
        move("Admin", "Cafeteria"),
        "COMPLETE TASK - Fix Wiring",
    )
    return game


def last_observation_text(game: Game, seat: int) -> str:
    from amongagents.text import observation_text

    return observation_text(game.players[seat].observations[-1], game.names)


def test_the_monitor_is_offered_only_in_security_to_both_roles() -> None:
    for role in ("Crewmate", "Impostor"):
        game = walker(role)
        assert legal_of_kind(game, ActionKind.VIEW_MONITOR) == []
        walk(game, 0, "Security")
        idle_until(game, 0)
        assert legal_of_kind(game, ActionKind.VIEW_MONITOR) == ["VIEW MONITOR"]


def test_the_monitor_shows_raw_actions_of_those_inside_and_who_left() -> None:
    game = monitor_game()
    play(game, "VIEW MONITOR Admin")
    assert last_observation_text(game, 0) == (
        "Monitor Record: {Location: Admin, Observation: {"
        "(Player 2: blue): leave Admin, "
        "(Player 3: green): COMPLETE FAKE TASK - Fix Wiring, "
        "(Player 4: pink): leave Admin, "
        "(Player 5: orange): COMPLETE TASK - Fix Wiring, }}"
    )
    assert game.steps[-1].monitor_room == "Admin"
    assert not game.steps[-1].monitor_by_chance


def test_a_readout_carries_no_more_than_the_camera_shows() -> None:
    """A mover shows only as entering or leaving the watched room: where it came from or went
    is not in the record; an action shown as it is comes with it."""
    game = monitor_game()
    play(game, "VIEW MONITOR Admin")
    readout = game.players[0].observations[-1]
    assert isinstance(readout, MonitorReadout)
    shown = [(e.seat, e.text, e.action, e.leaving) for e in readout.entries]
    assert shown[0] == (1, "leave Admin", None, True)
    assert shown[1][1:3] == ("COMPLETE FAKE TASK - Fix Wiring", game.players[2].last_action)


def test_the_monitor_shows_entering_players() -> None:
    game = monitor_game()
    play(game, "VIEW MONITOR Cafeteria")
    assert last_observation_text(game, 0) == (
        "Monitor Record: {Location: Cafeteria, Observation: {"
        "(Player 2: blue): enter Cafeteria, (Player 4: pink): enter Cafeteria, }}"
    )
    readout = game.players[0].observations[-1]
    assert isinstance(readout, MonitorReadout)
    assert [e.action for e in readout.entries] == [None, None]  # not where they came from


def test_the_monitor_shows_no_one_in_an_empty_room_even_if_people_left_it() -> None:
    game = monitor_game()
    play(game, "VIEW MONITOR Upper Engine")  # red left it, but no one is inside
    assert last_observation_text(game, 0) == (
        "Monitor Record: {Location: Upper Engine, Observation: {No one here}}"
    )


def test_the_monitor_shows_the_viewer_watching_security() -> None:
    game = monitor_game()
    play(game, "VIEW MONITOR Security")
    assert last_observation_text(game, 0) == (
        "Monitor Record: {Location: Security, Observation: {(Player 1: red): VIEW MONITOR, }}"
    )


def test_the_monitor_lists_a_dead_player_who_left_the_room() -> None:
    game = new_game(
        crewmate("red", FIX_WIRING_ADMIN),
        crewmate("blue", FIX_WIRING_ADMIN),
        impostor("green", FIX_WIRING_ADMIN),
        crewmate("pink", FIX_WIRING_ADMIN),
        crewmate("orange", FIX_WIRING_ADMIN, UPLOAD_DATA_ADMIN),
    )
    play(game, move("Cafeteria", "Upper Engine"), *[move("Cafeteria", "Admin")] * 4)
    play(game, move("Upper Engine", "Security"), move("Admin", "Cafeteria"), kill(game, 3))
    play(game, move("Admin", "Cafeteria"))
    play(game, "VIEW MONITOR Cafeteria")
    assert last_observation_text(game, 0) == (
        "Monitor Record: {Location: Cafeteria, Observation: {"
        "(Player 2: blue): enter Cafeteria, (Player 4: pink): leave Cafeteria, "
        "(Player 5: orange): enter Cafeteria, }}"
    )
    idle_until(game, 0)
    play(game, "VIEW MONITOR Admin")
    # Green went back to Cafeteria; pink's body lies in Admin but gives no entry.
    assert last_observation_text(game, 0) == (
        "Monitor Record: {Location: Admin, Observation: {"
        "(Player 2: blue): enter Admin, (Player 3: green): leave Admin, "
        "(Player 5: orange): enter Admin, }}"
    )


def test_the_idle_camera_text_describes_a_player_who_has_not_acted() -> None:
    # Nobody can reach Security before everyone alive has acted, so the idle text cannot show
    # through play; read the camera directly at the start.
    game = five()
    readout = game._monitor_readout("Cafeteria")
    assert [entry.text for entry in readout.entries] == ["stand quietly and do nothing"] * 5


def test_the_monitor_readout_goes_to_the_viewer_only() -> None:
    game = monitor_game()
    before = [len(p.observations) for p in game.players]
    play(game, "VIEW MONITOR Admin")
    after = [len(p.observations) for p in game.players]
    assert after == [before[0] + 1, *before[1:]]


def test_an_unnamed_monitor_room_is_drawn_from_the_game_rng() -> None:
    game = monitor_game()
    rng_before = game.rng.getstate()
    play(game, "VIEW MONITOR")
    record = game.steps[-1]
    assert record.monitor_by_chance
    assert record.monitor_room in ROOMS
    assert game.rng.getstate() != rng_before
    assert last_observation_text(game, 0).startswith(
        f"Monitor Record: {{Location: {record.monitor_room}, "
    )


def vent_watch_game() -> Game:
    """Red walks to Security while blue (the impostor) and green go to Medbay; then blue vents
    on to Electrical and green stays in Medbay for Submit Scan. Red's turn at Timestep 2."""
    game = new_game(
        crewmate("red", FIX_WIRING_CAFETERIA),
        impostor("blue", FIX_WIRING_CAFETERIA),
        crewmate("green", FIX_WIRING_CAFETERIA, SUBMIT_SCAN_MEDBAY),
        crewmate("pink", FIX_WIRING_CAFETERIA),
        crewmate("orange", FIX_WIRING_CAFETERIA),
    )
    play(game, move("Cafeteria", "Upper Engine"), move("Cafeteria", "Medbay"))
    play(game, move("Cafeteria", "Medbay"), move("Cafeteria", "Admin"), move("Cafeteria", "Admin"))
    play(game, move("Upper Engine", "Security"), "VENT from Medbay to Electrical")
    play(
        game, "COMPLETE TASK - Submit Scan", move("Admin", "Cafeteria"), move("Admin", "Cafeteria")
    )
    return game


def test_the_monitor_gives_no_leave_entry_for_a_vent() -> None:
    game = vent_watch_game()
    play(game, "VIEW MONITOR Medbay")
    assert last_observation_text(game, 0) == (
        "Monitor Record: {Location: Medbay, Observation: {"
        "(Player 3: green): COMPLETE TASK - Submit Scan, }}"
    )


def test_the_monitor_shows_a_vent_as_its_raw_string() -> None:
    game = vent_watch_game()
    play(game, "VIEW MONITOR Electrical")
    assert last_observation_text(game, 0) == (
        "Monitor Record: {Location: Electrical, Observation: {"
        "(Player 2: blue): VENT from Medbay to Electrical, }}"
    )


# ---------------------------------------------------------------------- tasks (§4.3, §7)
def test_a_short_task_takes_one_action() -> None:
    game = five()
    act(game, 2, "COMPLETE TASK - Fix Wiring")
    task = game.players[2].tasks[0]
    assert (task.remaining, task.completed) == (0, True)
    idle_until(game, 2)
    assert "COMPLETE TASK - Fix Wiring" not in game.legal_action_strings()


def test_a_long_task_takes_two_actions_and_is_offered_again() -> None:
    game = five()
    act(game, 4, "COMPLETE TASK - Empty Garbage")
    task = game.players[4].tasks[1]
    assert (task.remaining, task.completed) == (1, False)
    idle_until(game, 4)
    assert "COMPLETE TASK - Empty Garbage" in game.legal_action_strings()
    play(game, "COMPLETE TASK - Empty Garbage")
    assert (task.remaining, task.completed) == (0, True)


def test_a_task_is_offered_only_in_its_room() -> None:
    game = five()
    idle_until(game, 1)
    assert legal_of_kind(game, ActionKind.COMPLETE_TASK) == ["COMPLETE TASK - Fix Wiring"]
    play(game, move("Cafeteria", "Admin"))
    idle_until(game, 1)
    assert legal_of_kind(game, ActionKind.COMPLETE_TASK) == ["COMPLETE TASK - Upload Data"]


def test_a_task_listed_twice_is_one_task() -> None:
    game = new_game(
        impostor("red", FIX_WIRING_CAFETERIA),
        crewmate("blue", FIX_WIRING_CAFETERIA, FIX_WIRING_CAFETERIA, UPLOAD_DATA_ADMIN),
        crewmate("green", FIX_WIRING_CAFETERIA, SUBMIT_SCAN_MEDBAY),
        crewmate("pink", FIX_WIRING_CAFETERIA, CHART_COURSE_NAVIGATION),
    )
    act(game, 1, "COMPLETE TASK - Fix Wiring")
    first, second, _ = game.players[1].tasks
    assert first is second and first.completed


def test_a_fake_task_completes_the_impostors_copy_only() -> None:
    game = five()
    assert legal_of_kind(game, ActionKind.COMPLETE_FAKE_TASK) == ["COMPLETE FAKE TASK - Fix Wiring"]
    assert legal_of_kind(game, ActionKind.COMPLETE_TASK) == []
    play(game, "COMPLETE FAKE TASK - Fix Wiring")
    own = game.players[0].tasks[0]
    assert own.completed and own.remaining == -1  # decremented twice
    assert all(not p.tasks[0].completed for p in game.players[1:])
    assert game.task_completion() == 0.0
    idle_until(game, 0)
    assert legal_of_kind(game, ActionKind.COMPLETE_FAKE_TASK) == []


def test_observers_see_any_task_as_seemingly_doing_task() -> None:
    game = five()
    play(game, "COMPLETE FAKE TASK - Fix Wiring", "COMPLETE TASK - Fix Wiring")
    seen = [o.action.observer_text for o in seen_actions(game, 2)]
    assert seen == ["Seemingly doing task", "Seemingly doing task"]


def test_the_task_ratio_counts_living_crewmates_only() -> None:
    game = five()  # 4 crewmates x 2 tasks
    play(
        game,
        "COMPLETE FAKE TASK - Fix Wiring",
        "COMPLETE TASK - Fix Wiring",
        "COMPLETE TASK - Fix Wiring",
    )
    assert game.task_completion() == 2 / 8
    finish_round(game)
    play(game, kill(game, 2))  # green had done 1 of 2
    assert game.task_completion() == 1 / 6


# ---------------------------------------------------------------------- illegal actions
def at_start() -> Game:
    return five()


def in_discussion() -> Game:
    game = five()
    play(game, EMERGENCY, "SPEAK: ...")
    return game


def in_voting_after_a_kill() -> Game:
    game = five()
    play(game, kill(game, 4), EMERGENCY)
    while not game.is_voting:
        game.step("SPEAK: ...")
    return game


def in_security() -> Game:
    return monitor_game()


def on_cooldown() -> Game:
    """Red killed orange; the others stayed for Fix Wiring; red's next turn, cooldown 3."""
    game = five()
    play(game, kill(game, 4), *["COMPLETE TASK - Fix Wiring"] * 3)
    return game


ILLEGAL: list[tuple[Callable[[], Game], object]] = [
    (at_start, "DANCE"),
    (at_start, ""),
    (at_start, "move from cafeteria to admin"),
    (at_start, "MOVE from Cafeteria to Electrical"),
    (at_start, "MOVE from Admin to Cafeteria"),
    (at_start, "VENT from Electrical to Security"),
    (at_start, "SPEAK: hello"),
    (at_start, "VOTE Player 2: blue"),
    (at_start, "VIEW MONITOR Admin"),
    (at_start, "COMPLETE TASK - Fix Wiring"),  # the impostor has only a fake one
    (at_start, "REPORT DEAD BODY at Cafeteria"),
    (at_start, "SABOTAGE"),
    (at_start, 42),
    (at_start, None),
    (at_start, vote_action(1, "Player 2: blue")),
    (in_discussion, "MOVE from Cafeteria to Admin"),
    (in_discussion, "VOTE Player 1: red"),
    (in_discussion, EMERGENCY),
    (in_voting_after_a_kill, "VOTE Player 5: orange"),  # dead
    (in_voting_after_a_kill, "VOTE Player 1: red"),  # oneself (red votes first)
    (in_voting_after_a_kill, "SPEAK: ..."),
    (in_voting_after_a_kill, "VOTE Player 9: lime"),
    (in_security, "VIEW MONITOR Narnia"),
    (in_security, "VIEW MONITOR Admin Security"),
    (on_cooldown, "KILL Player 2: blue"),
]


@pytest.mark.parametrize(
    ("situation", "action"),
    ILLEGAL,
    ids=[f"{s.__name__}-{a!r}" for s, a in ILLEGAL],
)
def test_an_illegal_action_raises_and_changes_nothing(
    situation: Callable[[], Game], action: object
) -> None:
    game = situation()
    before = snapshot(game)
    with pytest.raises(IllegalActionError):
        game.step(action)  # type: ignore[arg-type]
    assert snapshot(game) == before


def test_the_cooldown_situation_really_is_on_cooldown() -> None:
    game = on_cooldown()
    assert game.current_seat == 0 and game.players[0].kill_cooldown > 0
    assert game.players[1].location == game.players[0].location


def test_acting_after_the_game_is_over_raises_and_changes_nothing() -> None:
    game = Game("five_member", seed=3)
    rng = random.Random(0)
    while not game.is_over:
        legal = game.legal_actions()
        game.step(legal[rng.randrange(len(legal))])
    before = snapshot(game)
    for action in ("MOVE from Cafeteria to Admin", "SPEAK: ...", 42):
        with pytest.raises(GameOverError):
            game.step(action)  # type: ignore[arg-type]
        assert snapshot(game) == before


def test_an_action_object_from_the_legal_list_is_accepted() -> None:
    game = five()
    chosen = game.legal_actions()[0]
    game.step(chosen)
    assert game.steps[-1].action == chosen.text


def test_a_monitor_readout_is_stamped_with_when_it_was_watched() -> None:
    game = new_game(
        crewmate("red", ("Fix Wiring", "Security")),
        crewmate("blue", ("Fix Wiring", "Admin")),
        impostor("green"),
        crewmate("pink", ("Fix Wiring", "Admin")),
        crewmate("orange", ("Fix Wiring", "Admin")),
    )
    walk(game, 0, "Security")
    idle_until(game, 0)
    watched_at = game.clock
    act(game, 0, "VIEW MONITOR Admin")
    readout = game.players[0].observations[-1]
    assert isinstance(readout, MonitorReadout)
    assert readout.clock == watched_at


@pytest.mark.parametrize("seat", [-1, 5])
def test_a_seat_outside_the_game_is_refused_not_wrapped_around(seat: int) -> None:
    game = Game("five_member", seed=0)
    with pytest.raises(IndexError, match="out of range"):
        game.legal_actions(seat)
    with pytest.raises(IndexError, match="out of range"):
        game.location_info(seat)
