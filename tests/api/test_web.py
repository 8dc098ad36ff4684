"""The verification page (`GET /verify`) in a real browser — Debian chromium driven by Playwright — against the real
service over anvil: file upload, paste, QR image, accepting province, readable errors, the issuer's standing as a
warning box, and verification as of a past time."""

from __future__ import annotations

import contextlib
import copy
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ledger.certificates.qr import write_qr
from ledger.chain.client import HurongClient
from tests.api.conftest import Server, own_server
from tests.ledger.certificates.samples import LICENCES, fresh

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

CHROMIUM = Path("/usr/bin/chromium")
CHECKS = ["format", "integrity", "inclusion", "anchoring", "issuer", "signature", "status", "validity", "recognition"]
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
#: The pages run in Shanghai's time zone (no daylight saving time): the page appends the browser's offset to the
#: "as of" time it sends and shows times in it.
TIME_ZONE = "Asia/Shanghai"
SHANGHAI = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def certificate(server: Server) -> dict[str, Any]:
    with server.client("sh_amr") as http:
        response = http.post("/certificates", json={"certificates": [fresh(LICENCES["business_licence"])]})
    assert response.status_code == 201, response.text
    server.wait_indexed()
    return dict(response.json()["data"][0])


@contextlib.contextmanager
def open_page(browser: Any, server: Server) -> Iterator[Any]:
    """The verification page of `server`, ready; fails the test on JavaScript errors or requests elsewhere."""
    context = browser.new_context(viewport={"width": 1000, "height": 1200}, locale="zh-CN", timezone_id=TIME_ZONE)
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


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    with open_page(browser, server) as opened:
        yield opened


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A service over a chain of its own, for tests that suspend agencies and provinces or move the chain's clock."""
    with own_server(tmp_path_factory.mktemp("web")) as running:
        yield running


@pytest.fixture
def own_page(browser: Any, own: Server) -> Iterator[Any]:
    with open_page(browser, own) as opened:
        yield opened


def verify(page: Any, province: str | None = None) -> None:
    page.get_by_label("受理省份").select_option(province or "")
    page.get_by_role("button", name="核验").click()


def outcomes(page: Any) -> dict[str, str]:
    rows = page.locator("[data-testid^='check-']")
    expect(rows).to_have_count(len(CHECKS))
    return {row.get_attribute("data-check"): row.get_attribute("data-outcome") for row in rows.all()}


def api_outcomes(server: Server, doc: dict[str, Any], province: str | None = None) -> dict[str, str]:
    body: dict[str, Any] = {"certificate": doc} | ({"context": {"province": province}} if province else {})
    return {c["name"]: c["outcome"] for c in api_answer(server, body)["checks"]}


