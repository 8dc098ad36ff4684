"""The HTTP API through a real server on a free port, over a real anvil."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest

from tests.api.conftest import Server
from tests.ledger.certificates.samples import LICENCES, fresh

BUSINESS = LICENCES["business_licence"]


def issue(server: Server, name: str = "sh_amr", records: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Issue `records` (business licences get licence numbers of their own: one licence, one active certificate)."""
    records = [fresh(r) if r.get("certificateType") == "business_licence" else r for r in records or [BUSINESS]]
    with server.client(name) as http:
        response = http.post("/certificates", json={"certificates": records})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["count"] == len(body["data"]) and body["transactions"]
    server.wait_indexed()  # answers from the index lag the chain by at most a block
    return list(body["data"])


def verify(server: Server, doc: Any, province: str | None = None, **params: str) -> dict[str, Any]:
    payload: dict[str, Any] = {"certificate": doc}
    if province:
        payload["context"] = {"province": province}
    with server.client() as http:
        response = http.post("/verify", json=payload, params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def outcome(answer: dict[str, Any], check: str) -> tuple[str, str]:
    found = next(c for c in answer["checks"] if c["name"] == check)
    return found["outcome"], found["code"]


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    assert body["error"]["message"]
    return dict(body["error"])


def test_health_names_chain_blocks_and_contracts(server: Server) -> None:
    health = server.wait_indexed()
    assert health["chainId"] == 31337 and health["status"] == "ok"
    assert health["headBlock"] >= health["indexedBlock"] >= health["headBlock"] - 1
    assert health["contracts"]["CertificateRegistry"] == server.result.deployment.address("CertificateRegistry")


def test_issue_then_verify_valid_and_recognised_across_provinces(server: Server) -> None:
    doc = issue(server)[0]
    assert doc["issuer"]["id"].endswith(server.addr("sh_amr"))
    server.wait_indexed()
    answer = verify(server, doc, "330000")
    assert answer["verdict"] == "VALID"
    assert outcome(answer, "recognition") == ("passed", "rule")
    assert answer["block"]["number"] > 0 and answer["block"]["hash"].startswith("0x")
    elsewhere = verify(server, doc, "440000")
    assert elsewhere["verdict"] == "NOT_RECOGNIZED" and outcome(elsewhere, "recognition") == ("failed", "no_rule")
    home = verify(server, doc, "310000")
    assert home["verdict"] == "VALID" and outcome(home, "recognition") == ("passed", "same_province")


def test_tampered_expired_and_not_yet_valid_certificates_are_invalid(server: Server) -> None:
    expired = BUSINESS | {"validFrom": "2010-01-01T00:00:00Z", "validUntil": "2020-01-01T00:00:00Z"}
    future = BUSINESS | {"validFrom": "2090-01-01T00:00:00Z", "validUntil": "2095-01-01T00:00:00Z"}
    doc, old, early = issue(server, records=[BUSINESS, expired, future])
    tampered = copy.deepcopy(doc)
    tampered["credentialSubject"]["holderName"] = "李四有限公司"
    answer = verify(server, tampered)
    assert answer["verdict"] == "INVALID" and outcome(answer, "integrity") == ("failed", "digest_mismatch")
    assert outcome(verify(server, old), "validity") == ("failed", "expired")
    assert outcome(verify(server, early), "validity") == ("failed", "not_yet_valid")


def test_status_changes_show_in_verification_from_the_index_and_the_chain(server: Server) -> None:
    a, b, c = issue(server, records=[BUSINESS] * 3)
    with server.client("sh_amr") as http:
        assert (
            http.post(
                f"/certificates/{a['proof']['digest']}/suspend", json={"reason": "under_investigation"}
            ).status_code
            == 200
        )
        assert http.post(f"/certificates/{b['proof']['digest']}/revoke", json={"reason": 3}).status_code == 200
        superseded = http.post(f"/certificates/{c['proof']['digest']}/supersede",
                               json={"reason": "replaced", "successor": a["proof"]["digest"]})  # fmt: skip
        assert superseded.status_code == 200, superseded.text
        assert superseded.json()["action"] == "supersede" and superseded.json()["transactionHash"].startswith("0x")
    server.wait_indexed()
    for consistency in ("index", "chain"):
        assert outcome(verify(server, a, consistency=consistency), "status") == ("failed", "suspended")
        assert outcome(verify(server, b, consistency=consistency), "status") == ("failed", "revoked")
        answer = verify(server, c, consistency=consistency)
        assert outcome(answer, "status") == ("failed", "superseded")
    with server.client("sh_amr") as http:
        assert http.post(f"/certificates/{a['proof']['digest']}/reinstate", json={"reason": 8}).status_code == 200
    server.wait_indexed()
    assert verify(server, a)["verdict"] == "VALID"
    with server.client() as http:
        record = http.get(f"/certificates/{b['proof']['digest']}").json()
    assert record["records"][0]["status"] == "revoked" and record["records"][0]["reason"] == "fraud"
    assert record["records"][0]["reasonCode"] == 3
    assert (record["history"][-1]["reason"], record["history"][-1]["reasonCode"]) == ("fraud", 3)
    assert [h["kind"] for h in record["history"]][-1:] == ["revoked"] or record["history"]


def test_bulk_verification_answers_at_one_block(server: Server) -> None:
    docs = issue(server, records=[BUSINESS] * 20)
    tampered = copy.deepcopy(docs[3])
    tampered["validUntil"] = "2099-12-31T23:59:59Z"
    with server.client() as http:
        response = http.post(
            "/verify/bulk", json={"certificates": [*docs, tampered], "context": {"province": "330000"}}
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == 21 and body["verdicts"] == {"VALID": 20, "INVALID": 1}
    assert {r["block"]["number"] for r in body["results"]} == {body["block"]["number"]}


def test_status_changes_with_wrong_credentials_are_refused(server: Server) -> None:
    doc = issue(server)[0]
    digest = doc["proof"]["digest"]
    body = {"reason": 1}
    with httpx.Client(base_url=server.api) as anonymous:
        error(anonymous.post(f"/certificates/{digest}/revoke", json=body), 401, "missing_api_key")
        bogus = {"X-API-Key": "hr_000000000000_" + "a" * 43}
        error(anonymous.post(f"/certificates/{digest}/revoke", json=body, headers=bogus), 401, "invalid_api_key")
        revoked = {"X-API-Key": server.keys["revoked"]}
        error(anonymous.post(f"/certificates/{digest}/revoke", json=body, headers=revoked), 401, "invalid_api_key")
    with server.client("zj_amr") as other_agency:
        error(other_agency.post(f"/certificates/{digest}/revoke", json=body), 403, "not_your_certificate")
    with server.client("zj_admin") as other_province:
        error(other_province.post(f"/certificates/{digest}/revoke", json=body), 403, "not_your_province")
    with server.client("sh_admin") as own_admin:
        response = own_admin.post(f"/certificates/{digest}/suspend", json=body)
        assert response.status_code == 200, response.text
    with server.client("sh_admin") as province_key:
        error(province_key.post("/certificates", json={"certificates": [BUSINESS]}), 403, "agency_key_required")


def test_issuing_refusals(server: Server) -> None:
    with server.client("sh_amr") as http:
        bad_id = BUSINESS | {"holderId": "91310115MA1H7XY23C"}
        answer = error(http.post("/certificates", json={"certificates": [bad_id]}), 422, "invalid_input")
        assert any(p["pointer"] == "/credentialSubject/holderId" for p in answer["details"])
        wrong_type = LICENCES["physician_certificate"]
        error(http.post("/certificates", json={"certificates": [wrong_type]}), 422, "invalid_input")
    with server.client("sh_suspended") as suspended:
        error(suspended.post("/certificates", json={"certificates": [BUSINESS]}), 403,
              "certificate_registry_agency_not_active")  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("post", "/verify", {"content": b"{not json", "headers": {"content-type": "application/json"}}, 400,
         "malformed_json"),
        ("post", "/verify", {"json": {"certificate": "x"}}, 422, "invalid_request"),
        ("post", "/verify", {"json": {"certificate": {}, "context": {"province": "310100"}}}, 422, "invalid_request"),
        ("post", "/verify", {"json": {"certificate": {}, "surprise": 1}}, 422, "invalid_request"),
        ("post", "/verify/bulk", {"json": {"certificates": []}}, 422, "invalid_request"),
        ("get", "/certificates/0x1234", {}, 422, "invalid_request"),
        ("get", "/certificates/0x" + "ab" * 32, {}, 404, "unknown_certificate"),
        ("get", "/agencies", {"params": {"province": "31"}}, 422, "invalid_request"),
        ("get", "/nowhere", {}, 404, "not_found"),
        ("delete", "/verify", {}, 405, "method_not_allowed"),
        ("post", "/verify", {"content": b"x" * (17 * 1024 * 1024), "headers": {"content-type": "application/json"}},
         413, "body_too_large"),
    ],
    ids=["malformed json", "certificate not object", "bad province", "extra field", "empty bulk", "short digest",
         "unknown digest", "bad filter", "unknown path", "wrong method", "body too large"],
)  # fmt: skip
def test_bad_input_gets_the_documented_4xx_and_code(
    server: Server, method: str, path: str, kwargs: dict[str, Any], status: int, code: str
) -> None:
    with server.client() as http:
        error(getattr(http, method)(path, **kwargs), status, code)


