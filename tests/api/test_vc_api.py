"""The W3C VC-API (`/api/v1/vc/credentials/issue` and `/verify`) through a real service over a real anvil: generic
and licence credentials issued and verified, tampered and revoked ones refused, every VC 2.0 data-model rule
broken once (400 naming the rule and the JSON Pointer), an agency without the `generic` grant refused."""

from __future__ import annotations

import copy
import json
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

from api.demo import Demo
from api.launcher import service_env, stop_service
from api.tls import self_signed_pair
from ledger.certificates.catalogue import GENERIC_TYPE
from ledger.certificates.credential import build_credential
from ledger.certificates.did import agency_did
from ledger.chain.node import free_port
from ledger.toolchain.compiler import find_project_root, node_executable
from tests.api.conftest import PASSPHRASE, Server, own_server
from tests.ledger.certificates.samples import LICENCES, fresh

ROOT = find_project_root()
CHECKER = ROOT / "tests" / "js" / "vc-check"
V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"


@pytest.fixture(scope="module")
def vc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with own_server(tmp_path_factory.mktemp("vc-api")) as running:
        # granted the way a province admin grants any type: through the administration API
        with running.client("sh_admin") as http:
            granted = http.post(f"/agencies/{running.addr('sh_amr')}/certificate-types/{GENERIC_TYPE}")
        assert granted.status_code == 201, granted.text
        assert GENERIC_TYPE in running.chain_client().authorities.agency(running.addr("sh_amr")).certificate_types
        yield running


def did(server: Server, name: str) -> str:
    return agency_did(server.result.deployment.chain_id, server.addr(name))


def generic(server: Server, name: str = "sh_amr", **changes: Any) -> dict[str, Any]:
    """A VC 2.0 credential of no licence type: an alumni membership with a name in Chinese and English."""
    credential: dict[str, Any] = {
        "@context": [V2, EXAMPLES],
        "type": ["VerifiableCredential", "ExampleAlumniCredential"],
        "issuer": {"id": did(server, name), "name": {"@value": "上海市市场监督管理局", "@language": "zh-Hans"}},
        "validFrom": "2026-01-01T00:00:00+08:00",
        "validUntil": "2036-01-01T00:00:00Z",
        "name": [{"@value": "校友证明", "@language": "zh"},
                 {"@value": "Alumni", "@language": "en", "@direction": "ltr"}],
        "credentialSubject": {"id": "did:example:ebfeb1f712ebc6f1c276e12ec21", "alumniOf": "同济大学"},
        "credentialSchema": {"id": "https://example.org/schemas/alumni.json", "type": "JsonSchema"},
        "termsOfUse": [{"type": "ExampleTermsOfUse"}],
        "evidence": [{"type": ["Evidence"], "id": "urn:uuid:4c3b4c9e-4b1f-4b3f-9f8e-7f4f2b8b1d1a"}],
        "relatedResource": [{"id": "https://example.org/logo.png",
                             "digestSRI": "sha384-S57yQDg1MTzF56Oi9DbSQ14u7jBy0RDdx0YbeV7shwhCS88G8SCXeFq82PafhCrW"},
                            {"id": "https://example.org/terms.html",
                             "digestMultibase": "uEiBZlVztZpfWHgPyslVv6-UwirFoQoRvW1htfx963sknNA"}],
    }  # fmt: skip
    credential.update(changes)
    return credential


def licence(server: Server, name: str = "sh_amr") -> dict[str, Any]:
    deployment = server.result.deployment
    return build_credential(fresh(LICENCES["business_licence"]), issuer_address=server.addr(name),
                            chain_id=deployment.chain_id, issuer_name="上海市市场监督管理局",
                            registry=deployment.address("CertificateRegistry"))  # fmt: skip


