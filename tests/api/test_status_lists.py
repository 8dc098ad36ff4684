"""W3C Bitstring Status Lists served by a real service: random entries carried by each new certificate (covered by
its digest), the lists at their stable URLs read over HTTP by a maintained verifier library (npm
@digitalbazaar/vc-bitstring-status-list), compared with the chain's status at every transition."""

from __future__ import annotations

import copy
import json
import subprocess
from typing import Any

import httpx
import pytest

from ledger.certificates.status_list import MIN_ENTRIES, carried_entries, decode_list, is_set, list_hash
from ledger.chain.models import CertificateStatus
from ledger.toolchain.compiler import find_project_root, node_executable
from ledger.verification.status_lists import http_fetch
from ledger.verification.verifier import INVALID, Verifier
from tests.api.conftest import Server
from tests.ledger.certificates.samples import LICENCES, fresh

ROOT = find_project_root()
CHECKER = ROOT / "tests" / "js" / "status-list"
pytestmark = pytest.mark.skipif(
    not (CHECKER / "node_modules" / "@digitalbazaar" / "vc-bitstring-status-list").is_dir(),
    reason="needs tests/js/status-list's npm packages (scripts/setup.sh installs them)",
)


def _issue(server: Server, count: int = 1) -> list[dict[str, Any]]:
    records = [fresh(LICENCES["business_licence"]) for _ in range(count)]
    with server.client("sh_amr") as http:
        response = http.post("/certificates", json={"certificates": records})
    assert response.status_code == 201, response.text
    server.wait_indexed()
    return list(response.json()["data"])


def _entries(server: Server, digest: str) -> list[dict[str, Any]]:
    with server.client("sh_amr") as http:
        answer = http.get(f"/certificates/{digest}/status-entries")
    assert answer.status_code == 200, answer.text
    return list(answer.json()["credentialStatus"])


def _standard_check(document: dict[str, Any]) -> dict[str, bool]:
    """What a standard VC verifier learns from the lists: the certificate as issued, its `credentialStatus` (the
    registry status, then its entries) checked by the maintained library, each list fetched from the service."""
    done = subprocess.run([node_executable(ROOT), "check.mjs"], input=json.dumps({"check": document}).encode(),
                          cwd=CHECKER, capture_output=True, check=True, timeout=120)  # fmt: skip
    answer = json.loads(done.stdout)
    assert answer["verified"] is True, answer
    return {result["purpose"]: result["status"] for result in answer["results"]}


def _chain_status(server: Server, certificate: dict[str, Any]) -> CertificateStatus:
    proof = certificate["proof"]
    record = server.chain_client().certificates.certificate_status(server.addr("sh_amr"), proof["merkleRoot"],
                                                                   proof["digest"])  # fmt: skip
    return record.status


def _change(server: Server, digest: str, action: str, reason: str) -> None:
    with server.client("sh_amr") as http:
        answer = http.post(f"/certificates/{digest}/{action}", json={"reason": reason})
    assert answer.status_code == 200, answer.text
    server.wait_indexed()


#: Each status change a certificate goes through, the chain's status after it and what the lists then say.
TRANSITIONS = [
    (None, None, CertificateStatus.VALID, {"revocation": False, "suspension": False}),
    ("suspend", "under_investigation", CertificateStatus.SUSPENDED, {"revocation": False, "suspension": True}),
    ("reinstate", "investigation_closed", CertificateStatus.VALID, {"revocation": False, "suspension": False}),
    ("revoke", "fraud", CertificateStatus.REVOKED, {"revocation": True, "suspension": False}),
]


def _verify(server: Server, certificate: dict[str, Any]) -> dict[str, Any]:
    with server.client() as http:
        answer = http.post("/verify", json={"certificate": certificate})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_a_new_certificate_carries_its_entries_after_the_registry_status(server: Server) -> None:
    [certificate] = _issue(server)
    registry, *entries = certificate["credentialStatus"]
    assert registry["type"] == "HurongRegistryStatus" and set(registry) == {"id", "type", "chainId", "registry"}
    assert [e["statusPurpose"] for e in entries] == ["revocation", "suspension"]
    assert all(e["type"] == "BitstringStatusListEntry" for e in entries)
    assert entries == carried_entries(certificate) == _entries(server, certificate["proof"]["digest"])
    assert _verify(server, certificate)["verdict"] == "VALID"


def test_the_carried_entries_are_covered_by_the_digest(server: Server) -> None:
    [certificate] = _issue(server)
    for field, value in (("statusListIndex", "7"), ("statusListCredential", "https://example.org/list/1")):
        tampered = copy.deepcopy(certificate)
        tampered["credentialStatus"][1][field] = value
        checks = {c["name"]: c for c in _verify(server, tampered)["checks"]}
        assert checks["integrity"]["outcome"] == "failed", checks
    dropped = copy.deepcopy(certificate)
    del dropped["credentialStatus"][2]
    assert {c["name"]: c["outcome"] for c in _verify(server, dropped)["checks"]}["integrity"] == "failed"


def test_every_transition_reaches_a_standard_verifier_through_the_lists(server: Server) -> None:
    [certificate] = _issue(server)
    digest = certificate["proof"]["digest"]
    entries = carried_entries(certificate)
    assert sorted(e["statusPurpose"] for e in entries) == ["revocation", "suspension"]
    list_urls = {e["statusListCredential"] for e in entries}
    etags = {url: httpx.get(url).headers["etag"] for url in list_urls}
    for action, reason, on_chain, learned in TRANSITIONS:
        if action is not None:
            _change(server, digest, action, reason)
        assert _chain_status(server, certificate) == on_chain
        assert _standard_check(certificate) == learned
        if action == "reinstate":  # the same bits again: the same list, the same hash
            assert {url: httpx.get(url).headers["etag"] for url in list_urls} == etags