def api_answer(server: Server, body: dict[str, Any]) -> dict[str, Any]:
    with server.client() as http:
        response = http.post("/verify", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def issue(server: Server, agency: str = "sh_amr") -> dict[str, Any]:
    with server.client(agency) as http:
        response = http.post("/certificates", json={"certificates": [fresh(LICENCES["business_licence"])]})
    assert response.status_code == 201, response.text
    server.wait_indexed()
    return dict(response.json()["data"][0])


def rpc(server: Server, method: str, params: list[Any]) -> Any:
    response = server.chain_client().w3.provider.make_request(method, params)  # type: ignore[arg-type]
    assert "error" not in response, response
    return response["result"]


def block_time(server: Server, number: int | str = "latest") -> int:
    return int(server.chain_client().w3.eth.get_block(number)["timestamp"])


def advance(server: Server, seconds: int) -> None:
    """Move the chain's clock forward and mine a block."""
    rpc(server, "evm_increaseTime", [seconds])
    rpc(server, "evm_mine", [])


def govern(server: Server, clients: dict[str, HurongClient], function: str, code: int, voters: tuple[str, ...]) -> None:
    """Run `Consortium.function(code)` through a proposal of `voters[0]`, the votes of `voters`, and execute."""
    consortium = clients[voters[0]].consortium
    data = consortium.encode(function, code)
    receipt = consortium.propose(consortium.address, data, block_time(server) + 86_400, function).wait()
    proposal = receipt.event("ProposalCreated").args["proposalId"]
    for voter in voters:
        clients[voter].consortium.vote(proposal).wait()
    consortium.execute(proposal).wait()


def local(seconds: int) -> str:
    """The value a clerk picks in the page's datetime-local field for Unix `seconds` (the browser drops `:00`)."""
    return datetime.fromtimestamp(seconds, SHANGHAI).strftime("%Y-%m-%dT%H:%M:%S").removesuffix(":00")


def shown(seconds: int) -> str:
    """How the page writes Unix `seconds`."""
    return datetime.fromtimestamp(seconds, SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") + " (UTC+08:00)"


def verify_as_of(page: Any, value: str) -> dict[str, Any]:
    """Verify as of the datetime-local `value`; return the JSON body the page sent."""
    page.get_by_label("核验时点").fill(value)
    with page.expect_request(lambda r: r.url.endswith("/api/v1/verify") and r.method == "POST") as sent:
        verify(page)
    return dict(sent.value.post_data_json)


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


# --- the issuer's standing -----------------------------------------------------------------------------------------


def test_valid_certificate_shows_no_warning_box_and_is_as_of_now(page: Any, certificate: dict[str, Any]) -> None:
    page.get_by_label("粘贴证照 JSON").fill(json.dumps(certificate, ensure_ascii=False))
    with page.expect_request(lambda r: r.url.endswith("/api/v1/verify") and r.method == "POST") as sent:
        verify(page)
    assert "at" not in sent.value.post_data_json
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-verdict", "VALID")
    expect(page.get_by_test_id("warnings")).to_be_hidden()
    expect(page.get_by_test_id("warning")).to_have_count(0)
    as_of = page.get_by_test_id("as-of")
    expect(as_of).to_have_attribute("data-as-of", "now")
    expect(as_of).to_contain_text("当前")
    expect(as_of).to_contain_text("Now (latest block #")
    expect(page.get_by_test_id("verdict-as-of")).to_be_hidden()


def test_an_issuer_not_in_good_standing_shows_a_bilingual_warning_box(own_page: Any, own: Server) -> None:
    page = own_page
    doc = issue(own, "sh_pudong")  # a child of sh_amr, in Shanghai
    advance(own, 60)
    clients = {name: own.chain_client(name) for name in ("sh_admin", "zj_admin", "gd_admin")}
    admin = clients["sh_admin"].authorities
    pudong, amr = own.addr("sh_pudong"), own.addr("sh_amr")
    admin.suspend_agency(pudong, 1).wait()
    admin.suspend_agency(amr, 1).wait()
    govern(own, clients, "suspendProvince", 310000, ("zj_admin", "gd_admin"))
    own.wait_indexed()
    try:
        answer = api_answer(own, {"certificate": doc})
        assert answer["verdict"] == "VALID"
        assert [(w["code"], w["details"]["entity"]) for w in answer["warnings"]] == [
            ("issuer_not_in_good_standing", "agency"),
            ("issuer_not_in_good_standing", "parent"),
            ("issuer_not_in_good_standing", "province"),
        ]
        since = answer["warnings"][2]["details"]["since"]

        page.get_by_label("粘贴证照 JSON").fill(json.dumps(doc, ensure_ascii=False))
        verify(page)
        verdict = page.get_by_test_id("verdict")
        expect(verdict).to_have_attribute("data-verdict", "VALID")  # the verdict stands; the box says why to care
        box = page.get_by_test_id("warnings")
        expect(box).to_be_visible()
        items = box.get_by_test_id("warning")
        expect(items).to_have_count(3)
        assert [item.get_attribute("data-entity") for item in items.all()] == ["agency", "parent", "province"]
        for item in items.all():
            expect(item).to_have_attribute("data-code", "issuer_not_in_good_standing")
            expect(item).to_contain_text("签发机构当前状态异常")
            expect(item).to_contain_text("Issuer not in good standing")
        agency, parent, province = items.all()
        for text in (
            "签发机关",
            "上海市浦东新区市场监督管理局",
            pudong,
            "已暂停",
            "The issuing agency",
            "is suspended today",
        ):
            expect(agency).to_contain_text(text)
        for text in ("上级机关", "上海市市场监督管理局", amr, "已暂停", "A parent agency", "is suspended"):
            expect(parent).to_contain_text(text)
        for text in ("签发省份", "上海市", "310000", "已暂停", "The issuing province", f"since {shown(since)}"):
            expect(province).to_contain_text(text)
        expect(province).to_contain_text(f"自 {shown(since)} 起")
        expect(box).to_contain_text("the verdict stands")
        verdict_box, warning_box = verdict.bounding_box(), box.bounding_box()
        facts = page.locator("dl.facts").bounding_box()
        assert verdict_box and warning_box and facts
        assert verdict_box["y"] + verdict_box["height"] <= warning_box["y"] < facts["y"], (
            "the box sits under the verdict"
        )
    finally:
        govern(own, clients, "reinstateProvince", 310000, ("zj_admin", "gd_admin"))
        admin.reinstate_agency(amr).wait()
        admin.reinstate_agency(pudong).wait()
        own.wait_indexed()

    verify(page)  # in good standing again: the next answer has no box
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-verdict", "VALID")
    expect(page.get_by_test_id("warnings")).to_be_hidden()
    expect(page.get_by_test_id("warning")).to_have_count(0)


# --- as of a past time ---------------------------------------------------------------------------------------------


def test_verification_as_of_a_past_time_shows_when_and_which_block(own_page: Any, own: Server) -> None:
    page = own_page
    before = block_time(own)  # the head's time before the certificate is issued
    advance(own, 60)
    doc = issue(own)
    anchored = int(doc["proof"]["anchor"]["blockNumber"])
    issued_at = block_time(own, anchored)
    advance(own, 60)
    with own.client("sh_amr") as http:  # revoked today: only a question about the past finds it valid
        assert http.post(f"/certificates/{doc['proof']['digest']}/revoke", json={"reason": 4}).status_code == 200
    own.wait_indexed()
    page.get_by_label("粘贴证照 JSON").fill(json.dumps(doc, ensure_ascii=False))

    then = issued_at + 30  # after issuing, before the next block and the revocation
    sent = verify_as_of(page, local(then))
    assert sent["at"] == datetime.fromtimestamp(then, SHANGHAI).isoformat()  # local time with the browser's offset
    expected = api_answer(own, {"certificate": doc, "at": sent["at"]})
    block = expected["block"]["number"]
    assert (expected["verdict"], expected["at"]) == ("VALID", then) and block >= anchored
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-verdict", "VALID")
    as_of = page.get_by_test_id("as-of")
    expect(as_of).to_have_attribute("data-as-of", "past")
    for text in (shown(then), f"#{block}", "按区块", "as it stood at block"):
        expect(as_of).to_contain_text(text)
    banner = page.get_by_test_id("verdict-as-of")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(f"此结论为 {shown(then)} 时的状态")
    expect(banner).to_contain_text("not as of now")
    expect(page.get_by_test_id("block")).to_contain_text(f"#{block} ")
    expect(page.get_by_test_id("warnings")).to_be_hidden()

    sent = verify_as_of(page, local(before))  # before the certificate was issued: not anchored yet
    expected = api_answer(own, {"certificate": doc, "at": sent["at"]})
    assert expected["verdict"] == "INVALID" and expected["block"]["number"] < anchored
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-verdict", "INVALID")
    assert outcomes(page) == {c["name"]: c["outcome"] for c in expected["checks"]}
    expect(page.get_by_test_id("check-anchoring")).to_have_attribute("data-outcome", "failed")
    expect(as_of).to_contain_text(shown(before))
    expect(as_of).to_contain_text(f"#{expected['block']['number']}")
    expect(banner).to_contain_text(shown(before))

    page.get_by_role("button", name="清除").click()  # cleared: as of now, and revoked today
    with page.expect_request(lambda r: r.url.endswith("/api/v1/verify") and r.method == "POST") as request:
        verify(page)
    assert "at" not in request.value.post_data_json
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-verdict", "INVALID")
    expect(page.get_by_test_id("check-status")).to_have_attribute("data-outcome", "failed")
    expect(as_of).to_have_attribute("data-as-of", "now")
    expect(banner).to_be_hidden()


@pytest.mark.parametrize("value", ["2999-01-01T00:00", "2020-01-01T08:00"], ids=["future", "before-deployment"])
def test_an_as_of_time_out_of_range_is_explained(own_page: Any, own: Server, value: str) -> None:
    page = own_page
    doc = issue(own)
    page.get_by_label("粘贴证照 JSON").fill(json.dumps(doc, ensure_ascii=False))
    sent = verify_as_of(page, value)
    assert sent["at"] == value + ":00+08:00"
    error = page.get_by_test_id("error")
    expect(error).to_be_visible()
    for text in ("核验时点超出范围", "“As of” time out of range", "请选择", "Choose a time in between", "out_of_range"):
        expect(error).to_contain_text(text)
    expect(page.get_by_test_id("verdict")).to_be_hidden()

    page.get_by_role("button", name="清除").click()  # the page still works afterwards
    verify(page)
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-verdict", "VALID")
    expect(error).to_be_hidden()


def test_an_as_of_time_whose_state_the_node_pruned_is_explained(own_page: Any, own: Server) -> None:
    """Mines past the 512 blocks whose state anvil keeps: the other tests here issue their own certificates."""
    page = own_page
    doc = issue(own)
    anchored = int(doc["proof"]["anchor"]["blockNumber"])
    issued_at = block_time(own, anchored)
    rpc(own, "anvil_mine", [600, 1])
    own.wait_indexed(timeout=30)
    page.get_by_label("粘贴证照 JSON").fill(json.dumps(doc, ensure_ascii=False))
    sent = verify_as_of(page, local(issued_at))
    with own.client() as http:
        refused = http.post("/verify", json={"certificate": doc, "at": sent["at"]})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "history_unavailable", refused.text
    gone = refused.json()["error"]["details"]["block"]
    assert gone >= anchored
    error = page.get_by_test_id("error")
    expect(error).to_be_visible()
    for text in ("链上记录已不可查", "History no longer available", f"#{gone}", "history_unavailable"):
        expect(error).to_contain_text(text)
    expect(page.get_by_test_id("verdict")).to_be_hidden()


# --- one vocabulary: reasons by name, messages in Chinese with the English beside -------------------------------


def test_a_suspended_certificate_shows_the_reason_by_name_and_messages_in_both_languages(
    page: Any, server: Server
) -> None:
    doc = issue(server)
    with server.client("sh_amr") as http:
        response = http.post(f"/certificates/{doc['proof']['digest']}/suspend", json={"reason": 7})
        assert response.status_code == 200, response.text
        assert (response.json()["reason"], response.json()["reasonCode"]) == ("under_investigation", 7)
    server.wait_indexed()
    page.get_by_label("粘贴证照 JSON").fill(json.dumps(doc, ensure_ascii=False))
    verify(page)
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-verdict", "INVALID")
    status = page.get_by_test_id("check-status")
    expect(status).to_have_attribute("data-outcome", "failed")
    reason = page.get_by_test_id("status-reason")
    expect(reason).to_have_attribute("data-reason", "under_investigation")
    for text in ("调查期间暂停", "under_investigation", "（7）"):
        expect(reason).to_contain_text(text)
    expect(status).to_contain_text("证照已暂停：调查期间暂停")
    expect(status.locator("td.msg > span[lang='en']")).to_have_text(
        "the certificate is suspended (under_investigation)"
    )
    expect(page.get_by_test_id("check-integrity")).to_contain_text("摘要与披露的字段")
    expect(page.get_by_test_id("check-integrity")).to_contain_text("the digest matches the disclosed fields")
