"""The client of the `CertificateRegistry` contract: anchoring of Merkle roots and per-certificate status.

`CertificateRegistryClient` anchors batches, changes a certificate's status (revoke, suspend, reinstate,
supersede; one, several with a multi-proof, or a whole batch), checks and encodes the arguments of the
consortium-only revocations that `HurongClient.propose_revocation` and its siblings propose, and reads batches
and statuses (`_status` turns a raw status tuple into a `StatusRecord`), and publishes the hashes of the agency's
W3C Bitstring Status Lists (`publish_status_list`, read back with `status_list_hash`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eth_utils import to_checksum_address
from web3.types import BlockIdentifier

from ledger.chain.base import STATUS_ACTIONS, ZERO32, Bytes32, _ContractClient, _proof, _uint, checksum
from ledger.chain.codes import encode_manifest, parse_bytes32
from ledger.chain.models import Batch, CertificateStatus, StatusRecord
from ledger.chain.transactions import PendingTransaction
from ledger.errors import LedgerValueError


class CertificateRegistryClient(_ContractClient):
    """Anchoring of Merkle roots and per-certificate status (both keyed by the issuing agency)."""

    name = "CertificateRegistry"

    def anchor(
        self, root: Bytes32, count: int, manifest_cid: str = "", *, gas: int | None = None
    ) -> PendingTransaction:
        """Anchor a root as the client's own agency account. `manifest_cid` is the manifest's textual CIDv1
        (base32, `b…`; `raw` or `dag-pb`, sha2-256) or `""`; it goes on chain as the CID's 32-byte digest, zero for
        none (`encode_manifest`)."""
        args = (parse_bytes32(root, what="root"), _uint(count, 32, "count"), encode_manifest(manifest_cid))
        return self._send("anchor", *args, gas=gas)

    def suspend(
        self, agency: str, root: Bytes32, digest: Bytes32, proof: Sequence[Bytes32], reason: int
    ) -> PendingTransaction:
        return self.change_status("suspend", agency, root, digest, proof, reason)

    def reinstate(
        self, agency: str, root: Bytes32, digest: Bytes32, proof: Sequence[Bytes32], reason: int
    ) -> PendingTransaction:
        return self.change_status("reinstate", agency, root, digest, proof, reason)

    def revoke(
        self, agency: str, root: Bytes32, digest: Bytes32, proof: Sequence[Bytes32], reason: int
    ) -> PendingTransaction:
        return self.change_status("revoke", agency, root, digest, proof, reason)

    def supersede(
        self,
        agency: str,
        root: Bytes32,
        digest: Bytes32,
        proof: Sequence[Bytes32],
        successor: Bytes32,
        reason: int,
    ) -> PendingTransaction:
        return self.change_status("supersede", agency, root, digest, proof, reason, successor=successor)

    def change_status(
        self,
        action: str,
        agency: str,
        root: Bytes32,
        digest: Bytes32,
        proof: Sequence[Bytes32],
        reason: int,
        *,
        successor: Bytes32 | None = None,
        on_signed: Callable[[str], None] | None = None,
    ) -> PendingTransaction:
        """Revoke, suspend, reinstate or supersede (with `successor`) one certificate of `agency`'s batch `root`.
        `on_signed(tx_hash)` runs before the transaction is broadcast (see `Transactor.send`)."""
        if action not in STATUS_ACTIONS:
            raise LedgerValueError(f"unknown status change {action!r}; expected one of {', '.join(STATUS_ACTIONS)}")
        if (action == "supersede") != (successor is not None):
            raise LedgerValueError("supersede, and only supersede, takes a successor")
        args: tuple[Any, ...] = self._status_args(agency, root, digest, proof)
        if successor is not None:
            args = (*args, parse_bytes32(successor, what="successor"))
        if self._tx is None:
            raise LedgerValueError("this client has no account: create it with a private key to send transactions")
        data = self.encode(action, *args, _uint(reason, 16, "reason"))
        return self._tx.send(self.address, data, on_signed=on_signed)

    def revoke_multiple(
        self,
        agency: str,
        root: Bytes32,
        digests: Sequence[Bytes32],
        proof: Sequence[Bytes32],
        proof_flags: Sequence[bool],
        reason: int,
    ) -> PendingTransaction:
        return self._send(
            "revokeMultiple",
            checksum(agency, what="agency"),
            parse_bytes32(root, what="root"),
            [parse_bytes32(d, what="digest") for d in digests],
            _proof(proof),
            [bool(f) for f in proof_flags],
            _uint(reason, 16, "reason"),
        )

    def revoke_batch(self, agency: str, root: Bytes32, reason: int) -> PendingTransaction:
        args = (checksum(agency, what="agency"), parse_bytes32(root, what="root"), _uint(reason, 16, "reason"))
        return self._send("revokeBatch", *args)

    def publish_status_list(
        self, list_id: Bytes32, list_hash: Bytes32, *, gas: int | None = None
    ) -> PendingTransaction:
        """Record `list_hash` (SHA-256 of the list credential's RFC 8785 form) as the latest hash of the client's
        agency's status list `list_id` (`ledger.certificates.status_list.list_id`). Both are non-zero."""
        args = (parse_bytes32(list_id, what="list id"), parse_bytes32(list_hash, what="list hash"))
        if ZERO32 in args:
            raise LedgerValueError("a status list's id and hash are non-zero")
        return self._send("publishStatusList", *args, gas=gas)

    # --- consortium-only (reach them through HurongClient.propose_revocation and its siblings) ---
    def consortium_revoke(
        self, agency: str, root: Bytes32, digest: Bytes32, proof: Sequence[Bytes32], reason: int
    ) -> PendingTransaction:
        return self._send("consortiumRevoke", *self.consortium_revoke_args(agency, root, digest, proof, reason))

    def consortium_revoke_multiple(
        self,
        agency: str,
        root: Bytes32,
        digests: Sequence[Bytes32],
        proof: Sequence[Bytes32],
        proof_flags: Sequence[bool],
        reason: int,
    ) -> PendingTransaction:
        args = self.consortium_revoke_multiple_args(agency, root, digests, proof, proof_flags, reason)
        return self._send("consortiumRevokeMultiple", *args)

    def consortium_revoke_batch(self, agency: str, root: Bytes32, reason: int) -> PendingTransaction:
        return self._send("consortiumRevokeBatch", *self.consortium_revoke_batch_args(agency, root, reason))

    def consortium_revoke_args(
        self, agency: str, root: Bytes32, digest: Bytes32, proof: Sequence[Bytes32], reason: int
    ) -> tuple[Any, ...]:
        """Checked arguments of `consortiumRevoke`."""
        return (*self._status_args(agency, root, digest, proof), _uint(reason, 16, "reason"))

    def consortium_revoke_multiple_args(
        self,
        agency: str,
        root: Bytes32,
        digests: Sequence[Bytes32],
        proof: Sequence[Bytes32],
        proof_flags: Sequence[bool],
        reason: int,
    ) -> tuple[Any, ...]:
        """Checked arguments of `consortiumRevokeMultiple` (and of `revokeMultiple`)."""
        if isinstance(digests, (str, bytes)) or not digests:
            raise LedgerValueError("digests must be a non-empty list of 32-byte digests")
        if isinstance(proof_flags, (str, bytes)):
            raise LedgerValueError("proof flags must be a list of booleans")
        return (
            checksum(agency, what="agency"),
            parse_bytes32(root, what="root"),
            [parse_bytes32(d, what="digest") for d in digests],
            _proof(proof),
            [bool(f) for f in proof_flags],
            _uint(reason, 16, "reason"),
        )

    def consortium_revoke_batch_args(self, agency: str, root: Bytes32, reason: int) -> tuple[Any, ...]:
        """Checked arguments of `consortiumRevokeBatch`."""
        return (checksum(agency, what="agency"), parse_bytes32(root, what="root"), _uint(reason, 16, "reason"))

    @staticmethod
    def _status_args(
        agency: str, root: Bytes32, digest: Bytes32, proof: Sequence[Bytes32]
    ) -> tuple[str, bytes, bytes, list[bytes]]:
        return (
            checksum(agency, what="agency"),
            parse_bytes32(root, what="root"),
            parse_bytes32(digest, what="digest"),
            _proof(proof),
        )

    # --- views ---
    def authority_registry(self, *, block_identifier: BlockIdentifier = "latest") -> str:
        return to_checksum_address(self._call("authorityRegistry", block_identifier=block_identifier))

    def consortium(self, *, block_identifier: BlockIdentifier = "latest") -> str:
        """The consortium whose executed proposals revoke by vote: the `by` of the events of those revocations."""
        return to_checksum_address(self._call("consortium", block_identifier=block_identifier))

    def batch(self, agency: str, root: Bytes32, *, block_identifier: BlockIdentifier = "latest") -> Batch:
        a, r = checksum(agency, what="agency"), parse_bytes32(root, what="root")
        raw = self._call("batch", a, r, block_identifier=block_identifier)
        return Batch(
            agency=a,
            root=r,
            anchored_at=int(raw[0]),
            count=int(raw[1]),
            revoked_at=int(raw[2]) or None,
            revoke_reason=int(raw[3]),
        )

    def is_anchored(self, agency: str, root: Bytes32, *, block_identifier: BlockIdentifier = "latest") -> bool:
        args = (checksum(agency, what="agency"), parse_bytes32(root, what="root"))
        return bool(self._call("isAnchored", *args, block_identifier=block_identifier))

    def status_of(self, agency: str, digest: Bytes32, *, block_identifier: BlockIdentifier = "latest") -> StatusRecord:
        args = (checksum(agency, what="agency"), parse_bytes32(digest, what="digest"))
        return _status(self._call("statusOf", *args, block_identifier=block_identifier))

    def certificate_status(
        self, agency: str, root: Bytes32, digest: Bytes32, *, block_identifier: BlockIdentifier = "latest"
    ) -> StatusRecord:
        args = (checksum(agency, what="agency"), parse_bytes32(root, what="root"), parse_bytes32(digest, what="digest"))
        return _status(self._call("certificateStatus", *args, block_identifier=block_identifier))

    def verify_inclusion(
        self, root: Bytes32, digest: Bytes32, proof: Sequence[Bytes32], *, block_identifier: BlockIdentifier = "latest"
    ) -> bool:
        args = (parse_bytes32(root, what="root"), parse_bytes32(digest, what="digest"), _proof(proof))
        return bool(self._call("verifyInclusion", *args, block_identifier=block_identifier))

    def leaf_of(self, digest: Bytes32, *, block_identifier: BlockIdentifier = "latest") -> bytes:
        return bytes(self._call("leafOf", parse_bytes32(digest, what="digest"), block_identifier=block_identifier))

    def status_list_hash(
        self, agency: str, list_id: Bytes32, *, block_identifier: BlockIdentifier = "latest"
    ) -> bytes | None:
        """The hash `agency` last published for its status list `list_id` as of `block_identifier`; None if none."""
        args = (checksum(agency, what="agency"), parse_bytes32(list_id, what="list id"))
        raw = bytes(self._call("statusListHash", *args, block_identifier=block_identifier))
        return None if raw == ZERO32 else raw


def _status(raw: Sequence[Any]) -> StatusRecord:
    successor = bytes(raw[3])
    return StatusRecord(
        status=CertificateStatus(raw[0]),
        reason=int(raw[1]),
        updated_at=int(raw[2]),
        successor=None if successor == ZERO32 else successor,
    )
