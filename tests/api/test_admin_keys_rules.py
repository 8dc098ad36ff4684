"""Signing keys, their rotation, recognition rules and agencies' API keys through the API, each refused to every
principal that must not manage them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.chain.models import KeyAlgorithm
from ledger.errors import SigningKeyError
from ledger.issuance.issuer import Issuer
from ledger.issuance.journal import Journal
from ledger.keys.keystore import load_account_key, load_signing_key
from ledger.keys.pairs import generate
from ledger.keys.possession import sign_proof_of_possession
from ledger.keys.signatures import sign_root
from tests.api.conftest import PASSPHRASE, Server, own_server
from tests.api.test_api import BUSINESS, error, outcome, verify

_labels = itertools.count()


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with own_server(tmp_path_factory.mktemp("keys-rules")) as running:
        yield running


def ok(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    answer = dict(response.json())
    if "transactions" in answer:
        assert answer["transactionHash"] == answer["transactions"][-1]["transactionHash"]
    return answer


def add_key(server: Server, name: str, agency: str, body: dict[str, Any]) -> httpx.Response:
    with server.client(name) as http:
        return http.post(f"/agencies/{agency}/signing-keys", json=body)


# ---------------------------------------------------------------------------------------------------- signing keys


def test_signing_keys_are_generated_or_registered_by_the_agency_or_its_province(srv: Server) -> None:
    amr, pudong = srv.addr("sh_amr"), srv.addr("sh_pudong")
    authorities = srv.chain_client().authorities
    generated = ok(add_key(srv, "sh_amr", amr, {"algorithm": "Ed25519"}))["signingKey"]
    assert generated["heldByService"] is True and generated["validNow"] is True and generated["revokedAt"] is None
    key_id = bytes.fromhex(generated["keyId"][2:])
    assert authorities.is_key_valid_at(amr, key_id, srv.chain_client().w3.eth.get_block("latest")["timestamp"])
    key_file = srv.home / "keystore" / "signing" / amr / f"{generated['keyId']}.json"
    assert load_signing_key(key_file, PASSPHRASE).key_id_for(amr) == key_id

    sm2 = ok(add_key(srv, "sh_admin", pudong, {"algorithm": "SM2", "validUntil": 2**40}))["signingKey"]
    assert sm2["algorithm"] == "SM2" and sm2["validUntil"] == 2**40 and len(sm2["publicKey"]) == 2 + 128
    assert authorities.signing_key(bytes.fromhex(sm2["keyId"][2:])).algorithm == KeyAlgorithm.SM2

    held_elsewhere = generate(KeyAlgorithm.ED25519)
    proof = sign_proof_of_possession(held_elsewhere, chain_id=31337, registry=authorities.address, agency=amr)
    body = {"algorithm": "Ed25519", "publicKey": "0x" + held_elsewhere.public_key.hex(), "proofOfPossession": "0x"}
    registered = ok(add_key(srv, "sh_amr", amr, body | {"proofOfPossession": "0x" + proof.hex()}))["signingKey"]
    assert registered["heldByService"] is False
    assert registered["keyId"] == "0x" + held_elsewhere.key_id_for(amr).hex()

    with srv.client("zj_amr") as http:
        listed = http.get(f"/agencies/{amr}/signing-keys").json()
    assert [k["keyId"] for k in listed["data"]] == [generated["keyId"], registered["keyId"]]
    assert listed["count"] == 2


@pytest.mark.parametrize(
    ("name", "agency", "body", "status", "code"),
    [
        ("sh_pudong", "sh_amr", {}, 403, "not_your_agency"),  # a child on its parent
        ("sh_amr", "sh_pudong", {}, 403, "not_your_agency"),  # a parent on its child
        ("zj_admin", "sh_amr", {}, 403, "not_your_province"),
        ("sh_admin", "outsider", {}, 404, "unknown_agency"),
        ("sh_amr", "sh_amr", {"algorithm": "RSA"}, 422, "invalid_request"),
        ("sh_amr", "sh_amr", {"publicKey": "0x" + "11" * 32}, 422, "invalid_request"),
        ("sh_amr", "sh_amr", {"publicKey": "0x" + "11" * 32, "proofOfPossession": "0x" + "22" * 64}, 422,
         "invalid_proof_of_possession"),
        ("sh_amr", "sh_amr", {"validFrom": 2**40, "validUntil": 2**39}, 422, "invalid_request"),
        ("sh_amr", "sh_amr", {"validFrom": 1000}, 422, "authority_registry_invalid_key_window"),
        ("sh_amr", "sh_amr", {"valid_from": 0}, 422, "invalid_request"),
    ],
)  # fmt: skip
def test_signing_keys_that_must_not_be_added_are_refused_before_anything_is_sent(
    srv: Server, name: str, agency: str, body: dict[str, Any], status: int, code: str
) -> None:
    authorities = srv.chain_client().authorities
    before = authorities.signing_keys_of(srv.addr(agency))
    files = sorted((srv.home / "keystore").rglob("*.json"))
    error(add_key(srv, name, srv.addr(agency), {"algorithm": "Ed25519"} | body), status, code)
    assert authorities.signing_keys_of(srv.addr(agency)) == before
    assert sorted((srv.home / "keystore").rglob("*.json")) == files  # no generated key left behind


def test_signing_keys_are_revoked_by_the_agency_or_its_province_only(srv: Server) -> None:
    gd = srv.addr("gd_amr")
    key = ok(add_key(srv, "gd_amr", gd, {"algorithm": "Ed25519"}))["signingKey"]
    path = f"/agencies/{gd}/signing-keys/{key['keyId']}"
    for name, code in (("sh_admin", "not_your_province"), ("zj_amr", "not_your_agency")):
        with srv.client(name) as http:
            error(http.delete(path), 403, code)
    with srv.client("gd_amr") as http:
        error(http.delete(f"/agencies/{gd}/signing-keys/0x{'00' * 32}"), 404, "unknown_signing_key")
        error(http.delete(f"/agencies/{gd}/signing-keys/0x12"), 422, "invalid_request")
        revoked = ok(http.delete(path), 200)["signingKey"]
        assert revoked["revokedAt"] is not None and revoked["validNow"] is False
        error(http.delete(path), 409, "signing_key_revoked")
    assert srv.chain_client().authorities.signing_key_revoked_at(key["keyId"]) == revoked["revokedAt"]


def test_a_certificate_signed_under_a_rotated_key_keeps_verifying_under_the_old_window(
    srv: Server, tmp_path: Path
) -> None:
    """A certificate issued with the library's Issuer, signed by the key the service generated, verifies through the
    API after the key is rotated (issuance through the API: `tests/api/test_signed_issuance.py`)."""
    body = {"region": "310115", "name": "浦东新区轮换测试局", "certificateTypes": ["business_licence"]}
    with srv.client("sh_admin") as http:
        agency = ok(http.post("/agencies", json=body))["agency"]["address"]
    old = ok(add_key(srv, "sh_admin", agency, {"algorithm": "Ed25519"}))["signingKey"]
    keystore = srv.home / "keystore"
    old_pair = load_signing_key(keystore / "signing" / agency / f"{old['keyId']}.json", PASSPHRASE)
    client = srv.chain_client().as_account(load_account_key(keystore / f"{agency}.json", PASSPHRASE))
    journal = Journal(tmp_path / "journal.sqlite")
    try:
        issuer = Issuer(client, journal, signer=lambda root: sign_root(old_pair, root, agency=agency))
        (doc,) = issuer.issue([issuer.credential(BUSINESS)])
        assert doc["proof"]["signature"]["keyId"] == old["keyId"]

        # The rotation comes later than the anchoring: a key's window ends at its revocation, and a batch
        # anchored in that same second would be outside it.
        for method, params in (("evm_increaseTime", [60]), ("evm_mine", [])):
            client.w3.provider.make_request(method, params)  # type: ignore[arg-type]
        new = ok(add_key(srv, "sh_admin", agency, {"algorithm": "Ed25519"}))["signingKey"]
        with srv.client("sh_admin") as http:
            ok(http.delete(f"/agencies/{agency}/signing-keys/{old['keyId']}"), 200)
        srv.wait_indexed()
        answer = verify(srv, doc)
        assert answer["verdict"] == "VALID" and outcome(answer, "signature")[0] == "passed"
        authorities = client.authorities
        anchored = client.certificates.batch(agency, doc["proof"]["merkleRoot"]).anchored_at
        now = int(client.w3.eth.get_block("latest")["timestamp"])
        assert authorities.is_key_valid_at(agency, old["keyId"], anchored)
        assert not authorities.is_key_valid_at(agency, old["keyId"], now)
        assert authorities.is_key_valid_at(agency, new["keyId"], now)
        batches = len(journal.batches())
        with pytest.raises(SigningKeyError):  # the revoked key signs nothing new: refused before anchoring
            issuer.issue([issuer.credential(BUSINESS | {"holderName": "上海浦江科技有限公司二"})])
        assert client.certificates.batch(agency, doc["proof"]["merkleRoot"]).anchored
        assert len([b for b in journal.batches() if b.state == "anchored"]) == batches
    finally:
        journal.close()


# ---------------------------------------------------------------------------------------------------- rules


def test_recognition_rules_are_set_and_revoked_by_the_accepting_province(srv: Server) -> None:
    body = {"issuingProvince": "440000", "certificateType": "business_licence", "legalBasis": "粤沪互认协议"}
    with srv.client("sh_admin") as http:
        rule = ok(http.post("/recognition-rules", json=body))["rule"]
    assert rule["acceptingProvince"] == "310000" and rule["issuingProvince"] == "440000"
    assert rule["revokedAt"] is None and rule["legalBasis"] == "粤沪互认协议"
    recognition = srv.chain_client().recognition
    on_chain = recognition.rule(rule["id"])
    assert (on_chain.accepting_province, on_chain.issuing_province) == (310000, 440000)
    with srv.client() as http:
        listed = http.get("/recognition-rules", params={"accepting": "310000"}).json()["data"]
    assert rule["id"] in [r["id"] for r in listed]

    path = f"/recognition-rules/{rule['id']}"
    with srv.client("zj_admin") as http:
        error(http.delete(path), 403, "not_your_province")
    with srv.client("sh_amr") as http:
        error(http.delete(path), 403, "province_admin_key_required")
    with srv.client("sh_admin") as http:
        error(http.delete("/recognition-rules/9999"), 404, "unknown_rule")
        revoked = ok(http.delete(path), 200)["rule"]
        assert revoked["revokedAt"] is not None
        error(http.delete(path), 409, "rule_already_revoked")
    assert recognition.rule(rule["id"]).revoked_at == revoked["revokedAt"]


@pytest.mark.parametrize(
    ("name", "body", "status", "code"),
    [
        ("sh_amr", {}, 403, "province_admin_key_required"),
        ("zj_admin", {"acceptingProvince": "310000"}, 403, "not_your_province"),
        ("sh_admin", {"issuingProvince": 440000}, 422, "invalid_request"),
        ("sh_admin", {"certificateType": "pilot_licence"}, 422, "invalid_request"),
        ("sh_admin", {"serviceItem": "bad item"}, 422, "invalid_request"),
        ("sh_admin", {"effectiveFrom": 2**40, "effectiveUntil": 2**39}, 422, "invalid_request"),
        ("sh_admin", {"effectiveFrom": 1000}, 422, "recognition_registry_invalid_window"),
        ("sh_admin", {"issuingProvince": "120000"}, 404, "recognition_registry_unknown_province"),
        ("sh_admin", {"certificate_type": "business_licence"}, 422, "invalid_request"),
    ],
)
def test_rules_that_must_not_be_set_are_refused_before_anything_is_sent(
    srv: Server, name: str, body: dict[str, Any], status: int, code: str
) -> None:
    recognition = srv.chain_client().recognition
    count = recognition.rule_count()
    with srv.client(name) as http:
        error(http.post("/recognition-rules", json={"certificateType": "business_licence"} | body), status, code)
    assert recognition.rule_count() == count


# ---------------------------------------------------------------------------------------------------- API keys


def test_a_province_admin_manages_its_agencies_api_keys_only(srv: Server) -> None:
    pudong = srv.addr("sh_pudong")
    with srv.client("sh_admin") as http:
        made = ok(http.post("/api-keys", json={"agency": pudong.lower(), "label": f"浦东 {next(_labels)}"}))
    assert made["role"] == "agency" and made["subject"] == pudong and made["key"].startswith("hr_")
    with httpx.Client(base_url=srv.api, headers={"X-API-Key": made["key"]}) as http:  # the new key works
        assert http.get(f"/agencies/{pudong}/signing-keys").status_code == 200

    for name, body, status, code in [
        ("zj_admin", {"agency": pudong}, 403, "not_your_province"),
        ("sh_amr", {"agency": pudong}, 403, "province_admin_key_required"),
        ("sh_admin", {"agency": srv.addr("outsider")}, 404, "unknown_agency"),
        ("sh_admin", {"agency": pudong, "x": 1}, 422, "invalid_request"),
    ]:
        with srv.client(name) as http:
            error(http.post("/api-keys", json=body), status, code)

    with srv.client("sh_admin") as http:
        listed = http.get("/api-keys").json()["data"]
    subjects = {k["subject"] for k in listed}
    assert {pudong, srv.addr("sh_amr"), "310000"} <= subjects and srv.addr("zj_amr") not in subjects
    assert all("key" not in k for k in listed) and made["id"] in [k["id"] for k in listed]
    with srv.client("sh_amr") as http:
        error(http.get("/api-keys"), 403, "province_admin_key_required")

    own_key = next(k["id"] for k in listed if k["subject"] == "310000")
    zj_key = srv.keys["zj_amr"].split("_")[1]
    with srv.client("zj_admin") as http:
        error(http.delete(f"/api-keys/{made['id']}"), 403, "not_your_province")
    with srv.client("sh_admin") as http:
        error(http.delete(f"/api-keys/{zj_key}"), 403, "not_your_province")
        error(http.delete(f"/api-keys/{own_key}"), 403, "agency_keys_only")
        error(http.delete("/api-keys/000000000000"), 404, "unknown_api_key")
        revoked = ok(http.delete(f"/api-keys/{made['id']}"), 200)
        assert revoked["revokedAt"] is not None
        error(http.delete(f"/api-keys/{made['id']}"), 409, "api_key_revoked")
    with httpx.Client(base_url=srv.api, headers={"X-API-Key": made["key"]}) as http:
        error(http.get(f"/agencies/{pudong}/signing-keys"), 401, "invalid_api_key")