def test_a_verification_of_garbage_is_an_invalid_verdict_not_an_error(server: Server) -> None:
    answer = verify(server, {"hello": "world"})
    assert answer["verdict"] == "INVALID" and outcome(answer, "format")[0] == "failed"


def test_status_change_bodies_are_validated(server: Server) -> None:
    doc = issue(server)[0]
    digest = doc["proof"]["digest"]
    with server.client("sh_amr") as http:
        error(http.post(f"/certificates/{digest}/revoke", json={"reason": "because"}), 422, "invalid_reason")
        error(http.post(f"/certificates/{digest}/supersede", json={"reason": 6}), 422, "successor_required")
        error(http.post(f"/certificates/{digest}/revoke", json={"reason": 1, "successor": digest}), 422,
              "unexpected_successor")  # fmt: skip
        unknown = "0x" + "cd" * 32
        error(http.post(f"/certificates/{unknown}/revoke", json={"reason": 1}), 404, "unknown_certificate")
        assert http.post(f"/certificates/{digest}/revoke", json={"reason": 1}).status_code == 200
        error(http.post(f"/certificates/{digest}/revoke", json={"reason": 1}), 409,
              "certificate_registry_invalid_transition")  # fmt: skip


def test_registers_list_provinces_agencies_types_and_rules(server: Server) -> None:
    server.wait_indexed()
    with server.client() as http:
        provinces = http.get("/provinces").json()
        assert {p["code"] for p in provinces["data"]} >= {"310000", "330000", "440000", "110000"}
        agencies = http.get("/agencies", params={"province": "310000"}).json()
        assert agencies["count"] >= 5 and all(a["province"] == "310000" for a in agencies["data"])
        types = http.get("/certificate-types").json()
        assert {t["code"] for t in types["data"]} >= {"business_licence", "driving_licence"}
        rules = http.get("/recognition-rules", params={"accepting": "330000"}).json()
        assert rules["count"] == 1 and rules["data"][0]["issuingProvince"] == "310000"


