"""Reading answers: sections, and the tolerant mapping of an action text to a legal action.

Each table row reads like the rule: an answer, the legal actions, the action played.
"""

from __future__ import annotations

import pytest

from amongagents import actions as act
from amongagents.tasks import TaskSpot
from amongus_marl.policies.llm_prompts import (
    ActionMatch,
    fallback_action,
    match_action,
    match_reply,
    match_room,
    parse_reply,
)

TASK_PHASE_IN_CAFETERIA = (
    act.move("Cafeteria", "Admin"),
    act.move("Cafeteria", "Weapons"),
    act.move("Cafeteria", "Upper Engine"),
    act.move("Cafeteria", "Medbay"),
    act.call_meeting("Cafeteria"),
    act.kill(1, "Player 2: green"),
    act.kill(2, "Player 3: blue"),
    act.complete_fake_task(TaskSpot("Fix Wiring", "Cafeteria")),
)
IN_SECURITY = (
    act.move("Security", "Lower Engine"),
    act.move("Security", "Reactor"),
    act.move("Security", "Upper Engine"),
    act.VIEW_MONITOR,
    act.vent("Security", "Electrical"),
    act.vent("Security", "Medbay"),
)
DISCUSSION = (act.SPEAK_DEFAULT,)
VOTING_OF_TWELVE = (
    act.vote(1, "Player 2: blue"),
    act.vote(4, "Player 5: orange"),
    act.vote(11, "Player 12: lime"),
)
VOTING = (
    act.vote(0, "Player 1: red"),
    act.vote(2, "Player 3: blue"),
    act.vote(3, "Player 4: pink"),
)

