"""Entries of certificates in their agencies' W3C Bitstring Status Lists, kept in one SQLite file.

A new certificate is given one entry per purpose (`revocation`, `suspension`) before it is salted and hashed, so the
`BitstringStatusListEntry` objects it carries are covered by its digest: `reserve` draws them keyed by the
credential's id, and `link` ties them to the certificate's digest once it is anchored, so lists are built from chain
statuses (read by digest); `record_roots` keeps the batch (Merkle root) each certificate was anchored in, so a batch
revoked by its root reaches the lists of all its certificates. A certificate issued before entries were carried gets
them by digest (`assign`).

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
from collections.abc import Iterable, Mapping, Sequence
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
_MARKS = ", ".join("?" * len(PURPOSES))

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
CREATE TABLE IF NOT EXISTS batch_members (
    agency TEXT NOT NULL,
    digest BLOB NOT NULL,
    root BLOB NOT NULL,
    PRIMARY KEY (agency, digest, root)
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
        return self.reserve_many(agency, [key])[0]

    def reserve_many(self, agency: str, keys: Sequence[str]) -> list[list[Entry]]:
        """`reserve` for the certificates of a batch, in one transaction: the entries of each key, in order (a key
        given twice, or reserved before, gets the entries drawn first for it)."""
        agency, pending = agency.lower(), [_pending(key) for key in keys]
        with self.transaction() as db:
            drawn = [self._assign(db, agency, purpose, pending) for purpose in PURPOSES]
            out = []
            for certificate in pending:
                entries = [by_certificate.get(certificate) for by_certificate in drawn]
                out.append(self._entries(agency, certificate) if None in entries else entries)  # else drawn before
            return cast(list[list[Entry]], out)

    def reserved_objects(self, base_url: str, agency: str, key: str) -> list[dict[str, Any]]:
        """`reserve`, as the `BitstringStatusListEntry` objects a certificate carries, its lists under `base_url`."""
        return self.reserved_objects_many(base_url, agency, [key])[0]

    def reserved_objects_many(self, base_url: str, agency: str, keys: Sequence[str]) -> list[list[dict[str, Any]]]:
        """`reserve_many`, as the `BitstringStatusListEntry` objects each certificate carries."""
        urls: dict[tuple[str, int], str] = {}  # a batch's entries fall in one or two lists per purpose

        def url(e: Entry) -> str:
            if (e.purpose, e.number) not in urls:
                urls[(e.purpose, e.number)] = list_url(base_url, agency, e.purpose, e.number)
            return urls[(e.purpose, e.number)]

        return [[status_entry(url(e), e.purpose, e.index) for e in entries]
                for entries in self.reserve_many(agency, keys)]  # fmt: skip

    def link(self, agency: str, certificates: Iterable[tuple[str, bytes, Iterable[Entry]]]) -> None:
        """Tie the entries reserved under each key to the certificate's digest (once it is anchored), so the lists
        are built from the digest's chain status: `certificates` are (key, digest, the entries it carries). Entries
        the file no longer holds (lost with it, or never recorded) are recorded again as the certificate carries
        them; a key linked before is left as it is."""
        agency = agency.lower()
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with self.transaction() as db:
            for key, digest, carried in certificates:
                db.execute("UPDATE OR IGNORE entries SET digest = ? WHERE agency = ? AND purpose IN"  # noqa: S608 (placeholders only)
                           f" ({_MARKS}) AND digest = ?", (digest, agency, *PURPOSES, _pending(key)))  # fmt: skip
                for e in carried:
                    db.execute("INSERT OR IGNORE INTO lists (agency, purpose, number, started_at) VALUES (?, ?, ?, ?)",
                               (agency, e.purpose, e.number, started))  # fmt: skip
                    db.execute("INSERT OR IGNORE INTO entries (agency, purpose, number, position, digest) "
                               "VALUES (?, ?, ?, ?, ?)", (agency, e.purpose, e.number, e.index, digest))  # fmt: skip

    def record_roots(self, agency: str, certificates: Iterable[tuple[bytes, bytes]]) -> None:
        """Record the batch each certificate was anchored in: `certificates` are (digest, Merkle root) pairs. A
        batch revocation (by root, on chain) then sets the revocation bit of every certificate of the batch."""
        agency = agency.lower()
        with self.transaction() as db:
            db.executemany("INSERT OR IGNORE INTO batch_members (agency, digest, root) VALUES (?, ?, ?)",
                           [(agency, digest, root) for digest, root in certificates])  # fmt: skip

    def assign(self, agency: str, digests: Iterable[bytes]) -> None:
        """Give each certificate (digest) of `agency` an entry per purpose, unless it has them already (one
        transaction for them all): for certificates that do not carry their entries."""
        agency, certificates = agency.lower(), list(digests)
        with self.transaction() as db:
            for purpose in PURPOSES:
                self._assign(db, agency, purpose, certificates)

    def _assign(
        self, db: sqlite3.Connection, agency: str, purpose: str, certificates: Sequence[bytes]
    ) -> dict[bytes, Entry]:
        """An entry for `purpose` to each certificate (digest, or pending key) without one, in the transaction: at a
        random free index of the agency's current list, the next list started once it is `FILL` full. Returns the
        entries drawn."""
        known = self._known(db, agency, purpose, certificates)
        row = db.execute(
            "SELECT number, used FROM lists WHERE agency = ? AND purpose = ? ORDER BY number DESC LIMIT 1",
            (agency, purpose),
        ).fetchone()
        number, used = (0, FILL) if row is None else (int(row[0]), int(row[1]))
        drawn: dict[bytes, Entry] = {}
        taken = _Taken(db, agency, purpose, len(certificates))
        entries: list[tuple[str, str, int, int, bytes]] = []
        counts: dict[int, int] = {}
        for certificate in certificates:
            if certificate in known:
                continue
            known.add(certificate)
            if used >= FILL:
                number, used = number + 1, 0
                started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                db.execute("INSERT INTO lists (agency, purpose, number, started_at) VALUES (?, ?, ?, ?)",
                           (agency, purpose, number, started))  # fmt: skip
            position = taken.draw(number)
            drawn[certificate] = Entry(cast(Purpose, purpose), number, position)
            entries.append((agency, purpose, number, position, certificate))
            counts[number] = counts.get(number, 0) + 1
            used += 1
        db.executemany(
            "INSERT INTO entries (agency, purpose, number, position, digest) VALUES (?, ?, ?, ?, ?)", entries
        )
        db.executemany("UPDATE lists SET used = used + ? WHERE agency = ? AND purpose = ? AND number = ?",
                       [(count, agency, purpose, n) for n, count in counts.items()])  # fmt: skip
        return drawn

    @staticmethod
    def _known(db: sqlite3.Connection, agency: str, purpose: str, certificates: Sequence[bytes]) -> set[bytes]:
        """Those of `certificates` that have an entry for `purpose` already."""
        known: set[bytes] = set()
        for start in range(0, len(certificates), 500):
            chunk = list(dict.fromkeys(certificates[start : start + 500]))
            rows = db.execute(
                "SELECT digest FROM entries WHERE agency = ? AND purpose = ? AND digest IN"  # noqa: S608 (placeholders only)
                f" ({', '.join('?' * len(chunk))})",
                (agency, purpose, *chunk),
            )
            known.update(bytes(r[0]) for r in rows)
        return known

    def entries(self, agency: str, digest: bytes) -> list[Entry]:
        """The entries of one certificate, revocation first."""
        return self._entries(agency.lower(), digest)

    def _entries(self, agency: str, digest: bytes) -> list[Entry]:
        rows = self.connect().execute(  # by purpose, so that the (agency, purpose, digest) index finds them
            f"SELECT purpose, number, position FROM entries WHERE agency = ? AND purpose IN ({_MARKS}) AND digest = ?"  # noqa: S608 (placeholders only)
            " ORDER BY purpose",
            (agency, *PURPOSES, digest),
        )
        return [Entry(row[0], int(row[1]), int(row[2])) for row in rows]


class _Taken:
    """Free indexes drawn at random in an agency's list for one purpose, within a transaction: asked of the file
    index by index for a few certificates, read once per list for many."""

    #: From this many certificates on, a list's taken indexes are read at once.
    READ_ALL = 64

    def __init__(self, db: sqlite3.Connection, agency: str, purpose: str, count: int) -> None:
        self.db, self.agency, self.purpose, self.many = db, agency, purpose, count >= self.READ_ALL
        self.taken: dict[int, set[int]] = {}

    def _of(self, number: int) -> set[int]:
        if number not in self.taken:
            self.taken[number] = set()
            if self.many:
                rows = self.db.execute(
                    "SELECT position FROM entries WHERE agency = ? AND purpose = ? AND number = ?",
                    (self.agency, self.purpose, number),
                )
                self.taken[number] = {int(r[0]) for r in rows}
        return self.taken[number]

    def draw(self, number: int) -> int:
        taken = self._of(number)
        while True:
            position = secrets.randbelow(MIN_ENTRIES)
            if position in taken:
                continue
            if (
                not self.many
                and self.db.execute(
                    "SELECT 1 FROM entries WHERE agency = ? AND purpose = ? AND number = ? AND position = ?",
                    (self.agency, self.purpose, number, position),
                ).fetchone()
            ):
                continue
            taken.add(position)
            return position
