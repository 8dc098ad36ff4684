"""Status changes that survive the chain: journaled before they are sent, answered once confirmed, applied
again when the chain loses them.

    changes = StatusChanges(reader_client, journal, confirmations=2)
    receipt = changes.apply(signer_client, "suspend", agency, root, digest, proof, reason)
    changes.recheck(signer_for)        # after a node restart or a reorg: re-apply what the chain lost

Every change is written to the agency's journal (`ledger.issuance.journal.Journal`) before its transaction is sent and
marked applied, with its block number and hash, once the transaction is `confirmations` blocks deep on the
canonical chain. `recheck()` re-reads the blocks of applied changes; a change whose block is gone and whose
transaction the chain no longer knows is applied again, in the order the changes were first made, unless the
certificate already has the status the change gave it. Several processes may recheck the same journal: each
lost change is claimed by exactly one of them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from ledger.chain.client import STATUS_ACTIONS as ACTIONS
from ledger.chain.client import HurongClient
from ledger.chain.transactions import Canonical, PendingTransaction, Receipt
from ledger.errors import ChainError, ContractRevertError, LedgerValueError
from ledger.issuance.journal import Journal, StatusChangeRecord

log = logging.getLogger("hurong.status")

#: The status a certificate has once each action took effect.
TARGET = {"revoke": "revoked", "suspend": "suspended", "reinstate": "valid", "supersede": "superseded"}
#: A change sent but never mined is given up after this long (its client, told nothing, retries)...
ABANDON_AFTER = 600.0
#: ... unless it was confirmed once (and perhaps answered): then it is applied again after this long.
RETRY_AFTER = 30.0

SignerFor = Callable[[str], HurongClient]


class StatusChanges:
    """The status changes journaled for one agency (`journal`), read through `client`."""

    def __init__(
        self,
        client: HurongClient,
        journal: Journal,
        *,
        confirmations: int = 1,
        confirmation_timeout: float = 120.0,
    ) -> None:
        self.client = client
        self.journal = journal
        self.chain = Canonical(client.w3, confirmations)
        self.confirmation_timeout = confirmation_timeout
        self.chain_id = client.deployment.chain_id
        self.registry = client.certificates.address
        #: Height and hash up to which every applied change of the journal was found on the chain.
        self._checked: tuple[int, str] | None = None
        self._lock = threading.Lock()

    def apply(
        self,
        signer: HurongClient,
        action: str,
        agency: str,
        root: bytes,
        digest: bytes,
        proof: Sequence[bytes],
        reason: int,
        *,
        successor: bytes | None = None,
        on_sent: Callable[[str], None] | None = None,
        signer_for: SignerFor | None = None,
    ) -> Receipt:
        """Journal, send and confirm one status change signed by `signer`; its receipt once confirmed.

        `on_sent` receives the transaction hash as soon as it is sent (an idempotency record keeps it). With
        `signer_for`, changes the chain lost are applied again first, and the change waits while an earlier
        acknowledged change of the same certificate is being applied again (by this process or another), so
        that changes always take effect in the order they were answered."""
        if action not in ACTIONS:
            raise LedgerValueError(f"unknown status change {action!r}")
        if (action == "supersede") != (successor is not None):
            raise LedgerValueError("supersede, and only supersede, takes a successor")
        if signer.address is None or signer.transactor is None:
            raise LedgerValueError("a status change needs a client with a private key")
        if signer_for is not None:
            self.recheck(signer_for)
            self.wait_for_earlier(agency, digest)
        change_id = self.journal.record_status_change(
            agency=agency,
            chain_id=self.chain_id,
            registry=self.registry,
            signer=signer.address,
            action=action,
            digest=digest,
            root=root,
            proof=proof,
            reason=reason,
            successor=successor,
        )
        return self._apply(self.journal.status_change(change_id), signer, on_sent)

    def _apply(
        self, change: StatusChangeRecord, signer: HurongClient, on_sent: Callable[[str], None] | None = None
    ) -> Receipt:
        deadline = time.monotonic() + self.confirmation_timeout
        pending: PendingTransaction | None = None
        while True:
            if pending is None:
                pending = self._send(change, signer, on_sent)
            try:
                receipt = pending.wait(timeout=max(1.0, deadline - time.monotonic()))
            except ContractRevertError as exc:
                self.journal.mark_status_failed(change.id, str(exc))
                raise
            if self.chain.confirmed(receipt.block_number, receipt.block_hash, deadline):
                self.journal.mark_status_applied(change.id, receipt.tx_hash, receipt.block_number, receipt.block_hash)
                return receipt
            if time.monotonic() > deadline:
                raise ChainError(f"status change {change.id} did not reach the confirmation depth")
            # The block left the canonical chain: the transaction is mined again, or sent again if forgotten.
            assert signer.transactor is not None  # checked by `apply`
            known = self.chain.known(receipt.tx_hash)
            pending = PendingTransaction(signer.transactor, receipt.tx_hash, {}) if known else None

    def wait_for_earlier(self, agency: str, digest: bytes, timeout: float = 60.0) -> None:
        """Wait while an acknowledged change of this certificate is lost or being applied again (here or in
        another process); `ChainError` after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while self.journal.reapplying(agency, digest):
            if time.monotonic() > deadline:
                raise ChainError("an earlier change of this certificate is still being applied again: retry")
            time.sleep(0.05)

    def settle(self, tx_hash: str, *, timeout: float = 60.0) -> Receipt | None:
        """The receipt of a change this journal sent as `tx_hash` (by a process that may have died), once
        confirmed: the change is then journaled as applied. None when the chain does not have it (never mined,
        or lost with a node's latest blocks); awaited while it is pending."""
        change = self.journal.status_change_by_transaction(tx_hash)
        if change is None:
            return None
        hashes = self.journal.status_change_transactions(change.id)  # the first and every replacement
        deadline = time.monotonic() + timeout
        while (found := self._receipt(hashes)) is None:
            if time.monotonic() > deadline or not any(self.chain.known(h) for h in hashes):
                return None
            time.sleep(0.05)
        mined, receipt = found
        if int(receipt["status"]) != 1:
            return None
        number = int(receipt["blockNumber"])
        block_hash = self.chain.block_hash(number)
        if not self.chain.confirmed(number, block_hash, deadline):
            return None
        self.journal.mark_status_applied(change.id, mined, number, block_hash)
        return Receipt(mined, number, block_hash or "", int(receipt["gasUsed"]))

    def _receipt(self, hashes: Sequence[str]) -> tuple[str, dict[str, Any]] | None:
        """The hash and receipt of whichever of `hashes` (one change's transactions) was mined."""
        for tx_hash in hashes:
            receipt = self.chain.receipt(tx_hash)
            if receipt is not None:
                return tx_hash, receipt
        return None

    def _send(
        self, change: StatusChangeRecord, signer: HurongClient, on_sent: Callable[[str], None] | None = None
    ) -> PendingTransaction:
        """Send the change; its hash is journaled (and handed to `on_sent`) before it is broadcast, so a retry
        after a crash always finds what the first attempt sent."""

        def signed(tx_hash: str) -> None:
            self.journal.mark_status_sent(change.id, tx_hash)
            if on_sent is not None:
                on_sent(tx_hash)

        try:
            return signer.certificates.change_status(
                change.action, change.agency, change.root, change.digest, change.proof, change.reason,
                successor=change.successor, on_signed=signed,
            )  # fmt: skip
        except ContractRevertError as exc:
            self.journal.mark_status_failed(change.id, str(exc))
            raise

    # ------------------------------------------------------------------ recovery

    def recheck(self, signer_for: SignerFor) -> list[int]:
        """Settle changes left sent by a crash, find applied changes the chain lost, and apply those again in
        their original order; return the ids applied again. Cheap when nothing changed: only changes above
        the last height found intact are read, while the block at that height keeps its hash."""
        with self._lock:
            self._settle_sent()
            head = self.chain.head()
            floor = 0
            if (
                self._checked is not None
                and self._checked[0] <= head
                and self.chain.block_hash(self._checked[0]) == self._checked[1]
            ):
                floor = self._checked[0]
            for change in self.journal.status_changes("applied", above=floor):
                if not self._mine(change):
                    continue
                if change.block_number is None or self.chain.block_hash(change.block_number) == change.block_hash:
                    continue
                receipt = self.chain.receipt(change.tx_hash) if change.tx_hash else None
                if receipt is not None:  # mined again in another block (a reorg)
                    block_hash = self.chain.block_hash(int(receipt["blockNumber"]))
                    self.journal.mark_status_applied(change.id, change.tx_hash, int(receipt["blockNumber"]), block_hash)
                elif change.tx_hash and self.chain.known(change.tx_hash):
                    continue  # back in the pool: it will be mined again, found on the next pass
                else:
                    self.journal.mark_status_lost(change.id)
            again = self._reapply_lost(signer_for)
            head_hash = self.chain.block_hash(head)
            if head_hash is not None:
                self._checked = (head, head_hash)
            return again

    def _reapply_lost(self, signer_for: SignerFor) -> list[int]:
        """Apply lost changes again, oldest first. A certificate's later changes wait while an earlier one is
        still being applied again (here or by another process), so that its changes keep their order."""
        again: list[int] = []
        waiting: set[tuple[str, bytes]] = set()
        for change in self.journal.status_changes("lost"):
            key = (change.agency, change.digest)
            if not self._mine(change) or key in waiting:
                continue
            if self.journal.reapplying(change.agency, change.digest, before=change.id):
                waiting.add(key)
                continue
            if self._reapply(change, signer_for):
                again.append(change.id)
            if self.journal.status_change(change.id).state != "applied":
                waiting.add(key)
        return again

    def _mine(self, change: StatusChangeRecord) -> bool:
        return change.chain_id == self.chain_id and change.registry == self.registry

    def _settle_sent(self) -> None:
        """Changes sent by a process that died before their receipt: applied if mined; else given up after
        `ABANDON_AFTER` (their clients were never answered and retry), or, when the chain had confirmed them
        once, lost after `RETRY_AFTER` and so applied again."""
        now = time.time()
        for state in ("prepared", "sent"):
            for change in self.journal.status_changes(state):
                if not self._mine(change):
                    continue
                hashes = self.journal.status_change_transactions(change.id) if change.tx_hash else []
                found = self._receipt(hashes)
                if found is not None and int(found[1]["status"]) == 1:
                    number = int(found[1]["blockNumber"])
                    self.journal.mark_status_applied(change.id, found[0], number, self.chain.block_hash(number))
                elif found is not None:
                    self.journal.mark_status_failed(change.id, f"transaction {found[0]} reverted")
                elif any(self.chain.known(h) for h in hashes):
                    continue
                elif change.acknowledged and now - change.updated_at > RETRY_AFTER:
                    self.journal.mark_status_lost(change.id)
                elif now - change.updated_at > ABANDON_AFTER:
                    self.journal.mark_status_failed(change.id, "abandoned: never mined")

    def _reapply(self, change: StatusChangeRecord, signer_for: SignerFor) -> bool:
        if not self.journal.claim_lost_status_change(change.id):
            return False  # another process is applying it
        digest = "0x" + change.digest.hex()
        if not self.client.certificates.is_anchored(change.agency, change.root):
            self.journal.mark_status_lost(change.id)  # its batch is lost too: applied once it is anchored again
            return False
        if self._current(change.agency, digest) == TARGET[change.action]:
            self.journal.mark_status_applied(change.id, None, None, None)
            return False
        try:
            self._apply(change, signer_for(change.signer))
        except ContractRevertError as exc:
            if self._current(change.agency, digest) == TARGET[change.action]:
                self.journal.mark_status_applied(change.id, None, None, None)
                return False
            if exc.error_name == "CertificateRegistryUnknownRoot":
                self.journal.mark_status_lost(change.id)  # lost with its batch meanwhile: tried again later
                return False
            log.warning(
                "status change %d (%s of %s) cannot be applied again: %s", change.id, change.action, digest, exc
            )
            return False
        except Exception:
            self.journal.mark_status_lost(change.id)  # tried again on the next pass
            raise
        log.warning(
            "status change %d (%s of %s) was lost by the chain: applied again", change.id, change.action, digest
        )
        return True

    def _current(self, agency: str, digest: str) -> str:
        return self.client.certificates.status_of(agency, digest).status.name.lower()
