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

`StatusListPublisher` anchors those hashes, off the request path: every `status_list_interval` seconds it builds
each list whose agency's chain key the service holds, and when its hash differs from the one the chain records
for it (`CertificateRegistry.statusListHash`) it sends one `publishStatusList` transaction; so a list gets at most
one transaction per interval, however many statuses changed in it. A failure is logged and tried again at the next
round. One process of those sharing a home publishes (an exclusive lock on `status-lists.publisher.lock`); another
takes over within a round when it stops. Lists are published under the service's public URL (`public_url`), else
under the base URL the service was last asked through for a list or an entry (remembered in the same file).
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from api.sqlite_files import SharedSqlite
from ledger.certificates.did import agency_did
from ledger.certificates.status_list import (
    MIN_ENTRIES,
    PURPOSES,
    Purpose,
    list_hash,
    list_id,
    status_entry,
    status_list_credential,
)
from ledger.chain.client import HurongClient
from ledger.chain.models import CertificateStatus
from ledger.errors import LedgerError

log = logging.getLogger("hurong.status_lists")

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


class StatusLists(SharedSqlite):
    """Entries of certificates in their agencies' status lists, and the lists' credentials."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA)
        self._base: str | None = None

    def remember_base(self, url: str) -> None:
        """Record `url` as the base URL lists are published under (when no public URL is set)."""
        url = url.rstrip("/")
        if url != self._base:
            with self.transaction() as db:
                db.execute("INSERT INTO base_url (id, url) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET url = ?",
                           (url, url))  # fmt: skip
            self._base = url

    def remembered_base(self) -> str | None:
        row = self.connect().execute("SELECT url FROM base_url WHERE id = 1").fetchone()
        return None if row is None else str(row[0])

    def lists(self) -> list[tuple[str, Purpose, int]]:
        """Every list: (agency, purpose, number), the agency checksummed."""
        rows = self.connect().execute("SELECT agency, purpose, number FROM lists ORDER BY agency, purpose, number")
        return [(to_checksum_address(row[0]), row[1], int(row[2])) for row in rows]

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


@dataclass(frozen=True)
class Published:
    """One list whose hash was anchored: the list, its hash, the transaction and its block."""

    agency: str
    purpose: Purpose
    number: int
    list_hash: bytes
    tx_hash: str
    block: int


class StatusListPublisher:
    """Anchors the hash of every changed list, at most one transaction per list per `interval` seconds.

    `base_url()` answers the base URL lists are published under (None: not known yet, nothing is published);
    `statuses(agency)` the index's status records of an agency's certificates; `signer(agency)` a client acting as
    the agency, or None when the service holds no key for it."""

    def __init__(
        self,
        lists: StatusLists,
        chain_id: int,
        *,
        base_url: Callable[[], str | None],
        statuses: Callable[[str], dict[bytes, Any]],
        signer: Callable[[str], HurongClient | None],
        interval: float,
        lock_file: Path,
    ) -> None:
        self.lists = lists
        self.chain_id = chain_id
        self.base_url = base_url
        self.statuses = statuses
        self.signer = signer
        self.interval = interval
        self.lock_file = lock_file
        self._lock_fd: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="status-list-publisher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if not self._holds_lock():
                continue
            try:
                self.publish_changed()
            except Exception:  # a round never stops the loop: the next one tries again
                log.exception("publishing status lists failed")

    def _holds_lock(self) -> bool:
        if self._lock_fd is None:
            fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return False
            self._lock_fd = fd
        return True

    def publish_changed(self) -> list[Published]:
        """One round: build every list of the agencies the service holds a key of, and anchor each whose hash the
        chain does not record yet. A list that fails is logged and left for the next round."""
        base = self.base_url()
        if base is None:
            return []
        done: list[Published] = []
        for agency, purpose, number in self.lists.lists():
            try:
                published = self._publish_one(base, agency, purpose, number)
            except LedgerError as exc:
                log.warning("publishing %s list %s/%d failed, tried again in %.0f s: %s",
                            agency, purpose, number, self.interval, exc)  # fmt: skip
                continue
            if published is not None:
                done.append(published)
        return done

    def _publish_one(self, base: str, agency: str, purpose: Purpose, number: int) -> Published | None:
        client = self.signer(agency)
        if client is None:
            return None
        url = list_url(base, agency, purpose, number)
        credential = self.lists.credential(url, agency_did(self.chain_id, agency), agency, purpose, number,
                                           self.statuses(agency))  # fmt: skip
        if credential is None:
            return None
        digest, identifier = list_hash(credential), list_id(purpose, number)
        if client.certificates.status_list_hash(agency, identifier) == digest:
            return None
        log.info("publishing %s list %s/%d: hash 0x%s", agency, purpose, number, digest.hex())
        receipt = client.certificates.publish_status_list(identifier, digest).wait()
        log.info("published %s list %s/%d in block %d (tx %s)", agency, purpose, number, receipt.block_number,
                 receipt.tx_hash)  # fmt: skip
        return Published(agency, purpose, number, digest, receipt.tx_hash, receipt.block_number)
