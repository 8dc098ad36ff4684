"""Sealing what the issuer journals: documents and document keys under a key derived from the agency's own
private key, and licence keys (HMAC) that find a licence again without its number."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Mapping
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ledger.certificates.json_text import loads_exact
from ledger.errors import LedgerValueError

#: Text JSON writes as it is, between quotes: no quote, backslash, control character or lone surrogate.
_PLAIN = re.compile(r'[^"\\\x00-\x1f\ud800-\udfff]*\Z')


class DocumentSealer:
    """Seals journaled documents with AES-256-GCM (the digest as associated data) under a key derived by
    HKDF-SHA256 from the agency's private key: only a holder of that key, the issuer itself, can read them."""

    VERSION = b"\x01"

    def __init__(self, private_key: bytes, agency: str) -> None:
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"hurong/journal/v1", info=agency.lower().encode())
        self._aead = AESGCM(hkdf.derive(private_key))
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"hurong/licences/v1", info=agency.lower().encode())
        self._licence_key = hkdf.derive(private_key)

    def licence_key(self, document: Mapping[str, Any]) -> bytes | None:
        """HMAC-SHA256 of a credential's certificate type and licence number under a key derived from the agency's
        private key (None when the credential names neither): finds a licence again without storing its number."""
        subject = document.get("credentialSubject")
        kind = subject.get("certificateType") if isinstance(subject, Mapping) else None
        number = subject.get("licenceNumber") if isinstance(subject, Mapping) else None
        if not isinstance(kind, str) or not isinstance(number, str):
            return None
        if _PLAIN.match(kind) and _PLAIN.match(number):  # nothing to escape: the JSON text `json` writes, at once
            message = f'["{kind}","{number}"]'.encode()
        else:
            message = json.dumps([kind, number], ensure_ascii=False, separators=(",", ":")).encode()
        return hmac.digest(self._licence_key, message, hashlib.sha256)

    def seal(self, digest: bytes, document: dict[str, Any]) -> bytes:
        nonce = os.urandom(12)
        try:
            plain = orjson.dumps(document)  # compact UTF-8 JSON, as `json` writes it, several times faster
        except orjson.JSONEncodeError:  # an integer beyond 64 bits, which `json` writes
            plain = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        return self.VERSION + nonce + self._aead.encrypt(nonce, plain, digest)

    def open(self, digest: bytes, sealed: bytes) -> dict[str, Any]:
        if sealed[:1] != self.VERSION:
            raise LedgerValueError("journaled document in an unknown format")
        try:
            plain = self._aead.decrypt(sealed[1:13], sealed[13:], digest)
        except InvalidTag:
            raise LedgerValueError("journaled document does not open with this agency's key") from None
        document: dict[str, Any] = loads_exact(plain)  # an integer beyond 64 bits `json` wrote stays an integer
        return document
