"""Entries of certificates in their agencies' W3C Bitstring Status Lists, kept in one SQLite file.

A new certificate is given one entry per purpose (`revocation`, `suspension`) before it is salted and hashed, so the
`BitstringStatusListEntry` objects it carries are covered by its digest: `reserve` draws them keyed by the
credential's id, and `link` ties them to the certificate's digest once it is anchored, so lists are built from chain
statuses (read by digest). A certificate issued before entries were carried gets them by digest (`assign`).

An index is drawn at random (`secrets`) among the free entries of the agency's current list for that purpose, so that
neighbouring indexes say nothing about when or to whom certificates were issued (herd privacy). A list holds
`MIN_ENTRIES` (131,072) entries and is filled to half before the next list is started, so a free index is found in a
couple of draws. Each assignment is one `BEGIN IMMEDIATE` transaction, unique per list and index, so processes and
restarts never give one entry to two certificates.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import orjson

from ledger.certificates.status_list import MIN_ENTRIES, PURPOSES, Purpose, carried_entries, status_entry
from ledger.issuance.sqlite_files import SharedSqlite

STATUS_LISTS_FILE = "status-lists.sqlite"
#: A list takes new entries until it is this full; then the next list is started.
FILL = MIN_ENTRIES // 2
#: An entry reserved before hashing carries this prefix and its key in place of a digest until it is linked.
_PENDING = b"pending:"

SCHEMA = """
CREATE TABLE IF NOT EXISTS lists (
    agency TEXT NOT NULL,
    purpose TEXT NOT NULL,
    number INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    used INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (agency, purpose, number)
);
CREATE TABLE IF NOT EXISTS entries (
    agency TEXT NOT NULL,
    purpose TEXT NOT NULL,
    number INTEGER NOT NULL,
    position INTEGER NOT NULL,
    digest BLOB NOT NULL,
    UNIQUE (agency, purpose, number, position),
    UNIQUE (agency, purpose, digest)
);
CREATE TABLE IF NOT EXISTS base_url (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    url TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Entry:
    purpose: Purpose
    number: int
    index: int


def list_url(base_url: str, agency: str, purpose: str, number: int) -> str:
    """The stable URL of a list: `<base>/api/v1/status-lists/<agency>/<purpose>/<number>`."""
    return f"{base_url.rstrip('/')}/api/v1/status-lists/{agency}/{purpose}/{number}"


def carried(document: Mapping[str, Any]) -> list[Entry]:
    """The entries a certificate carries in Hurong's lists (their URLs ending `/<purpose>/<number>`)."""
    found = []
    for entry in carried_entries(document):
        *_, purpose, number = str(entry.get("statusListCredential", "")).rsplit("/", 2)
        index = str(entry.get("statusListIndex", ""))
        if purpose in PURPOSES and purpose == entry.get("statusPurpose") and number.isdigit() and index.isdigit():
            found.append(Entry(cast(Purpose, purpose), int(number), int(index)))
    return found


def entries_key(document: Mapping[str, Any]) -> str | None:
    """The key a new certificate's entries are reserved under before it is hashed, and linked by once it is
    anchored: its credential id and the SHA-256 of its content other than `credentialStatus` and `proof` (sorted
    keys). A retried issuance of the same credential finds the entries drawn before; two different credentials
    given the same id never share them. None for a credential without an id."""
    identifier = document.get("id")
    if not isinstance(identifier, str):
        return None
    content = {name: value for name, value in document.items() if name not in ("credentialStatus", "proof")}
    try:
        text = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits: json writes it (the same way at both ends)
        text = json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return f"{identifier}#{hashlib.sha256(text).hexdigest()}"


def _pending(key: str) -> bytes:
    return _PENDING + key.encode("utf-8")


class StatusEntries(SharedSqlite):
    """Entries of certificates in their agencies' status lists."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, SCHEMA)

    def reserve(self, agency: str, key: str) -> list[Entry]:
        """The entries (one per purpose, revocation first) of the certificate known by `key` (its credential id)
        before it is hashed: drawn now, or the ones drawn before for that key."""
        agency, pending = agency.lower(), _pending(key)
        with self.transaction() as db:
            for purpose in PURPOSES:
                self._assign_one(db, agency, purpose, pending)
        return self._entries(agency, pending)

    def reserved_objects(self, base_url: str, agency: str, key: str) -> list[dict[str, Any]]:
        """`reserve`, as the `BitstringStatusListEntry` objects a certificate carries, its lists under `base_url`."""
        return [status_entry(list_url(base_url, agency, e.purpose, e.number), e.purpose, e.index)
                for e in self.reserve(agency, key)]  # fmt: skip

    def link(self, agency: str, certificates: Iterable[tuple[str, bytes, Iterable[Entry]]]) -> None:
        """Tie the entries reserved under each key to the certificate's digest (once it is anchored), so the lists
        are built from the digest's chain status: `certificates` are (key, digest, the entries it carries). Entries
        the file no longer holds (lost with it, or never recorded) are recorded again as the certificate carries
        them; a key linked before is left as it is."""
        agency = agency.lower()
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with self.transaction() as db:
            for key, digest, carried in certificates:
                db.execute("UPDATE OR IGNORE entries SET digest = ? WHERE agency = ? AND digest = ?",
                           (digest, agency, _pending(key)))  # fmt: skip
                for e in carried:
                    db.execute("INSERT OR IGNORE INTO lists (agency, purpose, number, started_at) VALUES (?, ?, ?, ?)",
                               (agency, e.purpose, e.number, started))  # fmt: skip
                    db.execute("INSERT OR IGNORE INTO entries (agency, purpose, number, position, digest) "
                               "VALUES (?, ?, ?, ?, ?)", (agency, e.purpose, e.number, e.index, digest))  # fmt: skip

    def assign(self, agency: str, digests: Iterable[bytes]) -> None:
        """Give each certificate (digest) of `agency` an entry per purpose, unless it has them already (one
        transaction for them all): for certificates that do not carry their entries."""
        agency = agency.lower()
        with self.transaction() as db:
            for digest in digests:
                for purpose in PURPOSES:
                    self._assign_one(db, agency, purpose, digest)

    def _assign_one(self, db: sqlite3.Connection, agency: str, purpose: str, digest: bytes) -> None:
        known = db.execute(
            "SELECT 1 FROM entries WHERE agency = ? AND purpose = ? AND digest = ?", (agency, purpose, digest)
        ).fetchone()
        if known:
            return
        row = db.execute(
            "SELECT number, used FROM lists WHERE agency = ? AND purpose = ? ORDER BY number DESC LIMIT 1",
            (agency, purpose),
        ).fetchone()
        number = 1 if row is None else (row[0] + 1 if row[1] >= FILL else row[0])
        if row is None or number != row[0]:
            started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            db.execute("INSERT INTO lists (agency, purpose, number, started_at) VALUES (?, ?, ?, ?)",
                       (agency, purpose, number, started))  # fmt: skip
        while True:
            position = secrets.randbelow(MIN_ENTRIES)
            taken = db.execute(
                "SELECT 1 FROM entries WHERE agency = ? AND purpose = ? AND number = ? AND position = ?",
                (agency, purpose, number, position),
            ).fetchone()
            if not taken:
                break
        db.execute("INSERT INTO entries (agency, purpose, number, position, digest) VALUES (?, ?, ?, ?, ?)",
                   (agency, purpose, number, position, digest))  # fmt: skip
        db.execute("UPDATE lists SET used = used + 1 WHERE agency = ? AND purpose = ? AND number = ?",
                   (agency, purpose, number))  # fmt: skip

    def entries(self, agency: str, digest: bytes) -> list[Entry]:
        """The entries of one certificate, revocation first."""
        return self._entries(agency.lower(), digest)

    def _entries(self, agency: str, digest: bytes) -> list[Entry]:
        rows = self.connect().execute(
            "SELECT purpose, number, position FROM entries WHERE agency = ? AND digest = ? ORDER BY purpose",
            (agency, digest),
        )
        return [Entry(row[0], int(row[1]), int(row[2])) for row in rows]
