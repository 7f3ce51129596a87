"""7vik-layout text: the information block a player reads before choosing an action.

The block has five parts joined with no separator: location info, observation history (last 4),
action history (last 4), the task list with paths, and the available actions. Its layout, labels
and quirks are the reference's, to the character, so 7vik-style LLM agents and log readers work
unchanged. The phase-instruction sentences are this project's own words, built from the config.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from amongagents.actions import Action, ActionKind
from amongagents.config import GameConfig
from amongagents.records import (
    Clock,
    LocationInfo,
    MonitorReadout,
    Observation,
    OwnAction,
    Phase,
    SeenAction,
)
from amongagents.skeld import shortest_path

if TYPE_CHECKING:
    from amongagents.game import Game

#: How many of the latest observations and own actions a player is shown.
HISTORY_WINDOW = 4


def phase_instruction(phase: Phase, config: GameConfig) -> str:
    """The one- or two-line instruction under ``Current phase:`` (no trailing newline)."""
    if phase is Phase.TASK:
        return (
            "Crewmates: finish your tasks or find out who the impostors are. "
            "Impostors: eliminate crewmates without being caught."
        )
    rounds = config.discussion_rounds
    if rounds == 0:
        return "This game has no discussion: each living player votes to eject someone."
    plural = "round" if rounds == 1 else "rounds"
    return (
        f"Everyone talks for {rounds} {plural}, then each living player votes to eject someone.\n"
        "Say what you saw, question the others and answer their questions."
    )


def phase_label(clock: Clock, config: GameConfig) -> str:
    if clock.phase is Phase.TASK:
        return "Task phase"
    return f"Meeting phase - Discussion round ({clock.round}/{config.discussion_rounds})"


def location_text(info: LocationInfo, names: Sequence[str], config: GameConfig) -> str:
    """A location message; the clock in it may be stale, as the reference's is."""
    present = ", ".join(
        f"{names[seat]} (dead)" if dead else names[seat]
        for seat, dead in zip(info.occupants, info.dead, strict=True)
    )
    return (
        f"Game Time: {info.clock.timestep}/{config.max_timesteps}\n"
        f"Current phase: {phase_label(info.clock, config)}\n"
        f"{phase_instruction(info.clock.phase, config)}\n\n"
        f"Current Location: {info.room}\n"
        f"Players in {info.room}: {present}\n\n"
    )


def clock_tag(clock: Clock, *, own: bool) -> str:
    """``[task]`` in others' messages, ``[task phase]`` in one's own history; meetings alike."""
    if clock.phase is Phase.TASK:
        return "[task phase]" if own else "[task]"
    return f"[meeting phase - round {clock.round}]"


def observation_text(observation: Observation, names: Sequence[str]) -> str:
    if isinstance(observation, SeenAction):
        return (
            f"Timestep {observation.clock.timestep}: {clock_tag(observation.clock, own=False)} "
            f"{names[observation.actor]} {observation.action.observer_text}"
        )
    return monitor_text(observation, names)


def monitor_text(readout: MonitorReadout, names: Sequence[str]) -> str:
    if readout.entries:
        body = "".join(f"({names[entry.seat]}): {entry.text}, " for entry in readout.entries)
    else:
        body = "No one here"
    return f"Monitor Record: {{Location: {readout.room}, Observation: {{{body}}}}}"


def observation_history_text(observations: Sequence[Observation], names: Sequence[str]) -> str:
    if not observations:
        return "Observation history:\nNo observations have been made yet.\n\n"
    recent = observations[-HISTORY_WINDOW:]
    lines = "".join(f"{i}. {observation_text(o, names)}\n" for i, o in enumerate(recent, start=1))
    return f"Observation history:\n{lines}\n"


def own_action_text(entry: OwnAction) -> str:
    """A real task shows in full in one's own history; everything else as others saw it."""
    action = entry.action
    shown = (
        action.text
        if action.kind is ActionKind.COMPLETE_TASK and entry.clock.phase is Phase.TASK
        else action.observer_text
    )
    return f"Timestep {entry.clock.timestep}: {clock_tag(entry.clock, own=True)} {shown}"


def action_history_text(history: Sequence[OwnAction]) -> str:
    if not history:
        return "Action history:\nNo actions have been taken yet.\n\n"
    lines = "".join(f"{own_action_text(e)}\n" for e in history[-HISTORY_WINDOW:])
    return f"Action history:\n{lines}\n"


def task_list_text(tasks: Sequence[tuple[str, bool, str]], location: str, impostor: bool) -> str:
    """``tasks`` holds (task text, completed, task room) in assignment order."""
    if not tasks:
        return "Your Assigned Tasks:\nNo tasks have been assigned yet.\n\n"
    lines = []
    for i, (text, completed, room) in enumerate(tasks, start=1):
        marker = "[completed]" if completed else ""
        lines.append(f"{i}. {text} {marker}\nPath: {path_text(location, room, impostor)}\n")
    return "Your Assigned Tasks:\n" + "".join(lines) + "\n"


def path_text(location: str, room: str, impostor: bool) -> str:
    if location == room:
        return "You are already at the task location."
    return "->".join(shortest_path(location, room, impostor=impostor))


def available_actions_text(legal: Sequence[Action]) -> str:
    return "Available actions:\n" + "".join(
        f"{i}. {a.text}\n" for i, a in enumerate(legal, start=1)
    )


def information_block(game: Game, seat: int) -> str:
    """The full per-turn block the reference shows ``seat`` (RULES §6.9)."""
    player = game.players[seat]
    names = game.names
    tasks = [(t.spot.text(), t.completed, t.spot.room) for t in player.tasks]
    return (
        location_text(game.location_info(seat), names, game.config)
        + observation_history_text(player.observations, names)
        + action_history_text(player.action_history)
        + task_list_text(tasks, player.location, player.is_impostor)
        + available_actions_text(game.legal_actions(seat))
    )
