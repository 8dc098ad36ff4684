"""A typed client over web3.py for Hurong's four contracts.

One method per contract function. Views take `block_identifier` (default `"latest"`) and return frozen
dataclasses from `ledger.chain.models`; mutating functions sign locally and return a `PendingTransaction` at once
(`.wait()` gives the `Receipt`), so many can be in flight. Every custom-error revert, whether found when
estimating gas or after mining, is raised as its own class from `ledger.chain.contract_errors`.

    client = HurongClient.connect("http://127.0.0.1:8545", deployment, private_key=key)
    client.certificates.anchor(root, 1000, "bafy...").wait()

Functions only the consortium may call (governance-only functions of `Consortium`, the `consortiumRevoke*`
functions of `CertificateRegistry`) are reached through a proposal: `HurongClient.propose_revocation` and its
siblings encode the call, check it as the consortium would make it, and propose it.

The per-contract clients live in their own modules (`ledger.chain.consortium`, `ledger.chain.authorities`,
`ledger.chain.registry`, `ledger.chain.recognition`) over `ledger.chain.base`; they, and the helpers of
`ledger.chain.base` (`make_web3`, `chain_id_of`, `checksum`, `STATUS_ACTIONS`, ...), are importable from here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from web3 import Web3

from ledger.chain.authorities import AuthorityRegistryClient as AuthorityRegistryClient
from ledger.chain.base import CACHEABLE_REQUESTS as CACHEABLE_REQUESTS
from ledger.chain.base import STATUS_ACTIONS as STATUS_ACTIONS
from ledger.chain.base import ZERO32 as ZERO32
from ledger.chain.base import ZERO_ADDRESS as ZERO_ADDRESS
from ledger.chain.base import Bytes32 as Bytes32
from ledger.chain.base import _Connection
from ledger.chain.base import chain_id_of as chain_id_of
from ledger.chain.base import checksum as checksum
from ledger.chain.base import make_web3 as make_web3
from ledger.chain.consortium import ConsortiumClient as ConsortiumClient
from ledger.chain.deployment import Deployment
from ledger.chain.recognition import RecognitionRegistryClient as RecognitionRegistryClient
from ledger.chain.registry import CertificateRegistryClient as CertificateRegistryClient
from ledger.chain.transactions import PendingTransaction
from ledger.errors import LedgerValueError


class HurongClient:
    """Entry point: the four contract clients of one deployment, acting as one account (or read-only)."""

    def __init__(self, connection: _Connection, private_key: str | bytes | None = None) -> None:
        self._conn = connection
        self.w3 = connection.w3
        self.deployment = connection.deployment
        self.transactor = connection.transactor(private_key) if private_key is not None else None
        self.consortium = ConsortiumClient(connection, self.transactor)
        self.authorities = AuthorityRegistryClient(connection, self.transactor)
        self.certificates = CertificateRegistryClient(connection, self.transactor)
        self.recognition = RecognitionRegistryClient(connection, self.transactor)

    @classmethod
    def connect(
        cls, url_or_web3: str | Web3, deployment: Deployment, private_key: str | bytes | None = None
    ) -> HurongClient:
        w3 = make_web3(url_or_web3) if isinstance(url_or_web3, str) else url_or_web3
        chain_id = chain_id_of(w3)
        if chain_id != deployment.chain_id:
            raise LedgerValueError(f"deployment is for chain {deployment.chain_id}, the endpoint is chain {chain_id}")
        return cls(_Connection(w3, deployment), private_key)

    @property
    def address(self) -> str | None:
        """The account this client sends from, if any."""
        return self.transactor.address if self.transactor else None

    def as_account(self, private_key: str | bytes) -> HurongClient:
        """A client of the same deployment acting as another account (sharing nonces per account)."""
        return HurongClient(self._conn, private_key)

    def head(self) -> tuple[int, str]:
        """Number and hash of the latest block."""
        block = self.w3.eth.get_block("latest")
        return int(block["number"]), block["hash"].to_0x_hex()

    def wait_all(self, pending: Iterable[PendingTransaction], timeout: float = 120.0) -> list[Any]:
        """Wait for every transaction; returns their receipts in order (raising the first failure)."""
        return [p.wait(timeout) for p in pending]

    # --- revocation by consortium vote ---
    def propose_revocation(
        self,
        agency: str,
        root: Bytes32,
        digest: Bytes32,
        proof: Sequence[Bytes32],
        reason: int,
        *,
        expires_at: int,
        description: str,
        check: bool = True,
    ) -> PendingTransaction:
        """Propose that the consortium revoke a certificate of an agency whose province can no longer act for it.

        The proposal calls `CertificateRegistry.consortiumRevoke`; once enough provinces vote for it, any active
        admin executes it (`consortium.vote`, `consortium.execute`). With `check` (the default) the call is first
        run as the consortium would make it, and its refusal raised (for example
        `CertificateRegistryIssuerInGoodStanding` while the province still acts for the agency) before anything
        is sent. The proposal id is in the receipt's `ProposalCreated` event.
        """
        args = self.certificates.consortium_revoke_args(agency, root, digest, proof, reason)
        return self._propose_certificates_call("consortiumRevoke", args, expires_at, description, check)

    def propose_multiple_revocation(
        self,
        agency: str,
        root: Bytes32,
        digests: Sequence[Bytes32],
        proof: Sequence[Bytes32],
        proof_flags: Sequence[bool],
        reason: int,
        *,
        expires_at: int,
        description: str,
        check: bool = True,
    ) -> PendingTransaction:
        """As `propose_revocation`, for several certificates of one batch with a multi-proof
        (`CertificateRegistry.consortiumRevokeMultiple`)."""
        args = self.certificates.consortium_revoke_multiple_args(agency, root, digests, proof, proof_flags, reason)
        return self._propose_certificates_call("consortiumRevokeMultiple", args, expires_at, description, check)

    def propose_batch_revocation(
        self,
        agency: str,
        root: Bytes32,
        reason: int,
        *,
        expires_at: int,
        description: str,
        check: bool = True,
    ) -> PendingTransaction:
        """As `propose_revocation`, for a whole batch (`CertificateRegistry.consortiumRevokeBatch`)."""
        args = self.certificates.consortium_revoke_batch_args(agency, root, reason)
        return self._propose_certificates_call("consortiumRevokeBatch", args, expires_at, description, check)

    def _propose_certificates_call(
        self, fn: str, args: tuple[Any, ...], expires_at: int, description: str, check: bool
    ) -> PendingTransaction:
        if not isinstance(description, str) or len(description.encode()) > 4096:
            raise LedgerValueError("a proposal's description must be a string of at most 4096 bytes")
        if check:
            self.certificates.simulate(self.consortium.address, fn, *args)
        data = self.certificates.encode(fn, *args)
        return self.consortium.propose(self.certificates.address, data, expires_at, description)
