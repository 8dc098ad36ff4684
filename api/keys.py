"""API keys: bound to an on-chain agency (issuing, status changes) or to a province (its admins' powers).

A key is `hr_<id>_<secret>`; only `sha256(secret)` is stored, next to the id used to find it, and compared in
constant time. Keys are created and revoked with `hurong keys …`; the plain key is shown once. The database is
readable by its owner only (0600; SQLite gives its journal files the same mode).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ledger.errors import LedgerValueError
from ledger.issuance.sqlite_files import use_write_ahead_log

_KEY = re.compile(r"^hr_(?P<id>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{43})$")
SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    secret_hash BLOB NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('agency', 'province')),
    subject TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    revoked_at REAL
);
"""


@dataclass(frozen=True)
class Principal:
    key_id: str
    role: str  # agency | province
    subject: str  # agency address (checksummed) or province code
    label: str


#: The API key database inside a service's home folder (`Settings.keys_database`).
KEYS_FILE = "api-keys.sqlite"


def keys_database(home: Path) -> Path:
    return Path(home) / KEYS_FILE


class ApiKeyStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT, 0o600))
        for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if file.exists() and file.stat().st_mode & 0o077:
                os.chmod(file, 0o600)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        use_write_ahead_log(self._db)
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def create(self, role: str, subject: str, label: str = "") -> tuple[str, Principal]:
        if role not in ("agency", "province"):
            raise LedgerValueError("role must be agency or province")
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        digest = hashlib.sha256(secret.encode()).digest()
        with self._lock:
            self._db.execute(
                "INSERT INTO api_keys (id, secret_hash, role, subject, label, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (key_id, digest, role, subject, label, time.time()),
            )
        return f"hr_{key_id}_{secret}", Principal(key_id, role, subject, label)

    def revoke(self, key_id: str) -> bool:
        with self._lock:
            cur = self._db.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (time.time(), key_id)
            )
        return cur.rowcount == 1

    def list(self) -> list[dict[str, object]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, role, subject, label, created_at, revoked_at FROM api_keys ORDER BY created_at"
            ).fetchall()
        return [dict(zip(("id", "role", "subject", "label", "created_at", "revoked_at"), r, strict=True)) for r in rows]

    def authenticate(self, key: str) -> Principal | None:
        """The principal of a valid, unrevoked key; None otherwise (timing does not reveal which part failed)."""
        match = _KEY.match(key or "")
        candidate = hashlib.sha256((match["secret"] if match else "x").encode()).digest()
        key_id = match["id"] if match else ""
        with self._lock:
            row = self._db.execute(
                "SELECT secret_hash, role, subject, label, revoked_at FROM api_keys WHERE id = ?", (key_id,)
            ).fetchone()
        stored = bytes(row[0]) if row else hashlib.sha256(b"no such key").digest()
        ok = hmac.compare_digest(stored, candidate)
        if not ok or row is None or row[4] is not None:
            return None
        return Principal(key_id, row[1], row[2], row[3])
