"""The journal's record of the store: each certificate's encrypted document (CID and sealed key) and the batch's
manifest CID, written in one transaction once both are in the store (`Issuer._store_batch`)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence

DOCUMENT_TABLES = """
-- Each certificate's encrypted document in the store: its CID and its key, the key sealed under the agency's key
-- (`DocumentSealer`); the store holds only the ciphertext, never the key.
CREATE TABLE IF NOT EXISTS documents (
    batch_id INTEGER NOT NULL REFERENCES batches (id),
    digest BLOB NOT NULL,
    cid TEXT NOT NULL,
    sealed_key BLOB NOT NULL,
    PRIMARY KEY (batch_id, digest)
);
CREATE INDEX IF NOT EXISTS documents_digest ON documents (digest);
"""


class DocumentsJournal:
    """The store's part of `ledger.issuance.journal.Journal` (which opens the database and creates the tables)."""

    _db: sqlite3.Connection
    _lock: threading.Lock

    def record_stored(self, batch_id: int, manifest_cid: str, documents: Sequence[tuple[bytes, str, bytes]]) -> None:
        """Record, in one transaction, that a batch's documents (digest, CID, sealed key) and then its manifest
        are in the store: the batch may be anchored with `manifest_cid` from now on."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute("DELETE FROM documents WHERE batch_id = ?", (batch_id,))
                self._db.executemany(
                    "INSERT INTO documents (batch_id, digest, cid, sealed_key) VALUES (?, ?, ?, ?)",
                    [(batch_id, d, cid, key) for d, cid, key in documents],
                )
                self._db.execute(
                    "UPDATE batches SET manifest_cid = ?, updated_at = ? WHERE id = ?",
                    (manifest_cid, time.time(), batch_id),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def stored_documents(self, digests: Sequence[bytes]) -> dict[bytes, tuple[str, bytes]]:
        """(CID, sealed key) of each certificate's stored document, the newest batch's where there are several."""
        out: dict[bytes, tuple[str, bytes]] = {}
        with self._lock:
            for start in range(0, len(digests), 500):
                chunk = list(digests[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT digest, cid, sealed_key FROM documents WHERE digest IN ({marks}) ORDER BY batch_id",  # noqa: S608 (placeholders only)
                    chunk,
                ).fetchall()
                out.update({bytes(d): (str(cid), bytes(key)) for d, cid, key in rows})
        return out
