"""Sealing what the issuer journals: documents and document keys under a key derived from the agency's own
private key, and licence keys (HMAC) that find a licence again without its number.

`seal_many` and `licence_keys` do a whole batch at once: in the native core (`hurong_native`, without the GIL and
on all cores) where it is installed, with the same bytes as the reference here (`seal`, `licence_key`) otherwise."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ledger.certificates.json_text import loads_exact
from ledger.certificates.native import native as _native
from ledger.errors import LedgerValueError

#: Text JSON writes as it is, between quotes: no quote, backslash, control character or lone surrogate.
_PLAIN = re.compile(r'[^"\\\x00-\x1f\ud800-\udfff]*\Z')

#: Documents serialised and sealed at once: a JSON text of a few MB, whose memory the next chunk's reuses (fresh
#: pages cost ~0.5 µs a KB here: the text of 10,000 certificates at once cost twice as much).
_SEAL_CHUNK = 512

#: The native core's batch sealing, where it is installed and has it.
_NATIVE = _native if _native is not None and hasattr(_native, "seal_batch") else None


def json_text(document: dict[str, Any]) -> bytes:
    """A document's compact UTF-8 JSON text, as `json` writes it: orjson's (several times faster), `json`'s for an
    integer beyond 64 bits, which orjson refuses."""
    try:
        return orjson.dumps(document)
    except orjson.JSONEncodeError:
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def json_array(documents: Sequence[dict[str, Any]]) -> bytes:
    """The compact JSON text of an array of documents, each element's text its `json_text`: one orjson call for
    the batch (several times cheaper than one per document, whose many texts all stay allocated)."""
    try:
        return orjson.dumps(documents if isinstance(documents, list) else list(documents))
    except orjson.JSONEncodeError:
        return b"[" + b",".join(json_text(d) for d in documents) + b"]"


def licence_of(document: Any) -> tuple[str, str] | None:
    """A credential's certificate type and licence number, or None when it names neither (or is no object)."""
    subject = document.get("credentialSubject") if isinstance(document, Mapping) else None
    if not isinstance(subject, Mapping):
        return None
    kind = subject.get("certificateType")
    number = subject.get("licenceNumber")
    if not isinstance(kind, str) or not isinstance(number, str):
        return None
    return kind, number


class DocumentSealer:
    """Seals journaled documents with AES-256-GCM (the digest as associated data) under a key derived by
    HKDF-SHA256 from the agency's private key: only a holder of that key, the issuer itself, can read them."""

    VERSION = b"\x01"

    def __init__(self, private_key: bytes, agency: str, *, native: bool = True) -> None:
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"hurong/journal/v1", info=agency.lower().encode())
        self._journal_key = hkdf.derive(private_key)
        self._aead = AESGCM(self._journal_key)
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"hurong/licences/v1", info=agency.lower().encode())
        self._licence_key = hkdf.derive(private_key)
        #: The native core doing the batch methods, or None where the reference does them (`native=False`).
        self._native = _NATIVE if native else None

    def licence_key(self, document: Mapping[str, Any]) -> bytes | None:
        """HMAC-SHA256 of a credential's certificate type and licence number under a key derived from the agency's
        private key (None when the credential names neither): finds a licence again without storing its number."""
        pair = licence_of(document)
        return None if pair is None else self._mac(*pair)

    def _mac(self, kind: str, number: str) -> bytes:
        if _PLAIN.match(kind) and _PLAIN.match(number):  # nothing to escape: the JSON text `json` writes, at once
            message = f'["{kind}","{number}"]'.encode()
        else:
            message = json.dumps([kind, number], ensure_ascii=False, separators=(",", ":")).encode()
        return hmac.digest(self._licence_key, message, hashlib.sha256)

    def licence_keys(self, documents: Iterable[Any]) -> list[bytes | None]:
        """`licence_key` of each document, in order (None for one that names no licence or is no object)."""
        pairs = [licence_of(d) for d in documents]
        if self._native is not None:
            keys: list[bytes | None] = self._native.licence_keys(self._licence_key, pairs)
            return keys
        return [None if p is None else self._mac(*p) for p in pairs]

    def seal(self, digest: bytes, document: dict[str, Any]) -> bytes:
        return self.seal_text(digest, json_text(document), os.urandom(12))

    def seal_text(self, digest: bytes, plain: bytes, nonce: bytes) -> bytes:
        """`VERSION || nonce || AES-256-GCM(plain) || tag`, `digest` as associated data (the reference)."""
        return self.VERSION + nonce + self._aead.encrypt(nonce, plain, digest)

    def seal_many(self, digests: Sequence[bytes], documents: Sequence[dict[str, Any]]) -> list[bytes]:
        """`seal` of each `(digest, document)` pair, in order, each with its own random nonce."""
        if len(digests) != len(documents):
            raise LedgerValueError("one digest per document")
        if self._native is not None:
            sealed: list[bytes] = []
            for start in range(0, len(documents), _SEAL_CHUNK):  # a text of a few MB, its memory reused
                end = start + _SEAL_CHUNK
                text = json_array(documents[start:end])
                sealed += self._native.seal_batch(self._journal_key, list(digests[start:end]), text)
            return sealed
        return [self.seal(d, document) for d, document in zip(digests, documents, strict=True)]

    def open(self, digest: bytes, sealed: bytes) -> dict[str, Any]:
        if sealed[:1] != self.VERSION:
            raise LedgerValueError("journaled document in an unknown format")
        try:
            plain = self._aead.decrypt(sealed[1:13], sealed[13:], digest)
        except InvalidTag:
            raise LedgerValueError("journaled document does not open with this agency's key") from None
        document: dict[str, Any] = loads_exact(plain)  # an integer beyond 64 bits `json` wrote stays an integer
        return document
