"""The prompts come from the game's config and map objects, and tell each role what it may know."""

from __future__ import annotations

import dataclasses

import pytest

from amongagents import PRESETS, Game
from amongagents.skeld import CORRIDOR_NEIGHBOURS, DECLARED_VENTS, ROOMS, VENTS
from amongus_marl.observations import rules_summary, text_observation
from amongus_marl.policies.llm_prompts import (
    ACTION_HEADER,
    MEMORY_HEADER,
    THINKING_HEADER,
    map_description,
    phase_hint,
    system_prompt,
    user_message,
)


@pytest.fixture
def seven() -> Game:
    return Game("seven_member", seed=11)


def test_every_impostor_is_told_the_whole_team(seven):
    team = [seven.names[s] for s in seven.impostor_seats()]
    assert len(team) == 2
    for seat in seven.impostor_seats():
        prompt = system_prompt(seven, seat)
        assert "You are an IMPOSTOR" in prompt
        for name in team:
            assert name in prompt
        assert f"{seven.names[seat]} (you)" in prompt


def test_a_crewmate_learns_no_one_elses_role(seven):
    for p in seven.players:
        if p.is_impostor:
            continue
        prompt = system_prompt(seven, p.seat)
        assert "You are a CREWMATE" in prompt
        assert "The impostors are" not in prompt
        for other in seven.players:
            if other.seat != p.seat:
                assert other.name not in prompt


def test_the_rules_come_from_the_config():
    config = dataclasses.replace(
        PRESETS["five_member"],
        kill_cooldown=5,
        discussion_rounds=2,
        max_num_buttons=1,
        max_timesteps=40,
    )
    game = Game(config, seed=3)
    impostor = game.impostor_seats()[0]
    prompt = system_prompt(game, impostor)
    assert rules_summary(game) in prompt
    assert "wait 5 turns" in prompt
    assert "2 discussion rounds" in prompt
    assert "The button works 1 time per game" in prompt
    assert "a body can be reported even when none are left" in prompt  # as the engine allows
    assert "timestep 40" in prompt
    crewmate = next(p.seat for p in game.players if not p.is_impostor)
    assert "1 impostor hides among the other 4 players" in system_prompt(game, crewmate)


def test_the_map_lists_every_corridor_and_only_the_three_real_vents():
    description = map_description()
    for room in ROOMS:
        assert f"- {room}: {', '.join(CORRIDOR_NEIGHBOURS[room])}" in description
    vent_line = next(line for line in description.splitlines() if line.startswith("Vents"))
    assert len(VENTS) == 3
    for a, b in VENTS:
        assert f"{a} - {b}" in vent_line
    for a, b in set(DECLARED_VENTS) - set(VENTS):
        assert f"{a} - {b}" not in vent_line and f"{b} - {a}" not in vent_line
    assert "Only Electrical, Security and Medbay have vents" in vent_line


def test_the_answer_format_names_the_three_sections(seven):
    prompt = system_prompt(seven, 0)
    assert prompt.index(MEMORY_HEADER) < prompt.index(THINKING_HEADER) < prompt.index(ACTION_HEADER)


def test_the_user_message_has_the_reference_shape(seven):
    information = text_observation(seven, 0)
    message = user_message(
        information, "red went to Admin", "I should follow red", phase_hint(seven)
    )
    assert message == (
        "Summarization: I should follow red\n\n"
        f"{information.rstrip()}\n\n"
        "Memory: red went to Admin\n\n"
        "Phase: Task phase. Return your output."
    )


def test_the_phase_hint_follows_the_meeting():
    game = Game("five_member", seed=0)
    assert phase_hint(game) == "Task phase"
    game.step("CALL MEETING using the emergency button at Cafeteria")
    assert phase_hint(game) == "Meeting phase, discussion round 1 of 3"
    for _ in range(3 * 5):
        game.step("SPEAK: ...")
    assert game.is_voting
    assert phase_hint(game) == "Meeting phase, voting"


def test_the_seats_prompts_differ_only_after_a_shared_prefix(seven):
    # A local server reuses the prompt prefix it evaluated last, whichever seat asked.
    prompts = [system_prompt(seven, p.seat) for p in seven.players]
    shared = prompts[0][: prompts[0].index("# Your role")]
    assert len(shared) > 0.7 * len(prompts[0])
    for p, prompt in zip(seven.players, prompts, strict=True):
        assert prompt.startswith(shared)
        assert p.name not in shared and p.name in prompt[len(shared) :]


def test_the_compact_prompt_is_short_and_keeps_the_roles_apart(seven):
    from amongus_marl.policies.llm_prompts import compact_system_prompt, compact_user_message

    impostor, mate = seven.impostor_seats()
    crewmate = next(p.seat for p in seven.players if not p.is_impostor)
    full = system_prompt(seven, impostor)
    compact = compact_system_prompt(seven, impostor)
    assert len(compact) < len(full) / 4
    assert "IMPOSTOR" in compact and seven.names[mate] in compact
    crew = compact_system_prompt(seven, crewmate)
    assert "CREWMATE" in crew and seven.names[mate] not in crew
    assert rules_summary(seven) in crew
    assert compact_user_message("info\n").startswith("info\n\nYour action")


def test_a_compact_example_shows_one_line_of_its_own_list_on_a_turn_of_the_real_ones_kind():
    from amongus_marl.policies.llm_prompts import compact_examples, compact_user_message

    game = Game("five_member", seed=0)
    answers = {}
    for turn in ("task", "discussion", "vote"):
        if turn == "discussion":
            game.step("CALL MEETING using the emergency button at Cafeteria")
        if turn == "vote":
            for _ in range(3 * 5):
                game.step("SPEAK: ...")
            assert game.is_voting
        examples = compact_examples(game)
        if turn == "discussion":  # any words are a speech: nothing to show
            assert examples == []
            continue
        asked, answered = examples
        assert (asked["role"], answered["role"]) == ("user", "assistant")
        listed = asked["content"].split("Available actions:\n", 1)[1]
        lines = [line.split(". ", 1)[1] for line in listed.splitlines() if line[:1].isdigit()]
        assert answered["content"] in lines and "\n" not in answered["content"]
        # The request is the real turn's, word for word.
        assert asked["content"] == compact_user_message(asked["content"].rsplit("\n\n", 1)[0])
        answers[turn] = answered["content"].split()[0]
    # A move in the task phase, a vote in a vote: never the other kind's form.
    assert answers == {"task": "MOVE", "vote": "VOTE"}
