"""The heuristic in scripted scenarios: crewmates walk to tasks, report bodies and accuse killers;
impostors kill only when alone with a crewmate, get away, and deflect in meetings."""

from __future__ import annotations

from typing import Any

import pytest

from amongagents.game import Game
from amongagents.records import Phase
from amongus_marl import raw_env
from amongus_marl.policies import HeuristicPolicy, make_policy
from tests.engine.helpers import config
from tests.policies.helpers import (
    DIVERT_POWER_ELECTRICAL,
    DOWNLOAD_DATA_CAFETERIA,
    FIX_WIRING_ADMIN,
    FIX_WIRING_CAFETERIA,
    FIX_WIRING_ELECTRICAL,
    INSPECT_SAMPLE_MEDBAY,
    SUBMIT_SCAN_MEDBAY,
    SWIPE_CARD_ADMIN,
    UPLOAD_DATA_ADMIN,
    Scenario,
    cast,
    crewmate,
    impostor,
    move_to,
)


def kill(victim: int):  # a script step that kills ``victim`` by name
    return lambda game, seat: f"KILL {game.names[victim]}"


def test_registered_and_resettable() -> None:
    policy = make_policy("heuristic", seed=3)
    assert isinstance(policy, HeuristicPolicy)
    policy.reset(4)
    with pytest.raises(TypeError, match="unknown heuristic setting"):
        make_policy("heuristic", aggression=11)


def test_crewmate_walks_shortest_paths_to_its_tasks_then_watches_the_monitor() -> None:
    seats = cast(
        crewmate(FIX_WIRING_ADMIN, DIVERT_POWER_ELECTRICAL),
        impostor(FIX_WIRING_CAFETERIA),
        crewmate(FIX_WIRING_ADMIN, UPLOAD_DATA_ADMIN),
        crewmate(FIX_WIRING_ADMIN, SWIPE_CARD_ADMIN),
        crewmate(FIX_WIRING_ADMIN, SWIPE_CARD_ADMIN),
    )
    scenario = Scenario(seats, {0: HeuristicPolicy()}).run(until=lambda s: len(s.decisions) >= 8)
    assert scenario.decisions_of(0) == [
        "MOVE from Cafeteria to Admin",  # the nearer task first
        "COMPLETE TASK - Fix Wiring",
        "MOVE from Admin to Electrical",
        "COMPLETE TASK - Divert Power",
        "MOVE from Electrical to Lower Engine",  # all done: off to Security
        "MOVE from Lower Engine to Security",
        "VIEW MONITOR",
        "VIEW MONITOR",
    ]


def test_crewmate_reports_a_body_it_comes_across() -> None:
    seats = cast(
        impostor(FIX_WIRING_CAFETERIA),
        crewmate(FIX_WIRING_CAFETERIA, UPLOAD_DATA_ADMIN),
        crewmate(FIX_WIRING_ADMIN, SWIPE_CARD_ADMIN),
        crewmate(FIX_WIRING_ADMIN, SWIPE_CARD_ADMIN),
        crewmate(FIX_WIRING_CAFETERIA, DOWNLOAD_DATA_CAFETERIA),
    )
    scripts = {
        0: [move_to("Upper Engine"), kill(1), move_to("Reactor")],
        1: [move_to("Upper Engine")],
    }
    scenario = Scenario(seats, {4: HeuristicPolicy()}, scripts).run(
        until=lambda s: s.game.timestep > 3
    )
    assert scenario.decisions_of(4)[:4] == [
        "COMPLETE TASK - Fix Wiring",
        "COMPLETE TASK - Download Data",
        "MOVE from Cafeteria to Upper Engine",  # the killer left before it came
        "REPORT DEAD BODY at Upper Engine",
    ]


def test_witness_reports_the_kill_accuses_and_votes_for_the_killer() -> None:
    seats = cast(
        impostor(FIX_WIRING_CAFETERIA),
        crewmate(FIX_WIRING_ADMIN, UPLOAD_DATA_ADMIN),
        crewmate(SUBMIT_SCAN_MEDBAY, INSPECT_SAMPLE_MEDBAY),
        crewmate(FIX_WIRING_ADMIN, SWIPE_CARD_ADMIN),
        crewmate(FIX_WIRING_ADMIN, SWIPE_CARD_ADMIN),
    )
    scripts = {0: [move_to("Medbay"), kill(1)], 1: [move_to("Medbay")]}
    scenario = Scenario(seats, {2: HeuristicPolicy()}, scripts).run(
        until=lambda s: s.game.timestep > 2
    )
    game = scenario.game
    decisions = scenario.decisions_of(2)
    killer = game.names[0]
    assert decisions[:2] == ["MOVE from Cafeteria to Medbay", "REPORT DEAD BODY at Medbay"]
    speeches = decisions[2:5]
    assert speeches.count(f"SPEAK: I think {killer} is an impostor.") >= 2
    assert decisions[5] == f"VOTE {killer}"


