"""`LocalStore`: blobs in a directory, addressed by the CID Kubo would give them (the embedded default)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ledger.errors import StoreError
from ledger.store.cid import check_cid, content_id


class LocalStore:
    """Blobs in `<root>/<2 characters of the CID>/<cid>`, written atomically; every read checks the CID."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def _path(self, cid: str) -> Path:
        check_cid(cid)
        return self.root / cid[-2:] / cid

    def put(self, data: bytes) -> str:
        cid = self._write(data, sync=True)
        return cid

    def put_many(self, blobs: Sequence[bytes]) -> list[str]:
        """`put` for many blobs, flushed to disk together (one `sync` rather than one per blob)."""
        cids = [self._write(data, sync=False) for data in blobs]
        os.sync()
        return cids

    def _write(self, data: bytes, *, sync: bool) -> str:
        cid = content_id(data)
        path = self._path(cid)
        if path.exists():
            return cid
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
        return cid

    def get(self, cid: str) -> bytes:
        path = self._path(cid)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise StoreError(f"no blob {cid} in {self.root}") from None
        if content_id(data) != cid:
            raise StoreError(f"blob {cid} is corrupted: its bytes have another CID")
        return data

    def has(self, cid: str) -> bool:
        return self._path(cid).is_file()

    def pin(self, cid: str) -> None:
        """Every blob of a directory store is kept: pinning only checks that it is there."""
        if not self.has(cid):
            raise StoreError(f"no blob {cid} in {self.root}")

    def pinned(self, cid: str) -> bool:
        return self.has(cid)
