"""Supervision (电子监察) through the real service: usage records of verifications, statistics, feedback."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from api.supervision.records import USAGE_FILE
from tests.api.conftest import Server
from tests.api.test_api import issue


def usage_rows(server: Server, **where: str) -> list[dict[str, Any]]:
    """The usage records matching `where`, once the service's writer has flushed them (bounded wait)."""
    clause = " AND ".join(f"{k} = ?" for k in where) or "1"  # column names of the tests' own
    deadline = time.monotonic() + 10
    while True:
        with sqlite3.connect(server.home / USAGE_FILE) as db:
            db.row_factory = sqlite3.Row
            rows = [dict(r) for r in db.execute(f"SELECT * FROM usage_records WHERE {clause}", tuple(where.values()))]  # noqa: S608
        if rows or time.monotonic() > deadline:
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
    rows = usage_rows(server, service_item="usage-bulk")
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