MATCHES = [
    # (answer's action text, legal actions, action played, how)
    (
        "MOVE from Cafeteria to Admin",
        TASK_PHASE_IN_CAFETERIA,
        "MOVE from Cafeteria to Admin",
        "exact",
    ),
    ("  KILL Player 3: blue  ", TASK_PHASE_IN_CAFETERIA, "KILL Player 3: blue", "exact"),
    (
        "move FROM cafeteria   to  admin.",
        TASK_PHASE_IN_CAFETERIA,
        "MOVE from Cafeteria to Admin",
        "normalized",
    ),
    (
        "**MOVE from Cafeteria to Medbay**",
        TASK_PHASE_IN_CAFETERIA,
        "MOVE from Cafeteria to Medbay",
        "exact",
    ),
    ("`KILL Player 2: green`", TASK_PHASE_IN_CAFETERIA, "KILL Player 2: green", "exact"),
    (
        "Action: MOVE from Cafeteria to Weapons",
        TASK_PHASE_IN_CAFETERIA,
        "MOVE from Cafeteria to Weapons",
        "exact",
    ),
    (
        "3. MOVE from Cafeteria to Upper Engine",
        TASK_PHASE_IN_CAFETERIA,
        "MOVE from Cafeteria to Upper Engine",
        "normalized",
    ),
    ("(6) KILL Player 2: green", TASK_PHASE_IN_CAFETERIA, "KILL Player 2: green", "normalized"),
    (
        "- COMPLETE FAKE TASK - Fix Wiring",
        TASK_PHASE_IN_CAFETERIA,
        "COMPLETE FAKE TASK - Fix Wiring",
        "exact",
    ),
    ("5", TASK_PHASE_IN_CAFETERIA, "CALL MEETING using the emergency button at Cafeteria", "index"),
    ("2.", TASK_PHASE_IN_CAFETERIA, "MOVE from Cafeteria to Weapons", "index"),
    (
        "I will KILL Player 3: blue while nobody watches.",
        TASK_PHASE_IN_CAFETERIA,
        "KILL Player 3: blue",
        "contains",
    ),
    ("KILL Player 3", TASK_PHASE_IN_CAFETERIA, "KILL Player 3: blue", "contained"),
    ("kill green", TASK_PHASE_IN_CAFETERIA, "KILL Player 2: green", "words"),
    (
        "MOVE from Cafeteria to Admn",
        TASK_PHASE_IN_CAFETERIA,
        "MOVE from Cafeteria to Admin",
        "fuzzy",
    ),
    (
        "CALL MEETING using the emergency buton",
        TASK_PHASE_IN_CAFETERIA,
        "CALL MEETING using the emergency button at Cafeteria",
        "fuzzy",
    ),
    ("SPEAK: I saw Player 3 vent!", DISCUSSION, "SPEAK: I saw Player 3 vent!", "speak"),
    ('speak - "Red was in Admin with me"', DISCUSSION, "SPEAK: Red was in Admin with me", "speak"),
    ("1. SPEAK: I was in Medbay", DISCUSSION, "SPEAK: I was in Medbay", "speak"),
    ("SPEAK: ...", DISCUSSION, "SPEAK: ...", "exact"),
    ("SPEAK:", DISCUSSION, "SPEAK: ...", "speak"),
    ("1", DISCUSSION, "SPEAK: ...", "index"),
    ("VOTE Player 3: blue", VOTING, "VOTE Player 3: blue", "exact"),
    ("vote player 4 (pink)", VOTING, "VOTE Player 4: pink", "normalized"),
    ("VOTE pink", VOTING, "VOTE Player 4: pink", "words"),
    ("I vote for Player 4: pink", VOTING, "VOTE Player 4: pink", "words"),
    ("VOTE Player 12", VOTING_OF_TWELVE, "VOTE Player 12: lime", "contained"),
    ("VIEW MONITOR", IN_SECURITY, "VIEW MONITOR", "exact"),
    ("VIEW MONITOR Admin", IN_SECURITY, "VIEW MONITOR Admin", "monitor"),
    ("view monitor: lower engine", IN_SECURITY, "VIEW MONITOR Lower Engine", "monitor"),
    ("VIEW MONITOR to watch Electrcal", IN_SECURITY, "VIEW MONITOR Electrical", "monitor"),
    # the room named first is watched, not the longest name in the answer
    ("VIEW MONITOR Admin (Electrical was quiet)", IN_SECURITY, "VIEW MONITOR Admin", "monitor"),
    (
        "VIEW MONITOR Cafeteria, then Electrical next turn",
        IN_SECURITY,
        "VIEW MONITOR Cafeteria",
        "monitor",
    ),
    ("VENT from Security to Medbay", IN_SECURITY, "VENT from Security to Medbay", "exact"),
    # the earliest action mentioned wins, the monitor as any other
    (
        "MOVE from Security to Reactor, not VIEW MONITOR",
        IN_SECURITY,
        "MOVE from Security to Reactor",
        "contains",
    ),
    ("(3)", TASK_PHASE_IN_CAFETERIA, "MOVE from Cafeteria to Upper Engine", "index"),
    # quotes and emphasis come off in pairs only; a quotation may close a message
    ("**SPEAK**: hello", DISCUSSION, "SPEAK: hello", "speak"),
    ("SPEAK: I said 'hi'", DISCUSSION, "SPEAK: I said 'hi'", "speak"),
    ('"SPEAK: hi"', DISCUSSION, "SPEAK: hi", "speak"),
    ("SPEAK: \u201cI was in Admin\u201d", DISCUSSION, "SPEAK: I was in Admin", "speak"),
    (
        'SPEAK: "Red vented," I said. "Trust me."',  # two quotations, not one wrapped message
        DISCUSSION,
        'SPEAK: "Red vented," I said. "Trust me."',
        "speak",
    ),
    ("SPEAK: *sigh* I was in Admin *", DISCUSSION, "SPEAK: *sigh* I was in Admin *", "speak"),
    ("SPEAK: *emphasis*", DISCUSSION, "SPEAK: emphasis", "speak"),
]


@pytest.mark.parametrize(("text", "legal", "played", "how"), MATCHES)
def test_an_action_text_is_matched_to_a_legal_action(text, legal, played, how):
    found = match_action(text, legal)
    assert found is not None, f"{text!r} matched nothing"
    assert (found.action, found.how) == (played, how)


