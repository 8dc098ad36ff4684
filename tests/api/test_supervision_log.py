"""The tamper-evident usage log through the real service and chain: each province's usage records anchored on
`UsageLog` per period, `hurong audit prove` / `verify` / `check`, and a record deleted or changed afterwards
detected."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.audit import UsageLogClient
from ledger.chain.client import make_web3
from tests.api.conftest import Server
from tests.api.supervised import hurong, supervised_server, usage_db, wait_for
from tests.api.test_api import issue
from tests.api.test_supervision import post_verify
from tests.ledger.certificates.samples import LICENCES


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with supervised_server(tmp_path_factory.mktemp("usage-log")) as server:
        yield server


def _anchored(server: Server, ids: list[str]) -> list[dict[str, Any]]:
    """The anchors covering the records `ids`, once every one of them is anchored."""
    with usage_db(server) as db:
        found = []
        for record_id in ids:
            record = db.execute("SELECT * FROM usage_records WHERE id = ?", (record_id,)).fetchone()
            if record is None:
                return []
            province = record["accepting_province"] or record["issuing_province"]
            anchor = db.execute("SELECT * FROM usage_anchors WHERE province = ? AND state = 'anchored' AND "
                                "period * interval <= ? AND (period + 1) * interval > ?",
                                (province, record["at"], record["at"])).fetchone()  # fmt: skip
            if anchor is None:
                return []
            found.append(dict(anchor))
        return found


def _args(server: Server) -> list[str]:
    return ["--rpc", server.chain.url, "--deployments", str(server.home / "deployments")]


def _verify_some(server: Server, item: str) -> list[str]:
    doc = issue(server)[0]
    ids = []
    for province in ("330000", "440000", "330000"):
        answer = post_verify(server, {"certificate": doc, "context": {"province": province, "serviceItem": item}})
        ids.append(answer["usageId"])
    return ids


def test_each_provinces_usage_records_are_anchored_and_every_record_proves_against_the_chain(
    logged: Server, tmp_path: Path
) -> None:
    ids = _verify_some(logged, "log-prove")
    anchors = wait_for(lambda: _anchored(logged, ids), timeout=60)
    assert anchors, "the records were not anchored"
    assert {a["province"] for a in anchors} == {"330000", "440000"}
    w3 = make_web3(logged.chain.url)
    log = UsageLogClient.of(w3, logged.result.deployment)
    for anchor in anchors:
        assert log.root_of(int(anchor["province"]), anchor["period"]) == bytes.fromhex(anchor["root"][2:])
        receipt = w3.eth.get_transaction_receipt(anchor["tx_hash"])
        print(f"anchor of {anchor['count']} usage records: {receipt['gasUsed']:,} gas")
        # the province's admin when the keystore holds one (one registry read), else one of its agencies
        by = {"330000": "zj_admin", "440000": "gd_amr"}[anchor["province"]]
        assert receipt["from"] == logged.addr(by)
        assert receipt["gasUsed"] < (60_000 if by.endswith("admin") else 70_000)  # one storage slot

    for record_id in ids:
        proved = hurong("audit", "prove", record_id, "--home", str(logged.home), *_args(logged))
        assert proved.returncode == 0, proved.stderr + proved.stdout
        proof = json.loads(proved.stdout)
        assert proof["record"]["id"] == record_id and proof["chainId"] == w3.eth.chain_id
        assert log.verify(int(proof["province"]), proof["period"], bytes.fromhex(proof["digest"][2:]),
                          [bytes.fromhex(p[2:]) for p in proof["proof"]])  # fmt: skip
        path = tmp_path / f"{record_id}.json"
        path.write_text(proved.stdout, encoding="utf-8")
        checked = hurong("audit", "verify", str(path), *_args(logged))
        assert checked.returncode == 0, checked.stderr + checked.stdout
        assert "proof holds" in checked.stdout

    # a proof whose record was altered, or whose root is another, does not hold
    proof["record"]["verdict"] = "INVALID"
    path.write_text(json.dumps(proof), encoding="utf-8")
    altered = hurong("audit", "verify", str(path), *_args(logged))
    assert altered.returncode == 1 and "was changed" in altered.stderr
    proof = json.loads(proved.stdout) | {"period": proof["period"] + 10_000}
    path.write_text(json.dumps(proof), encoding="utf-8")
    moved = hurong("audit", "verify", str(path), *_args(logged))
    assert moved.returncode == 1 and "nothing is anchored" in moved.stderr
    for bad in ("not json", json.dumps({"version": 1, "record": {}})):
        path.write_text(bad, encoding="utf-8")
        refused = hurong("audit", "verify", str(path), *_args(logged))
        assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr

    unknown = hurong("audit", "prove", "no-such-record-000", "--home", str(logged.home), *_args(logged))
    assert unknown.returncode == 1 and "no usage record" in unknown.stderr


def test_a_record_deleted_or_changed_after_anchoring_is_detected(logged: Server) -> None:
    ids = _verify_some(logged, "log-tamper")
    assert wait_for(lambda: _anchored(logged, ids), timeout=60)
    clean = hurong("audit", "check", "--home", str(logged.home), *_args(logged))
    assert clean.returncode == 0, clean.stderr + clean.stdout

    with usage_db(logged) as db:  # someone edits the log: a failed verification becomes a success
        db.execute("UPDATE usage_records SET verdict = 'INVALID' WHERE id = ?", (ids[0],))
    changed = hurong("audit", "check", "--home", str(logged.home), *_args(logged))
    assert changed.returncode == 1 and "root differs" in changed.stdout
    proof = hurong("audit", "prove", ids[0], "--home", str(logged.home), *_args(logged))
    assert proof.returncode == 1 and "deleted or changed" in proof.stderr
    with usage_db(logged) as db:
        db.execute("UPDATE usage_records SET verdict = 'VALID' WHERE id = ?", (ids[0],))
    assert hurong("audit", "check", "--home", str(logged.home), *_args(logged)).returncode == 0

    with usage_db(logged) as db:  # a record deleted
        db.execute("DELETE FROM usage_records WHERE id = ?", (ids[1],))
    deleted = hurong("audit", "check", "--home", str(logged.home), *_args(logged))
    assert deleted.returncode == 1 and "root differs" in deleted.stdout
    sibling = next((i for i in ids if i != ids[1] and _anchored(logged, [i]) == _anchored(logged, [ids[1]])), None)
    if sibling is not None:  # the other record of that province and period no longer proves either
        refused = hurong("audit", "prove", sibling, "--home", str(logged.home), *_args(logged))
        assert refused.returncode == 1 and "deleted or changed" in refused.stderr


def test_no_personal_data_reaches_the_usage_records_the_usage_log_or_the_service_logs(logged: Server) -> None:
    """Verifications (one by one, in bulk, tampered), assist requests and ratings of a physician's certificate:
    neither its holder's name, nor the ID number, nor the digest is found in any byte of the usage database (WAL
    included) or of the service's logs."""
    with logged.client("zj_admin") as admin:
        granted = admin.post(f"/agencies/{logged.addr('zj_amr')}/certificate-types/physician_certificate")
        assert granted.status_code == 201, granted.text
    logged.wait_indexed()
    physician = fresh_physician()
    doc = issue(logged, "zj_amr", [physician])[0]
    digest = doc["proof"]["digest"]
    tampered = json.loads(json.dumps(doc))
    tampered["credentialSubject"]["holderName"] = "赵六"
    ids = []
    for province, key in (("310000", None), ("440000", "gd_amr"), ("330000", "sh_amr")):
        ids.append(post_verify(logged, {"certificate": doc, "context": {"province": province}}, key)["usageId"])
    bulk = post_verify(logged, {"certificates": [doc, tampered], "context": {"province": "310000"}}, "sh_amr",
                       "/verify/bulk")  # fmt: skip
    ids += [r["usageId"] for r in bulk["results"]]
    with logged.client("sh_amr") as sh, logged.client("zj_amr") as zj, logged.client() as anyone:
        asked = sh.post("/assist-requests", json={"issuingProvince": "330000", "certificateDigest": digest,
                                                  "question": "请核实执业范围 / confirm scope",
                                                  "serviceItem": "clinic-registration"})  # fmt: skip
        assert asked.status_code == 201, asked.text
        reply = {"answer": "needs_documents", "note": "请补充执业证明"}
        answered = zj.post(f"/assist-requests/{asked.json()['id']}/answer", json=reply)
        assert answered.status_code == 200, answered.text
        for usage_id in (ids[0], asked.json()["usageId"]):
            assert anyone.post("/supervision/feedback", json={"usageId": usage_id, "rating": 5}).status_code == 201
        refused = anyone.post("/supervision/feedback", json={"usageId": ids[1], "rating": 1,
                                                             "comment": f"持证人 {physician['holderId']}"})  # fmt: skip
        assert refused.status_code == 422
    assert wait_for(lambda: _anchored(logged, ids[:3]), timeout=60)  # written, and rolled into the log

    secrets = {"name": physician["holderName"], "id": physician["holderId"], "digest": digest[2:].lower()}
    files = [p for p in logged.home.iterdir() if p.name.startswith("usage.sqlite") or p.suffix == ".log"]
    assert any(p.name == "usage.sqlite" for p in files) and any(p.suffix == ".log" for p in files)
    for path in files:
        raw = path.read_bytes()
        for what, value in secrets.items():
            for form in {value, value.upper()}:
                assert form.encode("utf-8") not in raw, f"the {what} is in {path.name}"
    with usage_db(logged) as db:
        refs = {r[0] for r in db.execute("SELECT certificate_ref FROM usage_records WHERE id IN (?, ?, ?)", ids[:3])}
    assert len(refs) == 1 and len(next(iter(refs))) == 64  # one pseudonym for the certificate, not its digest


def fresh_physician() -> dict[str, Any]:
    """A physician's certificate of 浙江 (a person: a name and a resident ID number) with a licence of its own."""
    record = json.loads(json.dumps(LICENCES["physician_certificate"]))
    record["licenceNumber"] = f"1103301{int(time.time() * 1000) % 10**8:08d}"
    return record