def issue(server: Server, credential: dict[str, Any], name: str = "sh_amr", status: int = 201) -> dict[str, Any]:
    with server.client(name) as http:
        response = http.post("/vc/credentials/issue", json={"credential": credential, "options": {}})
    assert response.status_code == status, response.text
    return dict(response.json())


def verify(server: Server, credential: dict[str, Any], status: int = 200) -> dict[str, Any]:
    with server.client() as http:
        response = http.post("/vc/credentials/verify", json={"verifiableCredential": credential, "options": {}})
    assert response.status_code == status, response.text
    return dict(response.json())


@pytest.fixture(scope="module")
def issued_generic(vc_server: Server) -> dict[str, Any]:
    return issue(vc_server, generic(vc_server))["verifiableCredential"]


def test_generic_credential_is_issued_anchored_and_verified(vc_server: Server, issued_generic: dict[str, Any]) -> None:
    vc = issued_generic
    assert vc["credentialSubject"]["certificateType"] == GENERIC_TYPE
    assert vc["credentialSubject"]["alumniOf"] == "同济大学"
    assert vc["proof"]["anchor"]["transactionHash"].startswith("0x")
    answer = verify(vc_server, vc)
    assert answer["errors"] == [] and answer["verdict"] == "VALID"
    assert {"dataModel", "integrity", "inclusion", "anchoring", "issuer", "status", "validity"} <= set(answer["checks"])


def test_licence_credential_is_issued_and_verified(vc_server: Server) -> None:
    vc = issue(vc_server, licence(vc_server))["verifiableCredential"]
    assert "ElectronicLicense" in vc["type"] and vc["proof"]["anchor"]["blockNumber"] > 0
    answer = verify(vc_server, vc)
    assert answer["verdict"] == "VALID" and "issuer" in answer["checks"]


def test_tampered_credential_fails_integrity(vc_server: Server, issued_generic: dict[str, Any]) -> None:
    tampered = copy.deepcopy(issued_generic)
    tampered["credentialSubject"]["alumniOf"] = "复旦大学"
    answer = verify(vc_server, tampered, status=400)
    assert answer["error"]["code"] == "verification_failed"
    assert [e["check"] for e in answer["errors"]] == ["integrity"]
    assert answer["errors"][0]["code"] == "digest_mismatch" and "integrity" not in answer["checks"]


def test_revoked_credential_reports_its_status(vc_server: Server) -> None:
    vc = issue(vc_server, generic(vc_server))["verifiableCredential"]
    with vc_server.client("sh_amr") as http:
        response = http.post(f"/certificates/{vc['proof']['digest']}/revoke", json={"reason": 3})
    assert response.status_code == 200, response.text
    vc_server.wait_indexed()
    answer = verify(vc_server, vc, status=400)
    assert [(e["check"], e["code"]) for e in answer["errors"]] == [("status", "revoked")]


def test_agency_without_the_generic_grant_is_refused(vc_server: Server) -> None:
    answer = issue(vc_server, generic(vc_server, "zj_amr"), name="zj_amr", status=403)
    assert answer["error"]["code"] == "type_not_granted"


def test_credential_of_another_issuer_is_refused(vc_server: Server) -> None:
    answer = issue(vc_server, generic(vc_server, "zj_amr"), name="sh_amr", status=403)
    assert answer["error"]["code"] == "issuer_mismatch"


def _drop(key: str) -> Any:
    def change(c: dict[str, Any]) -> None:
        del c[key]

    return change


def _set(key: str, value: Any) -> Any:
    def change(c: dict[str, Any]) -> None:
        c[key] = value

    return change


def _subject(key: str, value: Any) -> Any:
    def change(c: dict[str, Any]) -> None:
        c["credentialSubject"][key] = value

    return change