def test_metrics_are_prometheus_text_with_requests_verifications_batches_and_lag(server: Server) -> None:
    doc = issue(server)[0]
    verify(server, doc)
    response = httpx.get(server.url + "/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    for name in ("hurong_http_requests_total", "hurong_http_request_duration_seconds_bucket",
                 'hurong_verifications_total{verdict="VALID"}', "hurong_batches_anchored_total",
                 "hurong_index_lag_blocks", "hurong_indexed_block"):  # fmt: skip
        assert name in text, name


def test_openapi_and_docs_and_contexts_are_served(server: Server) -> None:
    spec = httpx.get(server.url + "/api/v1/openapi.json").json()
    paths = set(spec["paths"])
    assert {"/api/v1/verify", "/api/v1/verify/bulk", "/api/v1/certificates", "/api/v1/certificates/{digest}",
            "/api/v1/certificates/{digest}/revoke", "/api/v1/health", "/api/v1/provinces"} <= paths  # fmt: skip
    assert httpx.get(server.url + "/docs").status_code == 200
    context = httpx.get(server.url + "/contexts/v1").json()
    assert "ElectronicLicense" in json.dumps(context)


def test_too_many_certificates_in_one_request_is_refused(server: Server) -> None:
    with server.client() as http:
        response = http.post("/verify/bulk", json={"certificates": [{}] * 10_001})
    error(response, 413, "too_many_certificates")


def test_an_agency_whose_chain_key_the_service_lacks_or_misfiles_gets_a_503_naming_why(server: Server) -> None:
    outsider = server.addr("outsider")
    body = {"certificates": [BUSINESS]}
    with server.client("outsider") as http:
        response = http.post("/certificates", json=body)
        answer = error(response, 503, "no_signing_key")
        assert outsider in answer["message"] and response.headers["retry-after"].isdigit()
        misfiled = server.home / "keystore" / f"{outsider}.json"
        misfiled.write_bytes((server.home / "keystore" / f"{server.addr('sh_amr')}.json").read_bytes())
        try:
            response = http.post("/certificates", json=body)
        finally:
            misfiled.unlink()
        answer = error(response, 503, "keystore_mismatch")
        assert answer["message"] == f"key file {outsider}.json is not the key of {outsider}"
        assert response.headers["retry-after"].isdigit()