def test_a_suspended_certificate_revoked_reaches_a_standard_verifier_through_the_lists(server: Server) -> None:
    """The transition TRANSITIONS leaves out: suspended → revoked (the suspension bit cleared, the revocation bit
    set), each state compared with the chain's."""
    [certificate] = _issue(server)
    digest = certificate["proof"]["digest"]
    for action, reason, on_chain, learned in (
        ("suspend", "under_investigation", CertificateStatus.SUSPENDED, {"revocation": False, "suspension": True}),
        ("revoke", "fraud", CertificateStatus.REVOKED, {"revocation": True, "suspension": False}),
    ):
        _change(server, digest, action, reason)
        assert _chain_status(server, certificate) == on_chain
        assert _standard_check(certificate) == learned


def _lists_agree_with_the_chain(server: Server, certificate: dict[str, Any]) -> None:
    """Hurong's verifier reading the same lists finds no disagreement with the chain."""
    result = Verifier(server.chain_client(), status_lists=http_fetch()).verify(certificate)
    assert result.verdict == INVALID
    assert [w.code for w in result.warnings if w.code.startswith("status_list")] == [], result.warnings


def test_a_superseded_certificate_reaches_a_standard_verifier_as_revoked(server: Server) -> None:
    """A superseded licence is no longer in force, finally: its revocation bit is set, so a standard verifier
    refuses it as Hurong's does; a suspended certificate superseded loses its suspension bit."""
    predecessor, successor, suspended = _issue(server, 3)
    _change(server, suspended["proof"]["digest"], "suspend", "under_investigation")
    for certificate in (predecessor, suspended):
        with server.client("sh_amr") as http:
            answer = http.post(f"/certificates/{certificate['proof']['digest']}/supersede",
                               json={"reason": "replaced", "successor": successor["proof"]["digest"]})  # fmt: skip
        assert answer.status_code == 200, answer.text
        server.wait_indexed()
        assert _chain_status(server, certificate) == CertificateStatus.SUPERSEDED
        assert _standard_check(certificate) == {"revocation": True, "suspension": False}
        _lists_agree_with_the_chain(server, certificate)
    assert _chain_status(server, successor) == CertificateStatus.VALID
    assert _standard_check(successor) == {"revocation": False, "suspension": False}


def test_a_batch_revocation_reaches_a_standard_verifier_for_every_certificate_of_the_batch(server: Server) -> None:
    """`revokeBatch` (by root) revokes every certificate of the batch on chain; each gets its revocation bit (a
    suspended one loses its suspension bit), while a certificate of another batch keeps its bits."""
    batch = _issue(server, 3)
    [other] = _issue(server)
    root = batch[0]["proof"]["merkleRoot"]
    assert {c["proof"]["merkleRoot"] for c in batch} == {root} != {other["proof"]["merkleRoot"]}
    _change(server, batch[0]["proof"]["digest"], "suspend", "under_investigation")
    assert _standard_check(batch[0]) == {"revocation": False, "suspension": True}
    server.chain_client("sh_amr").certificates.revoke_batch(server.addr("sh_amr"), root, 4).wait()
    server.wait_indexed()
    for certificate in batch:
        assert _chain_status(server, certificate) == CertificateStatus.REVOKED
        assert _standard_check(certificate) == {"revocation": True, "suspension": False}
        _lists_agree_with_the_chain(server, certificate)
    assert _chain_status(server, other) == CertificateStatus.VALID
    assert _standard_check(other) == {"revocation": False, "suspension": False}


def test_entries_are_drawn_at_random_and_never_shared(server: Server) -> None:
    issued = _issue(server, 24)
    indexes = [int(e["statusListIndex"]) for c in issued for e in carried_entries(c)
               if e["statusPurpose"] == "revocation"]  # fmt: skip
    assert len(set(indexes)) == len(indexes) == 24
    assert all(0 <= i < MIN_ENTRIES for i in indexes)
    assert indexes != sorted(indexes) and max(indexes) - min(indexes) > 24  # neither in issuance order nor packed


def test_a_list_is_a_valid_credential_whose_etag_is_its_hash(server: Server) -> None:
    [certificate] = _issue(server)
    [entry, *_] = carried_entries(certificate)
    answer = httpx.get(entry["statusListCredential"])
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/vc+ld+json")
    credential = answer.json()
    assert credential["issuer"] == certificate["issuer"]["id"] and credential["id"] == entry["statusListCredential"]
    assert credential["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert answer.headers["etag"] == f'"0x{list_hash(credential).hex()}"'
    assert not is_set(decode_list(credential["credentialSubject"]["encodedList"]), int(entry["statusListIndex"]))


def test_unknown_lists_and_entries_are_refused(server: Server) -> None:
    agency = server.addr("sh_amr")
    with server.client() as http:
        assert http.get(f"/status-lists/{agency}/revocation/999").json()["error"]["code"] == "unknown_status_list"
        assert http.get(f"/status-lists/{agency}/expiry/1").status_code == 422
        assert http.get("/status-lists/0x12/revocation/1").status_code == 422
    with server.client("zj_amr") as http:
        [certificate] = _issue(server)
        answer = http.get(f"/certificates/{certificate['proof']['digest']}/status-entries")
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "unknown_certificate"