def test_crewmate_does_not_report_the_body_of_a_player_voted_out() -> None:
    seats = cast(
        impostor(FIX_WIRING_CAFETERIA),
        crewmate(FIX_WIRING_ADMIN, UPLOAD_DATA_ADMIN),
        crewmate(FIX_WIRING_ADMIN, SWIPE_CARD_ADMIN),
        crewmate(FIX_WIRING_ADMIN, SWIPE_CARD_ADMIN),
        crewmate(FIX_WIRING_CAFETERIA, DIVERT_POWER_ELECTRICAL),
    )
    button = "CALL MEETING using the emergency button at Cafeteria"

    def vote_for_seat_1(game: Game, seat: int) -> str | None:
        return f"VOTE {game.names[1]}" if game.is_voting else None

    scripts = {
        0: [button],
        2: vote_for_seat_1,
        3: vote_for_seat_1,
    }  # seat 0 idles: votes seat 1 too
    scenario = Scenario(seats, {4: HeuristicPolicy()}, scripts)
    scenario.run(until=lambda s: s.game.timestep == 2 and s.game.current_seat == 4)
    assert not scenario.game.players[1].alive  # voted out: a body in Cafeteria
    scenario.step()
    assert scenario.decisions_of(4)[-1] == "COMPLETE TASK - Fix Wiring"


def test_impostor_kills_when_alone_with_one_crewmate() -> None:
    seats = cast(
        crewmate(FIX_WIRING_CAFETERIA, UPLOAD_DATA_ADMIN),
        crewmate(FIX_WIRING_ADMIN, SWIPE_CARD_ADMIN),
        crewmate(FIX_WIRING_ADMIN, SWIPE_CARD_ADMIN),
        crewmate(FIX_WIRING_ADMIN, SWIPE_CARD_ADMIN),
        impostor(FIX_WIRING_ELECTRICAL),
    )
    scripts = {
        0: ["COMPLETE TASK - Fix Wiring"],
        1: [move_to("Weapons")],
        2: [move_to("Weapons")],
        3: [move_to("Weapons")],
    }
    scenario = Scenario(seats, {4: HeuristicPolicy()}, scripts).run(
        until=lambda s: len(s.decisions) >= 1
    )
    assert scenario.decisions_of(4) == [f"KILL {scenario.game.names[0]}"]


def test_impostor_does_not_kill_in_front_of_a_witness() -> None:
    seats = cast(
        crewmate(FIX_WIRING_CAFETERIA, UPLOAD_DATA_ADMIN),
        crewmate(FIX_WIRING_CAFETERIA, SWIPE_CARD_ADMIN),
        crewmate(FIX_WIRING_ADMIN, SWIPE_CARD_ADMIN),
        crewmate(FIX_WIRING_ADMIN, SWIPE_CARD_ADMIN),
        impostor(FIX_WIRING_ELECTRICAL),
    )
    scripts = {
        0: ["COMPLETE TASK - Fix Wiring"],
        1: ["COMPLETE TASK - Fix Wiring"],
        2: [move_to("Weapons")],
        3: [move_to("Weapons")],
    }
    scenario = Scenario(seats, {4: HeuristicPolicy()}, scripts).run(
        until=lambda s: len(s.decisions) >= 1
    )
    assert not scenario.decisions_of(4)[0].startswith("KILL")


def test_a_teammate_is_no_witness() -> None:
    seats = cast(
        crewmate(FIX_WIRING_CAFETERIA, UPLOAD_DATA_ADMIN),
        crewmate(FIX_WIRING_ADMIN, SWIPE_CARD_ADMIN),
        crewmate(FIX_WIRING_ADMIN, SWIPE_CARD_ADMIN),
        impostor(FIX_WIRING_CAFETERIA),
        crewmate(FIX_WIRING_ADMIN, SWIPE_CARD_ADMIN),
        crewmate(FIX_WIRING_ADMIN, SWIPE_CARD_ADMIN),
        impostor(FIX_WIRING_ELECTRICAL),
    )
    away = [move_to("Weapons")]
    scripts = {
        0: ["COMPLETE TASK - Fix Wiring"],
        1: away,
        2: away,
        3: ["COMPLETE FAKE TASK - Fix Wiring"],
        4: away,
        5: away,
    }
    scenario = Scenario(seats, {6: HeuristicPolicy()}, scripts, base="seven_member")
    scenario.run(until=lambda s: len(s.decisions) >= 1)
    assert scenario.decisions_of(6) == [f"KILL {scenario.game.names[0]}"]


