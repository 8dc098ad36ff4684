"""GB/T 36904 licence identifiers and the printable licence through a real service: identifiers made or checked
at issuance, found again by identifier, and the A4 PDF rendered (pdftoppm), its QR code read (zxing-cpp) and
verified by the service."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from api.identifiers import Serials, describe_credit_codes
from api.launcher import stop_service
from ledger.certificates.catalogue import certificate_type
from ledger.certificates.identifiers import check_licence_identifier, make_identifier, parse_identifier
from ledger.certificates.qr import decode_payload
from ledger.chain.deployment import Deployment
from ledger.chain.node import Anvil
from tests.api.conftest import Server, prepare_home, start_server
from tests.conftest import WORLD
from tests.ledger.certificates.samples import LICENCES, fresh, uscc

SH_AMR_CODE = uscc("1", "1", "310000", "MB2C9Q47X")
BUSINESS_TYPE = certificate_type("business_licence").licence_type_code
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def described(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A service whose deployment record gives sh_amr a credit code (zj_amr has none)."""
    home = tmp_path_factory.mktemp("printable")
    with Anvil(accounts=len(WORLD["accounts"])) as chain:
        result, keys = prepare_home(home, chain)
        path = home / "deployments" / f"{result.deployment.chain_id}.json"
        deployment = describe_credit_codes(Deployment.load(path), {result.accounts["sh_amr"]: SH_AMR_CODE})
        deployment.save(home / "deployments")
        url, process = start_server(home, chain)
        try:
            yield Server(url, chain, result, home, keys, process)
        finally:
            stop_service(process)


def _issue(server: Server, records: list[dict[str, Any]], name: str = "sh_amr") -> Any:
    with server.client(name) as http:
        return http.post("/certificates", json={"certificates": records})


def _issued(server: Server, records: list[dict[str, Any]], name: str = "sh_amr") -> list[dict[str, Any]]:
    response = _issue(server, records, name)
    assert response.status_code == 201, response.text
    server.wait_indexed()
    return list(response.json()["data"])


def _identifier(document: dict[str, Any]) -> str:
    return str(document["credentialSubject"]["licenceIdentifier"])


def test_certificates_anchored_but_not_recorded_are_found_from_the_journal(described: Server) -> None:
    """The first look-up of a process reads the journal: a certificate whose identifier and status entries were
    not recorded (a process stopped between anchoring and recording) is found all the same. Runs first in this
    module, before any look-up of the service's process."""
    [issued] = _issued(described, [fresh(LICENCES["business_licence"])])
    raw = bytes.fromhex(issued["proof"]["digest"][2:])
    for name, table in (("identifiers.sqlite", "identified"), ("status-lists.sqlite", "entries")):
        with sqlite3.connect(described.home / name) as db:
            assert db.execute(f"DELETE FROM {table} WHERE digest = ?", (raw,)).rowcount >= 1  # noqa: S608
    with described.client("sh_amr") as http:
        found = http.get(f"/licence-identifiers/{_identifier(issued)}").json()
        entries = http.get(f"/certificates/{issued['proof']['digest']}/status-entries")
    assert [d["digest"] for d in found["data"]] == [issued["proof"]["digest"].lower()]
    assert entries.status_code == 200 and len(entries.json()["credentialStatus"]) == 2


def test_issued_certificates_get_identifiers_with_consecutive_serials(described: Server) -> None:
    first, second = _issued(described, [fresh(LICENCES["business_licence"]), fresh(LICENCES["business_licence"])])
    parts = [parse_identifier(_identifier(d)) for d in (first, second)]
    assert [(p.type_code, p.issuer_code, p.version) for p in parts] == [(BUSINESS_TYPE, SH_AMR_CODE, 1)] * 2
    assert all(p.serial.startswith("HR") for p in parts)
    assert int(parts[1].serial[2:]) == int(parts[0].serial[2:]) + 1
    assert check_licence_identifier(_identifier(first)) == []


def test_a_given_identifier_is_kept_and_one_of_the_services_form_must_be_a_version_of_a_made_one(
    described: Server,
) -> None:
    given = make_identifier(BUSINESS_TYPE, SH_AMR_CODE, "2026000500", 2)
    [kept] = _issued(described, [{**fresh(LICENCES["business_licence"]), "licenceIdentifier": given}])
    assert _identifier(kept) == given
    [made] = _issued(described, [fresh(LICENCES["business_licence"])])
    serial = parse_identifier(_identifier(made)).serial
    assert serial.startswith("HR") and len(serial) == 12
    next_version = make_identifier(BUSINESS_TYPE, SH_AMR_CODE, serial, 2)
    [renewed] = _issued(described, [{**fresh(LICENCES["business_licence"]), "licenceIdentifier": next_version}])
    assert _identifier(renewed) == next_version
    unmade = make_identifier(BUSINESS_TYPE, SH_AMR_CODE, "HR9999999999")
    response = _issue(described, [{**fresh(LICENCES["business_licence"]), "licenceIdentifier": unmade}])
    assert response.status_code == 422
    assert [p["code"] for p in response.json()["error"]["details"]] == ["reserved_licence_identifier_serial"]


