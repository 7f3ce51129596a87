"""Play one game between uniformly random players and print a readable transcript.

``python -m amongagents.demo [--preset seven_member] [--seed 7]``
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator

from amongagents.config import PRESETS
from amongagents.game import Game
from amongagents.records import Phase


def transcript(game: Game, rng: random.Random) -> Iterator[str]:
    """Drive ``game`` to the end with random legal actions, yielding one line per event."""
    yield "Seats: " + ", ".join(f"{p.name} ({p.identity})" for p in game.players)
    last_header = None
    seen_events = 0
    while not game.is_over:
        header = f"-- timestep {game.timestep}: {game.phase.value} phase"
        if game.phase is Phase.MEETING:
            header += (
                " (voting)"
                if game.is_voting
                else f" (discussion round {game.discussion_round + 1})"
            )
        if header != last_header:
            yield header
            last_header = header
        seat = game.current_seat
        where = game.players[seat].location
        legal = game.legal_actions()
        game.step(legal[rng.randrange(len(legal))])
        step = game.steps[-1]
        watching = f" (watching {step.monitor_room})" if step.monitor_room else ""
        yield f"   {game.players[seat].name} [{where}]: {step.action}{watching}"
        for event in game.important_events[seen_events:]:
            if event["player"] == "all players":  # the meeting's outcome
                yield "   => " + event["action"].split(" Detailed")[0]
        seen_events = len(game.important_events)
    yield f"Result: {game.win_reason} (code {int(game.winner)}) after {game.timestep} timesteps"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="seven_member", choices=sorted(PRESETS))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    game = Game(args.preset, seed=args.seed)
    for line in transcript(game, random.Random(args.seed)):
        print(line)


if __name__ == "__main__":
    main()
