"""The printable licence of a certificate too large for one QR code, through a real service: the A4 PDF rendered
(pdftoppm), its QR code read (zxing-cpp), and what it holds resolved and verified VALID by the path the page names:
the holder link through the wallet's fetch (`hurong fetch LINK --verify`) when the service's store holds the
encrypted document, else the `hurong:1;…` reference through `hurong verify QR_IMAGE --resolve FOLDER`."""

from __future__ import annotations

import json
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image

from ledger.certificates.qr import MAX_DOCUMENT_BYTES, REFERENCE_PREFIX, Reference, payload_for
from tests.api.conftest import Server, own_server
from tests.api.supervised import hurong
from tests.ledger.certificates.samples import LICENCES, fresh


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A service keeping issued certificates encrypted in a folder store."""
    home = tmp_path_factory.mktemp("printable-large")
    with own_server(home, {"HURONG_STORE": str(home / "store")}) as running:
        yield running


def _large_licence() -> dict[str, Any]:
    """A business licence whose business scope (up to 4,000 characters) is long and varied enough that the
    certificate, compressed, exceeds one QR code."""
    chosen = random.Random(36904)  # sample text, seeded: the same certificate every run
    scope = "".join(chr(chosen.randint(0x4E00, 0x9FA5)) for _ in range(1800))
    record = fresh(LICENCES["business_licence"])
    record["fields"] = {**record["fields"], "businessScope": f"一般项目：{scope}。"}
    return record


def _issue(server: Server) -> dict[str, Any]:
    with server.client("sh_amr") as http:
        response = http.post("/certificates", json={"certificates": [_large_licence()]})
    assert response.status_code == 201, response.text
    server.wait_indexed()
    answer: dict[str, Any] = response.json()
    [certificate] = answer["data"]
    kind, payload = payload_for(certificate)
    assert kind == "reference" and len(payload) < MAX_DOCUMENT_BYTES  # the document itself does not fit
    return answer


def _printed(server: Server, digest: str, folder: Path) -> tuple[bytes, str, Path]:
    """The agency's PDF of `digest` rendered at 300 dpi: the payload of its one QR code, its text and its page."""
    with server.client("sh_amr") as http:
        response = http.get(f"/certificates/{digest}/pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    pdf = folder / "licence.pdf"
    pdf.write_bytes(response.content)
    subprocess.run(["pdftoppm", "-r", "300", "-png", str(pdf), str(folder / "page")], check=True, timeout=120)
    pages = sorted(folder.glob("page-*.png"))
    codes = [(page, r) for page in pages for r in zxingcpp.read_barcodes(Image.open(page))
             if r.format == zxingcpp.BarcodeFormat.QRCode]  # fmt: skip
    assert len(codes) == 1
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True, timeout=60).stdout
    page, code = codes[0]
    return bytes(code.bytes), " ".join(text.split()), page


def _chain(server: Server) -> list[str]:
    return ["--rpc", server.chain.url, "--deployments", str(server.home / "deployments")]


def test_a_large_licence_printed_with_its_document_stored_carries_its_holder_link(
    stored: Server, tmp_path: Path
) -> None:
    answer = _issue(stored)
    [certificate], [document] = answer["data"], answer["documents"]
    digest = certificate["proof"]["digest"]
    payload, text, _ = _printed(stored, digest, tmp_path)
    link = payload.decode("ascii")
    assert link == document["link"] and link.startswith(f"{stored.url}/wallet#cid=")
    assert "持证人链接" in text and "the code holds the holder link" in text and "hurong fetch LINK --verify" in text
    assert httpx.get(link.split("#", 1)[0]).status_code == 200  # the wallet page the link opens
    fetched = hurong("fetch", link, "--verify", *_chain(stored))
    assert fetched.returncode == 0, fetched.stderr
    assert "核验结论 verdict: VALID" in fetched.stderr
    opened = json.loads(fetched.stdout)
    assert opened["proof"]["digest"] == digest and opened["credentialSubject"] == certificate["credentialSubject"]


def test_a_large_licence_printed_without_a_stored_document_carries_a_reference_resolved_from_its_file(
    server: Server, tmp_path: Path
) -> None:
    [certificate] = _issue(server)["data"]
    digest = certificate["proof"]["digest"]
    payload, text, page = _printed(server, digest, tmp_path)
    assert payload.decode("ascii") == Reference.of(certificate).encode()
    assert payload.startswith(REFERENCE_PREFIX.encode())
    assert "The verify page cannot resolve it" in text and "hurong verify QR_IMAGE --resolve FOLDER" in text
    assert "service resolves" not in text
    folder = tmp_path / "certificates"
    folder.mkdir()
    (folder / f"{digest.lower()}.json").write_text(json.dumps(certificate, ensure_ascii=False), encoding="utf-8")
    done = hurong("verify", str(page), "--resolve", str(folder), "--json", *_chain(server))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["verdict"] == "VALID" and answer["digest"].lower() == digest.lower()
    unresolved = hurong("verify", str(page), "--json", *_chain(server))
    assert unresolved.returncode != 0 and "could not be resolved" in unresolved.stderr + unresolved.stdout
