"""The verification page (`GET /verify`) in a real browser — Debian chromium driven by Playwright — against the real
service over anvil: file upload, paste, QR image, accepting province, and readable errors."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ledger.qr import write_qr
from tests.api.conftest import Server
from tests.ledger.certificates.samples import LICENCES

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

CHROMIUM = Path("/usr/bin/chromium")
CHECKS = ["format", "integrity", "inclusion", "anchoring", "issuer", "signature", "status", "validity", "recognition"]
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


@pytest.fixture(scope="module")
def certificate(server: Server) -> dict[str, Any]:
    with server.client("sh_amr") as http:
        response = http.post("/certificates", json={"certificates": [LICENCES["business_licence"]]})
    assert response.status_code == 201, response.text
    server.wait_indexed()
    return dict(response.json()["data"][0])


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1000, "height": 1200}, locale="zh-CN")
    page = context.new_page()
    failures: list[str] = []
    foreign: list[str] = []
    page.on("pageerror", lambda exc: failures.append(str(exc)))
    page.on(
        "request",
        lambda r: foreign.append(r.url) if r.url.startswith("http") and not r.url.startswith(server.url) else None,
    )
    page.goto(server.url + "/verify")
    expect(page.locator("#province option[value='330000']")).to_have_count(1)  # provinces loaded from the API
    try:
        yield page
    finally:
        context.close()
    assert not failures, f"JavaScript errors: {failures}"
    assert not foreign, f"the page reached outside the service: {foreign}"


def verify(page: Any, province: str | None = None) -> None:
    page.get_by_label("受理省份").select_option(province or "")
    page.get_by_role("button", name="核验").click()


def outcomes(page: Any) -> dict[str, str]:
    rows = page.locator("[data-testid^='check-']")
    expect(rows).to_have_count(len(CHECKS))
    return {row.get_attribute("data-check"): row.get_attribute("data-outcome") for row in rows.all()}


def api_outcomes(server: Server, doc: dict[str, Any], province: str | None = None) -> dict[str, str]:
    body: dict[str, Any] = {"certificate": doc} | ({"context": {"province": province}} if province else {})
    with server.client() as http:
        answer = http.post("/verify", json=body).json()
    return {c["name"]: c["outcome"] for c in answer["checks"]}


def test_valid_certificate_file_recognised_in_zhejiang(
    page: Any, server: Server, certificate: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "licence.json"
    path.write_text(json.dumps(certificate, ensure_ascii=False, indent=2), encoding="utf-8")
    page.get_by_label("证照文件").set_input_files(path)
    expect(page.get_by_test_id("source-note")).to_contain_text("licence.json")
    verify(page, "330000")
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_have_attribute("data-verdict", "VALID")
    expect(verdict).to_contain_text("有效")
    assert outcomes(page) == api_outcomes(server, certificate, "330000")
    assert list(outcomes(page)) == CHECKS
    expect(page.get_by_test_id("check-recognition")).to_have_attribute("data-outcome", "passed")
    recognition = page.get_by_test_id("recognition")
    expect(recognition).to_have_attribute("data-outcome", "passed")
    expect(recognition).to_contain_text("浙江省")
    expect(page.get_by_test_id("issuer")).to_contain_text("上海市市场监督管理局")
    expect(page.get_by_test_id("issuing-province")).to_contain_text("310000")
    expect(page.get_by_test_id("certificate-type")).to_contain_text("business_licence")
    expect(page.get_by_test_id("block")).to_contain_text("0x")
    expect(page.locator("#result")).to_have_attribute("aria-live", "polite")

    shot = tmp_path / "verify-valid.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 20_000
    with Image.open(shot) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 200, "the screenshot looks blank"
    with Image.open(io.BytesIO(verdict.screenshot())) as image:
        commonest = max(image.convert("RGB").getcolors(maxcolors=1 << 20) or [(0, None)], key=lambda c: c[0])[1]
    assert commonest == (0xE6, 0xF4, 0xEA), f"the VALID verdict is not on green: {commonest}"


def test_tampered_paste_is_invalid_with_integrity_failed(page: Any, certificate: dict[str, Any]) -> None:
    tampered = copy.deepcopy(certificate)
    tampered["credentialSubject"]["holderName"] = "李四有限公司"
    page.get_by_label("粘贴证照 JSON").fill(json.dumps(tampered, ensure_ascii=False))
    verify(page)
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_have_attribute("data-verdict", "INVALID")
    expect(verdict).to_contain_text("无效")
    expect(page.get_by_test_id("check-integrity")).to_have_attribute("data-outcome", "failed")
    expect(page.get_by_test_id("check-integrity")).to_contain_text("digest_mismatch")


def test_not_recognised_in_guangdong(page: Any, certificate: dict[str, Any]) -> None:
    page.get_by_label("粘贴证照 JSON").fill(json.dumps(certificate, ensure_ascii=False))
    verify(page, "440000")
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_have_attribute("data-verdict", "NOT_RECOGNIZED")
    expect(verdict).to_contain_text("不予互认")
    expect(page.get_by_test_id("recognition")).to_have_attribute("data-outcome", "failed")
    expect(page.get_by_test_id("recognition")).to_contain_text("广东省")
    expect(page.get_by_test_id("check-recognition")).to_have_attribute("data-outcome", "failed")
    assert {name for name, outcome in outcomes(page).items() if outcome == "failed"} == {"recognition"}


def test_qr_image_of_the_certificate_verifies(page: Any, certificate: dict[str, Any], tmp_path: Path) -> None:
    qr = tmp_path / "licence-qr.png"
    assert write_qr(certificate, qr) == "document"
    page.get_by_label("二维码图片").set_input_files(qr)
    expect(page.get_by_test_id("source-note")).to_contain_text("Certificate read from the QR code")
    assert json.loads(page.get_by_label("粘贴证照 JSON").input_value()) == certificate
    verify(page)
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-verdict", "VALID")
    expect(page.get_by_test_id("recognition")).to_have_attribute("data-outcome", "skipped")
    expect(page.get_by_test_id("issuer")).to_contain_text("上海市市场监督管理局")


def test_qr_reference_is_explained_not_resolved(page: Any, certificate: dict[str, Any], tmp_path: Path) -> None:
    qr = tmp_path / "reference-qr.png"
    assert write_qr(certificate, qr, force_reference=True) == "reference"
    page.get_by_label("二维码图片").set_input_files(qr)
    message = page.get_by_test_id("error")
    expect(message).to_be_visible()
    expect(message).to_contain_text("证照引用")
    expect(message).to_contain_text("cannot resolve")
    expect(page.get_by_test_id("reference")).to_contain_text(certificate["proof"]["digest"].lower())
    expect(page.get_by_test_id("verdict")).to_be_hidden()


def test_malformed_json_and_refused_requests_are_readable(page: Any, certificate: dict[str, Any]) -> None:
    textarea = page.get_by_label("粘贴证照 JSON")
    textarea.fill('{"credentialSubject": {"holderName": "上海浦江')
    verify(page)
    error = page.get_by_test_id("error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("JSON 格式错误")
    expect(error).to_contain_text("Malformed JSON")
    expect(page.get_by_test_id("verdict")).to_be_hidden()

    textarea.fill(json.dumps(certificate, ensure_ascii=False))  # the API's 4xx: an unusable service item
    page.get_by_label("办理事项").fill("不是 代码!")
    verify(page)
    expect(error).to_contain_text("HTTP 422")
    expect(error).to_contain_text("Request refused")
    expect(page.get_by_test_id("verdict")).to_be_hidden()

    page.get_by_label("办理事项").fill("")  # the page still works afterwards
    verify(page)
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-verdict", "VALID")
    expect(error).to_be_hidden()
