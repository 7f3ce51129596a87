"""A scripted-scenario driver for policy tests.

A test fixes the cast (colour, role and tasks of every seat) and then plays the game through the
environment: some seats are played by a policy under test, the others follow a script, one
function per seat that returns a 7vik action string (or None for "idle"). Idle is the first
listed MOVE in the task phase, ``SPEAK: ...`` in discussion, and a vote for the next living seat
in the voting round.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from amongagents.actions import ActionKind
from amongagents.config import PRESETS
from amongagents.game import Game
from amongagents.records import Phase
from amongus_marl import raw_env
from amongus_marl.catalogue import ActionCatalogue
from amongus_marl.policies.base import Policy

TaskPlace = tuple[str, str]
Script = Callable[[Game, int], str | None]  # (game, seat) -> action string, None = idle
Step = str | Script | None  # one scripted turn

FIX_WIRING_CAFETERIA: TaskPlace = ("Fix Wiring", "Cafeteria")
DOWNLOAD_DATA_CAFETERIA: TaskPlace = ("Download Data", "Cafeteria")
FIX_WIRING_ADMIN: TaskPlace = ("Fix Wiring", "Admin")
UPLOAD_DATA_ADMIN: TaskPlace = ("Upload Data", "Admin")  # short: one crewmate's at most
SWIPE_CARD_ADMIN: TaskPlace = ("Swipe Card", "Admin")
FIX_WIRING_ELECTRICAL: TaskPlace = ("Fix Wiring", "Electrical")
DIVERT_POWER_ELECTRICAL: TaskPlace = ("Divert Power", "Electrical")
INSPECT_SAMPLE_MEDBAY: TaskPlace = ("Inspect Sample", "Medbay")  # long: two actions
SUBMIT_SCAN_MEDBAY: TaskPlace = ("Submit Scan", "Medbay")
CHART_COURSE_NAVIGATION: TaskPlace = ("Chart Course", "Navigation")
PRIME_SHIELDS_SHIELDS: TaskPlace = ("Prime Shields", "Shields")

COLORS = ("red", "blue", "green", "pink", "orange", "yellow", "black")


def crewmate(*tasks: TaskPlace, color: str | None = None) -> dict[str, Any]:
    return {"color": color, "role": "Crewmate", "tasks": [list(t) for t in tasks]}


def impostor(*tasks: TaskPlace, color: str | None = None) -> dict[str, Any]:
    return {"color": color, "role": "Impostor", "tasks": [list(t) for t in tasks]}


def cast(*seats: dict[str, Any]) -> list[dict[str, Any]]:
    """Give every seat a distinct colour (in seat order) unless it has one."""
    return [{**seat, "color": seat["color"] or COLORS[i]} for i, seat in enumerate(seats)]


def config_for(seats: Sequence[Mapping[str, Any]], base: str = "five_member") -> dict[str, int]:
    config = PRESETS[base].to_dict()
    config["num_players"] = len(seats)
    config["num_impostors"] = sum(1 for s in seats if s["role"] == "Impostor")
    return config


def idle(game: Game) -> str:
    if game.phase is Phase.TASK:
        return next(a.text for a in game.legal_actions() if a.kind is ActionKind.MOVE)
    if not game.is_voting:
        return "SPEAK: ..."
    living = [p.seat for p in game.players if p.alive]
    me = living.index(game.current_seat)
    return f"VOTE {game.names[living[(me + 1) % len(living)]]}"


def move_to(room: str) -> str:
    """A script step: the MOVE from wherever the seat stands to ``room``."""
    return f"MOVE to {room}"


def _expand(game: Game, text: str) -> str:
    if text.startswith("MOVE to "):
        here = game.players[game.current_seat].location
        return f"MOVE from {here} to {text[len('MOVE to ') :]}"
    return text


@dataclass
class Scenario:
    """A game with a fixed cast, where ``policies`` play some seats and scripts the others."""

    seats: list[dict[str, Any]]
    policies: Mapping[int, Policy]
    scripts: Mapping[int, Sequence[Step] | Script] = field(default_factory=dict)
    base: str = "five_member"
    seed: int = 0
    policy_seed: int = 7
    #: (seat, timestep, phase, catalogue index, action text) of every policy decision
    decisions: list[tuple[int, int, str, int, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.env = raw_env(config=config_for(self.seats, self.base), obs_mode="vector")
        self.env.reset(seed=self.seed, options={"scenario": {"players": self.seats}})
        self.catalogue = ActionCatalogue(len(self.seats))
        self._cursor = {seat: 0 for seat in self.scripts}
        for policy in {id(p): p for p in self.policies.values()}.values():
            policy.reset(self.policy_seed)

    @property
    def game(self) -> Game:
        game = self.env.game
        assert game is not None
        return game

    def step(self) -> None:
        """One action by whoever is to act."""
        game = self.game
        seat = game.current_seat
        if seat in self.policies:
            view = self.env.agent_view()
            choice = self.policies[seat].act(None, {}, view)
            assert choice in view.table, f"seat {seat} chose illegal {choice}"
            self.decisions.append(
                (seat, game.timestep, game.phase.value, int(choice), view.table[choice].text)
            )
            self.env.step(choice)
            return
        script = self.scripts.get(seat)
        action: str | None = None
        if callable(script):
            action = script(game, seat)
        elif script is not None and self._cursor[seat] < len(script):
            step = script[self._cursor[seat]]
            self._cursor[seat] += 1
            action = step(game, seat) if callable(step) else step
        self.env.step(_expand(game, action) if action is not None else idle(game))

    def run(
        self, until: Callable[[Scenario], bool] | None = None, max_steps: int = 5000
    ) -> Scenario:
        """Step until the game ends or ``until`` holds."""
        for _ in range(max_steps):
            if self.game.is_over or (until is not None and until(self)):
                return self
            self.step()
        raise AssertionError("the scenario did not finish")

    def decisions_of(self, seat: int) -> list[str]:
        return [text for s, _, _, _, text in self.decisions if s == seat]