@pytest.mark.parametrize(
    ("self_report", "getaway"),
    [("never", "VENT from Medbay to "), ("solo", "REPORT DEAD BODY at Medbay")],
)
def test_impostor_hunts_kills_and_gets_away(self_report: str, getaway: str) -> None:
    seats = cast(
        crewmate(INSPECT_SAMPLE_MEDBAY, FIX_WIRING_ADMIN),
        crewmate(FIX_WIRING_CAFETERIA, UPLOAD_DATA_ADMIN),
        crewmate(FIX_WIRING_CAFETERIA, SWIPE_CARD_ADMIN),
        crewmate(FIX_WIRING_CAFETERIA, SWIPE_CARD_ADMIN),
        impostor(FIX_WIRING_ELECTRICAL),
    )
    busy = ["COMPLETE TASK - Fix Wiring", move_to("Weapons")]
    scripts = {0: [move_to("Medbay"), "COMPLETE TASK - Inspect Sample"], 1: busy, 2: busy, 3: busy}
    policy = HeuristicPolicy(impostor_self_report=self_report)
    scenario = Scenario(seats, {4: policy}, scripts).run(until=lambda s: len(s.decisions) >= 3)
    moves = scenario.decisions_of(4)
    assert moves[0] == "MOVE from Cafeteria to Medbay"  # where the lone crewmate went
    assert moves[1] == f"KILL {scenario.game.names[0]}"
    assert moves[2].startswith(getaway)


def test_impostors_counter_accuse_their_accuser_and_never_vote_for_each_other() -> None:
    seats = cast(
        crewmate(FIX_WIRING_ADMIN, UPLOAD_DATA_ADMIN),
        crewmate(FIX_WIRING_ADMIN, SWIPE_CARD_ADMIN),
        crewmate(FIX_WIRING_ADMIN, SWIPE_CARD_ADMIN),
        crewmate(FIX_WIRING_ADMIN, SWIPE_CARD_ADMIN),
        crewmate(FIX_WIRING_ADMIN, SWIPE_CARD_ADMIN),
        impostor(FIX_WIRING_ELECTRICAL),
        impostor(FIX_WIRING_ELECTRICAL),
    )

    def accuser(game: Game, seat: int) -> str | None:
        if game.phase.value == "task":
            return "CALL MEETING using the emergency button at Cafeteria"
        if game.is_voting:
            return f"VOTE {game.names[5]}"
        return f"SPEAK: I think {game.names[5]} is an impostor."

    shared = HeuristicPolicy()  # one object plays both impostors
    scenario = Scenario(seats, {5: shared, 6: shared}, {0: accuser}, base="seven_member")
    scenario.run(until=lambda s: s.game.timestep > 1)
    accused = scenario.game.names[0]
    for seat in (5, 6):
        decisions = scenario.decisions_of(seat)
        assert decisions[0] == f"SPEAK: I think {accused} is an impostor."
        assert decisions[-1] == f"VOTE {accused}"
        assert not any("innocent" in d for d in decisions)  # no vouching


# ------------------------------------------------------------ meetings and sightings it must keep
FIVE_ONE_ROUND = config("five_member", discussion_rounds=1)
RED_IMPOSTOR = {"players": [{"role": "Impostor"}] + [{"role": "Crewmate"}] * 4}


