"""The issuance journal: every batch is recorded (with its certificates) before its anchoring transaction
is sent, so that a crash of the process or of the chain never loses an accepted certificate. On restart,
batches not yet known to be anchored are reconciled with the chain (`ledger.issuance.issuer.Issuer.reconcile`).

SQLite in WAL mode with `synchronous=FULL`: a batch committed here survives a power cut. The file is
private to its owner (0600) and documents are stored as the issuer hands them over: sealed (encrypted) by
`ledger.issuance.issuer.DocumentSealer`, so personal data never rests here in plaintext. Each certificate may carry
the reference of the request that submitted it (an idempotency key's hash), so a retried request finds
the certificates its first attempt journaled, and its licence key (HMAC of its type and licence number, `licences`),
so a licence is found again without the number resting here.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import Any

from ledger.errors import DuplicateLicence as DuplicateLicence
from ledger.errors import JournalError as JournalError
from ledger.issuance.journal_documents import DOCUMENT_TABLES, DocumentsJournal
from ledger.issuance.journal_records import BatchRecord as BatchRecord
from ledger.issuance.journal_records import StatusChangeRecord as StatusChangeRecord
from ledger.issuance.sqlite_files import checkpoint_in_background, use_write_ahead_log
from ledger.issuance.sqlite_files import private_file as private_file

#: Bytes of write-ahead log (100 MiB) past which a commit copies the log into the database itself; below it the
#: log is checkpointed in the background (`Journal.checkpoint_later`), off the path of the batch being committed.
AUTOCHECKPOINT_BYTES = 100 * 2**20
#: The page size of a new journal. A sealed document (~4 KB, encrypted: incompressible) fits in one page with its
#: row instead of spilling into overflow pages of SQLite's default 4 KiB, and a batch is written with ~35 % less
#: CPU (10,000 rows of 3.9 KB: ~20 → ~13 µs a row). A journal made before keeps its pages.
PAGE_SIZE = 16_384

SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agency TEXT NOT NULL,
    chain_id INTEGER NOT NULL,
    registry TEXT NOT NULL,
    root BLOB NOT NULL,
    count INTEGER NOT NULL,
    suite TEXT NOT NULL,
    manifest_cid TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('prepared', 'sent', 'anchored', 'failed')),
    tx_hash TEXT,
    block_number INTEGER,
    block_hash TEXT,
    error TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    UNIQUE (agency, root)
);
CREATE TABLE IF NOT EXISTS certificates (
    batch_id INTEGER NOT NULL REFERENCES batches (id),
    position INTEGER NOT NULL,
    digest BLOB NOT NULL,
    document BLOB NOT NULL,
    request_ref TEXT,
    PRIMARY KEY (batch_id, position)
);
CREATE INDEX IF NOT EXISTS certificates_digest ON certificates (digest);
CREATE INDEX IF NOT EXISTS batches_state ON batches (state);
CREATE TABLE IF NOT EXISTS status_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agency TEXT NOT NULL,
    chain_id INTEGER NOT NULL,
    registry TEXT NOT NULL,
    signer TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('revoke', 'suspend', 'reinstate', 'supersede')),
    digest BLOB NOT NULL,
    root BLOB NOT NULL,
    proof BLOB NOT NULL,
    reason INTEGER NOT NULL,
    successor BLOB,
    state TEXT NOT NULL CHECK (state IN ('prepared', 'sent', 'applied', 'lost', 'failed')),
    tx_hash TEXT,
    block_number INTEGER,
    block_hash TEXT,
    error TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    acknowledged INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS status_changes_state ON status_changes (state);
CREATE INDEX IF NOT EXISTS status_changes_digest ON status_changes (digest);
CREATE INDEX IF NOT EXISTS status_changes_transaction ON status_changes (tx_hash);
-- Every transaction signed for a status change: the first and each replacement with higher fees (same nonce),
-- any one of which may be the one mined.
CREATE TABLE IF NOT EXISTS status_change_transactions (
    tx_hash TEXT PRIMARY KEY,
    change_id INTEGER NOT NULL REFERENCES status_changes (id)
);
CREATE INDEX IF NOT EXISTS status_change_transactions_change ON status_change_transactions (change_id);
"""
#: Tables added after the first release, created on open when an older journal lacks them.
TABLES = """
-- Each journaled certificate's licence: HMAC-SHA256 of its certificate type and licence number under a key only
-- the agency holds (`DocumentSealer.licence_key`), so a licence is found again without the number in plaintext.
CREATE TABLE IF NOT EXISTS licences (
    batch_id INTEGER NOT NULL REFERENCES batches (id),
    digest BLOB NOT NULL,
    licence BLOB NOT NULL,
    PRIMARY KEY (batch_id, digest)
);
CREATE INDEX IF NOT EXISTS licences_licence ON licences (licence);
"""
#: Columns added after the first release, created on open when an older journal lacks them.
MIGRATIONS = (
    ("batches", "block_hash", "ALTER TABLE batches ADD COLUMN block_hash TEXT"),
    ("certificates", "request_ref", "ALTER TABLE certificates ADD COLUMN request_ref TEXT"),
)
INDEXES = (
    "CREATE INDEX IF NOT EXISTS certificates_request ON certificates (request_ref);"
    # Journals written before status_change_transactions existed: their changes' hashes.
    "INSERT OR IGNORE INTO status_change_transactions (tx_hash, change_id)"
    " SELECT tx_hash, id FROM status_changes WHERE tx_hash IS NOT NULL;"
)


