"""`POST /verify` and `/verify/bulk` against a service of its own over an anvil of its own: malformed issuers are
INVALID answers, never errors; questions as of a past time or block; today's standing of the issuer as a
warning; and every question the chain cannot answer a documented 4xx with its code."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.api.conftest import Server, own_server
from tests.ledger.certificates.samples import LICENCES, fresh


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with own_server(tmp_path_factory.mktemp("verify-at")) as running:
        yield running


def issue(server: Server, n: int = 1) -> list[dict[str, Any]]:
    with server.client("sh_amr") as http:
        response = http.post(
            "/certificates", json={"certificates": [fresh(LICENCES["business_licence"]) for _ in range(n)]}
        )
    assert response.status_code == 201, response.text
    server.wait_indexed()
    return list(response.json()["data"])


def post(server: Server, path: str, body: dict[str, Any]) -> httpx.Response:
    with server.client() as http:
        return http.post(path, json=body)


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(response.json())


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"], body
    return dict(body["error"])


def format_code(answer: dict[str, Any]) -> str:
    check = next(c for c in answer["checks"] if c["name"] == "format")
    assert answer["verdict"] == "INVALID" and check["outcome"] == "failed"
    return str(check["code"])


def rpc(server: Server, method: str, params: list[Any]) -> Any:
    return server.chain_client().w3.provider.make_request(method, params)  # type: ignore[arg-type]


def block_time(server: Server, number: int) -> int:
    return int(server.chain_client().w3.eth.get_block(number)["timestamp"])


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


JSON = {"content-type": "application/json"}
BAD_ISSUERS: list[Any] = [
    ["did:pkh:eip155:31337:0x976EA74026E726554dB657fA54763abd0C3a0aa9"],
    {"id": ["did:pkh:eip155:31337:0x976EA74026E726554dB657fA54763abd0C3a0aa9"]},
    {"id": {"id": "did:pkh:eip155:31337:0x976EA74026E726554dB657fA54763abd0C3a0aa9"}},
    {"id": 31337},
    {"id": None},
    {"name": "上海市市场监督管理局"},
    42,
    None,
    "did:pkh:eip155:31337:0x" + "ab" * 200_000,
]


def test_malformed_issuers_are_invalid_answers_single_and_in_bulk(own: Server) -> None:
    good, other = issue(own, 2)
    bad = []
    for value in BAD_ISSUERS:
        doc = copy.deepcopy(good)
        doc["issuer"] = value
        bad.append(doc)
        assert format_code(ok(post(own, "/verify", {"certificate": doc}))) == "bad_issuer"
    body = ok(post(own, "/verify/bulk", {"certificates": [good, *bad, other], "context": {"province": "330000"}}))
    assert body["verdicts"] == {"VALID": 2, "INVALID": len(bad)}
    assert [r["verdict"] for r in body["results"]] == ["VALID", *["INVALID"] * len(bad), "VALID"]
    assert {format_code(r) for r in body["results"][1:-1]} == {"bad_issuer"}
    odd = copy.deepcopy(good)
    odd["credentialSubject"]["holderName"] = "\ud800"  # a lone surrogate, as a JSON escape
    odd["credentialSubject"]["x\ud800"] = 1
    with own.client() as http:  # sent with the surrogates escaped, as JSON allows
        response = http.post("/verify", content=json.dumps({"certificate": odd}), headers=JSON)
    assert format_code(ok(response)) == "schema"


def test_verification_as_of_a_past_block_or_time(own: Server) -> None:
    (doc,) = issue(own)
    anchored = int(doc["proof"]["anchor"]["blockNumber"])
    rpc(own, "evm_increaseTime", [30])
    rpc(own, "evm_mine", [])
    with own.client("sh_amr") as http:
        assert http.post(f"/certificates/{doc['proof']['digest']}/revoke", json={"reason": 4}).status_code == 200
    own.wait_indexed()
    assert ok(post(own, "/verify", {"certificate": doc}))["verdict"] == "INVALID"

    then = ok(post(own, "/verify", {"certificate": doc, "block": anchored}))
    assert then["verdict"] == "VALID" and then["block"]["number"] == anchored
    assert then["at"] == block_time(own, anchored) and then["warnings"] == []
    by_time = ok(post(own, "/verify", {"certificate": doc, "at": iso(block_time(own, anchored) + 10)}))
    assert by_time["verdict"] == "VALID" and by_time["block"]["number"] == anchored
    assert by_time["at"] == block_time(own, anchored) + 10
    bulk = ok(
        post(own, "/verify/bulk", {"certificates": [doc, doc], "block": anchored, "context": {"province": "330000"}})
    )
    assert bulk["verdicts"] == {"VALID": 2} and bulk["block"]["number"] == anchored
    assert bulk["at"] == block_time(own, anchored)
    for consistency in ("index", "chain"):  # ignored when a time or block is asked
        with own.client() as http:
            response = http.post(
                "/verify", json={"certificate": doc, "block": anchored}, params={"consistency": consistency}
            )
        assert ok(response)["block"]["number"] == anchored


@pytest.mark.parametrize(
    ("extra", "status", "code"),
    [
        ({"at": "2999-01-01T00:00:00Z"}, 422, "out_of_range"),
        ({"at": "2020-01-01T00:00:00+08:00"}, 422, "out_of_range"),
        ({"block": 10**12}, 422, "out_of_range"),
        ({"block": 0}, 422, "out_of_range"),
        ({"at": "yesterday"}, 422, "invalid_request"),
        ({"at": "2026-02-30T00:00:00Z"}, 422, "invalid_request"),
        ({"at": "2026-06-01T00:00:00"}, 422, "invalid_request"),
        ({"at": 1767225600}, 422, "invalid_request"),
        ({"block": -1}, 422, "invalid_request"),
        ({"block": True}, 422, "invalid_request"),
        ({"block": "12"}, 422, "invalid_request"),
        ({"block": 2**70}, 422, "invalid_request"),
        ({"block": 1, "at": "2026-06-01T00:00:00Z"}, 422, "invalid_request"),
    ],
)
def test_times_and_blocks_out_of_reach_or_malformed_are_4xx(
    own: Server, extra: dict[str, Any], status: int, code: str
) -> None:
    certificate: dict[str, Any] = {"proof": {}}
    error(post(own, "/verify", {"certificate": certificate, **extra}), status, code)
    error(post(own, "/verify/bulk", {"certificates": [certificate], **extra}), status, code)


def test_an_issuer_suspended_today_is_a_warning_beside_the_verdict(own: Server) -> None:
    (doc,) = issue(own)
    rpc(own, "evm_increaseTime", [60])
    rpc(own, "evm_mine", [])
    admin = own.chain_client("sh_admin").authorities
    amr = own.addr("sh_amr")
    admin.suspend_agency(amr, 7).wait()
    own.wait_indexed()
    try:
        for consistency in ("index", "chain"):
            with own.client() as http:
                response = http.post("/verify", json={"certificate": doc}, params={"consistency": consistency})
            answer = ok(response)
            assert answer["verdict"] == "VALID"
            (warning,) = answer["warnings"]
            assert warning["code"] == "issuer_not_in_good_standing"
            assert (warning["details"]["entity"], warning["details"]["id"], warning["details"]["status"]) == (
                "agency", amr, "suspended")  # fmt: skip
        bulk = ok(post(own, "/verify/bulk", {"certificates": [doc, {"proof": {}}]}))
        assert [len(r["warnings"]) for r in bulk["results"]] == [1, 0]
        anchored = int(doc["proof"]["anchor"]["blockNumber"])  # asked about the past, still today's standing
        assert ok(post(own, "/verify", {"certificate": doc, "block": anchored}))["warnings"] == [warning]
    finally:
        admin.reinstate_agency(amr).wait()
    own.wait_indexed()
    assert ok(post(own, "/verify", {"certificate": doc}))["warnings"] == []


def test_the_openapi_documents_time_block_and_warnings(own: Server) -> None:
    spec = httpx.get(own.api + "/openapi.json").json()
    operation = spec["paths"]["/api/v1/verify"]["post"]
    assert (
        "history_unavailable" in operation["description"] and "issuer_not_in_good_standing" in operation["description"]
    )
    schemas = spec["components"]["schemas"]
    request = schemas[operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert {"certificate", "context", "at", "block"} <= set(request["properties"])
    response = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"at", "warnings"} <= set(schemas[response]["properties"])


def test_a_block_the_node_no_longer_keeps_is_history_unavailable(own: Server) -> None:
    """Run last: it mines past the 512 blocks whose state anvil keeps."""
    (doc,) = issue(own)
    anchored = int(doc["proof"]["anchor"]["blockNumber"])
    anchored_at = block_time(own, anchored)
    rpc(own, "anvil_mine", [600, 1])
    own.wait_indexed(timeout=30)
    for body in ({"certificate": doc, "block": anchored}, {"certificate": doc, "at": iso(anchored_at)}):
        found = error(post(own, "/verify", body), 422, "history_unavailable")
        assert found["details"] == {"block": anchored} and f"block {anchored}" in found["message"]
    bulk = {"certificates": [doc, doc], "block": anchored}
    assert error(post(own, "/verify/bulk", bulk), 422, "history_unavailable")["details"] == {"block": anchored}
    assert ok(post(own, "/verify", {"certificate": doc}))["verdict"] == "VALID"
