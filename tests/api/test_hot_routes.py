"""The hot path of `POST /verify` and `/verify/bulk` (`api.hot_routes`) against FastAPI's route for the same
operation, on the real service: the same answers byte for byte (but the usage id), the same headers, the same
errors, the same metrics and usage records, and the same admission in front of both.

A query parameter the hot path does not know sends a request on to the route (FastAPI ignores it), which is
how these tests reach the route with the very same body."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from tests.api.conftest import Server
from tests.ledger.certificates.samples import LICENCES, fresh

_USAGE_ID = re.compile(rb'"usageId":"[A-Za-z0-9_-]{22}"')
_REQUEST_ID = re.compile(rb'(request id |"requestId":")[0-9a-f]{32}')
#: Headers whose values differ between two answers to the same question.
_PER_REQUEST = {"x-request-id", "date"}


@pytest.fixture(scope="module")
def issued(server: Server) -> list[dict[str, Any]]:
    with server.client("sh_amr") as http:
        response = http.post(
            "/certificates", json={"certificates": [fresh(LICENCES["business_licence"]) for _ in range(3)]}
        )
    assert response.status_code == 201, response.text
    server.wait_indexed()
    return list(response.json()["data"])


def _both(server: Server, path: str, body: Any, **kwargs: Any) -> tuple[httpx.Response, httpx.Response]:
    """The answer of the hot path and that of the route, to the same request."""
    with httpx.Client(base_url=server.api, timeout=60) as http:
        for _ in range(3):  # the two answers must be judged at the same second
            started = int(time.time())
            hot = http.post(path, json=body, **kwargs)
            routed = http.post(path, json=body, params={"via": "router"}, **kwargs)
            if int(time.time()) == started:
                return hot, routed
    raise AssertionError("no two answers within one second")


def _same(hot: httpx.Response, routed: httpx.Response) -> None:
    assert hot.status_code == routed.status_code, (hot.text, routed.text)
    assert [k for k, _ in hot.headers.multi_items()] == [k for k, _ in routed.headers.multi_items()]
    assert {k: v for k, v in hot.headers.items() if k not in _PER_REQUEST} == {
        k: v for k, v in routed.headers.items() if k not in _PER_REQUEST
    }
    usage, request = b'"usageId":"-"', rb"\1-"
    assert _REQUEST_ID.sub(request, _USAGE_ID.sub(usage, hot.content)) == _REQUEST_ID.sub(
        request, _USAGE_ID.sub(usage, routed.content)
    )


def test_one_answer_is_the_routes_byte_for_byte(server: Server, issued: list[dict[str, Any]]) -> None:
    for context in ({"province": "330000"}, {"province": "310000", "serviceItem": "company-registration"}, None):
        body = {"certificate": issued[0]} | ({"context": context} if context else {})
        hot, routed = _both(server, "/verify", body)
        assert hot.status_code == 200 and hot.json()["verdict"] in ("VALID", "NOT_RECOGNIZED"), hot.text
        _same(hot, routed)
    tampered = issued[1] | {"validUntil": "2099-01-01T00:00:00Z"}
    hot, routed = _both(server, "/verify", {"certificate": tampered})
    assert hot.json()["verdict"] == "INVALID"
    _same(hot, routed)


def test_a_bulk_answer_is_the_routes_byte_for_byte(server: Server, issued: list[dict[str, Any]]) -> None:
    body = {"certificates": [*issued, issued[0] | {"issuer": "0x" + "00" * 20}], "context": {"province": "330000"}}
    hot, routed = _both(server, "/verify/bulk", body)
    assert hot.status_code == 200 and hot.json()["count"] == 4
    _same(hot, routed)


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/verify", {"certificate": "not an object"}, 422, "invalid_request"),
        ("/verify", {"certificate": {}, "extra": 1}, 422, "invalid_request"),
        ("/verify", {"certificate": {}, "context": {"province": "999999"}}, 422, "invalid_request"),
        ("/verify", {"certificate": {}, "at": "2025-06-01T08:00:00+08:00", "block": 1}, 422, "invalid_request"),
        ("/verify", {"certificate": {}, "block": -1}, 422, "invalid_request"),
        ("/verify", ["not", "an", "object"], 422, "invalid_request"),
        ("/verify/bulk", {"certificates": []}, 422, "invalid_request"),
        ("/verify/bulk", {"certificates": [{}] * 10_001}, 413, "too_many_certificates"),
    ],
)
def test_errors_are_the_routes(server: Server, path: str, body: Any, status: int, code: str) -> None:
    hot, routed = _both(server, path, body)
    assert hot.status_code == status and hot.json()["error"]["code"] == code, hot.text
    assert hot.json()["error"]["requestId"] == hot.headers["x-request-id"]
    _same(hot, routed)


def test_query_parameters_are_checked_by_the_route(server: Server, issued: list[dict[str, Any]]) -> None:
    body = {"certificate": issued[0]}
    with httpx.Client(base_url=server.api, timeout=60) as http:
        refused = http.post("/verify", json=body, params={"consistency": "eventually"})
        assert refused.status_code == 422 and refused.json()["error"]["details"][0]["pointer"] == "/query/consistency"
        for consistency in ("index", "chain"):
            answer = http.post("/verify", json=body, params={"consistency": consistency})
            assert answer.status_code == 200 and answer.json()["verdict"] == "VALID", answer.text


def test_admission_still_comes_first(server: Server) -> None:
    with httpx.Client(base_url=server.api, timeout=60) as http:
        duplicate = http.post("/verify", content=b'{"certificate": {}, "certificate": {}}',
                              headers={"content-type": "application/json"})  # fmt: skip
        assert duplicate.status_code == 400 and duplicate.json()["error"]["code"] == "duplicate_key"
        malformed = http.post("/verify", content=b'{"certificate": ', headers={"content-type": "application/json"})
        assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "malformed_json"
        typed = http.post("/verify", content=b'{"certificate": {}}', headers={"content-type": "text/plain"})
        assert typed.status_code == 422, typed.text  # not JSON by its type: the route refuses it as before


def _served(metrics: str, route: str, status: str) -> float:
    pattern = rf'^hurong_http_requests_total\{{method="POST",route="{re.escape(route)}",status="{status}"\}} (\S+)$'
    found = re.search(pattern, metrics, re.M)
    return float(found[1]) if found else 0.0


def test_metrics_and_usage_records_count_the_hot_path(server: Server, issued: list[dict[str, Any]]) -> None:
    with httpx.Client(base_url=server.api, timeout=60) as http:
        before = http.get("/metrics").text
        verified = [http.post("/verify", json={"certificate": issued[2]}) for _ in range(3)]
        bulk = http.post("/verify/bulk", json={"certificates": issued})
        after = http.get("/metrics").text
    assert all(v.status_code == 200 for v in verified) and bulk.status_code == 200
    assert _served(after, "/verify", "200") - _served(before, "/verify", "200") == 3
    assert _served(after, "/verify/bulk", "200") - _served(before, "/verify/bulk", "200") == 1
    ids = [v.json()["usageId"] for v in verified] + [r["usageId"] for r in bulk.json()["results"]]
    assert len(set(ids)) == 6 and all(isinstance(i, str) and len(i) == 22 for i in ids)
