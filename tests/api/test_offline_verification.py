"""Verification with no server, in a real browser (Debian chromium driven by Playwright): the page loaded from a
real service over anvil downloads the signed trust bundle, then the test stops the service, and the page verifies
a genuine certificate (VALID, computed in the browser and checked against the bundle), a tampered one (integrity
fails), a revoked one (the bundle knows), saying where each check was done and how old the bundle is."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.launcher import stop_service
from ledger.index import trust_bundle
from tests.api.conftest import Server, own_server
from tests.ledger.certificates.samples import LICENCES, fresh

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
LOCAL = ("format", "integrity", "inclusion", "validity")
BUNDLED = ("anchoring", "issuer", "signature", "status")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"HURONG_AGENCY_SUITES": '{"440000": "sm"}'}  # Guangdong's agencies issue in the national-crypto suite
    with own_server(tmp_path_factory.mktemp("offline"), env) as running:
        yield running


def add_signing_key(service: Server, name: str, algorithm: str) -> None:
    with service.client(name) as http:
        response = http.post(f"/agencies/{service.addr(name)}/signing-keys", json={"algorithm": algorithm})
    assert response.status_code == 201, response.text


@pytest.fixture(scope="module")
def issued(service: Server) -> list[dict[str, Any]]:
    """Two Ed25519-signed certificates of Shanghai (the second revoked) and an SM2-signed, SM3-hashed one of
    Guangdong."""
    add_signing_key(service, "sh_amr", "Ed25519")
    add_signing_key(service, "gd_amr", "SM2")
    guangdong = fresh(LICENCES["business_licence"]) | {"issuingProvince": "440000", "issuingRegion": "440106"}
    with service.client("sh_amr") as http:
        response = http.post(
            "/certificates", json={"certificates": [fresh(LICENCES["business_licence"]) for _ in "ab"]}
        )
        assert response.status_code == 201, response.text
        docs = [dict(d) for d in response.json()["data"]]
        revoked = http.post(f"/certificates/{docs[1]['proof']['digest']}/revoke", json={"reason": 4})
        assert revoked.status_code == 200, revoked.text
    with service.client("gd_amr") as http:
        response = http.post("/certificates", json={"certificates": [guangdong]})
        assert response.status_code == 201, response.text
        docs.append(dict(response.json()["data"][0]))
    assert [d["proof"]["signature"]["algorithm"] for d in docs] == ["Ed25519", "Ed25519", "SM2"]
    assert docs[2]["proof"]["suite"] == "sm"
    service.wait_indexed()
    return docs


@pytest.fixture
def page(browser: Any, service: Server) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1000, "height": 1400}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    failures: list[str] = []
    page.on("pageerror", lambda exc: failures.append(str(exc)))
    page.goto(service.url + "/verify")
    expect(page.get_by_test_id("bundle-status")).to_have_attribute("data-state", "none")
    try:
        yield page
    finally:
        context.close()
    assert not failures, f"JavaScript errors: {failures}"


def verify(page: Any, doc: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Paste `doc`, press Verify, wait for the in-browser result; each check's (outcome, where)."""
    page.get_by_test_id("local-result").evaluate("node => { node.hidden = true; }")
    page.locator("#cert-json").fill(json.dumps(doc, ensure_ascii=False))
    page.get_by_role("button", name="核验 Verify").click()
    expect(page.get_by_test_id("local-result")).to_be_visible(timeout=15_000)
    rows = page.locator("#local-rows tr")
    expect(rows).to_have_count(9)
    return {
        r.get_attribute("data-testid").removeprefix("local-check-"): (r.get_attribute("data-outcome"),
                                                                      r.get_attribute("data-where"))
        for r in rows.all()
    }  # fmt: skip


def test_the_bundle_is_signed_by_the_key_the_service_publishes(service: Server, issued: list[dict[str, Any]]) -> None:
    with service.client() as http:
        key = http.get("/trust-bundle/key").json()
        bundle = http.get("/trust-bundle").json()
    payload = trust_bundle.check(bundle, key)
    assert key["keyId"] == bundle["signature"]["keyId"] == payload["keyId"]
    assert any(r["root"] == issued[0]["proof"]["merkleRoot"] for r in payload["roots"])
    assert [s["digest"] for s in payload["statuses"]] == [issued[1]["proof"]["digest"]]
    keys = {k["keyId"]: k["algorithm"] for k in payload["signingKeys"]}
    assert {keys[d["proof"]["signature"]["keyId"]] for d in issued} == {"Ed25519", "SM2"}


VECTORS = Path(__file__).parents[1] / "vectors"
IN_PAGE = """async (text) => {
  const H = window.HurongVerify, out = [];
  for (const c of H.parseJson(text)) {
    try { out.push({ digest: H.bytesToHex(await H.recomputeDigest(c.get("document"))) }); }
    catch (e) { out.push({ error: { type: e.name, message: e.message } }); }
  }
  return out;
}"""


