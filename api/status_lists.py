"""W3C Bitstring Status Lists published by the service, built from the entries of its certificates.

The entries (one per purpose, `revocation` and `suspension`, at random indexes for herd privacy) are drawn by
`ledger.issuance.status_entries.StatusEntries` in `status-lists.sqlite` in the service's home: before hashing for a
new certificate, which carries them, by digest for an older one. `StatusLists` adds the lists' credentials and the
base URL they are published under.

A list is never stored: `StatusLists.credential` builds it from the index at the indexed block (revocation: the
certificates no longer in force, revoked, superseded or of a revoked batch, as `certificateStatus` answers on chain;
suspension: those suspended now, their batch not revoked), so the list at its stable URL changes exactly when a status
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
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from ledger.certificates.did import agency_did
from ledger.certificates.status_list import (
    Purpose,
    list_hash,
    list_id,
    status_entry,
    status_list_credential,
)
from ledger.chain.client import HurongClient
from ledger.chain.models import CertificateStatus
from ledger.errors import LedgerError
from ledger.issuance.status_entries import FILL, STATUS_LISTS_FILE, Entry, StatusEntries, list_url

__all__ = ["FILL", "STATUS_LISTS_FILE", "Entry", "Published", "StatusListPublisher", "StatusLists", "list_url"]

log = logging.getLogger("hurong.status_lists")

#: The statuses each purpose's bit is set for: a superseded certificate is no longer in force, finally, as a revoked
#: one (the Bitstring Status List has no supersession purpose), so a standard verifier refuses it too.
_FLAGGED: dict[str, frozenset[CertificateStatus]] = {
    "revocation": frozenset({CertificateStatus.REVOKED, CertificateStatus.SUPERSEDED}),
    "suspension": frozenset({CertificateStatus.SUSPENDED}),
}


class StatusLists(StatusEntries):
    """Entries of certificates in their agencies' status lists (`StatusEntries`), and the lists' credentials."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
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
        self,
        url: str,
        issuer: str,
        agency: str,
        purpose: Purpose,
        number: int,
        statuses: dict[bytes, Any],
        revoked_roots: Collection[bytes] = frozenset(),
    ) -> dict[str, Any] | None:
        """The list credential at `url`, its bits set for the certificates whose status the purpose flags: their
        own status record (`statuses`, digest → record with a `status`), or revoked when the batch they were
        anchored in is among `revoked_roots` (as the chain's `certificateStatus` answers); None when the agency has
        no such list."""
        started = self.started(agency, purpose, number)
        if started is None:
            return None
        rows = self.connect().execute(
            "SELECT e.position, e.digest, m.root FROM entries e LEFT JOIN batch_members m"
            " ON m.agency = e.agency AND m.digest = e.digest WHERE e.agency = ? AND e.purpose = ? AND e.number = ?",
            (agency.lower(), purpose, number),
        )
        flagged, revoked = _FLAGGED[purpose], frozenset(revoked_roots)
        bits = {int(position) for position, digest, root in rows
                if _status(statuses.get(bytes(digest)), root is not None and bytes(root) in revoked)
                in flagged}  # fmt: skip
        return status_list_credential(url, issuer, purpose, sorted(bits), valid_from=started)

    def entry_objects(self, base_url: str, agency: str, digest: bytes) -> list[dict[str, Any]]:
        """The `BitstringStatusListEntry` objects of a certificate, its lists under `base_url`."""
        return [status_entry(list_url(base_url, agency, e.purpose, e.number), e.purpose, e.index)
                for e in self.entries(agency, digest)]  # fmt: skip


def _status(record: Any, batch_revoked: bool) -> CertificateStatus | None:
    """A certificate's status as the chain answers it with its batch: revoked when its batch is."""
    return CertificateStatus.REVOKED if batch_revoked else getattr(record, "status", None)


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
    `statuses(agency)` the index's status records of an agency's certificates; `revoked_roots(agency)` the roots
    of its revoked batches; `signer(agency)` a client acting as
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
        revoked_roots: Callable[[str], Collection[bytes]] = lambda agency: frozenset(),
    ) -> None:
        self.lists = lists
        self.chain_id = chain_id
        self.base_url = base_url
        self.statuses = statuses
        self.revoked_roots = revoked_roots
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
                                           self.statuses(agency), self.revoked_roots(agency))  # fmt: skip
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
