"""`Idempotency-Key` on writes, through a real server: a retry answers the first outcome and never sends a second
transaction; a key reused for another request is refused."""

from __future__ import annotations

import sqlite3
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.api.conftest import Server
from tests.api.test_api import BUSINESS, error, issue
from tests.ledger.certificates.samples import fresh


def _post(server: Server, name: str, path: str, body: object, key: str) -> httpx.Response:
    with server.client(name) as http:
        return http.post(path, json=body, headers={"Idempotency-Key": key})


def _transactions_of(server: Server, name: str) -> int:
    reader = server.chain_client()
    return int(reader.w3.eth.get_transaction_count(server.addr(name)))  # type: ignore[arg-type]


def test_a_retried_issuance_answers_the_same_certificates_without_a_second_anchor(server: Server) -> None:
    key = str(uuid.uuid4())
    body = {"certificates": [fresh(BUSINESS), fresh(BUSINESS)]}
    first = _post(server, "sh_amr", "/certificates", body, key)
    assert first.status_code == 201, first.text
    sent = _transactions_of(server, "sh_amr")
    again = _post(server, "sh_amr", "/certificates", body, key)
    assert again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert _transactions_of(server, "sh_amr") == sent


def test_a_key_reused_for_another_request_is_refused(server: Server) -> None:
    key = str(uuid.uuid4())
    record = fresh(BUSINESS)
    assert _post(server, "sh_amr", "/certificates", {"certificates": [record]}, key).status_code == 201
    other = dict(record, holderName="李四")
    error(_post(server, "sh_amr", "/certificates", {"certificates": [other]}, key), 422, "idempotency_key_reused")


def test_keys_are_per_caller(server: Server) -> None:
    key = str(uuid.uuid4())
    record = fresh(BUSINESS)  # one licence number: the duplicate check is per agency
    first = _post(server, "sh_amr", "/certificates", {"certificates": [record]}, key)
    second = _post(server, "sh_pudong", "/certificates", {"certificates": [record]}, key)
    assert first.status_code == second.status_code == 201, second.text
    assert first.json()["data"][0]["proof"]["digest"] != second.json()["data"][0]["proof"]["digest"]


def test_a_malformed_key_is_refused_before_anything_is_sent(server: Server) -> None:
    sent = _transactions_of(server, "sh_amr")
    for key in ("", "x" * 256, "bad key", "tab\tkey"):
        error(
            _post(server, "sh_amr", "/certificates", {"certificates": [fresh(BUSINESS)]}, key),
            400,
            "invalid_idempotency_key",
        )
    assert _transactions_of(server, "sh_amr") == sent


def test_a_retried_status_change_answers_the_first_outcome(server: Server) -> None:
    doc = issue(server)[0]
    digest = doc["proof"]["digest"]
    key = str(uuid.uuid4())
    body = {"reason": "under_investigation"}
    first = _post(server, "sh_amr", f"/certificates/{digest}/suspend", body, key)
    assert first.status_code == 200, first.text
    sent = _transactions_of(server, "sh_amr")
    again = _post(server, "sh_amr", f"/certificates/{digest}/suspend", body, key)
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _transactions_of(server, "sh_amr") == sent
    # Without the key, a second suspension is a second request: the registry refuses it.
    with server.client("sh_amr") as http:
        refused = http.post(f"/certificates/{digest}/suspend", json=body)
    assert refused.status_code == 409, refused.text


def test_concurrent_requests_with_one_key_issue_once(server: Server) -> None:
    key = str(uuid.uuid4())
    body = {"certificates": [fresh(BUSINESS)]}
    sent = _transactions_of(server, "sh_amr")
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: _post(server, "sh_amr", "/certificates", body, key), range(4)))
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {201, 409}, [a.text for a in answers]
    digests = {a.json()["data"][0]["proof"]["digest"] for a in answers if a.status_code == 201}
    assert len(digests) == 1
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["error"]["code"] == "request_in_progress"
    assert _transactions_of(server, "sh_amr") == sent + 1


def test_a_status_change_while_the_batch_is_anchored_again_is_retried_not_refused(server: Server) -> None:
    doc = issue(server)[0]
    digest = doc["proof"]["digest"]
    root = bytes.fromhex(doc["proof"]["merkleRoot"][2:])
    journal = server.home / "journals" / f"{server.addr('sh_amr')}.sqlite"
    # What the reconciler leaves while it anchors again a batch a restarted chain lost: the batch prepared.
    with sqlite3.connect(journal) as db:
        assert db.execute("UPDATE batches SET state = 'prepared' WHERE root = ?", (root,)).rowcount == 1
    body = {"reason": "under_investigation"}
    key = str(uuid.uuid4())
    answer = _post(server, "sh_amr", f"/certificates/{digest}/suspend", body, key)
    error(answer, 503, "not_yet_anchored")
    assert answer.headers["Retry-After"] == "1"
    # Once the batch is anchored again, the retry with the same key goes through.
    with sqlite3.connect(journal) as db:
        db.execute("UPDATE batches SET state = 'anchored' WHERE root = ?", (root,))
    again = _post(server, "sh_amr", f"/certificates/{digest}/suspend", body, key)
    assert again.status_code == 200, again.text
    assert again.json()["digest"] == digest