@pytest.mark.parametrize(
    ("identifier", "code"),
    [
        (make_identifier(BUSINESS_TYPE, SH_AMR_CODE, "9")[:-1] + "Z", "invalid_licence_identifier_checksum"),
        ("1.2.156.3005.2.123", "invalid_licence_identifier"),
        (make_identifier(BUSINESS_TYPE, uscc("1", "1", "330000", "MB2C9Q47X"), "9"),
         "licence_identifier_issuer_mismatch"),
        (make_identifier(certificate_type("driving_licence").licence_type_code, SH_AMR_CODE, "9"),
         "licence_identifier_type_mismatch"),
    ],
)  # fmt: skip
def test_a_bad_identifier_is_refused_with_pointer_and_code(described: Server, identifier: str, code: str) -> None:
    response = _issue(described, [{**fresh(LICENCES["business_licence"]), "licenceIdentifier": identifier}])
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert {(p["index"], p["pointer"], p["code"]) for p in error["details"]} == {
        (0, "/credentialSubject/licenceIdentifier", code)
    }


def test_an_agency_without_a_credit_code_issues_without_an_identifier(described: Server) -> None:
    [plain] = _issued(described, [fresh({**LICENCES["business_licence"], "issuingProvince": "330000",
                                          "issuingRegion": "330106"})], "zj_amr")  # fmt: skip
    assert "licenceIdentifier" not in plain["credentialSubject"]


def test_certificates_are_found_by_identifier_by_their_agency_only(described: Server) -> None:
    [issued] = _issued(described, [fresh(LICENCES["business_licence"])])
    identifier = _identifier(issued)
    with described.client("sh_amr") as http:
        found = http.get(f"/licence-identifiers/{identifier}").json()
        assert found["count"] == 1 and found["data"][0]["digest"] == issued["proof"]["digest"].lower()
        assert found["data"][0]["status"] == "valid"
        bad = http.get(f"/licence-identifiers/{identifier[:-1]}{'A' if identifier[-1] != 'A' else 'B'}")
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_licence_identifier_checksum"
    with described.client("zj_amr") as http:
        assert http.get(f"/licence-identifiers/{identifier}").json()["count"] == 0
    with described.client() as http:
        assert http.get(f"/licence-identifiers/{identifier}").status_code == 401


def _render(pdf: bytes, folder: Path, dpi: int = 300) -> list[Path]:
    (folder / "licence.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(folder / "licence.pdf"), str(folder / "page")],
                   check=True, timeout=120)  # fmt: skip
    return sorted(folder.glob("page-*.png"))


def _verify_rendered(server: Server, pages: list[Path]) -> dict[str, Any]:
    codes = [r for page in pages for r in zxingcpp.read_barcodes(Image.open(page))
             if r.format == zxingcpp.BarcodeFormat.QRCode]  # fmt: skip
    assert len(codes) == 1
    document = decode_payload(bytes(codes[0].bytes))
    with server.client() as http:
        answer = http.post("/verify", json={"certificate": document}).json()
    return {"verdict": answer["verdict"], "document": document}


def _embedded_cjk_fonts(path: Path) -> list[str]:
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True, timeout=60)
    rows = [line.split() for line in listing.stdout.splitlines()[2:]]
    # name, type..., emb, sub, uni, object, generation: emb and sub are the 5th and 4th columns from the end
    return [row[0] for row in rows if "NotoSansCJK" in row[0] and row[-5] == "yes" and row[-4] == "yes"]


def test_printable_licence_shows_chinese_and_its_qr_code_verifies(described: Server, tmp_path: Path) -> None:
    [issued] = _issued(described, [fresh(LICENCES["business_licence"])])
    digest = issued["proof"]["digest"]
    with described.client("sh_amr") as http:
        response = http.get(f"/certificates/{digest}/pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    pages = _render(response.content, tmp_path)
    outcome = _verify_rendered(described, pages)
    assert outcome["verdict"] == "VALID" and outcome["document"]["proof"]["digest"] == digest
    assert _embedded_cjk_fonts(tmp_path / "licence.pdf")
    info = subprocess.run(["pdfinfo", str(tmp_path / "licence.pdf")], capture_output=True, text=True, check=True,
                          timeout=60).stdout  # fmt: skip
    assert re.search(r"^Pages:\s+1$", info, re.M) and re.search(r"^Page size:.*\(A4\)$", info, re.M), info
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "licence.pdf"), "-"], capture_output=True,
                          text=True, check=True, timeout=60).stdout  # fmt: skip
    for shown in ("营业执照", "上海市市场监督管理局", issued["credentialSubject"]["holderName"], _identifier(issued),
                  digest.lower(), "有效期至", "上海市（310000）"):  # fmt: skip
        assert shown in text


