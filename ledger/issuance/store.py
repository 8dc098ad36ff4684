"""Content-addressed storage of batch manifests and documents, addressed by CIDv1 (raw codec, sha2-256).

`LocalStore` keeps blobs in a directory (the embedded default); the same bytes give the same CID in every
backend, so a manifest anchored with a CID can be fetched from any store that holds it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from ledger.errors import LedgerValueError
from ledger.errors import StoreError as StoreError

_CID = re.compile(r"^b[a-z2-7]{58}$")


def cid_v1_raw(data: bytes) -> str:
    """CIDv1 of `data` with the raw codec and a sha2-256 multihash, base32 (multibase `b`)."""
    multihash = b"\x12\x20" + hashlib.sha256(data).digest()
    raw = b"\x01\x55" + multihash
    return "b" + base64.b32encode(raw).decode("ascii").lower().rstrip("=")


def cid_digest(cid: str) -> bytes:
    """The sha2-256 digest inside a raw CIDv1, validating its form."""
    if not isinstance(cid, str) or not _CID.match(cid):
        raise LedgerValueError(f"not a raw sha2-256 CIDv1: {cid!r}")
    padded = cid[1:].upper() + "=" * (-len(cid[1:]) % 8)
    raw = base64.b32decode(padded)
    if raw[:4] != b"\x01\x55\x12\x20" or len(raw) != 36:
        raise LedgerValueError(f"not a raw sha2-256 CIDv1: {cid!r}")
    return raw[4:]


class BlobStore(Protocol):
    def put(self, data: bytes) -> str: ...

    def get(self, cid: str) -> bytes: ...


class LocalStore:
    """Blobs in `<root>/<first 2 chars after b>/<cid>`, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, cid: str) -> Path:
        cid_digest(cid)
        return self.root / cid[1:3] / cid

    def put(self, data: bytes) -> str:
        cid = cid_v1_raw(data)
        path = self._path(cid)
        if path.exists():
            return cid
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        return cid

    def get(self, cid: str) -> bytes:
        path = self._path(cid)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise StoreError(f"no blob {cid} in {self.root}") from None
        if hashlib.sha256(data).digest() != cid_digest(cid):
            raise StoreError(f"blob {cid} is corrupted")
        return data