UNUSABLE = [
    # (answer's action text, legal actions): nothing fits, the policy falls back
    ("", TASK_PHASE_IN_CAFETERIA),
    ("%%% ### ~~~", TASK_PHASE_IN_CAFETERIA),
    ("I refuse to play.", TASK_PHASE_IN_CAFETERIA),
    ("MOVE from Cafeteria to Reactor", TASK_PHASE_IN_CAFETERIA),  # not a neighbour
    ("KILL", TASK_PHASE_IN_CAFETERIA),  # which one?
    ("9", TASK_PHASE_IN_CAFETERIA),  # no 9th action
    ("VOTE Player 2: green", DISCUSSION),  # voting is not open yet
    ("I think red is the impostor", DISCUSSION),  # speech must say SPEAK
    ("SPEAK: vote blue", VOTING),  # talking is over
    ("VOTE Player 2: green", VOTING),  # green is not a candidate: no "closest" vote
    ("VOTE Player 5: purple", VOTING),
    ("VOTE Player 1", VOTING_OF_TWELVE),  # not a candidate, and no near miss of Player 12
    ("VOTE Player 1: red", VOTING_OF_TWELVE),
    ("VIEW MONITOR Admin", TASK_PHASE_IN_CAFETERIA),  # not in Security
    # out-of-date moves: their words in another order are not the way back
    ("MOVE from Admin to Cafeteria", TASK_PHASE_IN_CAFETERIA),
    ("MOVE from Medbay to Cafeteria", TASK_PHASE_IN_CAFETERIA),
]


@pytest.mark.parametrize(("text", "legal"), UNUSABLE)
def test_an_unusable_action_text_matches_nothing(text, legal):
    assert match_action(text, legal) is None


def test_the_fuzzy_threshold_is_respected():
    text = "MOVE from Cafeteria to Admn"
    found = match_action(text, TASK_PHASE_IN_CAFETERIA, threshold=0.85)
    assert found is not None and (found.action, found.how) == (
        "MOVE from Cafeteria to Admin",
        "fuzzy",
    )
    assert found.score is not None and 0.85 <= found.score < 0.95
    assert match_action(text, TASK_PHASE_IN_CAFETERIA, threshold=0.95) is None


@pytest.mark.parametrize(
    ("text", "room"),
    [
        ("Admin", "Admin"),
        ("the o2 room", "O2"),
        ("UPPER ENGINE", "Upper Engine"),
        ("Comunications", "Communications"),
        ("", None),
        ("the kitchen", None),
    ],
)
def test_rooms_are_read_tolerantly(text, room):
    assert match_room(text) == room


# ---------------------------------------------------------------------- sections
def test_a_well_formed_answer_has_three_sections():
    reply = parse_reply(
        "[Condensed Memory]\nGreen was in Admin at timestep 3.\n"
        "[Thinking Process]\nNobody is around.\n"
        "[Action]\nKILL Player 2: green"
    )
    assert reply.memory == "Green was in Admin at timestep 3."
    assert reply.thinking == "Nobody is around."
    assert reply.action == "KILL Player 2: green"
    assert reply.structured


def test_sections_tolerate_markdown_case_and_reasoning_blocks():
    reply = parse_reply(
        "<think>long hidden reasoning [Action] MOVE from Cafeteria to Admin</think>\n"
        "**[condensed memory]**:\n- blue vented\n\n### [THINKING PROCESS]\nblue is an impostor\n\n"
        "**[Action]**\n```\nVOTE Player 3: blue\n```\n"
    )
    assert reply.memory == "- blue vented"
    assert reply.thinking == "blue is an impostor"
    assert reply.action == "VOTE Player 3: blue"
    assert match_reply(reply, VOTING) == ActionMatch("VOTE Player 3: blue", "exact")