def test_the_cjk_glyphs_are_drawn_from_the_embedded_font(described: Server, tmp_path: Path) -> None:
    """The title (the type's name, 营业执照, 22 pt) rendered by poppler holds as much ink as the same four characters
    drawn by FreeType from the font file at the same size: the glyphs, not empty boxes or blanks."""
    from PIL import ImageDraw, ImageFont

    from ledger.certificates.pdf import find_cjk_font, licence_pdf

    [issued] = _issued(described, [fresh(LICENCES["business_licence"])])
    page = Image.open(_render(licence_pdf(issued), tmp_path)[0]).convert("L")
    title = page.crop((0, 0, page.width, round(page.height * 0.07)))
    drawn = sum(title.histogram()[:128])
    path, index = find_cjk_font()
    font = ImageFont.truetype(str(path), size=round(22 * 300 / 72), index=index)
    reference = Image.new("L", (800, 200), 255)
    ImageDraw.Draw(reference).text((10, 10), "营业执照", font=font, fill=0)
    expected = sum(reference.histogram()[:128])
    assert expected > 1000
    assert 0.8 < drawn / expected < 1.25, (drawn, expected)


def test_pdf_is_for_the_issuing_agency_only(described: Server) -> None:
    [issued] = _issued(described, [fresh(LICENCES["business_licence"])])
    path = f"/certificates/{issued['proof']['digest']}/pdf"
    with described.client("zj_amr") as http:
        answer = http.get(path)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "unknown_certificate"
        assert http.get("/certificates/0x1234/pdf").status_code == 422
    with described.client() as http:
        assert http.get(path).status_code == 401


def test_pdf_command_writes_a_licence_and_refuses_what_is_no_certificate(described: Server, tmp_path: Path) -> None:
    [issued] = _issued(described, [fresh(LICENCES["business_licence"])])
    (tmp_path / "cert.json").write_text(json.dumps(issued, ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "ledger.cli", "pdf", str(tmp_path / "cert.json"), "--out", str(tmp_path / "o.pdf")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "rendered"
    folder.mkdir()
    assert _verify_rendered(described, _render((tmp_path / "o.pdf").read_bytes(), folder))["verdict"] == "VALID"
    unsigned = {k: v for k, v in issued.items() if k != "proof"}
    (tmp_path / "cert.json").write_text(json.dumps(unsigned, ensure_ascii=False), encoding="utf-8")
    refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert refused.returncode == 1 and "wrapped certificate" in refused.stderr and "Traceback" not in refused.stderr


def _take_serials(path: Path, count: int) -> list[str]:
    serials = Serials(path)
    return [serials.next(SH_AMR_CODE, BUSINESS_TYPE) for _ in range(count)]


def test_serials_are_unique_across_threads_and_processes_and_restarts(tmp_path: Path) -> None:
    path = tmp_path / "identifiers.sqlite"
    serials = Serials(path)
    with ThreadPoolExecutor(4) as threads, ProcessPoolExecutor(2, mp_context=get_context("spawn")) as processes:
        in_processes = [processes.submit(_take_serials, path, 1500) for _ in range(2)]
        in_threads = list(threads.map(lambda _: serials.next(SH_AMR_CODE, BUSINESS_TYPE), range(1500)))
        taken = in_threads + [serial for future in in_processes for serial in future.result()]
    assert len(set(taken)) == len(taken) == 4500
    restarted = Serials(path).next(SH_AMR_CODE, BUSINESS_TYPE)
    assert restarted > max(taken)  # a restart skips what was reserved, never reuses
    assert Serials(path).next(SH_AMR_CODE, certificate_type("food_business_licence").licence_type_code) == (
        "HR0000000001"
    )


def test_verify_page_shows_the_licence_identifier(described: Server) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.api.test_web import CHROMIUM, open_page, verify

    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    [issued] = _issued(described, [fresh(LICENCES["business_licence"])])
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            with open_page(browser, described) as page:
                page.get_by_label("粘贴证照 JSON").fill(json.dumps(issued, ensure_ascii=False))
                verify(page)
                sync_api.expect(page.get_by_test_id("verdict")).to_have_attribute("data-verdict", "VALID")
                sync_api.expect(page.get_by_test_id("licence-identifier")).to_have_text(_identifier(issued))
        finally:
            browser.close()
