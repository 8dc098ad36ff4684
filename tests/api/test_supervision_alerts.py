"""Supervision alerts and assist requests (协查) through the real service: every rule fired by a scenario, alerts
stored once, listed, acknowledged, counted in the metrics and pushed to a real local webhook that checks their
signature; assist requests filed, answered by the province asked only, overdue ones raising a 超时 alert; the
Prometheus alerting rules file parses."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.metrics import Metrics
from api.supervision.alerts import RULES, SIGNATURE_HEADER, TIMESTAMP_HEADER
from api.supervision.assist import add_working_days
from ledger.chain.node import free_port
from tests.api.conftest import Server
from tests.api.supervised import supervised_server, usage_db, wait_for
from tests.api.test_api import error, issue
from tests.api.test_supervision import post_verify

ROOT = Path(__file__).resolve().parents[2]
SECRET = "webhook secret 监察"
RULES_FILE = """
[alerts]
evaluate_every_seconds = 1
[alerts.many_provinces]
provinces = 3
[alerts.caller_failures]
rate = 0.5
min_requests = 4
[alerts.issuance_spike]
factor = 2
min_certificates = 3
[alerts.status_burst]
changes = 3
[alerts.anchoring_latency]
seconds = 6
[alerts.chain_stalled]
seconds = 3
[webhook]
url = "http://127.0.0.1:{port}/hook"
retries = 3
backoff_seconds = 0.1
"""


class Receiver(ThreadingHTTPServer):
    """A webhook receiver that checks each request's signature, and refuses the first delivery (500)."""

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.received: list[dict[str, Any]] = []
        self.bad_signatures = 0
        self.attempts = 0


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.attempts += 1
        timestamp = self.headers[TIMESTAMP_HEADER]
        expected = "sha256=" + hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        fresh = abs(time.time() - int(timestamp)) < 300
        if not hmac.compare_digest(expected, self.headers[SIGNATURE_HEADER]) or not fresh:
            self.server.bad_signatures += 1
            status = 401
        elif self.server.attempts == 1:
            status = 500  # the first delivery fails: the service retries
        else:
            self.server.received.append(json.loads(body)["alert"])
            status = 204
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver(free_port())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[Server]:
    rules = RULES_FILE.format(port=receiver.server_address[1])
    env = {"HURONG_ALERT_WEBHOOK_SECRET": SECRET}
    with supervised_server(tmp_path_factory.mktemp("alerts"), rules, env) as server:
        yield server


