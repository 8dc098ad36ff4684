"""Supervision (电子监察) through the real service: usage records of verifications, statistics, feedback."""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from api.supervision.records import USAGE_FILE
from tests.api.conftest import Server, own_server
from tests.api.support import extra_server
from tests.api.test_api import error, issue


def usage_rows(server: Server, expect: int = 1, **where: str) -> list[dict[str, Any]]:
    """The usage records matching `where`, once the service's writers have flushed `expect` of them (bounded
    wait)."""
    clause = " AND ".join(f"{k} = ?" for k in where) or "1"  # column names of the tests' own
    deadline = time.monotonic() + 10
    while True:
        with contextlib.closing(sqlite3.connect(server.home / USAGE_FILE)) as db:
            db.row_factory = sqlite3.Row
            rows = [dict(r) for r in db.execute(f"SELECT * FROM usage_records WHERE {clause}", tuple(where.values()))]  # noqa: S608
        if len(rows) >= expect or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def post_verify(server: Server, payload: dict[str, Any], key: str | None = None, path: str = "/verify") -> Any:
    with server.client(key) as http:
        response = http.post(path, json=payload)
    assert response.status_code == 200, response.text
    return response.json()


def test_verifications_are_recorded_with_who_where_and_what_but_no_personal_data(server: Server) -> None:
    doc = issue(server)[0]
    item = "usage-one"
    answer = post_verify(server, {"certificate": doc, "context": {"province": "330000", "serviceItem": item}})
    assert answer["verdict"] == "VALID" and len(answer["usageId"]) >= 16
    (row,) = usage_rows(server, service_item=item)
    assert row["id"] == answer["usageId"]
    assert row["accepting_province"] == "330000" and row["issuing_province"] == "310000"
    assert row["issuer"] == server.addr("sh_amr") and row["certificate_type"] == "business_licence"
    assert row["verdict"] == "VALID" and row["failed"] == "" and row["caller_role"] is None
    assert len(row["certificate_ref"]) == 64 and row["duration_ms"] > 0

    # with an agency's key, elsewhere: the caller's agency and province; the failed checks' codes
    bulk = {"certificates": [doc, doc], "context": {"province": "440000", "serviceItem": "usage-bulk"}}
    answer = post_verify(server, bulk, "zj_amr", "/verify/bulk")
    ids = {r["usageId"] for r in answer["results"]}
    rows = usage_rows(server, 2, service_item="usage-bulk")
    assert {r["id"] for r in rows} == ids and len(ids) == 2
    for r in rows:
        assert r["verdict"] == "NOT_RECOGNIZED" and r["failed"] == "no_rule"
        assert (r["caller_role"], r["caller_agency"], r["caller_province"]) == (
            "agency",
            server.addr("zj_amr"),
            "330000",
        )
        assert r["accepting_province"] == "440000" and r["certificate_ref"] == row["certificate_ref"]

    # a province admin's key without a context: its province is the accepting one
    post_verify(server, {"certificate": doc, "context": {"serviceItem": "usage-admin"}}, "zj_admin")
    (r,) = usage_rows(server, service_item="usage-admin")
    assert (r["caller_role"], r["caller_province"], r["accepting_province"]) == ("province", "330000", "330000")

    # a revoked key names no caller, and the verification is answered as without one
    post_verify(server, {"certificate": doc, "context": {"serviceItem": "usage-revoked"}}, "revoked")
    (r,) = usage_rows(server, service_item="usage-revoked")
    assert r["caller_role"] is None and r["accepting_province"] is None

    # neither the holder's name, their ID number nor the digest are in the usage database or the log
    subject = doc["credentialSubject"]
    secrets = [subject["holderName"], subject["holderId"]]
    secrets += [answer["results"][0]["digest"], answer["results"][0]["digest"][2:]]
    files = [*server.home.glob(USAGE_FILE + "*"), *server.home.glob("server-*.log")]
    assert files and all(s for s in secrets)
    for file in files:
        data = file.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, (file.name, secret)
            assert secret.lower().encode() not in data.lower(), (file.name, secret)
    assert (server.home / USAGE_FILE).stat().st_mode & 0o777 == 0o600
    assert (server.home / "usage-secret").stat().st_mode & 0o777 == 0o600


