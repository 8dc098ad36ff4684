"""Issuance through the API signs each batch with the agency's current signing key, in the suite the agency is
configured for: Ed25519 over SHA-256 digests, or SM2 over SM3 digests for the agencies of an `sm` province. Keys
that cannot sign are refused before anything is journaled or sent; rotation keeps earlier certificates valid."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from api.errors import ApiError
from api.signing import SigningKeys
from ledger.certificates.hashing import recompute_digest
from ledger.chain.bootstrap import parse_description
from ledger.chain.models import KeyAlgorithm
from ledger.errors import LedgerValueError
from ledger.issuance.journal import Journal
from ledger.keys.keystore import save_key
from ledger.keys.pairs import generate
from tests.api.conftest import PASSPHRASE, Server, own_server, start_server
from tests.api.support import clone_home, own_chain_server
from tests.api.test_api import BUSINESS, error, outcome, verify
from tests.conftest import WORLD
from tests.ledger.certificates.samples import fresh

SM_PROVINCE = "440000"  # Guangdong's agencies issue in the `sm` suite on this module's service


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"HURONG_AGENCY_SUITES": f'{{"{SM_PROVINCE}": "sm"}}'}
    with own_server(tmp_path_factory.mktemp("signed-issuance"), env) as running:
        yield running


def add_key(srv: Server, name: str, algorithm: str = "Ed25519", **window: int) -> str:
    with srv.client(name) as http:
        response = http.post(f"/agencies/{srv.addr(name)}/signing-keys", json={"algorithm": algorithm} | window)
    assert response.status_code == 201, response.text
    return str(response.json()["signingKey"]["keyId"])


def revoke_key(srv: Server, name: str, key_id: str) -> None:
    """Revoke a key a minute after what it signed: a batch anchored in the second of the revocation is outside
    the key's window (windows are half-open)."""
    advance(srv, 60)
    with srv.client(name) as http:
        response = http.delete(f"/agencies/{srv.addr(name)}/signing-keys/{key_id}")
    assert response.status_code == 200, response.text


def advance(srv: Server, seconds: int) -> None:
    w3 = srv.chain_client().w3
    for method, params in (("evm_increaseTime", [seconds]), ("evm_mine", [])):
        w3.provider.make_request(method, params)  # type: ignore[arg-type]


#: Where each agency of the test world issues: its province and a region of it.
PLACES = {"zj_amr": ("330000", "330106"), "gd_amr": ("440000", "440106")}


def post(srv: Server, name: str) -> Any:
    province, region = PLACES.get(name, ("310000", "310115"))
    record = fresh(BUSINESS) | {"issuingProvince": province, "issuingRegion": region}
    with srv.client(name) as http:
        return http.post("/certificates", json={"certificates": [record]})


def issue_one(srv: Server, name: str) -> dict[str, Any]:
    response = post(srv, name)
    assert response.status_code == 201, response.text
    srv.wait_indexed()
    return dict(response.json()["data"][0])


def assert_valid_and_signed(srv: Server, doc: dict[str, Any]) -> None:
    answer = verify(srv, doc)
    assert answer["verdict"] == "VALID", answer
    assert outcome(answer, "signature") == ("passed", "ok")


def sent_and_journaled(srv: Server, name: str) -> tuple[int, int]:
    """The agency's transaction count on the chain and batch count in the service's journal."""
    agency = srv.addr(name)
    nonce = srv.chain_client().w3.eth.get_transaction_count(agency)  # type: ignore[arg-type]
    path = srv.home / "journals" / f"{agency}.sqlite"
    if not path.exists():
        return nonce, 0
    journal = Journal(path)
    try:
        return nonce, len(journal.batches())
    finally:
        journal.close()


def refused(srv: Server, name: str, code: str) -> dict[str, Any]:
    """Issuance refused with `code`, nothing sent and nothing journaled."""
    before = sent_and_journaled(srv, name)
    body = error(post(srv, name), 409, code)
    assert sent_and_journaled(srv, name) == before
    return body


