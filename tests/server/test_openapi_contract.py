"""The OpenAPI document is the contract: Schemathesis, with all its checks, against a live server.

Every operation is exercised with a bounded number of generated requests, valid and invalid;
each reply must be declared for its route (status code, media type, body schema), and invalid
requests must be refused."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from openenv_facade.server import create_app
from openenv_facade.settings import ServerSettings
from tests.server.conftest import RunningServer, serve

SETTINGS = ServerSettings(max_sessions=32, session_timeout_s=60.0)
#: Generated requests per operation: enough to reach every branch of the small schemas, few
#: enough that the suite stays fast.
EXAMPLES = 25

#: All checks run with their defaults, but two, which the protocols answer otherwise:
#: - a request that fits the schema may still be one the game cannot serve (seat 9 of a
#:   seven-player game, a config whose numbers do not add up, an unknown session): the declared
#:   400, 404 or 409, not a breach of the contract;
#: - a request that breaks the schema may be refused for its size first (413, declared), which
#:   is as much a refusal as a 422 (an assistant message's text may be longer than a frame);
#: - JSON-RPC answers a request that is no valid request with an error object in a 200 reply
#:   (the test checks it is one).
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", 400, 404, 409]},
            "negative_data_rejection": {"expected-statuses": [400, 404, 409, 413, 422]},
        },
        "operations": [
            {
                "include-path": "/mcp",
                "checks": {"negative_data_rejection": {"expected-statuses": [200, "4xx"]}},
            }
        ],
    }
)
schema = schemathesis.openapi.from_dict(create_app(SETTINGS).openapi(), config=CONFIG)


@pytest.fixture(scope="module")
def live_server() -> Iterator[RunningServer]:
    with serve(SETTINGS) as running:
        yield running


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_to_its_openapi_contract(
    case: schemathesis.Case, live_server: RunningServer
) -> None:
    response = case.call_and_validate(base_url=live_server.base_url)
    negative = case.meta is not None and case.meta.generation.mode.name == "NEGATIVE"
    if case.path == "/mcp" and negative and response.status_code == 200:
        assert "error" in response.json(), response.text


@pytest.mark.parametrize("path", ["/reset", "/step"])
def test_a_body_that_is_not_utf8_gets_the_declared_error_model(
    live_server: RunningServer, path: str
) -> None:
    reply = httpx.post(
        live_server.base_url + path,
        content=b'{"seed": "\xff\xfe"}',
        headers={"content-type": "application/json"},
    )
    assert reply.status_code == 400
    detail = reply.json()["detail"]
    assert set(detail) == {"message", "code"} and detail["code"] == "INVALID_JSON"


def test_exactly_one_of_type_and_raw_is_in_the_schema() -> None:
    action = create_app(SETTINGS).openapi()["components"]["schemas"]["GameAction"]
    branches = action["oneOf"]
    assert any(branch.get("required") == ["type"] for branch in branches)
    assert any(branch.get("required") == ["raw"] for branch in branches)