def statistics(server: Server, key: str, **params: str) -> httpx.Response:
    with server.client(key) as http:
        return http.get("/supervision/statistics", params=params)


def test_statistics_count_the_verifications_each_province_sees(server: Server) -> None:
    doc = issue(server)[0]
    item = "stats-item"
    for province in ("330000", "330000", "330000", "440000", "440000"):
        post_verify(server, {"certificate": doc, "context": {"province": province, "serviceItem": item}})
    tampered = copy.deepcopy(doc)
    tampered["credentialSubject"]["holderName"] = "某某有限公司"
    post_verify(server, {"certificate": tampered, "context": {"province": "330000", "serviceItem": item}})
    assert len(usage_rows(server, 6, service_item=item)) == 6

    sh = statistics(server, "sh_admin", serviceItem=item)
    assert sh.status_code == 200, sh.text
    stats = sh.json()
    assert stats["province"] == "310000" and stats["total"] == 6
    assert stats["verdicts"] == {"VALID": 3, "NOT_RECOGNIZED": 2, "INVALID": 1}
    cells = {(c["issuingProvince"], c["acceptingProvince"]): (c["count"], c["valid"]) for c in stats["matrix"]}
    assert cells == {("310000", "330000"): (4, 3), ("310000", "440000"): (2, 0)}
    assert sum(d["count"] for d in stats["daily"]) == 6 and len(stats["daily"]) == 1
    reasons = {r["code"]: r["count"] for r in stats["failureReasons"]}
    assert reasons["no_rule"] == 2 and len(reasons) >= 2
    assert stats["serviceItems"] == [{"serviceItem": item, "count": 6, "ratings": None}]
    latency = stats["latencyMs"]
    assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"]
    assert stats["consortium"]["total"] == 6

    # Zhejiang sees in detail what it accepted; of the rest, counts only
    zj = statistics(server, "zj_admin", serviceItem=item).json()
    assert zj["total"] == 4 and {(c["issuingProvince"], c["acceptingProvince"]) for c in zj["matrix"]} == {
        ("310000", "330000")
    }
    assert zj["consortium"] == {"total": 6, "verdicts": {"VALID": 3, "NOT_RECOGNIZED": 2, "INVALID": 1}}
    bj = statistics(server, "bj_admin", serviceItem=item).json()
    assert bj["total"] == 0 and bj["matrix"] == [] and bj["consortium"]["total"] == 6

    narrowed = statistics(server, "sh_admin", serviceItem=item, province="440000").json()
    assert narrowed["total"] == 2
    assert (
        statistics(server, "sh_admin", serviceItem=item, certificateType="food_business_licence").json()["total"] == 0
    )
    later = statistics(server, "sh_admin", serviceItem=item, **{"from": "2099-01-01T00:00:00+08:00"}).json()
    assert later["total"] == 0 and later["consortium"]["total"] == 0
    window = {"from": "2020-01-01T00:00:00Z", "to": "2099-01-01T00:00:00Z"}
    assert statistics(server, "sh_admin", serviceItem=item, **window).json()["total"] == 6

    exported = statistics(server, "sh_admin", serviceItem=item, format="csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["section", "issuingProvince", "acceptingProvince", "date", "count"]
    assert ["matrix", "310000", "330000", "", "4", "3"] in rows
    assert [r[4] for r in rows if r[0] == "daily"] == ["6"]


def test_statistics_need_a_province_admin_key_and_valid_filters(server: Server) -> None:
    error(statistics(server, "sh_amr"), 403, "province_key_required")
    with server.client() as http:
        error(http.get("/supervision/statistics"), 401, "missing_api_key")
    for params in (
        {"from": "yesterday"},
        {"from": "2025-02-30T00:00:00Z"},
        {"to": "2025-01-01T00:00:00"},
        {"from": "2025-02-01T00:00:00Z", "to": "2025-01-01T00:00:00Z"},
        {"province": "999999"},
        {"certificateType": "x" * 100},
        {"serviceItem": "有 空格"},
        {"format": "xml"},
    ):
        body = error(statistics(server, "sh_admin", **params), 422, "invalid_request")
        assert body["details"][0]["pointer"], body


def test_feedback_once_per_verification_without_personal_data(server: Server) -> None:
    doc = issue(server)[0]
    item = "feedback-item"
    usage_id = post_verify(server, {"certificate": doc, "context": {"province": "330000", "serviceItem": item}})[
        "usageId"
    ]
    with server.client() as http:
        for comment in ("请联系 13812345678", "身份证 110101199003077777", "110101 19900307 777X", "138-1234-5678"):
            answer = http.post("/supervision/feedback", json={"usageId": usage_id, "rating": 1, "comment": comment})
            body = error(answer, 422, "personal_data")
            assert comment not in json.dumps(body, ensure_ascii=False)
        long = "好" * 201
        for bad in ({"usageId": usage_id, "rating": 6}, {"usageId": usage_id, "rating": "5"}, {"usageId": usage_id},
                    {"usageId": usage_id, "rating": 5, "comment": long}, {"usageId": "x", "rating": 5}):  # fmt: skip
            error(http.post("/supervision/feedback", json=bad), 422, "invalid_request")
        error(http.post("/supervision/feedback", json={"usageId": "A" * 22, "rating": 5}), 404, "usage_not_found")
        first = http.post("/supervision/feedback", json={"usageId": usage_id, "rating": 4, "comment": "办事很快 👍"})
        assert first.status_code == 201, first.text
        assert first.json() == {"usageId": usage_id, "rating": 4}
        again = http.post("/supervision/feedback", json={"usageId": usage_id, "rating": 1})
        error(again, 409, "feedback_exists")
    stats = statistics(server, "zj_admin", serviceItem=item).json()
    assert stats["ratings"]["count"] == 1 and stats["ratings"]["average"] == 4
    assert stats["ratings"]["byProvince"] == [{"province": "330000", "count": 1, "average": 4}]
    assert stats["serviceItems"][0]["ratings"] == {"count": 1, "average": 4}
    assert stats["ratings"]["distribution"]["4"] == 1


def test_a_service_that_records_no_usage_answers_without_a_usage_id(server: Server, tmp_path: Path) -> None:
    doc = issue(server)[0]
    with extra_server(server, tmp_path / "off", {"HURONG_USAGE_RECORDING": "false"}) as off, off.client() as http:
        answer = http.post("/verify", json={"certificate": doc, "context": {"serviceItem": "usage-off"}})
        assert answer.status_code == 200 and answer.json()["usageId"] is None
        bulk = http.post("/verify/bulk", json={"certificates": [doc]}).json()
        assert bulk["results"][0]["usageId"] is None
        error(http.post("/supervision/feedback", json={"usageId": "A" * 22, "rating": 5}), 404, "usage_not_found")
    with contextlib.closing(sqlite3.connect(tmp_path / "off" / USAGE_FILE)) as db:
        assert db.execute("SELECT count(*) FROM usage_records").fetchone() == (0,)


def test_two_workers_write_every_record_to_one_file(tmp_path: Path) -> None:
    with own_server(tmp_path, workers=2) as two:
        doc = issue(two)[0]
        body = {"certificate": doc, "context": {"province": "330000", "serviceItem": "two-workers"}}

        def verify(_: int) -> str:
            with httpx.Client(base_url=two.api, timeout=60) as http:
                return str(http.post("/verify", json=body).json()["usageId"])

        with ThreadPoolExecutor(8) as pool:
            ids = set(pool.map(verify, range(120)))
        assert len(ids) == 120
        assert {r["id"] for r in usage_rows(two, 120, service_item="two-workers")} == ids
        assert statistics(two, "zj_admin", serviceItem="two-workers").json()["total"] == 120