def problems(body: dict[str, Any]) -> dict[str, str]:
    return {k["keyId"]: k["problem"] for k in body["details"]["keys"]}


# ---------------------------------------------------------------------------------------------------- through a server


def test_an_agency_without_a_key_issues_unsigned_unless_signed_issuance_is_required(
    srv: Server, tmp_path: Path
) -> None:
    doc = issue_one(srv, "zj_amr")
    assert "signature" not in doc["proof"] and doc["proof"]["suite"] == "default"
    answer = verify(srv, doc)
    assert answer["verdict"] == "VALID" and outcome(answer, "signature") == ("skipped", "unsigned")

    home = clone_home(srv, tmp_path / "required")
    shutil.rmtree(home / "keystore" / "signing", ignore_errors=True)
    url, process = start_server(home, srv.chain, {"HURONG_REQUIRE_SIGNED_ISSUANCE": "true"})
    try:
        required = copy.copy(srv)
        required.url, required.home = url, home
        body = refused(required, "zj_amr", "no_signing_key")
        assert body["details"]["agency"] == srv.addr("zj_amr")
    finally:
        from api.launcher import stop_service

        stop_service(process)


def test_an_ed25519_agency_signs_with_its_newest_key_and_falls_back_when_that_one_is_revoked(srv: Server) -> None:
    first = add_key(srv, "sh_amr")
    doc = issue_one(srv, "sh_amr")
    signature = doc["proof"]["signature"]
    assert (signature["algorithm"], signature["keyId"], doc["proof"]["suite"]) == ("Ed25519", first, "default")
    assert_valid_and_signed(srv, doc)

    second = add_key(srv, "sh_amr")
    newer = issue_one(srv, "sh_amr")
    assert newer["proof"]["signature"]["keyId"] == second

    revoke_key(srv, "sh_amr", second)
    fallback = issue_one(srv, "sh_amr")
    assert fallback["proof"]["signature"]["keyId"] == first
    for signed in (doc, newer, fallback):  # the revoked key's certificates keep verifying
        assert_valid_and_signed(srv, signed)


def test_an_sm_agency_signs_sm3_digests_with_sm2_and_rotation_keeps_old_certificates_valid(srv: Server) -> None:
    old = add_key(srv, "gd_amr", "SM2")
    doc = issue_one(srv, "gd_amr")
    proof = doc["proof"]
    assert proof["suite"] == "sm" and proof["signature"]["algorithm"] == "SM2" and proof["signature"]["keyId"] == old
    assert "0x" + recompute_digest(doc).hex() == proof["digest"]  # SM3 over the salted fields
    as_sha256 = copy.deepcopy(doc)
    as_sha256["proof"]["suite"] = "default"
    assert "0x" + recompute_digest(as_sha256).hex() != proof["digest"]
    assert_valid_and_signed(srv, doc)

    new = add_key(srv, "gd_amr", "SM2")
    revoke_key(srv, "gd_amr", old)
    add_key(srv, "gd_amr", "Ed25519")  # newer, but not of the agency's suite: never chosen
    rotated = issue_one(srv, "gd_amr")
    assert rotated["proof"]["signature"] | {"value": ""} == {"algorithm": "SM2", "keyId": new, "value": ""}
    assert_valid_and_signed(srv, doc)
    assert_valid_and_signed(srv, rotated)