#: One breach of each rule: (change, rule, JSON Pointer).
BREACHES = [
    (_set("@context", [EXAMPLES, V2]), "context_first_v2", "/@context/0"),
    (_set("@context", [V2, "https://example.org/unbundled/v1"]), "context_not_bundled", "/@context/1"),
    (_set("type", ["ExampleAlumniCredential"]), "type_verifiable_credential", "/type"),
    (_set("issuer", "not a url"), "issuer_url", "/issuer"),
    (_set("issuer", {"name": "no id"}), "issuer_url", "/issuer/id"),
    (_set("id", "relative/path"), "id_url", "/id"),
    (_set("validFrom", "2026-01-01T00:00:00"), "datetime_stamp", "/validFrom"),
    (_set("validUntil", "2026-02-30T00:00:00Z"), "datetime_stamp", "/validUntil"),
    (_set("validUntil", "2025-01-01T00:00:00Z"), "validity_order", "/validUntil"),
    (_set("credentialStatus", {"id": "https://example.org/status/1"}), "typed_object", "/credentialStatus/type"),
    (_set("credentialSchema", [{"id": "https://example.org/s.json"}]), "typed_object", "/credentialSchema/0/type"),
    (_set("credentialSchema", {"type": "JsonSchema"}), "credential_schema_id", "/credentialSchema/id"),
    (_set("termsOfUse", "no object"), "typed_object", "/termsOfUse"),
    (_set("evidence", [{"id": "urn:x:1"}]), "typed_object", "/evidence/0/type"),
    (_set("relatedResource", [{"id": "https://example.org/a"}]), "related_resource", "/relatedResource/0"),
    (_set("relatedResource", [{"id": "https://example.org/a", "digestSRI": "sha256-AAAA"}]), "related_resource",
     "/relatedResource/0/digestSRI"),
    (_set("relatedResource", {"id": "https://example.org/a", "digestMultibase": "zI0l"}), "related_resource",
     "/relatedResource/digestMultibase"),
    (_set("relatedResource", ["https://example.org/a"]), "related_resource", "/relatedResource/0"),
    (_set("relatedResource", "https://example.org/a"), "related_resource", "/relatedResource"),
    (_set("refreshService", {"id": "https://example.org/refresh"}), "typed_object", "/refreshService/type"),
    (_set("refreshService", "https://example.org/refresh"), "typed_object", "/refreshService"),
    (_set("refreshService", [{"type": ["RefreshService", 7]}]), "typed_object", "/refreshService/0/type"),
    (_set("refreshService", [{"type": "RefreshService", "id": "relative"}]), "id_url", "/refreshService/0/id"),
    (_set("name", {"@value": "校友", "@language": "zh_CN"}), "language_value", "/name/@language"),
    (_set("name", {"@value": "校友", "@language": "zh", "@direction": "up"}), "language_value", "/name/@direction"),
    (_set("@context", [V2, 5]), "context_not_bundled", "/@context/1"),
    (_set("evidence", [{"type": "Evidence", "id": "relative"}]), "id_url", "/evidence/0/id"),
    (_set("name", {"@value": 5, "@language": "zh"}), "language_value", "/name/@value"),
    (_set("name", {"@value": "校友", "@language": "zh", "@type": "x"}), "language_value", "/name/@type"),
    (_drop("credentialSubject"), "credential_subject", "/credentialSubject"),
    (_set("@context", [V2]), "jsonld_undefined_term", "/credentialSubject/alumniOf"),
    (_set("@context", [V2, {"alumniOf": "https://example.org/alumniOf"}]), "jsonld_undefined_term", "/type/1"),
    (_subject("id", "relative-subject"), "jsonld_relative_iri", "/credentialSubject/id"),
    (_set("@context", [V2, {"id": "https://example.org/id"}]), "jsonld_invalid", "/@context"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "rule", "pointer"), BREACHES, ids=[f"{b[1]}:{b[2]}" for b in BREACHES])
