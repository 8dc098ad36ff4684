"""Governance through the API: proposals, votes, execution and cancellation by province admins, over a chain and
a service of this module's own (the proposals change the consortium)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from api.keys import ApiKeyStore
from api.launcher import stop_service
from ledger.chain.models import ProposalState, ProvinceStatus
from ledger.keys.keystore import AccountKey, save_key
from tests.api.conftest import PASSPHRASE, Server, own_server, start_server
from tests.api.test_api import error

JIANGSU = "320000"


@pytest.fixture(scope="module")
def gov(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The test consortium with a key of Guangdong's admin too (API key `gd_admin`, its account in the keystore)."""
    with own_server(tmp_path_factory.mktemp("governance")) as running:
        key = AccountKey.from_hex(running.result.keys["gd_admin"])
        save_key(running.home / "keystore" / f"{key.address}.json", key, PASSPHRASE)
        running.keys["gd_admin"] = ApiKeyStore(running.home / "api-keys.sqlite").create("province", "440000")[0]
        yield running


def propose(server: Server, name: str, body: dict[str, Any], **headers: str) -> dict[str, Any]:
    with server.client(name) as http:
        response = http.post("/proposals", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def steps(answer: dict[str, Any]) -> list[str]:
    assert answer["transactionHash"] == answer["transactions"][-1]["transactionHash"]
    assert answer["blockNumber"] == answer["transactions"][-1]["blockNumber"] > 0
    return [t["step"] for t in answer["transactions"]]


def test_writes_need_a_province_admin_key_and_reads_any_key(gov: Server) -> None:
    count = gov.chain_client().consortium.proposal_count()
    for name in ("sh_amr", "outsider"):
        with gov.client(name) as http:
            body = {"action": "setThreshold", "threshold": 1}
            error(http.post("/proposals", json=body), 403, "province_admin_key_required")
            for action in ("votes", "execute", "cancel"):
                error(http.post(f"/proposals/1/{action}"), 403, "province_admin_key_required")
            assert http.get("/proposals").status_code == 200
    with gov.client() as http:
        error(http.post("/proposals", json={"action": "setThreshold", "threshold": 1}), 401, "missing_api_key")
        error(http.get("/proposals"), 401, "missing_api_key")
    with gov.client("bj_admin") as http:  # the service holds no key of Beijing's admin
        error(http.post("/proposals", json={"action": "setThreshold", "threshold": 1}), 503, "no_signing_key")
    assert gov.chain_client().consortium.proposal_count() == count


@pytest.mark.parametrize(
    ("body", "status", "code", "detail"),
    [
        ({"action": "dissolve"}, 422, "invalid_request", "union_tag_invalid"),
        ({"action": "suspendProvince", "province": 440000}, 422, "invalid_request", "string_type"),
        ({"action": "suspendProvince", "province": "440100"}, 422, "invalid_request", "invalid_province_code"),
        ({"action": "suspendProvince", "province": "440000", "expires_at": 1}, 422, "invalid_request",
         "extra_forbidden"),
        ({"action": "admitProvince", "province": JIANGSU, "name": "江苏省", "admins": ["0x12"]}, 422, "invalid_request",
         "invalid_address"),
        ({"action": "setThreshold", "threshold": 0}, 422, "invalid_request", "greater_than_equal"),
        # refused as the consortium would refuse the call now, before anything is proposed
        ({"action": "setThreshold", "threshold": 9}, 422, "consortium_invalid_threshold", None),
        ({"action": "reinstateProvince", "province": "440000"}, 409, "consortium_province_not_suspended", None),
        ({"action": "removeProvince", "province": "120000"}, 404, "consortium_unknown_province", None),
    ],
)  # fmt: skip
def test_bad_proposals_are_refused_before_anything_is_sent(
    gov: Server, body: dict[str, Any], status: int, code: str, detail: str | None
) -> None:
    count = gov.chain_client().consortium.proposal_count()
    with gov.client("sh_admin") as http:
        found = error(http.post("/proposals", json=body), status, code)
    if detail is not None:
        assert detail in {problem["code"] for problem in found["details"]}, found
    assert gov.chain_client().consortium.proposal_count() == count


def test_unknown_proposals_are_404(gov: Server) -> None:
    with gov.client("sh_admin") as http:
        error(http.get("/proposals/9999"), 404, "unknown_proposal")
        for action in ("votes", "execute", "cancel"):
            error(http.post(f"/proposals/9999/{action}"), 404, "unknown_proposal")
        assert http.get("/proposals/0").status_code == 422


def test_a_province_is_admitted_by_vote_and_executed_by_the_vote_that_reaches_the_threshold(gov: Server) -> None:
    new_admin = gov.addr("new_admin")
    body = {"action": "admitProvince", "province": JIANGSU, "name": "江苏省", "admins": [new_admin.lower()],
            "description": "接纳江苏省"}  # fmt: skip
    created = propose(gov, "sh_admin", body)
    proposal = created["proposal"]
    assert steps(created) == ["propose", "vote"]  # the proposer's vote counts
    assert proposal["state"] == "pending" and proposal["voters"] == ["310000"]
    assert (proposal["votes"], proposal["threshold"]) == (1, 2)
    assert proposal["action"] == "admitProvince" and proposal["description"] == "接纳江苏省"
    assert proposal["arguments"] == {"province": JIANGSU, "name": "江苏省", "admins": [new_admin]}
    consortium = gov.chain_client().consortium
    assert consortium.has_voted(proposal["id"], 310000) and not consortium.has_voted(proposal["id"], 330000)
    with gov.client("sh_admin") as http:
        error(http.post(f"/proposals/{proposal['id']}/votes"), 409, "consortium_already_voted")
        pending = http.get("/proposals", params={"state": "pending"}).json()
    assert proposal["id"] in [p["id"] for p in pending["data"]]

    with gov.client("zj_admin") as http:
        response = http.post(f"/proposals/{proposal['id']}/votes")
    assert response.status_code == 201, response.text
    voted = response.json()
    assert steps(voted) == ["vote", "execute"] and voted["executionError"] is None
    assert voted["proposal"]["state"] == "executed" and voted["proposal"]["voters"] == ["310000", "330000"]
    jiangsu = consortium.province(int(JIANGSU))
    assert jiangsu.status == ProvinceStatus.ACTIVE and jiangsu.admins == (new_admin,) and jiangsu.name == "江苏省"
    with gov.client("gd_admin") as http:
        executed = http.get("/proposals", params={"state": "executed"}).json()
        assert http.get(f"/proposals/{proposal['id']}").json()["state"] == "executed"
        error(http.post(f"/proposals/{proposal['id']}/execute"), 409, "consortium_proposal_not_pending")
    assert [p["id"] for p in executed["data"]] == [proposal["id"]]
    assert gov.wait_indexed()["indexedBlock"] >= voted["blockNumber"]


def test_only_the_proposing_province_cancels(gov: Server) -> None:
    proposal = propose(gov, "sh_admin", {"action": "suspendProvince", "province": "440000"})["proposal"]
    with gov.client("zj_admin") as http:
        error(http.post(f"/proposals/{proposal['id']}/cancel"), 403, "not_your_proposal")
    with gov.client("sh_admin") as http:
        response = http.post(f"/proposals/{proposal['id']}/cancel")
        assert response.status_code == 200, response.text
        assert steps(response.json()) == ["cancel"] and response.json()["proposal"]["state"] == "cancelled"
        error(http.post(f"/proposals/{proposal['id']}/cancel"), 409, "consortium_proposal_not_pending")
        cancelled = http.get("/proposals", params={"state": "cancelled"}).json()["data"]
    assert gov.chain_client().consortium.proposal_state(proposal["id"]) == ProposalState.CANCELLED
    assert [p["id"] for p in cancelled] == [proposal["id"]]


def test_an_execution_the_target_refuses_is_reported_and_the_vote_stands(gov: Server) -> None:
    body = {"action": "suspendProvince", "province": "440000"}
    first = propose(gov, "sh_admin", body)["proposal"]
    second = propose(gov, "sh_admin", body)["proposal"]
    with gov.client("zj_admin") as http:
        assert http.post(f"/proposals/{first['id']}/votes").json()["proposal"]["state"] == "executed"
        response = http.post(f"/proposals/{second['id']}/votes")
    assert response.status_code == 201, response.text
    assert steps(response.json()) == ["vote"]
    assert response.json()["executionError"]["code"] == "consortium_province_not_active"
    assert response.json()["proposal"]["state"] == "approved"
    consortium = gov.chain_client().consortium
    assert consortium.province_status(440000) == ProvinceStatus.SUSPENDED
    assert consortium.has_voted(second["id"], 330000)
    with gov.client("gd_admin") as http:  # a suspended province's admin can no longer take part
        error(http.post(f"/proposals/{second['id']}/votes"), 403, "consortium_province_not_active")


def test_a_retried_proposal_with_its_idempotency_key_is_proposed_once(gov: Server) -> None:
    body = {"action": "reinstateProvince", "province": "440000"}
    consortium = gov.chain_client().consortium
    count = consortium.proposal_count()
    first = propose(gov, "zj_admin", body, **{"Idempotency-Key": "reinstate-gd-1"})
    with gov.client("zj_admin") as http:
        again = http.post("/proposals", json=body, headers={"Idempotency-Key": "reinstate-gd-1"})
        other = http.post(
            "/proposals", json=body | {"description": "另一个"}, headers={"Idempotency-Key": "reinstate-gd-1"}
        )
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first
    error(other, 422, "idempotency_key_reused")
    assert consortium.proposal_count() == count + 1


def test_with_automatic_execution_off_an_approved_proposal_waits_for_execute(gov: Server) -> None:
    url, process = start_server(gov.home, gov.chain, {"HURONG_AUTO_EXECUTE_PROPOSALS": "false"})
    manual = Server(url, gov.chain, gov.result, gov.home, gov.keys, process)
    try:
        body = {"action": "removeProvinceAdmin", "province": "310000", "account": gov.addr("sh_admin2")}
        proposal = propose(manual, "sh_admin", body)["proposal"]
        with manual.client("zj_admin") as http:
            voted = http.post(f"/proposals/{proposal['id']}/votes").json()
        assert steps(voted) == ["vote"] and voted["proposal"]["state"] == "approved"
        consortium = gov.chain_client().consortium
        assert consortium.is_province_admin(310000, gov.addr("sh_admin2"))
        with manual.client("zj_admin") as http:
            response = http.post(f"/proposals/{proposal['id']}/execute")
        assert response.status_code == 200, response.text
        assert steps(response.json()) == ["execute"] and response.json()["proposal"]["state"] == "executed"
        assert not consortium.is_province_admin(310000, gov.addr("sh_admin2"))
        assert consortium.province(310000).admins == (gov.addr("sh_admin"),)
    finally:
        stop_service(process)
