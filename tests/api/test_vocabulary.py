"""One vocabulary through a real server over a real anvil: GB/T 2260 codes as strings, camelCase names (the old
snake_case query parameters still accepted), reasons by name with the number beside, and every check and warning
message in Chinese (`message`) and English (`messageEn`)."""

from __future__ import annotations

import re
from typing import Any

from tests.api.conftest import Server
from tests.api.test_api import error, issue

_CJK = re.compile(r"[\u4e00-\u9fff]")


def keys(value: Any) -> set[str]:
    """Every member name of a JSON value, at any depth."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


def test_registers_answer_codes_as_strings_and_camel_case_names(server: Server) -> None:
    server.wait_indexed()
    with server.client() as http:
        answers = {path: http.get(path).json() for path in ("/provinces", "/agencies", "/recognition-rules")}
    for path, body in answers.items():
        assert body["count"] == len(body["data"]) > 0, path
        assert not [k for k in keys(body) if "_" in k], (path, keys(body))
    assert all(isinstance(p["code"], str) and len(p["code"]) == 6 for p in answers["/provinces"]["data"])
    assert {"statusSince", "admins"} <= set(answers["/provinces"]["data"][0])
    for agency in answers["/agencies"]["data"]:
        assert isinstance(agency["province"], str) and isinstance(agency["region"], str)
        assert {"effectivelyActive", "certificateTypes", "registeredAt"} <= set(agency)
    (rule,) = [r for r in answers["/recognition-rules"]["data"] if r["acceptingProvince"] == "330000"]
    assert rule["issuingProvince"] == "310000" and rule["certificateType"] == "business_licence"


def test_camel_case_query_parameters_and_their_former_names_agree(server: Server) -> None:
    with server.client() as http:
        new = http.get("/agencies", params={"certificateType": "food_business_licence"}).json()
        old = http.get("/agencies", params={"certificate_type": "food_business_licence"}).json()
        assert new == old and new["count"] >= 1
        assert all("food_business_licence" in a["certificateTypes"] for a in new["data"])
        assert (
            http.get("/recognition-rules", params={"inForce": "true"}).json()
            == http.get("/recognition-rules", params={"in_force": "true"}).json()
        )
        clash = {"certificateType": "business_licence", "certificate_type": "driving_licence"}
        error(http.get("/recognition-rules", params=clash), 422, "conflicting_parameters")


def test_verification_context_checks_and_warnings_in_one_vocabulary(server: Server) -> None:
    (doc,) = issue(server)
    with server.client() as http:
        for context in ({"province": "330000", "serviceItem": "company_registration"},
                        {"province": "330000", "service_item": "company_registration"}):  # fmt: skip
            response = http.post("/verify", json={"certificate": doc, "context": context})
            assert response.status_code == 200, response.text
            answer = response.json()
            assert answer["context"] == {"province": "330000", "serviceItem": "company_registration"}
            assert answer["issuingProvince"] == "310000"
            assert not [k for k in keys({k: v for k, v in answer.items()}) if "_" in k]
            for check in answer["checks"]:
                assert _CJK.search(check["message"]), check
                assert check["messageEn"] and not _CJK.search(
                    check["messageEn"].replace(check["details"].get("agencyName", ""), "")
                ), check
            issuer = next(c for c in answer["checks"] if c["name"] == "issuer")
            assert (issuer["details"]["province"], issuer["details"]["region"]) == ("310000", "310000")
        error(http.post("/verify", json={"certificate": doc, "context": {"serviceItem": "x", "surprise": 1}}), 422,
              "invalid_request")  # fmt: skip


def test_status_changes_answer_reasons_by_name_with_the_number_beside(server: Server) -> None:
    (doc,) = issue(server)
    digest = doc["proof"]["digest"]
    with server.client("sh_amr") as http:
        answer = http.post(f"/certificates/{digest}/suspend", json={"reason": "under-investigation"}).json()
        assert (answer["reason"], answer["reasonCode"], answer["successor"]) == ("under_investigation", 7, None)
    server.wait_indexed()
    with server.client() as http:
        record = http.get(f"/certificates/{digest}").json()
        verdict = http.post("/verify", json={"certificate": doc}).json()
    assert (record["records"][0]["reason"], record["records"][0]["reasonCode"]) == ("under_investigation", 7)
    (change,) = record["history"]
    assert (change["reason"], change["reasonCode"], change["kind"]) == ("under_investigation", 7, "suspended")
    assert {"transactionHash", "logIndex"} <= set(change)
    status = next(c for c in verdict["checks"] if c["name"] == "status")
    assert (status["details"]["reason"], status["details"]["reasonCode"]) == ("under_investigation", 7)
    assert status["message"] == "证照已暂停：调查期间暂停"
    assert status["messageEn"] == "the certificate is suspended (under_investigation)"
