"""QR payloads: documents (compressed), references, and refusals of anything else."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest
import segno

from ledger.certificates.qr import (
    COMPRESSED_PREFIX,
    QRError,
    Reference,
    decode_payload,
    payload_for,
    qr_png,
    read_qr,
    write_qr,
)

DOC = {
    "issuer": {"id": "did:pkh:eip155:31337:0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65", "name": "上海市市场监督管理局"},
    "credentialSubject": {"holderName": "张𠀀三"},
    "proof": {"registry": "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0", "digest": "0x" + "ab" * 32},
}


def test_a_document_round_trips_through_a_png_with_chinese_text(tmp_path: Path) -> None:
    path = tmp_path / "doc.png"
    assert write_qr(DOC, path) == "document"
    assert decode_payload(read_qr(path)) == DOC


@pytest.mark.parametrize("force_reference", [False, True])
def test_the_native_png_encoder_holds_the_same_payload(tmp_path: Path, force_reference: bool) -> None:
    kind, png = qr_png(DOC, force_reference=force_reference)
    assert png.startswith(b"\x89PNG") and kind == ("reference" if force_reference else "document")
    (tmp_path / "native.png").write_bytes(png)
    assert read_qr(tmp_path / "native.png") == payload_for(DOC, force_reference=force_reference)[1]


def test_a_reference_names_chain_registry_agency_and_digest(tmp_path: Path) -> None:
    kind, payload = payload_for(DOC, force_reference=True)
    assert kind == "reference"
    reference = Reference.parse(payload.decode())
    assert (reference.chain_id, reference.registry, reference.digest) == (
        31337,
        DOC["proof"]["registry"],
        "0x" + "ab" * 32,
    )
    assert reference.agency == "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
    assert decode_payload(payload, lambda ref: DOC if ref == reference else None) == DOC
    with pytest.raises(QRError, match="could not be resolved"):
        decode_payload(payload, lambda ref: None)


def test_plain_json_payloads_are_read_too() -> None:
    assert decode_payload(json.dumps(DOC, ensure_ascii=False).encode()) == DOC


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"hello", "neither a certificate nor a Hurong reference"),
        (b"\xff\xfe", "neither a certificate nor a Hurong reference"),
        (b"[1, 2]", "does not hold a JSON object"),
        (COMPRESSED_PREFIX + b"garbage", "corrupted"),
        (COMPRESSED_PREFIX + zlib.compress(b" " * (2 << 20)), "too large"),
        (b"hurong:1;0;0x00;0x00;0x00", "not a Hurong certificate reference"),
    ],
)
def test_anything_else_is_refused_with_a_reason(payload: bytes, message: str) -> None:
    with pytest.raises(QRError, match=message):
        decode_payload(payload)


def test_images_without_a_qr_code_or_not_images_are_refused(tmp_path: Path) -> None:
    not_image = tmp_path / "x.png"
    not_image.write_bytes(b"not a png")
    with pytest.raises(QRError, match="cannot read image"):
        read_qr(not_image)
    blank = tmp_path / "blank.png"
    segno.make_micro("1").save(str(blank), scale=1, border=0)  # an image with no QR code readable as such
    with pytest.raises(QRError):
        read_qr(blank)


def test_a_folder_resolves_a_reference_by_digest_name_or_by_what_its_files_hold(tmp_path: Path) -> None:
    from ledger.certificates.qr import folder_resolver

    _, payload = payload_for(DOC, force_reference=True)
    reference = Reference.parse(payload.decode())
    named = tmp_path / "issued"
    named.mkdir()
    (named / f"{reference.digest}.json").write_text(json.dumps(DOC, ensure_ascii=False), encoding="utf-8")
    assert decode_payload(payload, folder_resolver(named)) == DOC

    export = tmp_path / "export"  # an unzipped export: certificates/<licence>-<digest prefix>.json
    (export / "certificates").mkdir(parents=True)
    other = {**DOC, "proof": {**DOC["proof"], "digest": "0x" + "cd" * 32}}
    (export / "certificates" / "91310000-cdcdcdcd.json").write_text(json.dumps(other), encoding="utf-8")
    (export / "certificates" / "list.json").write_text("[1, 2]", encoding="utf-8")
    (export / "certificates" / "broken.json").write_text("{not json", encoding="utf-8")
    (export / "index.json").write_bytes(b"\xff\xfe")
    assert folder_resolver(export)(reference) is None  # only other certificates and files that are none
    (export / "certificates" / "91310000-abababab.json").write_text(json.dumps(DOC, indent=2), encoding="utf-8")
    assert decode_payload(payload, folder_resolver(export)) == DOC
    upper = Reference(reference.chain_id, reference.registry.upper(), reference.agency.lower(), reference.digest)
    assert folder_resolver(export)(upper) == DOC  # addresses compare whatever their case
    moved = Reference(reference.chain_id + 1, reference.registry, reference.agency, reference.digest)
    assert folder_resolver(export)(moved) is None  # another chain's certificate is another certificate