class Journal(DocumentsJournal):
    """A SQLite journal of batches, their certificates and the status changes sent (thread-safe)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            private_file(self.path)
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._db.execute(f"PRAGMA page_size={PAGE_SIZE}")  # takes effect only in a database not yet written
            use_write_ahead_log(self._db)
            self._db.execute("PRAGMA synchronous=FULL")
            page_size = int(self._db.execute("PRAGMA page_size").fetchone()[0])
            self._db.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_BYTES // page_size}")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
            self._db.executescript(TABLES)
            self._db.executescript(DOCUMENT_TABLES)
            for table, column, sql in MIGRATIONS:
                if column not in {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}:
                    self._db.execute(sql)
            self._db.executescript(INDEXES)
        except sqlite3.DatabaseError as exc:
            raise JournalError(f"cannot open journal {path}: {exc}") from None
        self._lock = threading.Lock()
        self._checkpointing: threading.Thread | None = None

    def close(self) -> None:
        if self._checkpointing is not None:
            self._checkpointing.join()
        self._db.close()

    def checkpoint_later(self) -> None:
        """Copy the write-ahead log into the database from a background thread, on a connection of its own (a
        passive checkpoint, which waits for no reader or writer), so that the next batch's commit does not: the
        issuer asks for it once a call's batches are settled. Durability does not depend on it."""
        if str(self.path) == ":memory:" or (self._checkpointing is not None and self._checkpointing.is_alive()):
            return
        self._checkpointing = checkpoint_in_background(self.path)

    def record_batch(
        self,
        *,
        agency: str,
        chain_id: int,
        registry: str,
        root: bytes,
        suite: str,
        manifest_cid: str,
        certificates: Sequence[tuple[bytes, bytes]],
        request_refs: Sequence[str | None] | None = None,
        licences: Sequence[bytes | None] | None = None,
        replaceable: Collection[bytes] | None = None,
    ) -> int:
        """Durably record a prepared batch with its certificates (digest, sealed document), each with the
        reference of the request that submitted it (if any) and its licence key (if any).

        With `replaceable` (digests the caller found revoked, superseded, or being superseded), a licence already
        journaled for another certificate, in a batch not failed, or twice in this batch, raises
        `DuplicateLicence` and records nothing: the check and the record are one transaction, so two processes
        issuing for the agency never both record one licence."""
        now = time.time()
        refs = list(request_refs) if request_refs is not None else [None] * len(certificates)
        keys = list(licences) if licences is not None else [None] * len(certificates)
        if len(refs) != len(certificates) or len(keys) != len(certificates):
            raise JournalError("one request reference and one licence per certificate")
        rows = [(i, digest, doc, ref) for i, ((digest, doc), ref) in enumerate(zip(certificates, refs, strict=True))]
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                cur = self._db.execute(
                    "INSERT INTO batches (agency, chain_id, registry, root, count, suite, manifest_cid, state,"
                    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'prepared', ?, ?)",
                    (agency, chain_id, registry, root, len(rows), suite, manifest_cid, now, now),
                )
                batch_id = int(cur.lastrowid or 0)
                if replaceable is not None:
                    conflicts = self._conflicts([(d, k) for (d, _), k in zip(certificates, keys, strict=True)],
                                                set(replaceable))  # fmt: skip
                    if conflicts:
                        raise DuplicateLicence(conflicts)
                self._insert(
                    "INSERT INTO certificates (batch_id, position, digest, document, request_ref) VALUES ",
                    [(batch_id, i, d, doc, ref) for i, d, doc, ref in rows],
                )
                self._insert(
                    "INSERT OR IGNORE INTO licences (batch_id, digest, licence) VALUES ",
                    [(batch_id, d, k) for (d, _), k in zip(certificates, keys, strict=True) if k is not None],
                )
                self._db.execute("COMMIT")
            except sqlite3.IntegrityError as exc:
                self._db.execute("ROLLBACK")
                raise JournalError(f"batch {root.hex()} is already journaled: {exc}") from None
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return batch_id

    def _insert(self, head: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """`head` (an INSERT up to its VALUES) for every row, in order, in as few statements as SQLite binds: each
        statement's writing runs in one step without the GIL (`executemany` takes the GIL back after every row, and
        waits for it while the issuer hashes the next batch in another thread)."""
        if not rows:
            return
        width = len(rows[0])
        per = max(1, self._db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width)
        marks = "(" + ", ".join("?" * width) + ")"
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            self._db.execute(head + ", ".join([marks] * len(chunk)), [value for row in chunk for value in row])

    def _conflicts(
        self, rows: Sequence[tuple[bytes, bytes | None]], replaceable: set[bytes]
    ) -> list[tuple[int, bytes]]:
        """(position, digest already holding the licence) of each row whose licence is taken (in the transaction)."""
        found: list[tuple[int, bytes]] = []
        taken: dict[bytes, bytes] = {}
        for position, (digest, key) in enumerate(rows):
            if key is None:
                continue
            holders = [h for h in self._holders(key) if h not in replaceable and h != digest]
            if key in taken:
                holders.append(taken[key])
            if holders:
                found.append((position, holders[0]))
            taken.setdefault(key, digest)
        return found

    def _holders(self, key: bytes) -> list[bytes]:
        rows = self._db.execute(
            "SELECT l.digest FROM licences l JOIN batches b ON b.id = l.batch_id"
            " WHERE l.licence = ? AND b.state != 'failed' ORDER BY l.batch_id",
            (key,),
        ).fetchall()
        return [bytes(r[0]) for r in rows]

    def licence_holders(self, keys: Sequence[bytes]) -> dict[bytes, list[bytes]]:
        """Digests of the journaled certificates (in batches not failed) of each licence key, oldest first."""
        with self._lock:
            return {key: self._holders(key) for key in dict.fromkeys(keys)}

    def unkeyed(self, limit: int = 1000) -> list[tuple[int, bytes, bytes]]:
        """(batch id, digest, sealed document) of certificates journaled without a licence key (older journals)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT c.batch_id, c.digest, c.document FROM certificates c LEFT JOIN licences l"
                " ON l.batch_id = c.batch_id AND l.digest = c.digest WHERE l.digest IS NULL LIMIT ?",
                (limit,),
            ).fetchall()
        return [(int(b), bytes(d), _payload(doc)) for b, d, doc in rows]

    def add_licences(self, rows: Sequence[tuple[int, bytes, bytes]]) -> None:
        """Record the licence key of journaled certificates: (batch id, digest, licence key)."""
        with self._lock:
            self._db.executemany("INSERT OR IGNORE INTO licences (batch_id, digest, licence) VALUES (?, ?, ?)", rows)

    def mark_sent(self, batch_id: int, tx_hash: str) -> None:
        self._update(batch_id, "state = 'sent', tx_hash = ?", (tx_hash,))

    def mark_anchored(
        self, batch_id: int, tx_hash: str | None, block_number: int | None, block_hash: str | None = None
    ) -> None:
        self._update(
            batch_id,
            "state = 'anchored', tx_hash = ?, block_number = ?, block_hash = ?, error = NULL",
            (tx_hash, block_number, block_hash),
        )

    def mark_lost(self, batch_id: int) -> None:
        """The chain no longer holds this anchored batch (a restart lost blocks, a reorg): send it again."""
        self._update(batch_id, "state = 'prepared', tx_hash = NULL, block_number = NULL, block_hash = NULL", ())

    def mark_failed(self, batch_id: int, error: str) -> None:
        self._update(batch_id, "state = 'failed', error = ?", (error,))

    def _update(self, batch_id: int, assignments: str, params: tuple[Any, ...]) -> None:
        with self._lock:
            self._db.execute(
                f"UPDATE batches SET {assignments}, updated_at = ? WHERE id = ?",  # noqa: S608 (fixed SQL)
                (*params, time.time(), batch_id),
            )

    def batch(self, batch_id: int) -> BatchRecord:
        with self._lock:
            row = self._db.execute(f"SELECT {_COLUMNS} FROM batches WHERE id = ?", (batch_id,)).fetchone()  # noqa: S608 (fixed column list)
        if row is None:
            raise JournalError(f"no batch {batch_id} in the journal")
        return BatchRecord(*row)

    def pending(self, agency: str | None = None) -> list[BatchRecord]:
        """Batches prepared or sent but not known to be anchored, oldest first."""
        sql = f"SELECT {_COLUMNS} FROM batches WHERE state IN ('prepared', 'sent')"  # noqa: S608 (fixed column list)
        params: tuple[Any, ...] = ()
        if agency is not None:
            sql += " AND agency = ?"
            params = (agency,)
        with self._lock:
            return [BatchRecord(*r) for r in self._db.execute(sql + " ORDER BY id", params).fetchall()]

    def batches(self, state: str | None = None) -> list[BatchRecord]:
        sql = f"SELECT {_COLUMNS} FROM batches"  # noqa: S608 (fixed column list)
        params: tuple[Any, ...] = ()
        if state is not None:
            sql += " WHERE state = ?"
            params = (state,)
        with self._lock:
            return [BatchRecord(*r) for r in self._db.execute(sql + " ORDER BY id", params).fetchall()]

    def certificates(self, batch_id: int) -> list[tuple[bytes, bytes]]:
        """(digest, sealed document) of each certificate of a batch, in batch order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT digest, document FROM certificates WHERE batch_id = ? ORDER BY position", (batch_id,)
            ).fetchall()
        return [(bytes(d), _payload(doc)) for d, doc in rows]

    def documents(self, digests: Sequence[bytes]) -> list[tuple[BatchRecord, bytes, bytes]]:
        """(batch, digest, sealed document) of every journaled copy of these certificates, oldest batch first."""
        out: list[tuple[BatchRecord, bytes, bytes]] = []
        batches: dict[int, BatchRecord] = {}
        with self._lock:
            rows = []
            for start in range(0, len(digests), 500):
                chunk = list(digests[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows += self._db.execute(
                    f"SELECT batch_id, digest, document FROM certificates WHERE digest IN ({marks})",  # noqa: S608 (placeholders only)
                    chunk,
                ).fetchall()
        for batch_id, digest, doc in sorted(rows, key=lambda r: int(r[0])):
            if batch_id not in batches:
                batches[batch_id] = self.batch(int(batch_id))
            out.append((batches[batch_id], bytes(digest), _payload(doc)))
        return out

    def by_request(self, request_ref: str) -> list[tuple[BatchRecord, bytes, bytes]]:
        """(batch, digest, sealed document) of every certificate a request submitted, in submission order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT batch_id, digest, document FROM certificates WHERE request_ref = ? ORDER BY batch_id, position",
                (request_ref,),
            ).fetchall()
        batches: dict[int, BatchRecord] = {}
        out = []
        for batch_id, digest, doc in rows:
            if batch_id not in batches:
                batches[batch_id] = self.batch(int(batch_id))
            out.append((batches[batch_id], bytes(digest), _payload(doc)))
        return out

    def digests(self, batch_id: int) -> list[bytes]:
        with self._lock:
            rows = self._db.execute(
                "SELECT digest FROM certificates WHERE batch_id = ? ORDER BY position", (batch_id,)
            ).fetchall()
        return [bytes(r[0]) for r in rows]

    def find(self, digest: bytes) -> Iterator[BatchRecord]:
        """The batch of every journaled copy of a certificate (normally one)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT batch_id FROM certificates WHERE digest = ? ORDER BY batch_id", (digest,)
            ).fetchall()
        for (batch_id,) in rows:
            yield self.batch(int(batch_id))

    def anchored_above(self, block_number: int) -> list[BatchRecord]:
        """Anchored batches whose recorded block is above `block_number`, oldest first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM batches WHERE state = 'anchored' AND COALESCE(block_number, 0) > ?"  # noqa: S608 (fixed column list)
                " ORDER BY id",
                (block_number,),
            ).fetchall()
        return [BatchRecord(*r) for r in rows]

    # ------------------------------------------------------------------ status changes

    def record_status_change(
        self,
        *,
        agency: str,
        chain_id: int,
        registry: str,
        signer: str,
        action: str,
        digest: bytes,
        root: bytes,
        proof: Sequence[bytes],
        reason: int,
        successor: bytes | None = None,
    ) -> int:
        """Durably record a status change before its transaction is sent."""
        if any(len(p) != 32 for p in proof) or len(digest) != 32 or len(root) != 32:
            raise JournalError("digests, roots and proof elements are 32 bytes")
        now = time.time()
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO status_changes (agency, chain_id, registry, signer, action, digest, root, proof, reason,"
                " successor, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'prepared', ?, ?)",
                (
                    agency,
                    chain_id,
                    registry,
                    signer,
                    action,
                    digest,
                    root,
                    b"".join(proof),
                    reason,
                    successor,
                    now,
                    now,
                ),
            )
            return int(cursor.lastrowid or 0)

    def mark_status_sent(self, change_id: int, tx_hash: str) -> None:
        """A transaction for the change was signed (the first, or a replacement): recorded before broadcast."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR IGNORE INTO status_change_transactions (tx_hash, change_id) VALUES (?, ?)",
                    (tx_hash, change_id),
                )
                self._db.execute(
                    "UPDATE status_changes SET state = 'sent', tx_hash = ?, updated_at = ? WHERE id = ?",
                    (tx_hash, time.time(), change_id),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def status_change_transactions(self, change_id: int) -> list[str]:
        """Every transaction hash ever signed for the change (those of a lost attempt too), oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT tx_hash FROM status_change_transactions WHERE change_id = ? ORDER BY rowid", (change_id,)
            ).fetchall()
        return [str(r[0]) for r in rows]

    def mark_status_applied(
        self, change_id: int, tx_hash: str | None, block_number: int | None, block_hash: str | None
    ) -> None:
        self._update_change(
            change_id,
            "state = 'applied', tx_hash = ?, block_number = ?, block_hash = ?, error = NULL, acknowledged = 1",
            (tx_hash, block_number, block_hash),
        )

    def mark_status_lost(self, change_id: int) -> None:
        """The chain no longer holds this applied change (a restart lost blocks, a reorg): apply it again."""
        self._update_change(change_id, "state = 'lost', block_number = NULL, block_hash = NULL", ())

    def claim_lost_status_change(self, change_id: int) -> bool:
        """Take a lost change to apply it again: True for exactly one of the processes that ask."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE status_changes SET state = 'prepared', tx_hash = NULL, updated_at = ?"
                " WHERE id = ? AND state = 'lost'",
                (time.time(), change_id),
            )
            return cursor.rowcount == 1

    def mark_status_failed(self, change_id: int, error: str) -> None:
        self._update_change(change_id, "state = 'failed', error = ?", (error,))

    def _update_change(self, change_id: int, assignments: str, params: tuple[Any, ...]) -> None:
        with self._lock:
            self._db.execute(
                f"UPDATE status_changes SET {assignments}, updated_at = ? WHERE id = ?",  # noqa: S608 (fixed SQL)
                (*params, time.time(), change_id),
            )

    def status_change(self, change_id: int) -> StatusChangeRecord:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_CHANGE_COLUMNS} FROM status_changes WHERE id = ?",  # noqa: S608 (fixed column list)
                (change_id,),
            ).fetchone()
        if row is None:
            raise JournalError(f"no status change {change_id} in the journal")
        return StatusChangeRecord.from_row(row)

    def status_change_by_transaction(self, tx_hash: str) -> StatusChangeRecord | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_CHANGE_COLUMNS} FROM status_changes WHERE id ="  # noqa: S608 (fixed column list)
                " (SELECT change_id FROM status_change_transactions WHERE tx_hash = ?)",
                (tx_hash,),
            ).fetchone()
        return None if row is None else StatusChangeRecord.from_row(row)

    def reapplying(self, agency: str, digest: bytes, *, before: int | None = None) -> bool:
        """Whether an acknowledged change of this certificate (recorded before change `before`) is lost or being
        applied again."""
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM status_changes WHERE agency = ? AND digest = ? AND acknowledged = 1"
                " AND state IN ('lost', 'prepared', 'sent') AND id < ? LIMIT 1",
                (agency, digest, before if before is not None else 2**62),
            ).fetchone()
        return row is not None

    def status_changes(self, state: str | None = None, *, above: int | None = None) -> list[StatusChangeRecord]:
        """Status changes (in one state; recorded in a block above `above`), oldest first."""
        sql = f"SELECT {_CHANGE_COLUMNS} FROM status_changes WHERE 1 = 1"  # noqa: S608 (fixed column list)
        params: tuple[Any, ...] = ()
        if state is not None:
            sql += " AND state = ?"
            params = (state,)
        if above is not None:
            sql += " AND COALESCE(block_number, 0) > ?"
            params = (*params, above)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY id", params).fetchall()
        return [StatusChangeRecord.from_row(r) for r in rows]

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT state, SUM(count) FROM batches GROUP BY state").fetchall()
        return {state: int(total) for state, total in rows}


_COLUMNS = (
    "id, agency, chain_id, registry, root, count, suite, manifest_cid, state, tx_hash, block_number, error,"
    " created_at, block_hash"
)


_CHANGE_COLUMNS = (
    "id, agency, chain_id, registry, signer, action, digest, root, proof, reason, successor, state, tx_hash,"
    " block_number, block_hash, error, created_at, updated_at, acknowledged"
)


def _payload(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)