def test_keys_that_cannot_sign_are_refused_before_anything_is_journaled_or_sent(srv: Server) -> None:
    agency = srv.addr("sh_pudong")
    stray = generate(KeyAlgorithm.ED25519)  # in the keystore, never registered
    stray_id = "0x" + stray.key_id_for(agency).hex()
    folder = srv.home / "keystore" / "signing" / agency
    folder.mkdir(parents=True, exist_ok=True)
    save_key(folder / f"{stray_id}.json", stray, PASSPHRASE)
    assert problems(refused(srv, "sh_pudong", "signing_key_unusable")) == {stray_id: "not_registered"}

    sm2 = add_key(srv, "sh_pudong", "SM2")  # the agency issues in the default suite
    now = int(srv.chain_client().w3.eth.get_block("latest")["timestamp"])
    later = add_key(srv, "sh_pudong", validFrom=now + 3600)
    body = refused(srv, "sh_pudong", "signing_key_unusable")
    assert problems(body) == {stray_id: "not_registered", sm2: "wrong_algorithm", later: "not_yet_valid"}
    assert body["details"]["suite"] == "default"

    usable = add_key(srv, "sh_pudong")
    doc = issue_one(srv, "sh_pudong")
    assert doc["proof"]["signature"]["keyId"] == usable
    revoke_key(srv, "sh_pudong", usable)
    assert problems(refused(srv, "sh_pudong", "signing_key_unusable"))[usable] == "revoked"
    assert_valid_and_signed(srv, doc)


# ---------------------------------------------------------------------------------------------------- the cache


class _Chain:
    def __init__(self) -> None:
        self.reads = 0

    def get_block(self, _: str) -> dict[str, int]:
        self.reads += 1
        return {"timestamp": 1_000}


def test_the_current_key_is_chosen_once_until_the_index_keys_change(tmp_path: Path) -> None:
    agency = "0x" + "ab" * 20
    pair = generate(KeyAlgorithm.ED25519)
    key_id = pair.key_id_for(agency)
    row = {"keyId": "0x" + key_id.hex(), "algorithm": "ed25519", "validFrom": 0, "validUntil": 2**40,
           "revokedAt": None}  # fmt: skip
    rows = [row]
    chain, loads = _Chain(), []

    def load(_agency: str, _key_id: bytes) -> Any:
        loads.append(_key_id)
        return pair

    service = SimpleNamespace(
        client=SimpleNamespace(w3=SimpleNamespace(eth=chain)),
        indexer=SimpleNamespace(signing_keys=lambda _: list(rows), sync=lambda: None),
        held_signing_keys=lambda _: [key_id],
        load_signing_key=load,
        settings=SimpleNamespace(require_signed_issuance=False),
    )
    keys = SigningKeys(service)  # type: ignore[arg-type]
    signers = [keys.signer(agency, "default") for _ in range(5)]
    first = signers[0]
    assert first is not None and all(s is first for s in signers)
    assert (chain.reads, len(loads)) == (1, 1)  # one chain read and one decryption for five batches
    assert first(b"\x01" * 32)["keyId"] == row["keyId"]

    rows[0] = row | {"revokedAt": 999, "validUntil": 999}  # the index saw the key revoked
    with pytest.raises(ApiError) as refusal:
        keys.signer(agency, "default")
    assert refusal.value.code == "signing_key_unusable" and chain.reads == 2
    assert refusal.value.details["keys"][0]["problem"] == "revoked"
    with pytest.raises(ApiError):
        keys.signer(agency, "sm")  # another suite: an Ed25519 key never signs in it


def test_the_consortium_description_names_an_agencys_suite(tmp_path: Path) -> None:
    world = copy.deepcopy(WORLD)
    for agency in world["agencies"]:
        if agency["account"] == "sh_amr":
            agency["suite"] = "sm"
    with own_chain_server(tmp_path, world=world) as (extra, _):
        saved = json.loads(next((tmp_path / "deployments").glob("*.json")).read_text(encoding="utf-8"))
        assert list(saved["extra"]["suites"].values()) == ["sm"]
        with httpx.Client(base_url=extra.url + "/api/v1", headers={"X-API-Key": extra.keys["sh_amr"]}) as http:
            response = http.post("/certificates", json={"certificates": [fresh(BUSINESS)]})
        assert response.status_code == 201, response.text
        (doc,) = response.json()["data"]
        assert doc["proof"]["suite"] == "sm" and "0x" + recompute_digest(doc).hex() == doc["proof"]["digest"]
    with pytest.raises(LedgerValueError, match="suite"):
        world["agencies"][0]["suite"] = "sha3"
        parse_description(world)
