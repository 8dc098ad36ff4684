"""W3C Bitstring Status Lists published by the service: indexes assigned at random, lists built from the index.

Each anchored certificate of an agency gets one entry per purpose (`revocation`, `suspension`), at an index drawn
at random (`secrets`) among the free entries of the agency's current list for that purpose, so that neighbouring
indexes say nothing about when or to whom certificates were issued (herd privacy). A list holds
`MIN_ENTRIES` (131,072) entries and is filled to half before the next list is started, so a free index is found
in a couple of draws. Assignments live in `status-lists.sqlite` in the service's home (one transaction each,
unique per list and index, so workers and restarts never give one entry to two certificates).

A list is never stored: `StatusLists.credential` builds it from the index at the indexed block (revocation: the
certificates revoked; suspension: those suspended now), so the list at its stable URL changes exactly when a status
changes; its `validFrom` is the time the list was started, so an unchanged bitstring gives the same credential and
the same hash (`ledger.certificates.status_list.list_hash`).
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.sqlite_files import SharedSqlite
from ledger.certificates.status_list import MIN_ENTRIES, PURPOSES, Purpose, status_entry, status_list_credential
from ledger.chain.models import CertificateStatus

STATUS_LISTS_FILE = "status-lists.sqlite"
#: A list takes new entries until it is this full; then the next list is started.
FILL = MIN_ENTRIES // 2
_FLAGGED: dict[str, frozenset[CertificateStatus]] = {
    "revocation": frozenset({CertificateStatus.REVOKED}),
    "suspension": frozenset({CertificateStatus.SUSPENDED}),
}

_SCHEMA = """
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
"""


@dataclass(frozen=True)
class Entry:
    purpose: Purpose
    number: int
    index: int


class StatusLists(SharedSqlite):
    """Entries of certificates in their agencies' status lists, and the lists' credentials."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA)

    def assign(self, agency: str, digests: Iterable[bytes]) -> None:
        """Give each certificate (digest) of `agency` an entry per purpose, unless it has them already (one
        transaction for them all)."""
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
        rows = self.connect().execute(
            "SELECT purpose, number, position FROM entries WHERE agency = ? AND digest = ? ORDER BY purpose",
            (agency.lower(), digest),
        )
        return [Entry(row[0], int(row[1]), int(row[2])) for row in rows]

    def started(self, agency: str, purpose: str, number: int) -> str | None:
        row = (
            self.connect()
            .execute(
                "SELECT started_at FROM lists WHERE agency = ? AND purpose = ? AND number = ?",
                (agency.lower(), purpose, number),
            )
            .fetchone()
        )
        return None if row is None else str(row[0])

    def credential(
        self, url: str, issuer: str, agency: str, purpose: Purpose, number: int, statuses: dict[bytes, Any]
    ) -> dict[str, Any] | None:
        """The list credential at `url`, its bits set for the certificates whose status record (`statuses`, digest
        → record with a `status`) the purpose flags; None when the agency has no such list."""
        started = self.started(agency, purpose, number)
        if started is None:
            return None
        rows = self.connect().execute(
            "SELECT position, digest FROM entries WHERE agency = ? AND purpose = ? AND number = ?",
            (agency.lower(), purpose, number),
        )
        flagged = _FLAGGED[purpose]
        bits = [int(position) for position, digest in rows if _status(statuses.get(bytes(digest))) in flagged]
        return status_list_credential(url, issuer, purpose, bits, valid_from=started)

    def entry_objects(self, base_url: str, agency: str, digest: bytes) -> list[dict[str, Any]]:
        """The `BitstringStatusListEntry` objects of a certificate, its lists under `base_url`."""
        return [status_entry(list_url(base_url, agency, e.purpose, e.number), e.purpose, e.index)
                for e in self.entries(agency, digest)]  # fmt: skip


def list_url(base_url: str, agency: str, purpose: str, number: int) -> str:
    """The stable URL of a list: `<base>/api/v1/status-lists/<agency>/<purpose>/<number>`."""
    return f"{base_url.rstrip('/')}/api/v1/status-lists/{agency}/{purpose}/{number}"


def _status(record: Any) -> CertificateStatus | None:
    return getattr(record, "status", None)
