"""The web console (`GET /console`) in a real browser — Debian chromium driven by Playwright — against the real service
over anvil: a province admin registers an agency, grants it a type, gives it a signing key and an API key; the agency
signs in, issues 200 licences from a CSV in batches, downloads them as a ZIP and suspends one with a reason; a clerk
on `/verify` sees the one valid and the other suspended."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image, ImageChops

from ledger.certificates.qr import Reference, decode_payload
from tests.api.conftest import Server, own_server
from tests.ledger.certificates.samples import LICENCES, fresh

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
REGION = "310104"
AGENCY_NAME = "上海市徐汇区市场监督管理局"
COUNT = 200


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with own_server(tmp_path_factory.mktemp("console")) as running:
        yield running


@contextlib.contextmanager
def open_page(browser: Any, server: Server, path: str = "/console") -> Iterator[Any]:
    """A page of `server`; fails the test on JavaScript errors or requests elsewhere."""
    context = browser.new_context(viewport={"width": 1100, "height": 1300}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    failures: list[str] = []
    foreign: list[str] = []
    page.on("pageerror", lambda exc: failures.append(str(exc)))
    page.on(
        "request",
        lambda r: foreign.append(r.url) if r.url.startswith("http") and not r.url.startswith(server.url) else None,
    )
    page.goto(server.url + path)
    try:
        yield page
    finally:
        context.close()
    assert not failures, f"JavaScript errors: {failures}"
    assert not foreign, f"the page reached outside the service: {foreign}"


def sign_in(page: Any, key: str, role: str) -> None:
    page.get_by_label("接口密钥").fill(key)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("who")).to_have_attribute("data-role", role, timeout=30_000)


def no_error(page: Any) -> None:
    error = page.get_by_test_id("error")
    assert error.is_hidden(), error.inner_text()


def check_glyphs(page: Any, shot: Path, text: str = "管理控制台") -> None:
    """The screenshot is not blank, and each CJK character renders as a glyph, not as the empty box a missing
    glyph gets (that box is what a private-use code point renders as)."""
    page.screenshot(path=str(shot), full_page=True)
    with Image.open(shot) as shown:
        colours = shown.convert("RGB").getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 100, f"the screenshot looks blank: {shot}"
    page.evaluate(
        """(chars) => {
            const probe = document.createElement("div");
            probe.id = "glyph-probe";
            for (const c of chars) {
                const span = document.createElement("span");
                span.className = "glyph";
                span.textContent = c;
                probe.append(span);
            }
            document.body.prepend(probe);
        }""",
        [*text, "\ue000"],
    )
    glyphs = page.locator("#glyph-probe .glyph")
    images = [Image.open(io.BytesIO(glyphs.nth(i).screenshot())).convert("L") for i in range(len(text) + 1)]
    tofu = images[-1]
    for char, image in zip(text, images, strict=False):
        assert image.size != tofu.size or ImageChops.difference(image, tofu).getbbox() is not None, (
            f"{char} renders as an empty box"
        )
        assert len(image.getcolors(maxcolors=1 << 16) or []) > 2, f"{char} renders blank"
    page.evaluate("document.getElementById('glyph-probe').remove()")


def licences_csv(path: Path) -> list[dict[str, Any]]:
    records = []
    for _ in range(COUNT):
        record = fresh(LICENCES["business_licence"])
        record["issuingRegion"] = REGION
        records.append(record)
    common = ["licenceNumber", "certificateType", "holderName", "holderId", "issuingProvince", "issuingRegion",
              "validFrom", "validUntil"]  # fmt: skip
    own_fields = list(records[0]["fields"])
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(common + own_fields)
        for r in records:
            writer.writerow([r[c] for c in common] + [r["fields"][f] for f in own_fields])
    return records


def test_console_assets_are_served_with_their_types_and_a_strict_policy(own: Server) -> None:
    for path, kind in (("/console", "text/html"), ("/console/console.js", "text/javascript"),
                       ("/console/console.css", "text/css")):  # fmt: skip
        response = httpx.get(own.url + path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(kind)
        policy = response.headers["content-security-policy"]
        assert policy.startswith("default-src 'self'") and "unsafe" not in policy and "http" not in policy
    page = httpx.get(own.url + "/console").text
    assert "<style" not in page and "style=" not in page and "<script>" not in page
    assert "http" not in page.replace('"http-equiv"', "")


def test_whoami_tells_the_role_of_a_key(own: Server) -> None:
    with own.client("sh_admin") as http:
        me = http.get("/whoami").json()
    assert (me["role"], me["subject"], me["province"]) == ("province", "310000", "310000")
    assert me["name"] and me["keyId"]
    with own.client("sh_amr") as http:
        me = http.get("/whoami").json()
    assert (me["role"], me["subject"], me["province"]) == ("agency", own.addr("sh_amr"), "310000")
    assert "business_licence" in me["certificateTypes"]
    response = httpx.get(own.api + "/whoami")
    assert response.status_code == 401 and response.json()["error"]["code"] == "missing_api_key"


def test_a_wrong_key_is_refused_with_the_code_and_message(browser: Any, own: Server) -> None:
    with open_page(browser, own) as page:
        page.get_by_label("接口密钥").fill("hr_000000000000_wrong")
        page.get_by_role("button", name="登录").click()
        error = page.get_by_test_id("error")
        expect(error).to_be_visible()
        expect(error).to_contain_text("invalid_api_key")
        expect(error).to_contain_text("the API key is unknown or revoked")
        assert page.evaluate("sessionStorage.length") == 0


def test_admin_registers_an_agency_that_issues_200_licences_and_suspends_one(
    browser: Any, own: Server, tmp_path: Path
) -> None:
    # --- the province admin: register, grant, signing key, API key
    with open_page(browser, own) as admin:
        sign_in(admin, own.keys["sh_admin"], "province")
        expect(admin.get_by_test_id("agency").first).to_be_visible()
        assert admin.evaluate("Object.keys(sessionStorage)") == ["hurong.console.apiKey"]
        assert admin.evaluate("localStorage.length") == 0
        admin.get_by_label("机构名称").fill(AGENCY_NAME)
        admin.get_by_label("行政区划代码").fill(REGION)
        admin.get_by_role("button", name="登记 Register").click()
        node = admin.locator(f"[data-testid=agency][data-name='{AGENCY_NAME}']")
        expect(node).to_be_visible(timeout=60_000)
        no_error(admin)
        address = node.get_attribute("data-address")
        node.get_by_role("combobox", name="授予类型").select_option("business_licence")
        node.get_by_role("button", name="授予类型").click()
        expect(node.locator("[data-type=business_licence]")).to_be_visible(timeout=60_000)
        node = admin.locator(f"[data-testid=agency][data-address='{address}']")
        node.get_by_role("button", name="新建签名密钥").click()
        expect(node.locator("tr[data-key]")).to_have_count(1, timeout=60_000)
        no_error(admin)
        node = admin.locator(f"[data-testid=agency][data-address='{address}']")
        node.get_by_role("button", name="新建接口密钥").click()
        key = admin.get_by_test_id("new-api-key").inner_text()
        assert key.startswith("hr_")
        check_glyphs(admin, tmp_path / "console-admin-agencies.png")
        for tab, shot in (("互认规则", "rules"), ("联盟提案", "proposals")):
            admin.get_by_role("tab", name=tab).click()
            expect(admin.locator(f"[data-panel={shot}]")).to_be_visible()
            no_error(admin)
            check_glyphs(admin, tmp_path / f"console-admin-{shot}.png")

    # --- the agency: upload 200 licences, issue them in batches, download the ZIP
    records = licences_csv(tmp_path / "licences.csv")
    with open_page(browser, own) as agency:
        check_glyphs(agency, tmp_path / "console-sign-in.png")
        sign_in(agency, key, "agency")
        expect(agency.get_by_test_id("who")).to_contain_text(AGENCY_NAME)
        batches: list[str] = []
        agency.on("request", lambda r: batches.append(r.headers.get("idempotency-key", ""))
                  if r.url.endswith("/api/v1/certificates") and r.method == "POST" else None)  # fmt: skip
        agency.get_by_label("证照数据文件").set_input_files(tmp_path / "licences.csv")
        expect(agency.get_by_test_id("file-summary")).to_have_attribute("data-count", str(COUNT))
        agency.get_by_role("button", name="签发 Issue").click()
        expect(agency.get_by_test_id("progress")).to_have_attribute("data-percent", "100", timeout=300_000)
        expect(agency.get_by_test_id("progress-text")).to_contain_text("100 %")
        rows = agency.get_by_test_id("row-errors")
        assert rows.is_hidden(), rows.inner_text()[:2000]
        expect(agency.get_by_test_id("issue-summary")).to_have_attribute("data-issued", str(COUNT))
        no_error(agency)
        assert len(batches) == COUNT // 50 and len(set(batches)) == len(batches) and all(batches)
        check_glyphs(agency, tmp_path / "console-agency-issue.png")
        with agency.expect_download(timeout=120_000) as download:
            agency.get_by_role("button", name="下载 ZIP").click()
        archive = zipfile.ZipFile(download.value.path())
        assert archive.testzip() is None  # every CRC-32 matches
        index = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
        assert len(index) == COUNT and len(archive.namelist()) == 2 * COUNT + 1
        issued = [json.loads(archive.read(row["certificate"])) for row in index]
        assert all(row["qr"].startswith("qr/") and archive.read(row["qr"]).startswith(b"\x89PNG") for row in index)
        (code,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(archive.read(index[0]["qr"]))))
        # the whole certificate when it fits, else a reference naming exactly this one (chain, registry, agency, digest)
        by_reference = {Reference.of(document): document for document in issued}
        assert decode_payload(bytes(code.bytes), by_reference.get) == issued[0]
        numbers = {r["licenceNumber"] for r in records}
        assert {d["credentialSubject"]["licenceNumber"] for d in issued} == numbers

        # --- suspend one, found by its licence number, with a reason from the list
        suspended, valid = issued[0], issued[1]
        agency.get_by_role("tab", name="证照状态").click()
        agency.get_by_label("许可证编号或摘要").fill(suspended["credentialSubject"]["licenceNumber"])
        agency.get_by_role("button", name="查找").click()
        expect(agency.get_by_test_id("found-status")).to_have_attribute("data-status", "valid")
        agency.get_by_label("操作").select_option("suspend")
        agency.get_by_label("原因").select_option("under_investigation")
        expect(agency.get_by_label("原因")).to_contain_text("调查期间暂停 under_investigation")
        agency.get_by_role("button", name="提交").click()
        expect(agency.get_by_test_id("found-status")).to_have_attribute("data-status", "suspended", timeout=60_000)
        expect(agency.get_by_test_id("found")).to_contain_text("调查期间暂停 under_investigation")
        expect(agency.get_by_test_id("change-result")).to_have_attribute("data-action", "suspend")
        no_error(agency)
        check_glyphs(agency, tmp_path / "console-agency-status.png")
        # a refusal shows the API's code and message: reinstating an active certificate
        agency.get_by_label("许可证编号或摘要").fill(valid["proof"]["digest"])
        agency.get_by_role("button", name="查找").click()
        expect(agency.get_by_test_id("found-status")).to_have_attribute("data-status", "valid")
        agency.get_by_label("操作").select_option("reinstate")
        agency.get_by_role("button", name="提交").click()
        expect(agency.get_by_test_id("error")).to_be_visible(timeout=60_000)
        expect(agency.get_by_test_id("error-code")).to_contain_text("HTTP 409")

    # --- a clerk on the verification page
    own.wait_indexed()
    with open_page(browser, own, "/verify") as clerk:
        expect(clerk.locator("#province option[value='330000']")).to_have_count(1)
        for doc, verdict in ((valid, "VALID"), (suspended, "INVALID")):
            clerk.get_by_label("粘贴证照 JSON").fill(json.dumps(doc, ensure_ascii=False))
            clerk.get_by_role("button", name="核验").click()
            expect(clerk.get_by_test_id("verdict")).to_have_attribute("data-verdict", verdict, timeout=30_000)
        reason = clerk.get_by_test_id("status-reason")
        expect(reason).to_have_attribute("data-reason", "under_investigation")
        expect(reason).to_contain_text("调查期间暂停")


def test_admin_suspends_reinstates_revokes_keys_and_rules_and_votes_on_proposals(
    browser: Any, own: Server, tmp_path: Path
) -> None:
    with own.client("sh_admin") as http:
        answer = http.post("/agencies", json={"name": "上海市黄浦区市场监督管理局", "region": "310101",
                                              "certificateTypes": ["business_licence"]})  # fmt: skip
        assert answer.status_code == 201, answer.text
        address = answer.json()["agency"]["address"]
    with open_page(browser, own) as admin:
        sign_in(admin, own.keys["sh_admin"], "province")

        def node() -> Any:
            return admin.locator(f"[data-testid=agency][data-address='{address}']")

        # suspend, then reinstate the agency
        expect(node()).to_be_visible(timeout=30_000)
        node().get_by_role("button", name="暂停 Suspend").click()
        expect(node().get_by_test_id("agency-status")).to_contain_text("suspended", timeout=60_000)
        expect(admin.get_by_test_id("notice")).to_contain_text("机构已暂停")
        node().get_by_role("button", name="恢复 Reinstate").click()
        expect(node().get_by_test_id("agency-status")).to_contain_text("active", timeout=60_000)
        no_error(admin)
        # an SM2 signing key, then its revocation
        node().get_by_role("combobox", name="算法").select_option("SM2")
        node().get_by_role("button", name="新建签名密钥").click()
        expect(node().locator("tr[data-key]")).to_have_count(1, timeout=60_000)
        expect(node().locator("tr[data-key]")).to_contain_text("SM2")
        node().locator("tr[data-key]").get_by_role("button", name="吊销 Revoke").click()
        expect(node().locator("tr[data-key]")).to_contain_text("已吊销", timeout=60_000)
        no_error(admin)
        with own.client("sh_admin") as http:
            (key,) = http.get(f"/agencies/{address}/signing-keys").json()["data"]
            assert key["algorithm"] == "SM2" and key["revokedAt"]

        # a recognition rule, set then revoked
        admin.get_by_role("tab", name="互认规则").click()
        admin.get_by_label("证照类型").select_option("business_licence")
        admin.get_by_label("发证省份").select_option("440000")
        admin.get_by_label("法律依据").fill("粤沪电子证照互认协议（测试）")
        admin.get_by_role("button", name="设定 Set").click()
        row = admin.locator("#rules-body tr", has_text="粤沪电子证照互认协议（测试）")
        expect(row).to_contain_text("生效", timeout=60_000)
        rule_id = row.get_attribute("data-rule")
        row.get_by_role("button", name="撤销 Revoke").click()
        expect(admin.locator(f"#rules-body tr[data-rule='{rule_id}']")).to_contain_text("已撤销", timeout=60_000)
        no_error(admin)

        # a proposal withdrawn, and one another province votes through (executed at once)
        admin.get_by_role("tab", name="联盟提案").click()
        for description in ("撤回的提案 withdrawn", "表决通过 voted through"):
            admin.get_by_label("事项 Action", exact=True).select_option("setThreshold")
            admin.get_by_label("门槛 Threshold", exact=True).fill("2")
            admin.get_by_label("说明 Description", exact=True).fill(description)
            admin.get_by_role("button", name="提交提案").click()
            expect(admin.locator("#proposals-body tr", has_text=description)).to_have_attribute(
                "data-state", "pending", timeout=60_000
            )
        withdrawn = admin.locator("#proposals-body tr", has_text="撤回的提案")
        withdrawn.get_by_role("button", name="撤回 Cancel").click()
        expect(withdrawn).to_have_attribute("data-state", "cancelled", timeout=60_000)
        voted = admin.locator("#proposals-body tr", has_text="表决通过").get_attribute("data-proposal")
        no_error(admin)
    with open_page(browser, own) as other:
        sign_in(other, own.keys["zj_admin"], "province")
        other.get_by_role("tab", name="联盟提案").click()
        row = other.locator(f"#proposals-body tr[data-proposal='{voted}']")
        row.get_by_role("button", name="投票 Vote").click()
        expect(row).to_have_attribute("data-state", "executed", timeout=60_000)
        expect(row).to_contain_text("310000")
        no_error(other)