def test_every_data_model_rule_broken_is_a_400_naming_rule_and_path(
    vc_server: Server, change: Any, rule: str, pointer: str
) -> None:
    credential = generic(vc_server)
    change(credential)
    answer = issue(vc_server, credential, status=400)
    assert answer["error"]["code"] == "invalid_credential"
    found = [(p["code"], p["pointer"]) for p in answer["error"]["details"]["problems"]]
    assert (rule, pointer) in found, found
    refused = verify(vc_server, {**credential, "proof": {}}, status=400)
    assert refused["errors"][0]["check"] == "dataModel"
    assert (rule, pointer) in [(p["code"], p["pointer"]) for p in refused["errors"][0]["problems"]]


def test_generic_credential_needs_its_validity_end(vc_server: Server) -> None:
    credential = generic(vc_server)
    del credential["validUntil"]
    answer = issue(vc_server, credential, status=400)
    assert ("valid_until_required", "/validUntil") in [
        (p["code"], p["pointer"]) for p in answer["error"]["details"]["problems"]
    ]


def test_the_services_own_properties_and_a_single_subject_are_enforced_at_issuance(vc_server: Server) -> None:
    reserved = generic(vc_server)
    reserved["credentialSubject"] |= {"certificateType": "business_licence", "issuingProvince": "330000"}
    answer = issue(vc_server, reserved, status=400)
    assert answer["error"]["code"] == "invalid_credential"
    assert {(p["code"], p["pointer"]) for p in answer["error"]["details"]["problems"]} == {
        ("reserved_property", "/credentialSubject/certificateType"),
        ("reserved_property", "/credentialSubject/issuingProvince"),
    }
    subjects = generic(vc_server)
    subjects["credentialSubject"] = [subjects["credentialSubject"], {"id": "did:example:2", "alumniOf": "复旦大学"}]
    answer = issue(vc_server, subjects, status=400)
    assert [(p["code"], p["pointer"]) for p in answer["error"]["details"]["problems"]] == [
        ("single_subject", "/credentialSubject")
    ]


def test_malformed_requests_are_refused(vc_server: Server, tmp_path: Path) -> None:
    with vc_server.client("sh_amr") as http:
        assert http.post("/vc/credentials/issue", json={"credential": []}).json()["error"]["code"] == "invalid_request"
    with vc_server.client() as http:
        response = http.post("/vc/credentials/issue", json={"credential": generic(vc_server)})
        assert response.status_code == 401
        response = http.post("/vc/credentials/verify", json={"verifiableCredential": "x"})
        assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_request"


