"""The 7vik information block (RULES §6.2, §6.6–6.9, Appendix A and B)."""

from __future__ import annotations

import heapq
from collections import deque
from itertools import pairwise

import pytest

from amongagents import Game, information_block
from amongagents.skeld import CORRIDORS, ROOMS, VENTS, shortest_path
from tests.engine.helpers import (
    FIX_WIRING_CAFETERIA,
    FIX_WIRING_ELECTRICAL,
    SUBMIT_SCAN_MEDBAY,
    UPLOAD_DATA_ADMIN,
    act,
    crewmate,
    finish_round,
    hold_meeting,
    idle_until,
    impostor,
    kill,
    mask_phase_instruction,
    move,
    new_game,
    play,
    section,
    seen_actions,
)

EMERGENCY = "CALL MEETING using the emergency button at Cafeteria"


def five(**overrides: int) -> Game:
    """Player 1: red is the impostor; blue, green, pink and orange are crewmates."""
    return new_game(
        impostor("red", FIX_WIRING_CAFETERIA),
        crewmate("blue", FIX_WIRING_CAFETERIA, UPLOAD_DATA_ADMIN),
        crewmate("green", FIX_WIRING_CAFETERIA, SUBMIT_SCAN_MEDBAY),
        crewmate("pink", FIX_WIRING_CAFETERIA, ("Chart Course", "Navigation")),
        crewmate("orange", FIX_WIRING_CAFETERIA, ("Empty Garbage", "Cafeteria")),
        **overrides,
    )


def block(game: Game, seat: int | None = None) -> str:
    return information_block(game, game.current_seat if seat is None else seat)


def header(game: Game, seat: int | None = None) -> list[str]:
    """``Game Time`` and ``Current phase`` lines of a block."""
    return block(game, seat).split("\n")[:2]


# ---------------------------------------------------------------------- the whole block
def test_the_block_has_the_reference_layout() -> None:
    game = five()
    play(
        game,
        "COMPLETE FAKE TASK - Fix Wiring",
        "COMPLETE TASK - Fix Wiring",
        move("Cafeteria", "Admin"),
        move("Cafeteria", "Medbay"),
        "COMPLETE TASK - Empty Garbage",
        move("Cafeteria", "Admin"),  # red, Timestep 1
    )
    assert game.current_seat == 1
    assert mask_phase_instruction(block(game)) == (
        "Game Time: 1/50\n"
        "Current phase: Task phase\n"
        "<phase instruction>\n"
        "\n"
        "Current Location: Cafeteria\n"
        "Players in Cafeteria: Player 2: blue, Player 5: orange\n"
        "\n"
        "Observation history:\n"
        "1. Timestep 0: [task] Player 3: green MOVE from Cafeteria to Admin\n"
        "2. Timestep 0: [task] Player 4: pink MOVE from Cafeteria to Medbay\n"
        "3. Timestep 0: [task] Player 5: orange Seemingly doing task\n"
        "4. Timestep 1: [task] Player 1: red MOVE from Cafeteria to Admin\n"
        "\n"
        "Action history:\n"
        "Timestep 0: [task phase] COMPLETE TASK - Fix Wiring\n"
        "\n"
        "Your Assigned Tasks:\n"
        "1. common: Fix Wiring (Cafeteria) [completed]\n"
        "Path: You are already at the task location.\n"
        "2. short: Upload Data (Admin) \n"
        "Path: Cafeteria->Admin\n"
        "\n"
        "Available actions:\n"
        "1. MOVE from Cafeteria to Admin\n"
        "2. MOVE from Cafeteria to Weapons\n"
        "3. MOVE from Cafeteria to Upper Engine\n"
        "4. MOVE from Cafeteria to Medbay\n"
        f"5. {EMERGENCY}\n"
    )


def test_a_fresh_block_says_nothing_has_happened_yet() -> None:
    game = five()
    text = block(game, 2)
    assert section(text, "Observation history:") == ["No observations have been made yet."]
    assert section(text, "Action history:") == ["No actions have been taken yet."]
    assert text.split("\n")[:1] == ["Game Time: 0/50"]
    assert (
        "Players in Cafeteria: Player 1: red, Player 2: blue, Player 3: green, "
        "Player 4: pink, Player 5: orange" in text
    )


def test_a_player_without_tasks_is_told_so() -> None:
    game = new_game(
        impostor("red"),
        crewmate("blue", FIX_WIRING_CAFETERIA),
        crewmate("green", FIX_WIRING_CAFETERIA),
    )
    assert section(block(game, 0), "Your Assigned Tasks:") == ["No tasks have been assigned yet."]


