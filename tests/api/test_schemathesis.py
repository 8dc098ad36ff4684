"""Schemathesis against the live OpenAPI document of a real service: valid and invalid requests generated for
every operation (bounded: `MAX_EXAMPLES` of each kind per operation, the same ones on every run), with an
agency's API key. No answer may be a server error (5xx other than a 503, which the document lists for a chain
outage) or a status the document does not list for that operation."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.core.result import Ok

from tests.api.conftest import Server
from tests.api.support import Extra, extra_server

MAX_EXAMPLES = 30
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def fuzzed(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Extra]:
    """A service of its own (a fuzzer's wrong keys would lock the session's address out of the others)."""
    env = {"HURONG_AUTH_FAILURES_PER_MINUTE": "0"}
    with extra_server(server, tmp_path_factory.mktemp("fuzzed"), env) as running:
        yield running


def run_operation(operation: Any, mode: Any, base_url: str, headers: dict[str, str], statuses: list[int]) -> list[str]:
    """Generate and send the examples of one operation (their statuses go to `statuses`); the answers that break
    the rules, described."""
    documented = {str(status) for status in operation.definition.raw.get("responses", {})}
    found: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))  # fmt: skip
    def examples(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=60)
        status = response.status_code
        statuses.append(status)
        if (status >= 500 and status != 503) or str(status) not in documented:
            request = response.request
            body = request.body.decode("utf-8", "replace") if isinstance(request.body, bytes) else request.body
            found.append(f"{operation.method.upper()} {operation.path} -> {status} {response.text[:500]}\n"
                          f"    request: {request.method} {request.url} {str(body)[:500]}")  # fmt: skip

    with contextlib.suppress(Unsatisfiable):  # nothing invalid to send (an operation without parameters or body)
        examples()
    return found


def test_generated_requests_get_no_server_error_and_no_undocumented_status(fuzzed: Extra) -> None:
    schema = schemathesis.openapi.from_url(fuzzed.api + "/openapi.json")
    headers = {"X-API-Key": fuzzed.keys["sh_amr"]}
    found: list[str] = []
    statuses: list[int] = []
    operations = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()
        operation = result.ok()
        operations += 1
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            found += run_operation(operation, mode, fuzzed.url, headers, statuses)
    print(f"{operations} operations, {len(statuses)} requests:", dict(Counter(statuses).most_common()))
    assert operations >= 10 and len(statuses) >= 10 * MAX_EXAMPLES
    assert not found, "\n".join(found)