def maintained_check(credentials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What npm @digitalbazaar/vc's data-model check (`_checkCredential`) makes of each credential."""
    done = subprocess.run([node_executable(ROOT), "check.mjs"], input=json.dumps({"credentials": credentials}).encode(),
                          cwd=CHECKER, capture_output=True, check=True, timeout=120)  # fmt: skip
    return list(json.loads(done.stdout)["results"])


@pytest.mark.skipif(
    not (CHECKER / "node_modules" / "@digitalbazaar" / "vc").is_dir(),
    reason="needs tests/js/vc-check's npm packages (scripts/setup.sh installs them)",
)
def test_issued_credentials_pass_a_maintained_vc_data_model_check(
    vc_server: Server, issued_generic: dict[str, Any]
) -> None:
    licensed = issue(vc_server, licence(vc_server))["verifiableCredential"]
    unanchored = {**generic(vc_server), "type": ["ExampleAlumniCredential"]}
    results = maintained_check([issued_generic, licensed, unanchored])
    assert results[:2] == [{"ok": True}, {"ok": True}], results
    assert results[2]["ok"] is False and "VerifiableCredential" in results[2]["error"]


def trusting(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


def test_vc_api_over_https_with_a_self_signed_certificate(vc_server: Server, tmp_path: Path) -> None:
    """`hurong serve --self-signed` beside the test service (same home and chain): the VC-API answers over HTTPS
    to a client trusting the pair's certificate, and a client trusting only the system's CAs is refused."""
    port = free_port()
    env = service_env(rpc_url=vc_server.chain.url, home=vc_server.home, passphrase=PASSPHRASE,
                      HURONG_BATCH_MAX_WAIT="0.05")  # fmt: skip
    log = (tmp_path / "https.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "ledger.cli", "serve", "--self-signed", "--port", str(port)],
                               env=env, stdout=log, stderr=log)  # fmt: skip
    cert = vc_server.home / "tls" / "cert.pem"
    base = f"https://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, (tmp_path / "https.log").read_text()
            try:
                if cert.is_file() and httpx.get(f"{base}/health", verify=trusting(cert), timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the HTTPS service did not start"
            time.sleep(0.2)
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{base}/health", timeout=5)  # the self-signed certificate is not trusted by default
        headers = {"X-API-Key": vc_server.keys["sh_amr"]}
        with httpx.Client(base_url=base, verify=trusting(cert), headers=headers, timeout=120) as https:
            issued = https.post("/vc/credentials/issue", json={"credential": generic(vc_server)})
            assert issued.status_code == 201, issued.text
            vc_server.wait_indexed()
            answer = https.post(
                "/vc/credentials/verify", json={"verifiableCredential": issued.json()["verifiableCredential"]}
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["verdict"] == "VALID"
    finally:
        stop_service(process)
        log.close()


def test_serve_refuses_a_certificate_without_its_key(vc_server: Server, tmp_path: Path) -> None:
    first, second = self_signed_pair(tmp_path / "a"), self_signed_pair(tmp_path / "b")
    env = service_env(rpc_url=vc_server.chain.url, home=vc_server.home, passphrase=PASSPHRASE)
    for args in (["--ssl-certfile", str(first[0]), "--ssl-keyfile", str(second[1])], ["--ssl-certfile", str(first[0])],
                 ["--ssl-certfile", str(tmp_path / "none.pem"), "--ssl-keyfile", str(first[1])]):  # fmt: skip
        done = subprocess.run([sys.executable, "-m", "ledger.cli", "serve", "--port", str(free_port()), *args],
                              env=env, capture_output=True, timeout=60)  # fmt: skip
        assert done.returncode != 0
        text = done.stderr.decode()
        assert "Traceback" not in text and ("TLS" in text or "ssl" in text), text


def test_demo_with_tls_serves_https_with_its_self_signed_pair(tmp_path: Path) -> None:
    demo = Demo(tmp_path, ROOT / "examples" / "demo.yaml", chain_port=free_port(), api_port=free_port(), workers=1,
                certificates=1, console=Console(quiet=True), tls=True)  # fmt: skip
    try:
        data = demo.run(wait=False)
        assert data["api_url"].startswith("https://127.0.0.1:") and data["issued"] >= 1
        trust = trusting(tmp_path / "tls" / "cert.pem")
        with httpx.Client(base_url=f"{demo.api_url}/api/v1", verify=trust, timeout=60) as https:
            assert https.get("/health").status_code == 200
            refused = https.post("/vc/credentials/verify", json={"verifiableCredential": unproven(data)})
            assert refused.status_code == 400, refused.text
            assert [(e["check"], e["code"]) for e in refused.json()["errors"]] == [("format", "missing_proof")]
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{demo.api_url}/api/v1/health", timeout=5)
    finally:
        demo.stop()


def unproven(demo: dict[str, Any]) -> dict[str, Any]:
    """A well-formed VC 2.0 credential of a demo agency that was never issued (it has no proof)."""
    agency = demo["provinces"][0]["agencies"][0]
    return {
        "@context": [V2, EXAMPLES],
        "type": ["VerifiableCredential"],
        "issuer": agency_did(demo["chain_id"], agency["address"]),
        "validFrom": "2026-01-01T00:00:00Z",
        "validUntil": "2036-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:1", "certificateType": GENERIC_TYPE, "issuingProvince": "310000"},
    }