# ---------------------------------------------------------------------- history windows (§6.7)
def test_observation_history_shows_the_last_four_renumbered() -> None:
    game = five()
    for _ in range(3):
        finish_round(game)  # everyone shuttles between Cafeteria and Admin
    lines = section(block(game, 0), "Observation history:")
    assert [line.split(". ", 1)[0] for line in lines] == ["1", "2", "3", "4"]
    expected_tail = seen_actions(game, 0)[-4:]
    assert [line.split(". ", 1)[1] for line in lines] == [
        f"Timestep {o.clock.timestep}: [task] {game.names[o.actor]} {o.action.text}"
        for o in expected_tail
    ]
    assert len(game.players[0].observations) > 4


def test_action_history_shows_the_last_four_without_numbers() -> None:
    game = five()
    for _ in range(6):
        finish_round(game)
    lines = section(block(game, 0), "Action history:")
    assert lines == [
        "Timestep 2: [task phase] MOVE from Cafeteria to Admin",
        "Timestep 3: [task phase] MOVE from Admin to Cafeteria",
        "Timestep 4: [task phase] MOVE from Cafeteria to Admin",
        "Timestep 5: [task phase] MOVE from Admin to Cafeteria",
    ]


# ---------------------------------------------------------------------- tags (§6.3, §6.7)
def test_others_see_task_tags_and_own_history_says_task_phase() -> None:
    game = five()
    play(game, move("Cafeteria", "Admin"))
    assert section(block(game, 1), "Observation history:") == [
        "1. Timestep 0: [task] Player 1: red MOVE from Cafeteria to Admin"
    ]
    assert section(block(game, 0), "Action history:") == [
        "Timestep 0: [task phase] MOVE from Cafeteria to Admin"
    ]


def test_a_real_task_shows_in_full_only_in_its_doers_own_history() -> None:
    game = five()
    play(game, "COMPLETE FAKE TASK - Fix Wiring", "COMPLETE TASK - Fix Wiring")
    assert section(block(game, 0), "Action history:") == [
        "Timestep 0: [task phase] Seemingly doing task"
    ]
    assert section(block(game, 1), "Action history:") == [
        "Timestep 0: [task phase] COMPLETE TASK - Fix Wiring"
    ]
    assert section(block(game, 2), "Observation history:") == [
        "1. Timestep 0: [task] Player 1: red Seemingly doing task",
        "2. Timestep 0: [task] Player 2: blue Seemingly doing task",
    ]


def test_a_meeting_call_is_recorded_as_round_zero_of_the_meeting() -> None:
    game = five()
    play(game, move("Cafeteria", "Admin"), EMERGENCY)  # blue calls
    assert section(block(game, 1), "Action history:")[-1] == (
        f"Timestep 0: [meeting phase - round 0] {EMERGENCY}"
    )
    # Those in the caller's room hear it as a task-phase action.
    assert (
        f"Timestep 0: [task] Player 2: blue {EMERGENCY}"
        in section(block(game, 2), "Observation history:")[-1]
    )
    assert not any(EMERGENCY in line for line in section(block(game, 0), "Observation history:"))


def test_meeting_messages_carry_the_round() -> None:
    game = five()
    play(game, EMERGENCY, "SPEAK: hello")
    assert section(block(game, 1), "Observation history:")[-1] == (
        "2. Timestep 1: [meeting phase - round 0] Player 1: red SPEAK: hello"
    )
    assert (
        section(block(game, 0), "Action history:")[-1]
        == "Timestep 1: [meeting phase - round 0] SPEAK: hello"
    )


def test_a_kill_is_seen_in_full_by_everyone_in_the_room_victim_included() -> None:
    game = five()
    play(game, kill(game, 4))
    expected = "Timestep 0: [task] Player 1: red KILL Player 5: orange"
    for seat in range(1, 5):
        assert section(block(game, seat), "Observation history:")[-1].endswith(expected)


def test_speech_stays_on_one_line() -> None:
    game = five()
    play(game, EMERGENCY, "SPEAK: I was\nin   Admin", "SPEAK:")
    assert section(block(game, 2), "Observation history:")[-2:] == [
        "2. Timestep 1: [meeting phase - round 0] Player 1: red SPEAK: I was in Admin",
        "3. Timestep 1: [meeting phase - round 0] Player 2: blue SPEAK: ...",
    ]


def test_a_body_keeps_hearing_what_happens_in_its_room() -> None:
    game = five()
    play(game, kill(game, 4), "COMPLETE TASK - Fix Wiring")
    assert section(block(game, 4), "Observation history:")[-2:] == [
        "1. Timestep 0: [task] Player 1: red KILL Player 5: orange",
        "2. Timestep 0: [task] Player 2: blue Seemingly doing task",
    ]


def test_the_dead_hear_every_speech_and_vote_of_a_meeting() -> None:
    game = five()
    play(game, kill(game, 4), EMERGENCY)
    hold_meeting(game)
    heard = [o.action.text for o in seen_actions(game, 4) if o.clock.timestep == 1]
    assert heard == ["SPEAK: ..."] * 12 + [f"VOTE {game.names[s]}" for s in (1, 2, 3, 0)]


