"""Set-up and configuration (RULES §1.6, §2, §9.1): presets, validation, seeding, scenarios."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from amongagents import (
    CREWMATE,
    IMPOSTOR,
    PRESETS,
    SEVEN_MEMBER_GAME,
    ConfigError,
    Game,
    GameConfig,
    GameOverError,
    WinCode,
    resolve_config,
)
from amongagents.tasks import TaskType
from tests.engine.helpers import (
    FIX_WIRING_CAFETERIA,
    SWIPE_CARD_ADMIN,
    UPLOAD_DATA_ADMIN,
    act,
    config,
    crewmate,
    impostor,
    new_game,
    play_randomly,
)

CONFIG_KEYS = (
    "num_players",
    "num_impostors",
    "num_common_tasks",
    "num_short_tasks",
    "num_long_tasks",
    "discussion_rounds",
    "max_num_buttons",
    "kill_cooldown",
    "max_timesteps",
)


def five_member_dict(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = PRESETS["five_member"].to_dict()
    values.update(changes)
    return values


def setup_of(game: Game) -> list[tuple[str, str, tuple[tuple[str, str], ...]]]:
    """Who sits where: (colour, identity, tasks) per seat."""
    return [
        (p.color, p.identity, tuple((t.spot.name, t.spot.room) for t in p.tasks))
        for p in game.players
    ]


# ---------------------------------------------------------------------- presets (§1.6)
@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("sample_five_member", (3, 1, 1, 1, 0, 3, 2, 1, 5)),
        ("five_member", (5, 1, 1, 1, 0, 3, 2, 3, 50)),
        ("seven_member", (7, 2, 1, 1, 1, 3, 2, 3, 50)),
    ],
)
def test_preset_values(preset: str, expected: tuple[int, ...]) -> None:
    assert PRESETS[preset].to_dict() == dict(zip(CONFIG_KEYS, expected, strict=True))


@pytest.mark.parametrize(
    ("name", "preset"),
    [
        ("five_member", "five_member"),
        ("FIVE_MEMBER_GAME", "five_member"),
        ("seven-member", "seven_member"),
        ("SAMPLE_FIVE_MEMBER_GAME", "sample_five_member"),
    ],
)
def test_presets_resolve_by_reference_name(name: str, preset: str) -> None:
    assert resolve_config(name) == PRESETS[preset]


def test_the_default_game_is_seven_member() -> None:
    assert resolve_config(None) == SEVEN_MEMBER_GAME
    assert Game(seed=0).config == SEVEN_MEMBER_GAME


def test_a_config_dict_builds_the_same_config_as_the_preset() -> None:
    assert Game(five_member_dict(), seed=0).config == PRESETS["five_member"]


def test_numpy_integers_in_a_config_are_integers() -> None:
    """A config swept with numpy is the same config, kept as plain ints (for logs and JSON)."""
    swept = {key: np.int64(value) for key, value in five_member_dict().items()}
    config = Game(swept, seed=0).config
    assert config == PRESETS["five_member"]
    assert all(type(value) is int for value in config.to_dict().values())


# ---------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"num_players": 1}, "num_players"),
        ({"num_players": 13}, "num_players"),  # only 12 colours
        ({"num_impostors": 0}, "num_impostors"),
        ({"num_impostors": 5}, "num_impostors"),  # impostors >= players
        ({"num_impostors": 6}, "num_impostors"),
        ({"num_common_tasks": -1}, "num_common_tasks"),
        ({"num_short_tasks": 8}, "num_short_tasks"),  # 4 crewmates cannot share 22 shorts 8 each
        ({"num_long_tasks": 4}, "num_long_tasks"),  # nor 11 longs 4 each
        ({"discussion_rounds": -1}, "discussion_rounds"),
        ({"max_num_buttons": -1}, "max_num_buttons"),
        ({"kill_cooldown": -1}, "kill_cooldown"),
        ({"max_timesteps": 0}, "max_timesteps"),
    ],
)
def test_a_bad_value_is_rejected_naming_the_key(changes: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        Game(five_member_dict(**changes), seed=0)


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"num_players": "5"}, "num_players"),
        ({"kill_cooldown": 2.5}, "kill_cooldown"),
        ({"max_num_buttons": True}, "max_num_buttons"),  # a bool is not a count
        ({"max_timesteps": None}, "max_timesteps"),
    ],
)
def test_a_value_of_the_wrong_type_is_rejected_naming_the_key(
    changes: dict[str, Any], key: str
) -> None:
    with pytest.raises(ConfigError, match=key):
        Game(five_member_dict(**changes), seed=0)


@pytest.mark.parametrize("key", CONFIG_KEYS)
def test_a_missing_key_is_rejected_naming_it(key: str) -> None:
    values = five_member_dict()
    del values[key]
    with pytest.raises(ConfigError, match=key):
        Game(values, seed=0)


def test_an_unknown_key_is_rejected_naming_it() -> None:
    with pytest.raises(ConfigError, match="num_sabotages"):
        Game(five_member_dict(num_sabotages=1), seed=0)


@pytest.mark.parametrize("bad", [42, ["five_member"], "ten_member"])
def test_something_that_is_no_config_is_rejected(bad: Any) -> None:
    with pytest.raises(ConfigError):
        Game(bad, seed=0)


def test_a_game_config_is_validated_when_built_directly() -> None:
    with pytest.raises(ConfigError, match="num_players"):
        GameConfig(num_players=13)


@pytest.mark.parametrize(
    "pool_key, counts", [("num_long_tasks", range(12)), ("num_short_tasks", range(23))]
)
def test_a_config_either_fails_validation_or_sets_up_for_every_seed(
    pool_key: str, counts: range
) -> None:
    """§9.1: pool exhaustion must be caught by validating the config, not by some seeds.

    Impostors draw (and discard) from the pools too (RULES §2 step 6.3), so an impostor seated
    after every crewmate needs a candidate left: the largest accepted counts are the tight cases.
    """
    failing = []
    for players in range(3, 13):
        for count in counts:
            values = five_member_dict(num_players=players, **{pool_key: count})
            try:
                GameConfig.from_dict(values)
            except ConfigError:
                continue
            for seed in range(15):
                try:
                    Game(values, seed=seed)
                except ConfigError:
                    failing.append((players, count, seed))
    assert failing == [], (
        f"accepted configs that cannot be set up (players, {pool_key}, seed): {failing}"
    )


# ---------------------------------------------------------------------- seeding
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_the_same_seed_gives_the_same_setup(preset: str) -> None:
    for seed in range(5):
        assert setup_of(Game(preset, seed=seed)) == setup_of(Game(preset, seed=seed))


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_different_seeds_give_different_setups(preset: str) -> None:
    setups = {tuple(setup_of(Game(preset, seed=seed))) for seed in range(6)}
    assert len(setups) > 1


@pytest.mark.parametrize("seed", [-1, -123])
def test_a_negative_seed_is_refused(seed: int) -> None:
    # random.Random would seed with abs(seed): -s would silently replay the game of s.
    with pytest.raises(ValueError, match="non-negative"):
        Game("five_member", seed=seed)


def test_the_same_seed_gives_the_same_game() -> None:
    def played(seed: int) -> dict[str, Any]:
        game = Game("seven_member", seed=seed)
        play_randomly(game, random.Random(99))
        return game.event_log()

    assert played(5) == played(5)


def numpy_global_state() -> tuple[object, ...]:
    state = np.random.get_state(legacy=False)
    assert isinstance(state, dict)
    mt = state["state"]
    return (
        state["bit_generator"],
        mt["key"].tolist(),
        mt["pos"],
        state["has_gauss"],
        state["gauss"],
    )


def _seeded_game_log() -> dict[str, Any]:
    game = Game("seven_member", seed=11)
    play_randomly(game, random.Random(4))
    return game.event_log()


def test_seeding_the_global_generators_does_not_change_a_seeded_game() -> None:
    random.seed(1)
    np.random.seed(1)
    first = _seeded_game_log()
    random.seed(2)
    np.random.seed(2)
    second = _seeded_game_log()
    assert first == second


@pytest.mark.parametrize("seed", [3, None])
def test_playing_a_game_leaves_the_global_generators_alone(seed: int | None) -> None:
    random.seed(123)
    np.random.seed(123)
    python_state = random.getstate()
    numpy_state = numpy_global_state()
    for _ in range(3):
        game = Game("seven_member", seed=seed)
        play_randomly(game, random.Random(7))
    assert random.getstate() == python_state
    assert numpy_global_state() == numpy_state


# ---------------------------------------------------------------------- set-up facts (§2)
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_everyone_starts_alive_in_cafeteria(preset: str) -> None:
    for seed in range(10):
        for p in Game(preset, seed=seed).players:
            assert (p.location, p.alive, p.reported_death) == ("Cafeteria", True, False)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_roles_follow_the_config(preset: str) -> None:
    for seed in range(10):
        game = Game(preset, seed=seed)
        identities = [p.identity for p in game.players]
        assert identities.count(IMPOSTOR) == game.config.num_impostors
        assert identities.count(CREWMATE) == game.config.num_crewmates
        assert len({p.color for p in game.players}) == game.config.num_players
        assert [p.name for p in game.players] == [
            f"Player {i + 1}: {p.color}" for i, p in enumerate(game.players)
        ]


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_impostors_start_with_kill_cooldown_zero(preset: str) -> None:
    for seed in range(10):
        game = Game(preset, seed=seed)
        assert all(p.kill_cooldown == 0 for p in game.players if p.is_impostor)


def test_an_impostor_holds_its_own_copies_of_the_common_tasks() -> None:
    for seed in range(20):
        game = Game(config("seven_member", num_common_tasks=2), seed=seed)
        crew = [p for p in game.players if not p.is_impostor]
        commons = [t.spot for t in crew[0].tasks if t.spot.type is TaskType.COMMON]
        for p in game.players:
            if p.is_impostor:
                assert [t.spot for t in p.tasks] == commons
                others = [t for q in game.players if q is not p for t in q.tasks]
                assert all(t is not o for t in p.tasks for o in others)


def test_a_crewmate_lists_commons_then_shorts_then_longs() -> None:
    cfg = config("seven_member", num_common_tasks=2, num_short_tasks=2, num_long_tasks=2)
    expected = [TaskType.COMMON] * 2 + [TaskType.SHORT] * 2 + [TaskType.LONG] * 2
    for seed in range(20):
        game = Game(cfg, seed=seed)
        for p in game.players:
            if not p.is_impostor:
                assert [t.spot.type for t in p.tasks] == expected


def test_everyone_gets_the_same_common_tasks() -> None:
    for seed in range(20):
        game = Game(config("seven_member", num_common_tasks=2), seed=seed)
        commons = {
            tuple(t.spot for t in p.tasks if t.spot.type is TaskType.COMMON) for p in game.players
        }
        assert len(commons) == 1


def test_short_and_long_tasks_are_never_shared_between_crewmates() -> None:
    cfg = config("seven_member", num_short_tasks=3, num_long_tasks=2)
    for seed in range(30):
        game = Game(cfg, seed=seed)
        holders: dict[Any, int] = {}
        for p in game.players:
            if p.is_impostor:
                continue
            for t in p.tasks:
                if t.spot.type is not TaskType.COMMON:
                    assert holders.setdefault(t.spot, p.seat) == p.seat, (
                        f"seed {seed}: {t.spot} shared"
                    )


def test_common_tasks_are_per_player_copies() -> None:
    for seed in range(10):
        game = Game("seven_member", seed=seed)
        commons = [t for p in game.players for t in p.tasks if t.spot.type is TaskType.COMMON]
        assert len({id(t) for t in commons}) == len(commons)


def test_completing_my_common_task_does_not_complete_yours() -> None:
    game = new_game(
        crewmate("red", FIX_WIRING_CAFETERIA),
        crewmate("blue", FIX_WIRING_CAFETERIA),
        crewmate("green", FIX_WIRING_CAFETERIA),
        impostor("pink", FIX_WIRING_CAFETERIA),
    )
    act(game, 0, "COMPLETE TASK - Fix Wiring")
    assert game.players[0].tasks[0].completed
    assert not game.players[1].tasks[0].completed
    assert "COMPLETE TASK - Fix Wiring" in game.legal_action_strings()  # seat 1's turn now


# ---------------------------------------------------------------------- scenarios
def test_a_scenario_fixes_colours_roles_and_tasks() -> None:
    cast = [
        crewmate("lime", FIX_WIRING_CAFETERIA, UPLOAD_DATA_ADMIN),
        impostor("red", FIX_WIRING_CAFETERIA),
        crewmate("cyan", FIX_WIRING_CAFETERIA, ("Submit Scan", "Medbay")),
        crewmate("white", SWIPE_CARD_ADMIN),
        crewmate("brown", FIX_WIRING_CAFETERIA, ("Empty Garbage", "Storage")),
    ]
    for seed in range(3):
        game = Game("five_member", seed=seed, scenario=cast)
        assert setup_of(game) == [
            (c["color"], c["role"], tuple(tuple(t) for t in c["tasks"])) for c in cast
        ]


def test_a_scenario_accepts_the_reference_player_records() -> None:
    game = Game(
        "sample_five_member",
        seed=0,
        scenario=[
            {
                "name": "Player 1: red",
                "color": "red",
                "identity": "Impostor",
                "tasks": [["Fix Wiring", "Admin"]],
            },
            {
                "name": "Player 2: blue",
                "color": "blue",
                "identity": "Crewmate",
                "tasks": [["Fix Wiring", "Admin"]],
            },
            {
                "name": "Player 3: green",
                "color": "green",
                "identity": "Crewmate",
                "tasks": [["Fix Wiring", "Admin"]],
            },
        ],
    )
    assert [p.identity for p in game.players] == [IMPOSTOR, CREWMATE, CREWMATE]


@pytest.mark.parametrize(
    ("preset", "roles"),
    [
        ("five_member", [{"role": "Impostor"}, {}, {}, {}, {}]),
        ("five_member", [{"role": "Crewmate"}, {"role": "crewmate"}, {}, {}, {}]),
        ("seven_member", [{"role": "Impostor"}, {}, {}, {}, {}, {}, {}]),
        (
            "seven_member",
            [{}, {"role": "Crewmate"}, {"role": "Crewmate"}, {}, {}, {}, {"role": "Crewmate"}],
        ),
    ],
)
def test_a_partial_scenario_keeps_the_impostor_count(
    preset: str, roles: list[dict[str, str]]
) -> None:
    for seed in range(10):
        game = Game(preset, seed=seed, scenario=roles)
        assert sum(p.is_impostor for p in game.players) == game.config.num_impostors
        for p, given in zip(game.players, roles, strict=True):
            if "role" in given:
                assert p.identity.lower() == given["role"].lower()
        assert len({p.color for p in game.players}) == game.config.num_players
        assert all(p.tasks for p in game.players)


FIVE_CAST = [
    crewmate("red"),
    crewmate("blue"),
    crewmate("green"),
    crewmate("pink"),
    impostor("lime"),
]


def _with(seat: int, **changes: Any) -> list[dict[str, Any]]:
    cast = [dict(c) for c in FIVE_CAST]
    cast[seat].update(changes)
    return cast


@pytest.mark.parametrize(
    "scenario",
    [
        pytest.param(FIVE_CAST[:4], id="too-few-players"),
        pytest.param(FIVE_CAST + [crewmate("white")], id="too-many-players"),
        pytest.param(_with(0, color="mauve"), id="unknown-colour"),
        pytest.param(_with(0, color="blue"), id="duplicate-colours"),
        pytest.param(_with(0, role="Ghost"), id="unknown-role"),
        pytest.param(_with(0, role="Impostor"), id="two-impostors-for-one"),
        pytest.param(_with(4, role="Crewmate"), id="no-impostor"),
        pytest.param(_with(0, tasks=[["Dance", "Cafeteria"]]), id="unknown-task-of-a-crewmate"),
        pytest.param(_with(4, tasks=[["Dance", "Cafeteria"]]), id="unknown-task-of-an-impostor"),
        pytest.param(_with(0, tasks=[["Fix Wiring", "Narnia"]]), id="unknown-room"),
        pytest.param(_with(0, tasks=[["Fix Wiring", "Weapons"]]), id="task-not-in-that-room"),
        pytest.param(_with(0, hat="tall"), id="unknown-key"),
        pytest.param(_with(0, role=5), id="role-not-a-string"),
        pytest.param(_with(0, color=["red"]), id="colour-not-a-string"),
        pytest.param(_with(0, tasks=[["Fix Wiring"]]), id="task-without-its-room"),
        pytest.param(_with(0, tasks="Fix Wiring"), id="tasks-not-a-list"),
        pytest.param(_with(0, tasks=[["Fix Wiring", 3]]), id="task-room-not-a-string"),
        pytest.param([1, 2, 3, 4, 5], id="players-not-mappings"),
        pytest.param(7, id="scenario-not-a-list"),
        pytest.param(
            [
                {**c, "tasks": [["Upload Data", "Admin"]]} if i in (1, 2) else c
                for i, c in enumerate(FIVE_CAST)
            ],
            id="one-short-task-for-two-crewmates",
        ),
    ],
)
def test_a_bad_scenario_is_rejected(scenario: list[dict[str, Any]]) -> None:
    with pytest.raises(ConfigError):
        Game("five_member", seed=0, scenario=scenario)


# ---------------------------------------------------------------------- instant result
@pytest.mark.parametrize(("players", "impostors"), [(4, 2), (2, 1), (6, 3)])
def test_impostors_at_parity_win_before_the_first_step(players: int, impostors: int) -> None:
    game = Game(config(num_players=players, num_impostors=impostors), seed=0)
    assert game.winner is WinCode.IMPOSTORS_OUTNUMBER
    assert int(game.winner) == 1
    assert game.is_over
    assert game.timestep == 0
    assert game.legal_actions() == []
    with pytest.raises(GameOverError):
        game.step("MOVE from Cafeteria to Admin")
