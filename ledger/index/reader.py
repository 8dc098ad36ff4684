"""`IndexReader`: the verifier's reader answered from the index at its last indexed block."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ledger.chain.client import HurongClient
from ledger.chain.models import Agency, Batch, CertificateStatus, Province, SigningKey, StatusRecord
from ledger.errors import IndexerError
from ledger.verification.reader import STATUS_CACHE_AGENCIES, VALID_RECORD, ChainReader, LruDict, memoised

if TYPE_CHECKING:
    from ledger.index.indexer import Indexer


class IndexReader:
    """The verifier's reader (`ledger.verification.Reader`) at the index's last indexed block: a drop-in for
    `ChainReader` that composes one (at the same block) instead of extending it.

    From the index, as it stood at the indexed block (even while the indexer moves on): `batch` (memoised,
    bounded like a `ChainReader`'s reads), `status` and `prefetch_statuses`. From the chain at the same block,
    through the indexer's shared, memoised `ChainReader` (`chain`): `agency`, `can_issue_at`, `signing_key`,
    `accepts`, `province` and `timestamp`, which depend on timestamped histories kept by the contracts.
    `block_number` and `block_hash` are the index's position; creating a reader reads nothing from the chain.
    """

    def __init__(self, indexer: Indexer, client: HurongClient | None = None) -> None:
        self.indexer = indexer
        self.client = client or indexer.client
        block, block_hash = indexer.position()
        if block_hash is None or block < self.client.deployment.block_number:
            raise IndexerError("nothing is indexed yet: sync the index first")
        self.block_number = block
        self.block_hash = block_hash
        self._timestamp = -1
        self.chain_id = self.client.deployment.chain_id
        self.registry = self.client.certificates.address
        self._statuses: LruDict[str, dict[bytes, StatusRecord]] = LruDict(STATUS_CACHE_AGENCIES)
        n = self.block_number
        self.batch: Callable[[str, bytes], Batch] = memoised(lambda a, r: indexer.batch(a, r, at_block=n))
        #: A certificate's own status at this block, which no later event changes (memoised like `batch`).
        self._status_at: Callable[[str, bytes], StatusRecord] = memoised(lambda a, d: indexer.status(a, d, at_block=n))

    @property
    def chain(self) -> ChainReader:
        """The indexer's shared `ChainReader` at this reader's block (`IndexerError` if that block changed on the
        chain since it was indexed)."""
        return self.indexer.chain_reader(self.block_number, self.block_hash)

    # ------------------------------------------------------------------ read from the chain

    @property
    def timestamp(self) -> int:
        """The time of the indexed block (read from the chain once, when first asked)."""
        if self._timestamp < 0:
            self._timestamp = self.chain.timestamp
        return self._timestamp

    def agency(self, account: str) -> Agency | None:
        return self.chain.agency(account)

    def can_issue_at(self, agency: str, certificate_type: str, when: int) -> bool:
        return self.chain.can_issue_at(agency, certificate_type, when)

    def signing_key(self, key_id: bytes) -> SigningKey | None:
        return self.chain.signing_key(key_id)

    def accepts(
        self, accepting: int, issuing: int, certificate_type: str, service_item: str | None, when: int
    ) -> tuple[bool, int | None]:
        return self.chain.accepts(accepting, issuing, certificate_type, service_item, when)

    def province(self, code: int) -> Province | None:
        return self.chain.province(code)

    # ------------------------------------------------------------------ read from the index

    def status(self, agency: str, root: bytes, digest: bytes, batch: Batch) -> StatusRecord:
        """The status of `digest` among `agency`'s certificates; a revoked batch revokes it (as on chain)."""
        own = self._status_of(agency, digest)
        if batch.revoked_at is not None and own.status != CertificateStatus.REVOKED:
            return StatusRecord(CertificateStatus.REVOKED, batch.revoke_reason, batch.revoked_at, None)
        return own

    def _status_of(self, agency: str, digest: bytes) -> StatusRecord:
        statuses = self._statuses.get(agency)
        if statuses is not None:
            return statuses.get(digest, VALID_RECORD)
        return self._status_at(agency, digest)

    def prefetch_statuses(self, agency: str) -> None:
        """Load every changed status of `agency`'s certificates at this block in one query."""
        if agency not in self._statuses:
            self._statuses[agency] = self.indexer.statuses(agency, at_block=self.block_number)

    def memos(self) -> dict[str, Any]:
        """The memoised reads of this reader and of the shared chain reader it delegates to, and the status map."""
        shared = self.chain.memos()
        return {
            **{f"chain.{k}": v for k, v in shared.items()},
            "batch": self.batch,
            "status": self._status_at,
            "statuses": self._statuses,
        }