def test_reasoning_closed_but_never_opened_is_not_the_answer():
    """Chat templates that put ``<think>`` in the prompt leave only its closing tag."""
    reply = parse_reply(
        "Draft: [Action] MOVE from Cafeteria to Admin. Or not.\n</think>\n\n"
        "MOVE from Cafeteria to Weapons"
    )
    assert match_reply(reply, TASK_PHASE_IN_CAFETERIA) == ActionMatch(
        "MOVE from Cafeteria to Weapons", "exact"
    )


def test_speech_may_span_lines_in_the_action_section():
    reply = parse_reply(
        "[Condensed Memory]\nm\n[Thinking Process]\nt\n"
        "[Action]\nSPEAK: I was in Admin.\nBlue was with me."
    )
    assert match_reply(reply, DISCUSSION) == ActionMatch(
        "SPEAK: I was in Admin. Blue was with me.", "speak"
    )


@pytest.mark.parametrize(
    ("answer", "legal", "played"),
    [
        ("[Action]: **SPEAK: I was in Admin**", DISCUSSION, "SPEAK: I was in Admin"),
        ("[Action]:\n**SPEAK: blue is sus**", DISCUSSION, "SPEAK: blue is sus"),
        ("**SPEAK:** I was in Admin", DISCUSSION, "SPEAK: I was in Admin"),
        ("'SPEAK: I'm sure it was red'", DISCUSSION, "SPEAK: I'm sure it was red"),
        ('"SPEAK: I heard "help" in Admin"', DISCUSSION, 'SPEAK: I heard "help" in Admin'),
        ('[Action]: **"SPEAK: I was in Admin"**', DISCUSSION, "SPEAK: I was in Admin"),
        ("[Action]: ```\nSPEAK: I was in Admin\n```", DISCUSSION, "SPEAK: I was in Admin"),
        ("SPEAK: 'I'm in Admin'", DISCUSSION, "SPEAK: I'm in Admin"),
        ("SPEAK: I was in Admin**", DISCUSSION, "SPEAK: I was in Admin"),
        ("[Action]: _2_", TASK_PHASE_IN_CAFETERIA, "MOVE from Cafeteria to Weapons"),
    ],
)
def test_markdown_and_quotes_around_an_answer_come_off(answer, legal, played):
    found = match_reply(parse_reply(answer), legal)
    assert found is not None and found.action == played


def test_a_quotation_closing_a_spoken_message_keeps_its_quote_in_an_action_section():
    reply = parse_reply("[Condensed Memory]\nx\n[Thinking]\ny\n[Action]\nSPEAK: I said 'hi'")
    found = match_reply(reply, DISCUSSION)
    assert found is not None and found.action == "SPEAK: I said 'hi'"


def test_an_answer_without_sections_is_read_from_its_last_action_line():
    reply = parse_reply("Let me think. Admin is close.\nMOVE from Cafeteria to Admin\n")
    assert not reply.structured and reply.memory is None and reply.thinking is None
    assert match_reply(reply, TASK_PHASE_IN_CAFETERIA) == ActionMatch(
        "MOVE from Cafeteria to Admin", "exact"
    )


def test_a_wrong_action_section_is_not_rescued_by_other_text():
    reply = parse_reply("[Thinking Process]\nMOVE from Cafeteria to Admin is good\n[Action]\nDANCE")
    assert reply.structured
    assert match_reply(reply, TASK_PHASE_IN_CAFETERIA) is None


def test_missing_sections_leave_memory_untouched():
    reply = parse_reply("[Action]\nMOVE from Cafeteria to Admin")
    assert (reply.memory, reply.thinking) == (None, None)


# ---------------------------------------------------------------------- fallback
def test_the_fallback_speaks_in_discussions_and_picks_the_drawn_action_otherwise():
    assert fallback_action(DISCUSSION, 0) == "SPEAK: ..."
    assert fallback_action(VOTING, 1) == "VOTE Player 3: blue"
    assert fallback_action(TASK_PHASE_IN_CAFETERIA, 0) == "MOVE from Cafeteria to Admin"


