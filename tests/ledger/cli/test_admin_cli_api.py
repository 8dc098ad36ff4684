"""The administration commands of `hurong` acting through a real Hurong service (`--api URL`): the listings the
service answers print what the same commands read from the chain; the writes send the bodies the service's routes
take, and what they did is found on the chain; a refusal of the service, a service that cannot be reached or a
write without an API key is refused with one line and exit status 1.

The writes come after the listings in this module (they share one chain and service) and change what those count."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ledger.chain.models import AgencyStatus, ProvinceStatus
from ledger.cli.main import app
from ledger.keys.keystore import AccountKey
from tests.api.conftest import Server, own_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with own_server(tmp_path_factory.mktemp("admin-api")) as running:
        running.wait_indexed()
        yield running


def hurong(server: Server, *args: str) -> Any:
    environ: dict[str, str | None] = {name: None for name in os.environ if name.startswith("HURONG_")}
    environ |= {"HURONG_RPC_URL": server.chain.url, "HURONG_DEPLOYMENTS": str(Path(server.home) / "deployments")}
    result = CliRunner().invoke(app, list(args), env=environ)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def listed(server: Server, *args: str, key: str | None = None) -> tuple[Any, Any]:
    """What a listing prints as JSON read through the service (with the API key of `key`), and read from the
    chain."""
    keyed = ("--api-key", server.keys[key]) if key else ()
    through = hurong(server, *args, "--json", "--api", server.url, *keyed)
    direct = hurong(server, *args, "--json")
    assert through.exit_code == 0 and direct.exit_code == 0, through.stderr + direct.stderr
    return json.loads(through.stdout), json.loads(direct.stdout)


def test_agencies_listed_through_the_service_are_those_on_the_chain(server: Server) -> None:
    through, direct = listed(server, "agency", "list")
    assert len(through) == len(direct) > 0
    by_account = {a["account"]: a for a in direct}
    for agency in through:
        expected = by_account[agency["account"]]
        assert set(agency["certificateTypes"]) == set(expected.pop("certificateTypes"))
        assert {k: v for k, v in agency.items() if k != "certificateTypes"} == expected
    sh_only, _ = listed(server, "agency", "list", "--province", "310000", "--type", "food_business_licence")
    assert [a["account"] for a in sh_only] == [server.addr("sh_amr")]


def test_rules_and_provinces_listed_through_the_service_are_those_on_the_chain(server: Server) -> None:
    through, direct = listed(server, "rule", "list", "--accepting", "330000")
    assert through == direct and through[0]["issuingProvince"] == "310000" and through[0]["inForce"]
    provinces, on_chain = listed(server, "gov", "provinces")
    assert sorted(provinces, key=lambda p: p["code"]) == sorted(on_chain, key=lambda p: p["code"])
    assert {p["code"] for p in provinces} == {"310000", "330000", "440000", "110000"}
    table = hurong(server, "rule", "list", "--api", server.url)
    assert table.exit_code == 0 and "互认规则 recognition rules (1)" in table.stdout


def test_writes_through_the_service_need_an_api_key_and_a_service_that_answers(server: Server) -> None:
    keyless = hurong(server, "agency", "reinstate", server.addr("sh_suspended"), "--api", server.url)
    assert keyless.exit_code == 1 and keyless.stderr.count("\n") == 1 and "needs --api-key" in keyless.stderr
    gone = hurong(server, "agency", "list", "--api", "http://127.0.0.1:9")
    assert gone.exit_code == 1 and gone.stderr.startswith("失败 failed: 无法连接服务 cannot reach the service")
    assert "service URL must start with http://" in hurong(server, "agency", "list", "--api", "ftp://x").stderr


def written(server: Server, key: str, *args: str) -> dict[str, Any]:
    """What a write through the service with the API key of `key` printed as JSON, once it succeeded."""
    result = hurong(server, *args, "--json", "--api", server.url, "--api-key", server.keys[key])
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert isinstance(answer, dict) and answer["txHash"].startswith("0x") and answer["block"] > 0, answer
    assert answer["txHash"] == answer["transactions"][-1]["transactionHash"]
    return answer


def test_a_proposal_and_the_vote_that_reaches_the_threshold_are_executed_on_the_chain(server: Server) -> None:
    admin = AccountKey.generate().address
    proposed = written(server, "sh_admin", "gov", "propose", "admit", "--province", "320000", "--admin", admin)
    assert (proposed["state"], proposed["votes"], proposed["threshold"], proposed["voters"]) == (
        "pending", 1, 2, ["310000"]
    )  # fmt: skip
    assert proposed["call"] == f"admitProvince(code=320000, name=江苏省, admins=[{admin}])"
    assert [t["step"] for t in proposed["transactions"]] == ["propose", "vote"]
    assert proposed["expiresAt"] is not None  # the service's lifetime, by the chain's clock
    number = str(proposed["proposalId"])
    voted = written(server, "zj_admin", "gov", "vote", number)
    assert (voted["proposalId"], voted["state"], voted["voters"]) == (proposed["proposalId"], "executed",
                                                                      ["310000", "330000"])  # fmt: skip
    assert [t["step"] for t in voted["transactions"]] == ["vote", "execute"]
    jiangsu = server.chain_client().consortium.province(320000)
    assert (jiangsu.name, jiangsu.status, list(jiangsu.admins)) == ("江苏省", ProvinceStatus.ACTIVE, [admin])
    executed, on_chain = listed(server, "gov", "list", "--state", "executed", key="zj_admin")
    assert [p["id"] for p in executed] == [p["id"] for p in on_chain] == [proposed["proposalId"]]


def test_an_agency_is_registered_granted_suspended_and_reinstated(server: Server) -> None:
    agency = AccountKey.generate().address
    name = "上海市黄浦区市场监督管理局"
    made = written(server, "sh_admin", "agency", "register", agency.lower(), "--name", name, "--region", "310101")
    assert (made["agency"], made["name"], made["province"], made["region"], made["status"]) == (
        agency, name, "310000", "310101", "active"
    )  # fmt: skip
    authorities = server.chain_client().authorities
    on_chain = authorities.agency(agency)
    assert (on_chain.name, on_chain.province, on_chain.region, on_chain.parent) == (name, 310000, 310101, None)
    granted = written(server, "sh_admin", "agency", "grant", agency, "food_business_licence")
    assert granted["certificateTypes"] == ["food_business_licence"]
    assert authorities.is_granted(agency, "food_business_licence")
    suspended = written(server, "sh_admin", "agency", "suspend", agency, "--reason", "under_investigation")
    assert (suspended["status"], suspended["reason"]) == ("suspended", "under_investigation")
    assert authorities.agency_status(agency) == AgencyStatus.SUSPENDED
    reinstated = written(server, "sh_admin", "agency", "reinstate", agency)
    assert reinstated["status"] == "active" and authorities.agency_status(agency) == AgencyStatus.ACTIVE
    through, direct = listed(server, "agency", "list", "--type", "food_business_licence")
    assert agency in {a["account"] for a in through} and agency in {a["account"] for a in direct}


def test_a_signing_key_is_created_listed_and_revoked(server: Server) -> None:
    pudong = server.addr("sh_pudong")
    made = written(server, "sh_pudong", "signing-key", "create", "--agency", pudong, "--algorithm", "sm2")
    key_id = made["keyId"]
    assert (made["agency"], made["algorithm"], made["state"], made["heldByService"]) == (pudong, "SM2", "valid", True)
    assert made["validUntil"] is None  # no end
    authorities = server.chain_client().authorities
    assert bytes.fromhex(key_id[2:]) in authorities.signing_keys_of(pudong)
    through, direct = listed(server, "signing-key", "list", "--agency", pudong, key="sh_pudong")
    assert through == direct and key_id in {k["keyId"] for k in through}
    revoked = written(server, "sh_admin", "signing-key", "revoke", key_id, "--agency", pudong)
    assert (revoked["keyId"], revoked["state"]) == (key_id, "revoked") and revoked["revokedAt"] is not None
    assert authorities.signing_key_revoked_at(bytes.fromhex(key_id[2:])) is not None
    through, direct = listed(server, "signing-key", "list", "--agency", pudong, key="sh_pudong")
    assert through == direct and [k["state"] for k in through if k["keyId"] == key_id] == ["revoked"]


def test_a_recognition_rule_is_set_and_revoked(server: Server) -> None:
    basis = "粤港澳大湾区电子证照互认协议"
    rule = written(server, "zj_admin", "rule", "set", "--accepting", "330000", "--issuing", "440000",
                   "--type", "business_licence", "--legal-basis", basis)  # fmt: skip
    assert (rule["acceptingProvince"], rule["issuingProvince"], rule["certificateType"], rule["serviceItem"]) == (
        "330000", "440000", "business_licence", "*"
    )  # fmt: skip
    assert (rule["legalBasis"], rule["revokedAt"], rule["effectiveUntil"]) == (basis, None, None)
    recognition = server.chain_client().recognition
    on_chain = recognition.rule(rule["id"])
    assert (on_chain.accepting_province, on_chain.issuing_province, on_chain.legal_basis) == (330000, 440000, basis)
    assert on_chain.revoked_at is None
    revoked = written(server, "zj_admin", "rule", "revoke", str(rule["id"]))
    assert revoked["id"] == rule["id"] and revoked["revokedAt"] is not None
    assert recognition.rule(rule["id"]).revoked_at is not None


def test_a_refusal_of_the_service_is_one_line_and_nothing_is_sent(server: Server) -> None:
    count = server.chain_client().consortium.proposal_count()
    agency_key = ("--api", server.url, "--api-key", server.keys["sh_amr"])
    refused = hurong(server, "gov", "propose", "threshold", "--threshold", "3", *agency_key)
    assert refused.exit_code == 1 and refused.stdout == "" and refused.stderr.count("\n") == 1, refused.stderr
    assert refused.stderr.startswith(
        "失败 failed: 服务拒绝 refused by the service: POST /proposals: 403 province_admin_key_required: "
    ), refused.stderr
    assert server.chain_client().consortium.proposal_count() == count
    zj_amr = server.addr("zj_amr")
    elsewhere = ("--api", server.url, "--api-key", server.keys["sh_admin"])
    refused = hurong(server, "agency", "suspend", zj_amr, *elsewhere)
    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1, refused.stderr
    assert f"POST /agencies/{zj_amr}/suspend: 403 not_your_province: " in refused.stderr
    assert server.chain_client().authorities.agency_status(zj_amr) == AgencyStatus.ACTIVE
