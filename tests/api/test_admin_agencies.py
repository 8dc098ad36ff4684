"""Agencies through the API: registration by a province admin or a parent agency (delegation), suspension,
reinstatement and grants of certificate types, each refused to every principal that must not do it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ledger.chain.models import AgencyStatus
from ledger.keys.keystore import load_account_key
from tests.api.conftest import PASSPHRASE, Server, own_server
from tests.api.test_api import error


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with own_server(tmp_path_factory.mktemp("agencies")) as running:
        yield running


def post(server: Server, name: str, path: str, body: dict[str, Any] | None = None) -> Any:
    with server.client(name) as http:
        return http.post(path, json=body) if body is not None else http.post(path)


def created(response: Any, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    answer = dict(response.json())
    assert answer["transactionHash"] == answer["transactions"][-1]["transactionHash"] and answer["blockNumber"] > 0
    return answer


def test_a_province_admin_registers_an_agency_with_a_generated_funded_account(srv: Server) -> None:
    body = {"region": "310104", "name": "徐汇区市场监督管理局二分局", "certificateTypes": ["business_licence"]}
    answer = created(post(srv, "sh_admin", "/agencies", body))
    agency = answer["agency"]
    address = agency["address"]
    assert [t["step"] for t in answer["transactions"]] == ["register", "grant", "fund"]
    assert agency["province"] == "310000" and agency["region"] == "310104" and agency["parent"] is None
    assert agency["certificateTypes"] == ["business_licence"] and agency["keyHeld"] is True
    assert agency["status"] == "active" and agency["effectivelyActive"] is True
    reader = srv.chain_client()
    record = reader.authorities.agency(address)
    assert (record.province, record.region, record.name) == (310000, 310104, body["name"])
    assert reader.authorities.is_granted(address, "business_licence")
    assert int(answer["fundedWei"]) == reader.w3.eth.get_balance(address) > 0
    key_file = srv.home / "keystore" / f"{address}.json"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert reader.as_account(load_account_key(key_file, PASSPHRASE)).address == address
    with srv.client() as http:  # read your write: the register lists it at once
        listed = http.get("/agencies", params={"province": "310000"}).json()["data"]
    assert address in [a["account"] for a in listed]


def test_a_parent_agency_delegates_a_child_with_a_given_address(srv: Server) -> None:
    given = srv.addr("new_agency")
    answer = created(post(srv, "sh_amr", "/agencies", {"address": given.lower(), "region": "310115", "name": "张江所"}))
    assert answer["agency"]["address"] == given and answer["agency"]["parent"] == srv.addr("sh_amr")
    assert answer["agency"]["keyHeld"] is False and answer["fundedWei"] is None
    assert [t["step"] for t in answer["transactions"]] == ["register"]
    record = srv.chain_client().authorities.agency(given)
    assert record.parent == srv.addr("sh_amr") and record.depth == 2
    error(post(srv, "sh_amr", "/agencies", {"address": given, "region": "310115", "name": "again"}), 409,
          "authority_registry_agency_exists")  # fmt: skip


@pytest.mark.parametrize(
    ("name", "body", "status", "code"),
    [
        # a child agency on its parent, an agency on an agency of another branch or province
        ("sh_pudong", {"parent": "sh_amr"}, 403, "not_parent_agency"),
        ("zj_amr", {"parent": "sh_pudong"}, 403, "not_parent_agency"),
        ("zj_admin", {"parent": "sh_amr"}, 403, "not_your_province"),
        ("zj_admin", {"province": "310000"}, 403, "not_your_province"),
        ("sh_amr", {"province": "330000"}, 403, "not_your_province"),
        ("sh_pudong", {"certificateTypes": ["food_business_licence"]}, 403, "type_not_held"),
        ("sh_admin", {"parent": "outsider"}, 404, "unknown_agency"),
        ("sh_admin", {"region": "330106"}, 422, "region_outside_province"),
        ("sh_admin", {"region": "999999"}, 422, "invalid_request"),
        ("sh_admin", {"certificateTypes": ["pilot_licence"]}, 422, "invalid_request"),
        ("sh_admin", {"certificate_types": []}, 422, "invalid_request"),
        ("sh_admin", {"address": "0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266"}, 422, "invalid_request"),
        ("sh_admin", {"name": ""}, 422, "invalid_request"),
        ("sh_suspended", {}, 403, "authority_registry_unauthorized"),  # a suspended agency delegates nothing
    ],
)
def test_registrations_that_must_not_happen_are_refused_before_anything_is_sent(
    srv: Server, name: str, body: dict[str, Any], status: int, code: str
) -> None:
    if "parent" in body:
        body = body | {"parent": srv.addr(body["parent"])}
    reader = srv.chain_client()
    count = reader.authorities.agency_count()
    keys = sorted((srv.home / "keystore").glob("0x*.json"))
    full = {"region": "310115", "name": "某局"} | body
    error(post(srv, name, "/agencies", full), status, code)
    assert reader.authorities.agency_count() == count and sorted((srv.home / "keystore").glob("0x*.json")) == keys


def test_suspension_and_reinstatement_by_the_province_or_an_ancestor_only(srv: Server) -> None:
    pudong = srv.addr("sh_pudong")
    for name, target, code in [
        ("zj_admin", pudong, "not_your_province"),
        ("sh_pudong", srv.addr("sh_amr"), "not_parent_agency"),  # a child on its parent
        ("sh_pudong", pudong, "not_parent_agency"),
        ("zj_amr", pudong, "not_parent_agency"),
    ]:
        error(post(srv, name, f"/agencies/{target}/suspend", {"reason": 2}), 403, code)
        error(post(srv, name, f"/agencies/{target}/reinstate"), 403, code)
    error(post(srv, "sh_admin", f"/agencies/{srv.addr('outsider')}/suspend"), 404, "unknown_agency")
    error(post(srv, "sh_admin", "/agencies/0x12/suspend"), 422, "invalid_request")
    error(post(srv, "sh_admin", f"/agencies/{pudong}/suspend", {"reason": 70000}), 422, "invalid_request")
    error(post(srv, "sh_admin", f"/agencies/{pudong}/reinstate"), 409, "agency_not_suspended")

    answer = created(post(srv, "sh_amr", f"/agencies/{pudong}/suspend", {"reason": 2}), 200)
    assert answer["agency"]["status"] == "suspended" and [t["step"] for t in answer["transactions"]] == ["suspend"]
    reader = srv.chain_client()
    assert reader.authorities.agency_status(pudong) == AgencyStatus.SUSPENDED
    assert not reader.authorities.is_active(srv.addr("sh_town"))  # and every agency below it
    error(post(srv, "sh_admin", f"/agencies/{pudong}/suspend"), 409, "agency_not_active")
    answer = created(post(srv, "sh_admin", f"/agencies/{pudong}/reinstate"), 200)
    assert answer["agency"]["status"] == "active" and answer["agency"]["effectivelyActive"] is True
    assert reader.authorities.agency_status(pudong) == AgencyStatus.ACTIVE


def test_certificate_types_are_granted_and_withdrawn_by_their_managers(srv: Server) -> None:
    pudong, town = srv.addr("sh_pudong"), srv.addr("sh_town")
    path = f"/agencies/{pudong}/certificate-types/food_business_licence"
    error(post(srv, "zj_admin", path), 403, "not_your_province")
    error(post(srv, "sh_pudong", path), 403, "not_parent_agency")  # an agency on itself
    error(
        post(srv, "sh_pudong", f"/agencies/{srv.addr('sh_amr')}/certificate-types/business_licence"),
        403,
        "not_parent_agency",
    )  # a child on its parent
    error(post(srv, "sh_pudong", f"/agencies/{town}/certificate-types/food_business_licence"), 403, "type_not_held")
    error(post(srv, "sh_admin", f"/agencies/{pudong}/certificate-types/pilot_licence"), 422, "unknown_certificate_type")
    error(post(srv, "sh_admin", f"/agencies/{pudong}/certificate-types/bad%20code"), 422, "invalid_request")

    answer = created(post(srv, "sh_amr", path))  # an ancestor holding the type
    assert "food_business_licence" in answer["agency"]["certificateTypes"]
    reader = srv.chain_client()
    assert reader.authorities.is_granted(pudong, "food_business_licence")
    error(post(srv, "sh_admin", path), 409, "authority_registry_type_already_granted")
    with srv.client("zj_admin") as http:
        error(http.delete(path), 403, "not_your_province")
    with srv.client("sh_pudong") as http:
        error(http.delete(path), 403, "not_parent_agency")
    with srv.client("sh_admin") as http:
        answer = created(http.delete(path), 200)
        assert "food_business_licence" not in answer["agency"]["certificateTypes"]
        error(http.delete(path), 409, "type_not_granted")
    assert not reader.authorities.is_granted(pudong, "food_business_licence")


def test_a_retried_registration_with_its_idempotency_key_registers_once(srv: Server) -> None:
    body = {"region": "310101", "name": "黄浦区市场监督管理局", "certificateTypes": ["business_licence"]}
    reader = srv.chain_client()
    count = reader.authorities.agency_count()
    with srv.client("sh_admin") as http:
        first = http.post("/agencies", json=body, headers={"Idempotency-Key": "huangpu"})
        again = http.post("/agencies", json=body, headers={"Idempotency-Key": "huangpu"})
    assert first.status_code == again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert reader.authorities.agency_count() == count + 1