def test_in_chromium_webcrypto_and_sm3_give_the_digests_of_the_shared_vectors(page: Any) -> None:
    text = (VECTORS / "disclosure.json").read_text("ascii")
    cases = json.loads(text)
    assert page.evaluate("() => !!(window.isSecureContext && crypto.subtle)")  # SHA-256 through WebCrypto here
    got = page.evaluate(IN_PAGE, text)
    assert got == [{"error": c["error"]} if "error" in c else {"digest": c["digest"]} for c in cases]
    assert {c["document"]["proof"]["suite"] for c in cases if "error" not in c} >= {"default", "sm"}


def test_online_the_page_computes_integrity_and_inclusion_itself_and_leaves_the_chain_to_the_service(
    page: Any, issued: list[dict[str, Any]]
) -> None:
    checks = verify(page, issued[0])
    assert {name: checks[name] for name in LOCAL} == dict.fromkeys(LOCAL, ("passed", "local"))
    assert {name: checks[name] for name in BUNDLED} == dict.fromkeys(BUNDLED, ("skipped", "chain"))
    expect(page.get_by_test_id("local-mode")).to_have_attribute("data-mode", "online")
    expect(page.get_by_test_id("local-verdict")).to_have_attribute("data-verdict", "INCOMPLETE")
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-verdict", "VALID")  # the service's answer
    expect(page.get_by_test_id("local-result")).to_contain_text(issued[0]["proof"]["digest"])


def test_with_the_service_stopped_the_page_verifies_with_the_downloaded_bundle(
    browser: Any, service: Server, issued: list[dict[str, Any]]
) -> None:
    context = browser.new_context(viewport={"width": 1000, "height": 1400}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    failures: list[str] = []
    page.on("pageerror", lambda exc: failures.append(str(exc)))
    page.clock.install()
    page.goto(service.url + "/verify")
    page.get_by_role("button", name="下载信任包").click()
    status = page.get_by_test_id("bundle-status")
    expect(status).to_have_attribute("data-state", "stored")
    expect(status).to_contain_text("信任包生成于")
    expect(status).to_contain_text(re.compile(r"bundle is [01] seconds? old"))  # made a moment ago, by the service

    stop_service(service.process)
    with pytest.raises(httpx.TransportError):
        httpx.get(service.api + "/health", timeout=5)
    page.clock.fast_forward("03:00:00")  # three hours later, with no connection
    expect(status).to_contain_text("bundle is 3 hours old")
    expect(status).to_contain_text("已 3 小时")

    checks = verify(page, issued[0])
    assert {name: checks[name] for name in LOCAL} == dict.fromkeys(LOCAL, ("passed", "local"))
    assert {name: checks[name] for name in BUNDLED} == dict.fromkeys(BUNDLED, ("passed", "bundle"))
    expect(page.get_by_test_id("local-verdict")).to_have_attribute("data-verdict", "VALID")
    expect(page.get_by_test_id("local-mode")).to_have_attribute("data-mode", "offline")
    expect(page.get_by_test_id("local-mode")).to_contain_text("bundle is 3 hours old")
    expect(page.get_by_test_id("error")).to_contain_text("无法连接核验服务")

    checks = verify(page, issued[2])  # SM3 field hashes and an SM2 signature, checked in the browser
    assert {name: checks[name] for name in (*LOCAL, *BUNDLED)} == dict.fromkeys(
        LOCAL, ("passed", "local")
    ) | dict.fromkeys(BUNDLED, ("passed", "bundle"))
    expect(page.get_by_test_id("local-verdict")).to_have_attribute("data-verdict", "VALID")
    expect(page.get_by_test_id("local-check-signature")).to_contain_text("SM2")

    forged = copy.deepcopy(issued[0])
    value = forged["proof"]["signature"]["value"]
    forged["proof"]["signature"]["value"] = value[:10] + ("B" if value[10] == "A" else "A") + value[11:]
    checks = verify(page, forged)
    assert checks["signature"] == ("failed", "bundle") and checks["integrity"] == ("passed", "local")
    expect(page.get_by_test_id("local-check-signature")).to_contain_text("does not verify")
    expect(page.get_by_test_id("local-verdict")).to_have_attribute("data-verdict", "INVALID")

    tampered = copy.deepcopy(issued[0])
    tampered["credentialSubject"]["holderName"] = "上海假冒贸易有限公司"
    checks = verify(page, tampered)
    assert checks["integrity"] == ("failed", "local")
    assert checks["inclusion"] == ("passed", "local")  # the digest in the proof is still in the tree
    expect(page.get_by_test_id("local-verdict")).to_have_attribute("data-verdict", "INVALID")
    expect(page.get_by_test_id("local-check-integrity")).to_contain_text("已被篡改")

    checks = verify(page, issued[1])
    assert checks["integrity"] == ("passed", "local") and checks["status"] == ("failed", "bundle")
    expect(page.get_by_test_id("local-verdict")).to_have_attribute("data-verdict", "INVALID")
    expect(page.get_by_test_id("local-check-status")).to_contain_text("revoked")

    forged_root = copy.deepcopy(issued[0])
    forged_root["proof"]["merkleRoot"] = "0x" + "ab" * 32
    checks = verify(page, forged_root)
    assert checks["inclusion"] == ("failed", "local") and checks["anchoring"] == ("failed", "bundle")
    context.close()
    assert not failures, f"JavaScript errors: {failures}"