def alerts(server: Server, key: str = "sh_admin", **params: Any) -> list[dict[str, Any]]:
    with server.client(key) as http:
        response = http.get("/supervision/alerts", params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def wait_alert(server: Server, rule: str, key: str = "sh_admin", timeout: float = 60) -> dict[str, Any]:
    found = wait_for(lambda: alerts(server, key, rule=rule), timeout=timeout, step=0.5)
    assert found, f"no {rule} alert"
    return dict(found[0])


def _revoke(server: Server, doc: dict[str, Any], action: str = "revoke") -> None:
    with server.client("sh_amr") as http:
        reason = {"revoke": 3, "suspend": "under_investigation"}[action]
        response = http.post(f"/certificates/{doc['proof']['digest']}/{action}", json={"reason": reason})
    assert response.status_code == 200, response.text


def test_every_rule_is_fired_by_its_scenario_and_stored_once(watched: Server, receiver: Receiver) -> None:
    docs = issue(watched, records=None) + issue(watched) + issue(watched)  # sh_amr: 3 certificates today
    first = docs[0]
    for province in ("310000", "330000", "440000"):  # one certificate in 3 provinces within minutes
        post_verify(watched, {"certificate": first, "context": {"province": province}})
    forged = copy.deepcopy(first)
    forged["credentialSubject"]["licenceNumber"] = "91310000MA1FL0000X"
    for _ in range(4):  # one caller, every verification failing
        post_verify(watched, {"certificate": forged, "context": {"province": "330000"}}, "zj_amr")
    for doc in docs:  # a burst of status changes by one agency
        _revoke(watched, doc, "suspend")
    post_verify(watched, {"certificate": first, "context": {"province": "330000"}})  # a suspended one presented
    post_verify(watched, {"certificate": first, "context": {"province": "110000"}})  # Beijing: nobody anchors it

    for rule in ("many_provinces", "caller_failures", "issuance_spike", "status_burst", "revoked_presented",
                 "anchoring_latency", "chain_stalled"):  # fmt: skip
        viewer = {"caller_failures": "zj_admin", "anchoring_latency": "bj_admin"}.get(rule, "sh_admin")
        alert = wait_alert(watched, rule, viewer)
        assert alert["state"] == "open" and alert["ruleName"] == RULES[rule] and alert["message"]
    presented = {a["details"]["acceptingProvince"]: a for a in alerts(watched, rule="revoked_presented")}
    assert presented["330000"]["details"]["status"] == "suspended" and presented["330000"]["severity"] == "critical"
    assert set(presented["330000"]["provinces"]) == {"330000", "310000"}
    # the three provinces at least (Beijing's verification may fall in the same round of the rules)
    seen = wait_alert(watched, "many_provinces")["details"]["provinces"]
    assert {"310000", "330000", "440000"} <= set(seen) and seen == sorted(seen)
    failures = wait_alert(watched, "caller_failures", key="zj_admin")
    assert failures["details"]["caller"] == watched.addr("zj_amr") and failures["details"]["failed"] == 4
    assert wait_alert(watched, "issuance_spike")["details"]["agency"] == watched.addr("sh_amr")
    late = [a for a in alerts(watched, "bj_admin", rule="anchoring_latency") if a["provinces"] == ["110000"]]
    assert late and late[0]["details"]["anchored"] is False
    # the same incidents raised again round after round: counted, not duplicated
    again = wait_for(lambda: [a for a in alerts(watched, rule="many_provinces") if a["count"] > 1], step=0.5)
    assert len(again) == 1 and len(alerts(watched, rule="many_provinces")) == 1

    # pushed to the webhook, signed; the failed first delivery retried
    assert wait_for(lambda: len(receiver.received) >= 7, timeout=60)
    assert receiver.bad_signatures == 0
    with usage_db(watched) as db:
        delivered = db.execute("SELECT count(*) FROM supervision_alerts WHERE delivered = 1").fetchone()[0]
    assert delivered >= 7
    assert {a["rule"] for a in receiver.received} >= {"many_provinces", "caller_failures", "revoked_presented"}

    # exported to Prometheus
    with watched.client() as http:
        metrics = http.get("/metrics").text
    assert 'hurong_alerts_total{rule="revoked_presented",severity="critical"}' in metrics
    assert 'hurong_alerts_open{rule="many_provinces",severity="warning"}' in metrics
    assert "hurong_usage_anchors_total" in metrics


def test_alerts_are_listed_by_province_and_acknowledged_by_an_admin_of_a_province_concerned(watched: Server) -> None:
    alert = wait_alert(watched, "revoked_presented")
    beijing_only = [a for a in alerts(watched, rule="anchoring_latency") if a["provinces"] == ["110000"]]
    assert not beijing_only, "Shanghai's admin sees alerts of other provinces"
    with watched.client("zj_admin") as zj, watched.client("sh_admin") as sh, watched.client("sh_amr") as agency:
        error(agency.get("/supervision/alerts"), 403, "province_key_required")
        error(agency.post(f"/supervision/alerts/{alert['id']}/ack"), 403, "province_key_required")
        shanghai = wait_alert(watched, "issuance_spike")
        assert shanghai["provinces"] == ["310000"]
        assert shanghai["id"] not in {a["id"] for a in alerts(watched, "zj_admin")}
        error(zj.post(f"/supervision/alerts/{shanghai['id']}/ack"), 403, "not_your_province")
        error(sh.post("/supervision/alerts/999999/ack"), 404, "alert_not_found")
        error(sh.post("/supervision/alerts/0/ack"), 422, "invalid_request")
        acked = sh.post(f"/supervision/alerts/{alert['id']}/ack")
        assert acked.status_code == 200, acked.text
        assert acked.json()["state"] == "acknowledged" and acked.json()["acknowledgedBy"] == "province:310000"
        error(sh.post(f"/supervision/alerts/{alert['id']}/ack"), 409, "alert_acknowledged")
        listed = sh.get("/supervision/alerts", params={"state": "acknowledged"}).json()
        assert alert["id"] in {a["id"] for a in listed["data"]}
        error(sh.get("/supervision/alerts", params={"rule": "no_such_rule"}), 422, "invalid_request")
        error(sh.get("/supervision/alerts", params={"since": "yesterday"}), 422, "invalid_request")


# --- assist requests (协查) ---------------------------------------------------------------------------------------


def test_working_day_deadlines_skip_weekends_and_holidays() -> None:
    cst = dt.timezone(dt.timedelta(hours=8))
    friday = dt.datetime(2026, 12, 4, 10, 0, tzinfo=cst).timestamp()
    deadline = dt.datetime.fromtimestamp(add_working_days(friday, 3), cst)
    assert (deadline.date(), deadline.time()) == (dt.date(2026, 12, 9), dt.time(23, 59, 59))  # Mon, Tue, Wed
    holiday = dt.datetime.fromtimestamp(add_working_days(friday, 3, (dt.date(2026, 12, 8),)), cst)
    assert holiday.date() == dt.date(2026, 12, 10)


def test_an_assist_request_is_filed_answered_by_the_province_asked_and_rated(watched: Server) -> None:
    doc = issue(watched)[0]
    body = {"issuingProvince": "310000", "certificateDigest": doc["proof"]["digest"],
            "question": "请核实该营业执照是否仍在有效期内 / is this licence still in force?",
            "serviceItem": "company-registration"}  # fmt: skip
    with watched.client("zj_amr") as zj, watched.client("sh_amr") as sh, watched.client("gd_amr") as gd:
        filed = zj.post("/assist-requests", json=body)
        assert filed.status_code == 201, filed.text
        request = filed.json()
        assert request["state"] == "open" and request["requestingProvince"] == "330000"
        assert request["certificateRef"] and len(request["certificateRef"]) == 64
        assert request["deadline"] > time.time() + 86_400
        path = f"/assist-requests/{request['id']}"
        answer = {"answer": "confirmed", "note": "在有效期内 / in force"}
        error(zj.post(path + "/answer", json=answer), 403, "not_target_province")
        error(gd.post(path + "/answer", json=answer), 404, "assist_request_not_found")
        error(gd.get(path), 404, "assist_request_not_found")
        error(sh.post(path + "/answer", json={"answer": "maybe"}), 422, "invalid_request")
        answered = sh.post(path + "/answer", json=answer)
        assert answered.status_code == 200, answered.text
        assert answered.json()["state"] == "answered" and answered.json()["answer"] == "confirmed"
        error(sh.post(path + "/answer", json=answer), 409, "assist_request_answered")
        incoming = sh.get("/assist-requests", params={"direction": "incoming", "state": "answered"}).json()
        assert request["id"] in {r["id"] for r in incoming["data"]}
        outgoing = zj.get("/assist-requests", params={"direction": "outgoing", "serviceItem": "company-registration"})
        assert request["id"] in {r["id"] for r in outgoing.json()["data"]}
        with watched.client("sh_admin") as admin:
            assert admin.get(path).json()["answer"] == "confirmed"
        rated = zj.post("/supervision/feedback", json={"usageId": request["usageId"], "rating": 4})
        assert rated.status_code == 201, rated.text

    def steps() -> set[str]:  # each step is a usage record (written by the worker's writer within its interval)
        with usage_db(watched) as db:
            query = "SELECT verdict FROM usage_records WHERE certificate_ref = ?"
            found = {r["verdict"] for r in db.execute(query, (request["certificateRef"],))}
        return found if {"ASSIST_FILED", "ASSIST_CONFIRMED"} <= found else set()

    assert wait_for(steps, timeout=10)


def test_assist_requests_are_validated_and_authorised(watched: Server) -> None:
    good = {"issuingProvince": "310000", "licenceNumber": "91330000MA2AB12345", "question": "核实 / confirm",
            "serviceItem": "tax-registration"}  # fmt: skip
    with watched.client("zj_amr") as zj, watched.client("zj_admin") as admin, watched.client() as anonymous:
        error(anonymous.post("/assist-requests", json=good), 401, "missing_api_key")
        error(admin.post("/assist-requests", json=good), 403, "agency_key_required")
        error(zj.post("/assist-requests", json=good | {"issuingProvince": "330000"}), 422, "invalid_request")
        error(zj.post("/assist-requests", json=good | {"issuingProvince": "120000"}), 404, "province_not_found")
        both = good | {"certificateDigest": "0x" + "ab" * 32}
        error(zj.post("/assist-requests", json=both), 422, "invalid_request")
        neither = {k: v for k, v in good.items() if k != "licenceNumber"}
        error(zj.post("/assist-requests", json=neither), 422, "invalid_request")
        personal = good | {"question": "持证人身份证 11010519491231002X 电话 13812345678"}
        error(zj.post("/assist-requests", json=personal), 422, "personal_data")
        error(zj.post("/assist-requests", json=good | {"serviceItem": "x" * 40}), 422, "invalid_request")
        error(zj.get("/assist-requests", params={"state": "lost"}), 422, "invalid_request")
        error(zj.get("/assist-requests/short"), 422, "invalid_request")
        filed = zj.post("/assist-requests", json=good)
        assert filed.status_code == 201 and filed.json()["licenceNumber"] == good["licenceNumber"]
    with usage_db(watched) as db:  # the licence number is kept encrypted
        dump = "\n".join(db.iterdump())
    assert good["licenceNumber"] not in dump


def test_an_overdue_assist_request_raises_a_timeout_alert(watched: Server) -> None:
    body = {"issuingProvince": "440000", "licenceNumber": "GD-2026-0001", "question": "核实 / confirm",
            "serviceItem": "talent-introduction"}  # fmt: skip
    with watched.client("zj_amr") as zj:
        request = zj.post("/assist-requests", json=body).json()
        with usage_db(watched) as db:  # four working days pass without an answer
            db.execute("UPDATE assist_requests SET deadline = ? WHERE id = ?", (time.time() - 60, request["id"]))
        overdue = zj.get("/assist-requests", params={"state": "overdue"}).json()["data"]
        assert request["id"] in {r["id"] for r in overdue}
    alert = wait_for(lambda: [a for a in alerts(watched, "zj_admin", rule="assist_overdue")
                              if a["details"]["request"] == request["id"]], step=0.5)  # fmt: skip
    assert alert and "超时" in alert[0]["message"]
    with watched.client() as http:
        assert 'hurong_assist_requests{state="overdue"}' in http.get("/metrics").text


def test_the_prometheus_alerting_rules_parse_and_name_the_services_metrics() -> None:
    document = yaml.safe_load((ROOT / "deploy" / "prometheus" / "hurong-alerts.yml").read_text(encoding="utf-8"))
    metric_names = {m.name for m in Metrics().registry.collect()} | {"up"}
    rules = [r for group in document["groups"] for r in group["rules"]]
    assert len(rules) >= 6 and all(set(group) == {"name", "rules"} for group in document["groups"])
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"} and rule["alert"].startswith("Hurong")
        assert rule["labels"]["severity"] in ("warning", "critical") and rule["annotations"]["summary"]
        named = {m for m in metric_names if m in rule["expr"]}
        assert named, f"{rule['alert']} names none of the service's metrics"
        assert rule["expr"].count("(") == rule["expr"].count(")")
        if "for" in rule:
            assert rule["for"][-1] in "smh" and rule["for"][:-1].isdigit()
