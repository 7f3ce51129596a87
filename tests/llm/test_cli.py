"""The command-line options for LLM seats and the policy keyword arguments built from them."""

from __future__ import annotations

import argparse
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from amongagents.replay import read_jsonl
from amongus_marl import cli
from amongus_marl.policies.base import make_policy, registered_policies
from amongus_marl.policies.llm import LLMPolicy, add_llm_arguments, policy_kwargs_from_args
from amongus_marl.policies.llm_client import ConcurrencyLimiter
from tests.llm.server import API_KEY, MODEL, ScriptedServer, SensiblePlayer, Status


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_llm_arguments(parser)
    return parser.parse_args(list(argv))


FULL = (
    "--impostor-model",
    "big-model",
    "--crewmate-model",
    "small-model",
    "--llm-base-url",
    "http://127.0.0.1:9/v1",
    "--llm-api-key",
    "k",
    "--llm-temperature",
    "0.2",
    "--llm-max-tokens",
    "300",
    "--llm-timeout",
    "12.5",
    "--llm-retries",
    "5",
    "--llm-concurrency",
    "4",
    "--llm-log-dir",
    "logs/llm",
)
SHARED = {
    "base_url": "http://127.0.0.1:9/v1",
    "api_key": "k",
    "temperature": 0.2,
    "max_tokens": 300,
    "timeout": 12.5,
    "retries": 5,
    "concurrency": 4,
    "log_dir": "logs/llm",
}


@pytest.mark.parametrize(
    ("role", "models"),
    [
        ("impostor", {"model": "big-model"}),
        ("crewmate", {"model": "small-model"}),
        (None, {"impostor_model": "big-model", "crewmate_model": "small-model"}),
    ],
)
def test_every_option_reaches_the_policy(role, models):
    kwargs = policy_kwargs_from_args(parse(*FULL), role)
    assert kwargs == {**models, **SHARED}
    policy = make_policy("llm", **kwargs)
    assert isinstance(policy, LLMPolicy)
    assert policy.base_url == "http://127.0.0.1:9/v1" and policy.limiter.limit == 4
    assert (
        policy.temperature,
        policy.max_tokens,
        policy._client.timeout,
        policy._client.retries,
    ) == (0.2, 300, 12.5, 5)
    pickle.dumps(kwargs)  # plain data, fit for worker processes


def test_unset_options_leave_the_defaults_to_the_policy():
    kwargs = policy_kwargs_from_args(parse("--impostor-model", "m"), "impostor")
    assert kwargs == {
        "model": "m",
        "temperature": 0.7,
        "max_tokens": 1024,
        "timeout": 60.0,
        "retries": 3,
        "concurrency": 8,
    }


def test_a_policy_for_both_sides_uses_each_sides_model():
    policy = LLMPolicy(impostor_model="big", crewmate_model="small", api_key="k")
    assert policy.models() == {"impostor": "big", "crewmate": "small"}
    assert LLMPolicy("base", crewmate_model="small", api_key="k").models() == {
        "impostor": "base",
        "crewmate": "small",
    }


def test_an_unknown_role_is_refused():
    with pytest.raises(ValueError, match="role"):
        policy_kwargs_from_args(parse(), "ghost")


def test_llm_is_registered_and_the_limiter_crosses_processes():
    assert "llm" in registered_policies()
    copy = pickle.loads(pickle.dumps(ConcurrencyLimiter(3)))
    assert isinstance(copy, ConcurrencyLimiter) and copy.limit == 3


def play_llm(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int | str | None, str]:
    """Run ``amongus play`` with LLM options; (exit code or message, stderr)."""
    try:
        code: int | str | None = cli.main(["play", "--quiet", "--bootstrap", "0", *argv])
    except SystemExit as exit_info:
        code = exit_info.code
    return code, capsys.readouterr().err


def test_a_side_without_a_model_is_refused_before_the_first_game(
    llm_server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # A seat override may be dealt either side, so it needs both models.
    code, _ = play_llm(
        capsys,
        *("--seat", "0=llm", "--impostor-model", MODEL),
        *("--llm-base-url", llm_server.base_url, "--llm-api-key", API_KEY),
    )
    assert isinstance(code, str) and "--crewmate-model" in code
    assert (llm_server.model_listings, llm_server.completions) == (0, [])  # no request sent


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--llm-concurrency", "0", "concurrency"),
        ("--llm-temperature", "nan", "temperature"),
        ("--llm-max-tokens", "-5", "max_tokens"),
    ],
)
def test_a_bad_llm_option_is_a_message_not_a_traceback(
    llm_server: ScriptedServer,
    capsys: pytest.CaptureFixture[str],
    option: str,
    value: str,
    named: str,
) -> None:
    code, _ = play_llm(
        capsys,
        *("--impostor", "llm", "--impostor-model", MODEL, option, value),
        *("--llm-base-url", llm_server.base_url, "--llm-api-key", API_KEY),
    )
    assert isinstance(code, str) and named in code
    assert llm_server.completions == []  # refused before any game


def test_an_endpoint_failing_for_good_stops_the_run_keeping_the_finished_games(
    llm_server: ScriptedServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sensible = SensiblePlayer(seed=0)

    def fails_after_a_while(body: dict[str, Any]) -> str:
        if sensible.answered == 150:  # from the next request on, every one gets 503
            llm_server.push(*[Status(503)] * 200)
        return sensible(body)

    llm_server.responder = fails_after_a_while
    run = tmp_path / "run"
    code, err = play_llm(
        capsys,
        *("--games", "40", "--workers", "1", "--config", "five_member", "--log-dir", str(run)),
        *("--impostor", "llm", "--impostor-model", MODEL, "--llm-retries", "0"),
        *("--llm-base-url", llm_server.base_url, "--llm-api-key", API_KEY),
    )
    played = list(read_jsonl(run / cli.GAME_LOG_FILE))
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    assert code == 1 and f"stopped after {len(played)} of 40 games" in err
    assert "LLM fallback" not in err, "--quiet hides the warning of each fallback"
    assert 0 < len(played) < 40 and summary["games"] == len(played)
    assert "in a row failed" in summary["stopped"]


def test_llm_concurrency_caps_the_games_played_at_once(
    llm_server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    llm_server.delay = 0.01  # long enough for two workers' requests to overlap
    code, err = play_llm(
        capsys,
        *("--games", "2", "--workers", "2", "--config", "five_member"),
        *("--impostor", "llm", "--impostor-model", MODEL, "--llm-concurrency", "1"),
        *("--llm-base-url", llm_server.base_url, "--llm-api-key", API_KEY),
    )
    assert code == 0 and "1 worker(s)" in err
    assert llm_server.peak_in_flight == 1
