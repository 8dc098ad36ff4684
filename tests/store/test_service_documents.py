"""The service with its document store on a real Kubo node: issuance hands the agency each certificate's CID, key,
holder link and QR code; `GET /api/v1/documents/{cid}` serves ciphertext; the holder's wallet page decrypts it in
Chromium and shows VALID; no database, log or stored block of the run holds the holder's name or ID number."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.chain.codes import decode_manifest
from ledger.store import content_id
from ledger.store.node import KuboNode
from ledger.store.sealed import encode_key, open_document
from tests.api.conftest import Server, own_server
from tests.ledger.certificates.samples import LICENCES, fresh

pytestmark = pytest.mark.timeout(300)
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
HOLDER = "上海欧阳明远数据科技有限公司"
REPRESENTATIVE = "欧阳明远"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, kubo: KuboNode) -> Iterator[Server]:
    if not kubo.running():
        kubo.up()
    home = tmp_path_factory.mktemp("service-store")
    with own_server(home, {"HURONG_STORE": f"ipfs:{kubo.api_url}"}) as running:
        yield running


@pytest.fixture(scope="module")
def issued(served: Server) -> dict[str, Any]:
    record = fresh(LICENCES["business_licence"])
    record["holderName"] = HOLDER
    record["fields"] = {**record["fields"], "legalRepresentative": REPRESENTATIVE}
    with served.client("sh_amr") as http:
        response = http.post("/certificates", json={"certificates": [record]},
                             headers={"Idempotency-Key": str(uuid.uuid4())})  # fmt: skip
        assert response.status_code == 201, response.text
        certificate = response.json()["data"][0]
        (handed,) = response.json()["documents"]  # the issuer receives CID, key and link with the certificate
        keys = http.post("/documents/keys", json={"digests": [certificate["proof"]["digest"]]})
    assert keys.status_code == 200, keys.text
    (entry,) = keys.json()["data"]
    assert handed == {"index": 0, **{k: entry[k] for k in ("digest", "cid", "key", "link")}}
    served.wait_indexed()
    return {"certificate": certificate, "record": record, **entry}


def test_the_agency_gets_cid_key_link_and_qr_and_anyone_gets_only_ciphertext(
    served: Server, issued: dict[str, Any]
) -> None:
    assert issued["link"] == f"{served.url}/wallet#cid={issued['cid']}&key={issued['key']}"
    assert issued["qr"].startswith("data:image/svg+xml")
    with served.client() as http:
        response = http.get(f"/documents/{issued['cid']}")
        assert response.status_code == 200 and response.headers["content-type"] == "application/octet-stream"
        assert content_id(response.content) == issued["cid"] and HOLDER.encode() not in response.content
        opened = open_document(response.content, issued["key"])
        assert opened["credentialSubject"]["holderName"] == HOLDER
        assert opened["proof"]["digest"] == issued["certificate"]["proof"]["digest"]
        bad = http.get("/documents/not-a-cid")
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_cid"
        missing = http.get(f"/documents/{content_id(b'nothing here')}")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "document_not_found"
        anonymous = http.post("/documents/keys", json={"digests": [issued["certificate"]["proof"]["digest"]]})
        assert anonymous.status_code == 401
    with served.client("zj_amr") as other:  # another agency learns nothing of these keys
        answer = other.post("/documents/keys", json={"digests": [issued["certificate"]["proof"]["digest"]]})
        assert answer.status_code == 200 and answer.json()["count"] == 0
        refused = other.post("/documents/keys", json={"digests": ["0x12"]})
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_digest"


def test_no_database_log_or_stored_block_holds_the_holders_personal_data(
    served: Server, issued: dict[str, Any], kubo: KuboNode
) -> None:
    record = issued["record"]
    secrets = [HOLDER, REPRESENTATIVE, record["holderId"], record["licenceNumber"]]
    needles = {s: [s.encode(), json.dumps(s).strip('"').encode(), s.encode("utf-16-le")] for s in secrets}
    scanned = 0
    for folder in (served.home, kubo.repo, kubo.home):
        for path in folder.rglob("*"):
            if not path.is_file():
                continue
            data = path.read_bytes()
            scanned += 1
            for secret, forms in needles.items():
                assert not any(form in data for form in forms), (str(path), secret)
    assert scanned > 10
    assert any(p.suffix == ".sqlite" for p in served.home.rglob("*")) and any(served.home.rglob("*.log"))


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_the_wallet_page_decrypts_a_holder_link_in_the_browser_and_shows_valid(
    served: Server, issued: dict[str, Any]
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context(locale="zh-CN")
            page = context.new_page()
            errors: list[str] = []
            sent: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("request", lambda r: sent.append(r.url + (r.post_data or "")))
            page.goto(issued["link"])
            expect(page.locator("#verdict")).to_have_attribute("data-verdict", "VALID", timeout=20_000)
            expect(page.locator("#verdict-value")).to_contain_text("有效")
            expect(page.locator("#fields")).to_contain_text(HOLDER)
            expect(page.locator("#cid")).to_have_text(issued["cid"])
            assert not errors, errors
            assert not any(issued["key"] in url for url in sent), "the key reached the server"
            assert all(url.startswith(served.url) for url in sent)
            fragment = issued["link"][issued["link"].index("#") :]
            for opened in ("fragment", "pasted"):  # the verification page hands a holder link to the wallet
                if opened == "fragment":
                    page.goto(f"{served.url}/verify{fragment}")
                else:
                    page.goto(f"{served.url}/verify")
                    page.fill("#cert-json", issued["link"])
                    page.click("#verify-button")
                # the wallet takes the key out of the address bar once it has read it
                expect(page).to_have_url(re.compile(re.escape(f"{served.url}/wallet") + "($|#)"), timeout=20_000)
                expect(page.locator("#verdict")).to_have_attribute("data-verdict", "VALID", timeout=20_000)
            assert not errors, errors
            assert not any(issued["key"] in url for url in sent), "the key reached the server"
            wrong = f"{served.url}/wallet#cid={issued['cid']}&key={encode_key(bytes(32))}"
            page.goto(served.url + "/")
            page.goto(wrong)
            expect(page.locator("#status")).to_contain_text("无法解密", timeout=20_000)
            expect(page.locator("#status")).to_contain_text("the key is wrong or the ciphertext was tampered with")
            expect(page.locator("#result")).to_be_hidden()
            context.close()
        finally:
            browser.close()


def test_while_the_node_is_down_issuance_answers_503_and_the_retry_anchors_the_journaled_batch_once(
    served: Server, kubo: KuboNode
) -> None:
    key = str(uuid.uuid4())
    body = {"certificates": [fresh(LICENCES["business_licence"])]}
    kubo.down()
    try:
        with served.client("sh_amr") as http:
            refused = http.post("/certificates", json=body, headers={"Idempotency-Key": key})
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "store_unavailable" and refused.headers["Retry-After"]
    finally:
        kubo.up()
    with served.client("sh_amr") as http:
        issued = http.post("/certificates", json=body, headers={"Idempotency-Key": key})
        assert issued.status_code == 201, issued.text
        (certificate,) = issued.json()["data"]
        keys = http.post("/documents/keys", json={"digests": [certificate["proof"]["digest"]]}).json()["data"]
    root = bytes.fromhex(certificate["proof"]["merkleRoot"][2:])
    client = served.chain_client()
    event = client.certificates.contract.events.BatchAnchored
    anchors = event.get_logs(from_block=0, to_block=int(client.w3.eth.block_number), argument_filters={"root": root})
    assert len(anchors) == 1 and decode_manifest(anchors[0]["args"]["manifest"]).startswith("0x")
    assert len(keys) == 1 and keys[0]["cid"]


def test_fetch_opens_a_holder_link_through_the_service_and_verifies_it(served: Server, issued: dict[str, Any]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HURONG_")}
    env |= {"PYTHONPATH": str(ROOT), "HURONG_RPC_URL": served.chain.url,
            "HURONG_DEPLOYMENTS": str(served.home / "deployments")}  # fmt: skip

    def fetch(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "ledger.cli", "fetch", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)

    fetched = fetch(issued["link"], "--verify")
    assert fetched.returncode == 0, fetched.stderr
    assert json.loads(fetched.stdout)["credentialSubject"]["holderName"] == HOLDER
    assert "核验结论 verdict: VALID" in fetched.stderr
    wrong = fetch(f"{served.url}/wallet#cid={issued['cid']}&key={encode_key(bytes(32))}")
    assert wrong.returncode == 1 and "the key is wrong or the ciphertext was changed" in wrong.stderr
    missing = fetch(f"{served.url}/wallet#cid={content_id(b'none')}&key={issued['key']}")
    assert missing.returncode == 1 and "holds no document" in missing.stderr
