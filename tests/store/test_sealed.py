"""Encrypted documents: AES-256-GCM under a fresh key, the digest as associated data; tampering or a wrong key
fails with a clear error."""

from __future__ import annotations

import os

import pytest

from ledger.errors import LedgerValueError
from ledger.store.sealed import (
    DocumentDecryptionError,
    decode_key,
    open_document,
    parse_holder_link,
    seal_document,
    sealed_digest,
)


def _document() -> tuple[dict[str, object], bytes]:
    digest = os.urandom(32)
    return {"credentialSubject": {"holderName": "张三", "holderId": "110101199003074477"},
            "proof": {"digest": "0x" + digest.hex()}}, digest  # fmt: skip


def test_a_sealed_document_opens_with_its_key_only() -> None:
    document, digest = _document()
    sealed, key = seal_document(document, digest)
    assert "张三".encode() not in sealed and b"110101199003074477" not in sealed
    assert sealed_digest(sealed) == digest and len(decode_key(key)) == 32
    assert open_document(sealed, key) == document
    again, other_key = seal_document(document, digest)
    assert other_key != key and again != sealed  # a fresh key (and nonce) each time
    with pytest.raises(DocumentDecryptionError, match="key is wrong or the ciphertext was changed"):
        open_document(sealed, other_key)


@pytest.mark.parametrize("where", [4, 40, 60, -1])
def test_tampered_ciphertext_or_header_is_refused(where: int) -> None:
    document, digest = _document()
    sealed, key = seal_document(document, digest)
    tampered = bytearray(sealed)
    tampered[where] ^= 1
    with pytest.raises(DocumentDecryptionError):
        open_document(bytes(tampered), key)


def test_malformed_keys_and_links_are_refused() -> None:
    for key in ["", "abc", "A" * 44, "+" * 43]:
        with pytest.raises(LedgerValueError):
            decode_key(key)
    with pytest.raises(DocumentDecryptionError, match="not a sealed"):
        open_document(b"plain text", "A" * 43)
    with pytest.raises(LedgerValueError):
        parse_holder_link("http://h/wallet#key=abc")
    cid = "bafkreiepinbumzepnoln7co5vea4kf3lcctnqolb3u6bvsellgznymt2uq"
    assert parse_holder_link(f"http://h:1/wallet#cid={cid}&key={'A' * 43}") == (cid, "A" * 43)
    assert parse_holder_link(cid) == (cid, None)