def test_a_meeting_called_before_the_next_task_turn_keeps_what_the_last_one_taught() -> None:
    """Seat 4 (heuristic) hears seats 0 and 1 accuse seat 3 and sees seat 2 voted out; a second
    meeting is called before seat 4 acts again in the task phase."""
    env = raw_env(config=FIVE_ONE_ROUND)
    env.reset(seed=0, options={"scenario": RED_IMPOSTOR})
    game, policy, names = env.game, HeuristicPolicy(seed=1), env.game.names
    button = "CALL MEETING using the emergency button at Cafeteria"
    while game.timestep < 4:
        seat = game.current_seat
        if seat == 4:
            env.step(policy.act(None, {}, env.agent_view()))
        elif game.phase is Phase.TASK:
            pressing = seat == 0 and game.timestep in (0, 2)  # before and right after meeting 1
            env.step(button if pressing else game.legal_actions()[0].text)
        elif game.is_voting:
            if game.timestep == 1:  # everyone votes seat 2 out (seat 2 votes seat 1)
                env.step(f"VOTE {names[2] if seat != 2 else names[1]}")
            else:
                env.step(game.legal_actions()[0].text)
        else:
            accuse = game.timestep == 1 and seat < 2
            env.step(f"SPEAK: I think {names[3]} is an impostor." if accuse else "SPEAK: ...")
    memory = policy._memory[4]
    assert game.dead_seats[0] == 2 and 2 in memory.ejected and 2 in memory.dead
    assert memory.carried.get(3, 0.0) > 0  # the accusations of the first meeting carry over


def wiring_in_admin(last_task: list[str]) -> list[dict[str, Any]]:
    """Everyone's common task is Fix Wiring in Admin; seat 1 also has Upload Data there, seats 2
    and 3 tasks far away, and seat 4 ``last_task``."""
    admin = [["Fix Wiring", "Admin"]]
    others = (
        ["Upload Data", "Admin"],
        ["Chart Course", "Navigation"],
        ["Prime Shields", "Shields"],
    )
    return [{"role": "Impostor", "tasks": admin}] + [
        {"role": "Crewmate", "tasks": admin + [task]} for task in (*others, last_task)
    ]


@pytest.mark.parametrize("rounds", [1, 2])
def test_a_crewmate_vouches_for_a_seat_it_saw_working_whatever_the_number_of_rounds(
    rounds: int,
) -> None:
    seats = wiring_in_admin(["Swipe Card", "Admin"])
    env = raw_env(config=config("five_member", discussion_rounds=rounds))
    env.reset(seed=0, options={"scenario": {"players": seats}})
    game, policy, said = env.game, HeuristicPolicy(seed=1), []
    script = {  # seat 1 works beside seat 4 in Admin, then calls a meeting
        0: "MOVE from Cafeteria to Admin",
        1: "COMPLETE TASK - Fix Wiring",
        2: "MOVE from Admin to Cafeteria",
        3: "CALL MEETING using the emergency button at Cafeteria",
    }
    while not game.is_over and game.timestep < 5:
        seat = game.current_seat
        if seat == 4:
            view = env.agent_view()
            choice = policy.act(None, {}, view)
            if game.phase is Phase.MEETING and not game.is_voting:
                said.append(view.table[choice].text)
            env.step(choice)
        elif game.phase is Phase.MEETING:
            env.step(game.legal_actions()[0].text if game.is_voting else "SPEAK: ...")
        elif seat == 1 and game.timestep in script:
            env.step(script[game.timestep])
        else:  # the others keep out of Admin
            legal = game.legal_action_strings()
            env.step(
                next((a for a in legal if a.startswith("MOVE") and "Admin" not in a), legal[0])
            )
    assert f"SPEAK: I believe {game.names[1]} is innocent." in said


WALK_ON = "MOVE from Navigation to Shields"


def test_a_kill_seen_on_the_monitor_tells_the_watcher_who_died() -> None:
    seats = wiring_in_admin(["Submit Scan", "Medbay"])
    env = raw_env(config="five_member")
    env.reset(seed=0, options={"scenario": {"players": seats}})
    game = env.game
    plan = {
        0: [
            "MOVE from Cafeteria to Admin",
            "COMPLETE FAKE TASK - Fix Wiring",
            f"KILL {game.names[1]}",
        ],
        1: ["MOVE from Cafeteria to Admin", "COMPLETE TASK - Upload Data"],
        2: ["MOVE from Cafeteria to Weapons", "MOVE from Weapons to Navigation", WALK_ON],
        3: ["MOVE from Cafeteria to Weapons", "MOVE from Weapons to Navigation", WALK_ON],
        4: [
            "MOVE from Cafeteria to Upper Engine",
            "MOVE from Upper Engine to Security",
            "VIEW MONITOR Admin",
        ],
    }
    while game.timestep < 3:
        env.step(plan[game.current_seat][game.timestep])
    while game.current_seat != 4:
        env.step(game.legal_actions()[0].text)
    policy = HeuristicPolicy(seed=0)
    policy.act(None, {}, env.agent_view())
    memory = policy._memory[4]
    assert 0 in memory.killers and 1 in memory.dead
