"""Encrypted certificate documents: AES-256-GCM under a fresh 256-bit key per document, the digest as associated
data. The ciphertext is what the store holds; the key goes to the issuer and the holder, never beside it.

A sealed document is `b"HRD1" || digest (32) || nonce (12) || ciphertext with its 16-byte tag`. The digest is in
the clear (it is not personal data, and the batch manifest lists it anyway) so that a holder with only the CID and
the key can open it; being the associated data, it cannot be changed without the tag failing. The plaintext is the
wrapped certificate as UTF-8 JSON. Keys travel as unpadded base64url (43 characters), as in a holder link:
`…/wallet#cid=<cid>&key=<key>` (the fragment never reaches a server). The browser's WebCrypto opens the same
format (`api/static/wallet.js`).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.errors import DocumentDecryptionError as DocumentDecryptionError
from ledger.errors import LedgerValueError
from ledger.store.cid import parse_cid

MAGIC = b"HRD1"
_HEADER = len(MAGIC) + 32 + 12
_KEY_TEXT = re.compile(r"^[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class DocumentRef:
    """Where a certificate's encrypted document is and the key that opens it."""

    cid: str
    key: str

    def link(self, base_url: str) -> str:
        """The holder link: the wallet page with the CID and the key in the fragment."""
        return f"{base_url.rstrip('/')}/wallet#cid={self.cid}&key={self.key}"

    def qr(self, base_url: str) -> segno.QRCode:
        """A QR code carrying the holder link (error correction M)."""
        return segno.make_qr(self.link(base_url), error="m")

    def as_dict(self, base_url: str | None = None) -> dict[str, str]:
        out = {"cid": self.cid, "key": self.key}
        if base_url is not None:
            out["link"] = self.link(base_url)
        return out


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii").rstrip("=")


def decode_key(text: object) -> bytes:
    """A 256-bit key from its unpadded base64url text; `LedgerValueError` for anything else."""
    if not isinstance(text, str) or not _KEY_TEXT.match(text):
        raise LedgerValueError("a document key is 43 characters of unpadded base64url (256 bits)")
    try:
        key = base64.urlsafe_b64decode(text + "=")
    except (binascii.Error, ValueError) as exc:
        raise LedgerValueError("a document key is 43 characters of unpadded base64url (256 bits)") from exc
    if len(key) != 32 or encode_key(key) != text:
        raise LedgerValueError("a document key is 43 characters of unpadded base64url (256 bits)")
    return key


def seal_document(document: dict[str, Any], digest: bytes) -> tuple[bytes, str]:
    """`document` encrypted under a fresh key with `digest` as associated data: `(sealed bytes, key text)`."""
    if len(digest) != 32:
        raise LedgerValueError("a certificate digest is 32 bytes")
    key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    plain = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    return MAGIC + digest + nonce + AESGCM(key).encrypt(nonce, plain, digest), encode_key(key)


def sealed_digest(sealed: bytes) -> bytes:
    """The certificate digest a sealed document names (its associated data)."""
    if len(sealed) < _HEADER + 16 or sealed[: len(MAGIC)] != MAGIC:
        raise DocumentDecryptionError("not a sealed certificate document")
    return sealed[len(MAGIC) : len(MAGIC) + 32]


def open_document(sealed: bytes, key: str | bytes) -> dict[str, Any]:
    """The certificate a sealed document holds; `DocumentDecryptionError` when the key is wrong or the ciphertext
    was changed, or when the certificate inside names another digest than the one it was sealed with."""
    digest = sealed_digest(sealed)
    raw_key = decode_key(key) if isinstance(key, str) else key
    nonce = sealed[len(MAGIC) + 32 : _HEADER]
    try:
        plain = AESGCM(raw_key).decrypt(nonce, sealed[_HEADER:], digest)
    except InvalidTag:
        raise DocumentDecryptionError(
            "the document does not open with this key: the key is wrong or the ciphertext was changed"
        ) from None
    document: dict[str, Any] = json.loads(plain)
    proof = document.get("proof") if isinstance(document, dict) else None
    if not isinstance(proof, dict) or proof.get("digest") != "0x" + digest.hex():
        raise DocumentDecryptionError("the document inside names another digest than it was sealed with")
    return document


def parse_holder_link(text: str) -> tuple[str, str | None]:
    """`(cid, key or None)` from a holder link (`…/wallet#cid=…&key=…`) or a bare CID."""
    text = text.strip()
    if "#" not in text and "?" not in text and "/" not in text:
        return parse_cid(text), None
    parts = urlsplit(text)
    fields = parse_qs(parts.fragment or parts.query)
    cids = fields.get("cid")
    if not cids:
        raise LedgerValueError("the link names no document (cid=…)")
    keys = fields.get("key")
    return parse_cid(cids[0]), keys[0] if keys else None