# ---------------------------------------------------------------------- stale messages (§6.2)
def test_the_first_actor_of_a_timestep_sees_the_previous_game_time() -> None:
    game = five()
    finish_round(game)
    assert game.timestep == 1 and game.current_seat == 0
    assert header(game)[0] == "Game Time: 0/50"
    play(game, move("Admin", "Cafeteria"))
    assert header(game)[0] == "Game Time: 1/50"


def test_meeting_round_labels_are_stale_for_each_rounds_first_speaker() -> None:
    game = five()
    play(game, EMERGENCY)
    labels: list[tuple[int, str]] = []
    while not game.is_over and game.timestep == 1:
        labels.append((game.current_seat, header(game)[1]))
        game.step(
            "SPEAK: ..."
            if not game.is_voting
            else f"VOTE {game.names[(game.current_seat + 1) % 5]}"
        )
    label = "Current phase: Meeting phase - Discussion round ({}/3)"
    expected = [(0, label.format(0))] + [(s, label.format(0)) for s in range(1, 5)]
    expected += [(0, label.format(0))] + [(s, label.format(1)) for s in range(1, 5)]
    expected += [(0, label.format(1))] + [(s, label.format(2)) for s in range(1, 5)]
    expected += [(0, label.format(2))] + [(s, label.format(3)) for s in range(1, 5)]
    assert labels == expected


def test_the_meeting_block_starts_in_cafeteria_at_the_meeting_timestep() -> None:
    game = five()
    finish_round(game)  # everyone in Admin
    act(game, 0, kill(game, 1))
    play(game, "REPORT DEAD BODY at Admin")
    text = block(game)
    assert text.startswith(
        "Game Time: 2/50\nCurrent phase: Meeting phase - Discussion round (0/3)\n"
    )
    assert (
        "Current Location: Cafeteria\nPlayers in Cafeteria: Player 1: red, Player 3: green, "
        in text
    )
    assert "Player 2: blue" not in text.split("\n\n")[1]  # a reported body is not listed


def test_after_a_meeting_the_first_actor_sees_the_meeting_timestep_in_the_task_phase() -> None:
    game = five()
    play(game, EMERGENCY)
    hold_meeting(game)
    assert game.timestep == 2
    assert header(game) == ["Game Time: 1/50", "Current phase: Task phase"]


def test_a_reported_body_keeps_its_last_location_message() -> None:
    game = five()
    finish_round(game)  # everyone in Admin
    act(game, 0, kill(game, 1))
    before = mask_phase_instruction(block(game, 1)).split("\n\n")[:2]
    play(game, "REPORT DEAD BODY at Admin")
    hold_meeting(game)
    after = mask_phase_instruction(block(game, 1)).split("\n\n")[:2]
    assert after == before
    assert after[1] == (
        "Current Location: Admin\n"
        "Players in Admin: Player 1: red, Player 3: green, Player 4: pink, Player 5: orange, "
        "Player 2: blue (dead)"
    )


def test_an_unreported_body_still_receives_location_messages() -> None:
    game = five()
    play(game, kill(game, 4))  # orange lies in Cafeteria
    finish_round(game)  # blue, green, pink walk to Admin
    assert "Players in Cafeteria: Player 1: red, Player 5: orange (dead)" in block(game, 4)
    play(game, move("Cafeteria", "Admin"))
    assert "Players in Cafeteria: Player 5: orange (dead)\n" in block(game, 4)


# ---------------------------------------------------------------------- task list and paths (§6.6)
@pytest.mark.parametrize(
    ("role", "task", "path"),
    [
        ("Crewmate", FIX_WIRING_ELECTRICAL, "Cafeteria->Admin->Electrical"),
        ("Impostor", FIX_WIRING_ELECTRICAL, "Cafeteria->Medbay->Electrical"),
        ("Crewmate", ("Fix Wiring", "Security"), "Cafeteria->Upper Engine->Security"),
        ("Impostor", ("Fix Wiring", "Security"), "Cafeteria->Medbay->Security"),
        ("Crewmate", ("Fix Wiring", "Navigation"), "Cafeteria->Weapons->Navigation"),
        ("Impostor", ("Fix Wiring", "Navigation"), "Cafeteria->Weapons->Navigation"),
        ("Crewmate", ("Swipe Card", "Admin"), "Cafeteria->Admin"),
        ("Crewmate", FIX_WIRING_CAFETERIA, "You are already at the task location."),
        ("Impostor", FIX_WIRING_CAFETERIA, "You are already at the task location."),
    ],
)
def test_paths_follow_the_role_table(role: str, task: tuple[str, str], path: str) -> None:
    me = impostor("red", task) if role == "Impostor" else crewmate("red", task)
    others = [crewmate("blue", task), crewmate("green", task)] + (
        [] if role == "Impostor" else [impostor("pink", task)]
    )
    game = new_game(me, *others)
    assert section(block(game, 0), "Your Assigned Tasks:") == [
        f"1. common: {task[0]} ({task[1]}) ",
        f"Path: {path}",
    ]


