"""`Idempotency-Key` on every write: a retry with the same key returns the first outcome, never a second
transaction.

One SQLite table in the service's home folder, shared by all workers of one host. A request claims its key
(`begin`): a finished key answers its stored outcome, a key held by a live process answers 409
`request_in_progress`, and a key whose holder died is taken over. The route then settles what the first
attempt may have done — issuance looks up the certificates the journal recorded under the key's reference,
a status change looks up the transaction it recorded — before doing anything new. Stored outcomes carry no
personal data: issuance keeps counts and transaction hashes and replays its certificates from the (sealed)
journal.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.errors import ApiError
from ledger.issuance.journal import private_file
from ledger.issuance.sqlite_files import use_write_ahead_log

HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency (
    ref TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    owner TEXT,
    status INTEGER,
    outcome TEXT,
    tx_hash TEXT,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_expiry ON idempotency (expires_at);
"""


@dataclass(frozen=True)
class Claim:
    """A claimed key: `ref` names the request everywhere (journal, logs); `status`/`outcome` are set when the
    request already finished, `tx_hash` when an earlier attempt sent a transaction."""

    ref: str
    status: int | None = None
    outcome: dict[str, Any] | None = None
    tx_hash: str | None = None

    @property
    def finished(self) -> bool:
        return self.status is not None


def parse_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not _KEY.match(value):
        raise ApiError(400, "invalid_idempotency_key", f"{HEADER} must be 1 to 255 printable ASCII characters")
    return value


def fingerprint(*parts: Any) -> str:
    """A hash of what a request asks for (route, parameters, body), to refuse a key reused for another request."""
    data = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode()).hexdigest()


def _process_start(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return fields[19].decode()
    except (OSError, IndexError):
        return None


def _me() -> str:
    pid = os.getpid()
    return f"{pid}:{_process_start(pid)}"


def _alive(owner: str) -> bool:
    pid, _, started = owner.partition(":")
    return pid.isdigit() and _process_start(int(pid)) == started


class IdempotencyStore:
    def __init__(self, path: Path, ttl_seconds: float) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        private_file(path)
        self.ttl = ttl_seconds
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        use_write_ahead_log(self._db)
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def begin(self, principal: str, key: str, request_fingerprint: str) -> Claim:
        """Claim `key` for this process, or answer what an earlier request with it did."""
        ref = hashlib.sha256(f"{principal}\0{key}".encode()).hexdigest()
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM idempotency WHERE expires_at < ?", (now,))
                row = self._db.execute(
                    "SELECT fingerprint, owner, status, outcome, tx_hash FROM idempotency WHERE ref = ?", (ref,)
                ).fetchone()
                if row is None:
                    self._db.execute(
                        "INSERT INTO idempotency (ref, fingerprint, owner, created_at, expires_at)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (ref, request_fingerprint, _me(), now, now + self.ttl),
                    )
                    self._db.execute("COMMIT")
                    return Claim(ref)
                stored_fingerprint, owner, status, outcome, tx_hash = row
                if stored_fingerprint != request_fingerprint:
                    raise ApiError(422, "idempotency_key_reused", f"this {HEADER} was used for a different request")
                if status is not None:
                    self._db.execute("COMMIT")
                    return Claim(ref, int(status), json.loads(outcome), tx_hash)
                if owner is not None and _alive(owner):
                    raise ApiError(409, "request_in_progress", f"a request with this {HEADER} is still in progress")
                self._db.execute("UPDATE idempotency SET owner = ? WHERE ref = ?", (_me(), ref))
                self._db.execute("COMMIT")
                return Claim(ref, tx_hash=tx_hash)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def record_transaction(self, claim: Claim, tx_hash: str) -> None:
        with self._lock:
            self._db.execute("UPDATE idempotency SET tx_hash = ? WHERE ref = ?", (tx_hash, claim.ref))

    def finish(self, claim: Claim, status: int, outcome: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE idempotency SET status = ?, outcome = ?, owner = NULL WHERE ref = ?",
                (status, json.dumps(outcome, ensure_ascii=False), claim.ref),
            )

    def release(self, claim: Claim) -> None:
        """The request failed without a final outcome: a retry may take the key over."""
        with self._lock:
            self._db.execute("UPDATE idempotency SET owner = NULL WHERE ref = ?", (claim.ref,))