# ---------------------------------------------------------------------- small models
def test_a_one_line_answer_running_on_is_read_from_its_first_line():
    # SmolLM2 answers on its first line, then carries on writing game text.
    reply = parse_reply(
        "(1) CALL MEETING using the emergency button at Cafeteria.\n4. KILL Player 2: green\n"
    )
    assert match_reply(reply, TASK_PHASE_IN_CAFETERIA, from_start=True) == ActionMatch(
        "CALL MEETING using the emergency button at Cafeteria", "normalized"
    )
    assert match_reply(reply, TASK_PHASE_IN_CAFETERIA).action == "KILL Player 2: green"


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ("I was in Admin the whole time.\nPlayer 3 lies.", "I was in Admin the whole time."),
        ('"Blue vented!"', "Blue vented!"),
        ("**I trust red**", "I trust red"),
    ],
)
def test_in_a_discussion_a_free_answer_is_what_the_player_says(answer, said):
    found = match_reply(parse_reply(answer), DISCUSSION)
    assert found == ActionMatch(f"SPEAK: {said}", "speech")


def test_the_speech_rule_is_only_for_discussions_and_only_for_words():
    assert match_reply(parse_reply("I was in Admin the whole time."), VOTING) is None
    assert match_reply(parse_reply("%%% ### ~~~"), DISCUSSION) is None
    long = "word " * 200
    found = match_reply(parse_reply(long), DISCUSSION)
    assert found is not None and len(found.action) == len("SPEAK: ") + 300


@pytest.mark.parametrize(
    ("text", "played"),
    [
        ("VOTE Player 3: blue", "VOTE Player 3: yellow"),
        ("2. vote player 3 (the one in red)", "VOTE Player 3: yellow"),
        ("VOTE Player 9: blue", None),  # no such player to vote for
        ("KILL Player 3: blue", None),  # a kill is not a vote
        ("VOTE Player 3 or Player 4", None),  # two players named
    ],
)
def test_a_vote_by_the_players_number_survives_a_wrong_colour(text, played):
    legal = (act.vote(0, "Player 1: red"), act.vote(2, "Player 3: yellow"))
    found = match_action(text, legal)
    assert (found.action if found else None) == played
    assert found is None or found.how == "player"


ONE_KILL_IN_CAFETERIA = (
    act.move("Cafeteria", "Admin"),
    act.move("Cafeteria", "Weapons"),
    act.call_meeting("Cafeteria"),
    act.kill(4, "Player 5: white"),
)


@pytest.mark.parametrize(
    ("text", "legal", "played"),
    [
        # the one legal action of the verb, its other words garbled (SmolLM2's answers)
        ("KILL PIPER 5: white", ONE_KILL_IN_CAFETERIA, "KILL Player 5: white"),
        (
            "CALL MEETING using the emergency button at Caferead",
            ONE_KILL_IN_CAFETERIA,
            "CALL MEETING using the emergency button at Cafeteria",
        ),
        ("KILL him now", ONE_KILL_IN_CAFETERIA, "KILL Player 5: white"),
        # a number, colour or room the action lacks makes it another action: nothing is taken
        ("KILL Player 3: blue", ONE_KILL_IN_CAFETERIA, None),
        ("KILL PIPER 5: red", ONE_KILL_IN_CAFETERIA, None),
        ("CALL MEETING - Cafeteria to Admin", ONE_KILL_IN_CAFETERIA, None),
        ("MOVE to Reactor", (act.move("Cafeteria", "Admin"),), None),
        # two legal actions have the verb: which one?
        ("KILL PIPER 3: blue", TASK_PHASE_IN_CAFETERIA, None),
        ("MOVE to the kitchen", ONE_KILL_IN_CAFETERIA, None),
        # the verb must open the answer
        ("I will not KILL PIPER 5", ONE_KILL_IN_CAFETERIA, None),
    ],
)
def test_the_only_legal_action_of_a_verb_is_taken_when_nothing_contradicts_it(text, legal, played):
    found = match_action(text, legal)
    assert (found.action if found else None) == played
    assert found is None or found.how == "verb"