def test_a_completed_task_keeps_its_path() -> None:
    game = five()
    play(game, move("Cafeteria", "Admin"), "COMPLETE TASK - Fix Wiring")
    idle_until(game, 1)
    play(game, move("Cafeteria", "Admin"))
    assert section(block(game, 1), "Your Assigned Tasks:") == [
        "1. common: Fix Wiring (Cafeteria) [completed]",
        "Path: Admin->Cafeteria",
        "2. short: Upload Data (Admin) ",
        "Path: You are already at the task location.",
    ]


def _corridor_neighbours() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {room: set() for room in ROOMS}
    for a, b in CORRIDORS:
        graph[a].add(b)
        graph[b].add(a)
    return graph


def _hops(graph: dict[str, set[str]], source: str) -> dict[str, int]:
    distance = {source: 0}
    queue = deque([source])
    while queue:
        room = queue.popleft()
        for n in graph[room]:
            if n not in distance:
                distance[n] = distance[room] + 1
                queue.append(n)
    return distance


def _weighted(source: str) -> dict[str, int]:
    graph = _corridor_neighbours()
    weight = {frozenset(p): 1 for p in CORRIDORS} | {frozenset(p): 100 for p in VENTS}
    for a, b in VENTS:
        graph[a].add(b)
        graph[b].add(a)
    distance = {source: 0}
    heap = [(0, source)]
    while heap:
        d, room = heapq.heappop(heap)
        if d > distance[room]:
            continue
        for n in graph[room]:
            nd = d + weight[frozenset((room, n))]
            if nd < distance.get(n, 1 << 30):
                distance[n] = nd
                heapq.heappush(heap, (nd, n))
    return distance


@pytest.mark.parametrize("source", ROOMS)
def test_every_path_is_a_shortest_walk_for_its_role(source: str) -> None:
    corridors = _corridor_neighbours()
    with_vents = {room: set(ns) for room, ns in corridors.items()}
    for a, b in VENTS:
        with_vents[a].add(b)
        with_vents[b].add(a)
    crew_distance = _weighted(source)
    impostor_distance = _hops(with_vents, source)
    for target in ROOMS:
        crew = shortest_path(source, target, impostor=False)
        imp = shortest_path(source, target, impostor=True)
        assert crew[0] == imp[0] == source and crew[-1] == imp[-1] == target
        assert all(b in corridors[a] for a, b in pairwise(crew)), crew
        assert all(b in with_vents[a] for a, b in pairwise(imp)), imp
        assert len(crew) - 1 == crew_distance[target]
        assert len(imp) - 1 == impostor_distance[target]


def test_impostor_paths_differ_from_crewmate_paths_in_34_pairs() -> None:
    differing = [
        (a, b)
        for a in ROOMS
        for b in ROOMS
        if shortest_path(a, b, impostor=True) != shortest_path(a, b, impostor=False)
    ]
    assert len(differing) == 34


# ---------------------------------------------------------------------- phase instruction
@pytest.mark.parametrize("rounds", [1, 2, 3, 5])
def test_the_meeting_instruction_follows_the_configured_rounds(rounds: int) -> None:
    game = five(discussion_rounds=rounds)
    play(game, EMERGENCY)
    lines = block(game).split("\n")
    assert lines[1] == f"Current phase: Meeting phase - Discussion round (0/{rounds})"
    instruction = "\n".join(lines[2 : lines.index("", 2)])
    assert instruction
    assert f"{rounds} round" in instruction
    assert all(f"{n} round" not in instruction for n in range(1, 10) if n != rounds)


def test_the_task_instruction_is_present_and_followed_by_an_empty_line() -> None:
    lines = block(five()).split("\n")
    assert lines[1] == "Current phase: Task phase"
    end = lines.index("", 2)
    assert end > 2  # one or two instruction lines
    assert lines[end + 1] == "Current Location: Cafeteria"


def test_the_block_ends_right_after_the_last_action() -> None:
    text = block(five(), 1)
    assert text.endswith(f"\n5. {EMERGENCY}\n6. COMPLETE TASK - Fix Wiring\n")
    assert not text.endswith("\n\n")


def test_a_game_without_discussion_says_so_in_the_meeting_instruction() -> None:
    game = five(discussion_rounds=0)
    play(game, EMERGENCY)  # the meeting goes straight to the vote
    instruction = block(game).split("\n")[2]
    assert "no discussion" in instruction and "0 rounds" not in instruction
