"""The document index: each anchored certificate's encrypted document (its CID), rebuilt from the chain's
`BatchAnchored` events (through the index's batches, which carry each batch's manifest digest; the manifest is
the blob the store holds under that digest's `raw` or `dag-pb` CID) and the manifests the store holds — so a
service starting with an empty index answers where every certificate's document is, as the one that issued it
does.

A manifest is believed only when it names the batch it was anchored for: the same root, agency and count, one
digest and one document CID per certificate. One that the store cannot give yet (down, not yet replicated) is tried
again at the next `sync`; one that contradicts its batch is recorded as refused, with the reason.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ledger.errors import LedgerValueError, StoreError
from ledger.issuance.sqlite_files import use_write_ahead_log
from ledger.store import Store, fetch_by_digest
from ledger.store.cid import check_cid

SCHEMA = """
CREATE TABLE IF NOT EXISTS manifests (
    agency TEXT NOT NULL,
    root TEXT NOT NULL,
    manifest_cid TEXT NOT NULL,
    tx_hash TEXT,
    block INTEGER,
    state TEXT NOT NULL CHECK (state IN ('indexed', 'none', 'refused')),
    error TEXT,
    PRIMARY KEY (agency, root)
);
CREATE TABLE IF NOT EXISTS documents (
    digest TEXT NOT NULL,
    agency TEXT NOT NULL,
    root TEXT NOT NULL,
    cid TEXT NOT NULL,
    PRIMARY KEY (digest, agency, root)
);
CREATE INDEX IF NOT EXISTS documents_cid ON documents (cid);
"""

#: Reads anchored batches newest first (`limit`, `offset`), as `IndexQueries.batches` answers them.
BatchPages = Callable[[int, int], list[dict[str, Any]]]


class DocumentIndex:
    """Certificate digest → document CID, from the manifests of anchored batches (SQLite, thread-safe)."""

    def __init__(self, path: Path | str, store: Store) -> None:
        self.store = store
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        use_write_ahead_log(self._db)
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def _known(self, agency: str, root: str) -> bool:
        row = self._db.execute("SELECT 1 FROM manifests WHERE agency = ? AND root = ?", (agency, root)).fetchone()
        return row is not None

    def sync(self, batches: BatchPages, page: int = 500) -> int:
        """Index the manifests of anchored batches not indexed yet (newest first, stopping at the first page that
        holds no new batch); returns how many were indexed now."""
        indexed = 0
        offset = 0
        with self._lock:
            while True:
                rows = batches(page, offset)
                fresh = [r for r in rows if not self._known(str(r["agency"]), str(r["root"]))]
                for row in fresh:
                    indexed += self._index(row)
                if len(rows) < page or not fresh:
                    return indexed
                offset += page

    def _index(self, batch: Mapping[str, Any]) -> int:
        agency, root, digest = str(batch["agency"]), str(batch["root"]), str(batch.get("manifest") or "")
        anchor = (batch.get("transactionHash"), batch.get("block"))
        if not digest:
            self._record(agency, root, "", anchor, "none", None, [])
            return 0
        try:
            found = fetch_by_digest(self.store, bytes.fromhex(digest.removeprefix("0x")))
        except StoreError:
            return 0  # not available now: tried again at the next sync
        if found is None:
            return 0  # not in the store (yet): tried again at the next sync
        cid, blob = found
        try:
            manifest = json.loads(blob)
            documents = _documents(manifest, agency, root, int(batch["count"]))
        except StoreError:
            return 0  # not available now: tried again at the next sync
        except (LedgerValueError, ValueError, TypeError, KeyError) as exc:
            self._record(agency, root, cid, anchor, "refused", str(exc)[:500], [])
            return 0
        self._record(agency, root, cid, anchor, "indexed", None, documents)
        return 1

    def _record(
        self,
        agency: str,
        root: str,
        cid: str,
        anchor: tuple[Any, Any],
        state: str,
        error: str | None,
        documents: Iterable[tuple[str, str]],
    ) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT OR REPLACE INTO manifests (agency, root, manifest_cid, tx_hash, block, state, error)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (agency, root, cid, anchor[0], anchor[1], state, error),
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO documents (digest, agency, root, cid) VALUES (?, ?, ?, ?)",
                [(digest, agency, root, document) for digest, document in documents],
            )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def documents(self, digest: str) -> list[dict[str, Any]]:
        """Every anchored document of a certificate digest (normally one): its CID, and the agency, root, manifest
        CID, transaction and block of the batch that anchored it."""
        with self._lock:
            rows = self._db.execute(
                "SELECT d.cid, d.agency, d.root, m.manifest_cid, m.tx_hash, m.block FROM documents d JOIN manifests m"
                " ON m.agency = d.agency AND m.root = d.root WHERE d.digest = ? ORDER BY m.block, d.root",
                (digest.lower(),),
            ).fetchall()
        return [
            {"digest": digest.lower(), "cid": c, "agency": a, "root": r, "manifestCid": m, "transactionHash": t,
             "blockNumber": b}
            for c, a, r, m, t, b in rows
        ]  # fmt: skip

    def has_cid(self, cid: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM documents WHERE cid = ?", (cid,)).fetchone() is not None

    def manifests(self) -> dict[str, int]:
        """How many batches' manifests are in each state."""
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) FROM manifests GROUP BY state").fetchall()
        return {str(s): int(n) for s, n in rows}


def _documents(manifest: Any, agency: str, root: str, count: int) -> list[tuple[str, str]]:
    """(digest, document CID) of each certificate a manifest lists, once it is checked against its batch."""
    if not isinstance(manifest, dict):
        raise LedgerValueError("the manifest is not a JSON object")
    if str(manifest.get("root", "")).lower() != root.lower():
        raise LedgerValueError(f"the manifest names root {manifest.get('root')!r}, anchored for {root}")
    if str(manifest.get("agency", "")).lower() != agency.lower():
        raise LedgerValueError(f"the manifest names agency {manifest.get('agency')!r}, anchored by {agency}")
    digests, documents = manifest.get("digests"), manifest.get("documents")
    if not isinstance(digests, list) or len(digests) != count:
        raise LedgerValueError(f"the manifest lists {len(digests or [])} digests for a batch of {count}")
    if not isinstance(documents, list) or len(documents) != count:
        raise LedgerValueError(f"the manifest lists {len(documents or [])} documents for a batch of {count}")
    out = []
    for digest, cid in zip(digests, documents, strict=True):
        if not isinstance(digest, str) or len(digest) != 66 or not digest.startswith("0x"):
            raise LedgerValueError(f"the manifest lists a malformed digest {digest!r}")
        out.append((digest.lower(), check_cid(cid)))
    return out
