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
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from eth_typing import ChecksumAddress, HexAddress, HexStr
from eth_utils import is_address, to_checksum_address
from web3 import HTTPProvider, Web3
from web3.exceptions import ContractLogicError, Web3RPCError
from web3.types import BlockIdentifier, RPCEndpoint

from ledger.chain.codes import decode_code, encode_code, encode_optional_code, parse_bytes32, province_code
from ledger.chain.deployment import Deployment
from ledger.chain.models import (
    Agency,
    AgencyStatus,
    Batch,
    CertificateStatus,
    KeyAlgorithm,
    Proposal,
    ProposalState,
    Province,
    ProvinceStatus,
    RecognitionRule,
    SigningKey,
    StatusRecord,
)
from ledger.chain.reverts import as_ledger_error
from ledger.chain.transactions import EventDecoder, PendingTransaction, Transactor
from ledger.errors import ChainError, LedgerValueError
from ledger.keys.signing import (
    ProofOfPossessionError,
    SigningKeyPair,
    sign_proof_of_possession,
    verify_proof_of_possession,
)
from ledger.toolchain.compiler import CONTRACT_NAMES, load_artifact

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ZERO32 = b"\0" * 32
Bytes32 = str | bytes


#: The only requests web3's response cache keeps: constants of the node. Blocks, receipts and transactions are
#: memoised by the readers that need them (`ledger.verification`, `ledger.index`) with their own bounds; web3's
#: cache would otherwise keep a thousand decoded blocks and receipts per process.
CACHEABLE_REQUESTS = {RPCEndpoint("eth_chainId"), RPCEndpoint("net_version"), RPCEndpoint("web3_clientVersion")}


#: The status changes a certificate's agency (or its province's admin) can make.
STATUS_ACTIONS = ("revoke", "suspend", "reinstate", "supersede")


def make_web3(url: str, *, timeout: float = 60.0) -> Web3:
    """A web3 instance over HTTP that caches the node's constants (chain id and the like)."""
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise LedgerValueError(f"RPC URL must start with http:// or https://, got {url!r}")
    provider = HTTPProvider(
        url, cache_allowed_requests=True, cacheable_requests=CACHEABLE_REQUESTS, request_kwargs={"timeout": timeout}
    )
    return Web3(provider)


def chain_id_of(w3: Web3) -> int:
    """The chain id the endpoint answers; `ChainError` naming the endpoint when it cannot be reached."""
    try:
        return int(w3.eth.chain_id)
    except Exception as exc:  # noqa: BLE001 (any transport failure)
        endpoint = getattr(w3.provider, "endpoint_uri", "the endpoint")
        raise ChainError(f"cannot reach the chain at {endpoint}: {exc}") from None


def checksum(value: str, *, what: str = "address") -> str:
    """A checksummed address; `LedgerValueError` for anything else."""
    if not isinstance(value, str) or not is_address(value):
        raise LedgerValueError(f"invalid {what}: {value!r}")
    return to_checksum_address(value)


def _uint(value: int, bits: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**bits:
        raise LedgerValueError(f"{what} must be an integer in [0, 2^{bits}), got {value!r}")
    return value


def _proof(proof: Sequence[Bytes32]) -> list[bytes]:
    if isinstance(proof, (str, bytes)):
        raise LedgerValueError("proof must be a list of 32-byte hashes")
    return [parse_bytes32(p, what="proof element") for p in proof]


def _opt_address(value: str) -> str | None:
    return None if int(value, 16) == 0 else to_checksum_address(value)


class _Connection:
    """What clients for different accounts share: web3, contracts, event decoder, transactors."""

    def __init__(self, w3: Web3, deployment: Deployment) -> None:
        self.w3 = w3
        self.deployment = deployment
        self.decoder = EventDecoder()
        self.contracts: dict[str, Any] = {}
        for name in CONTRACT_NAMES:
            contract = w3.eth.contract(
                address=ChecksumAddress(HexAddress(HexStr(deployment.address(name)))), abi=load_artifact(name).abi
            )
            self.contracts[name] = contract
            self.decoder.register(contract)
        self._transactors: dict[str, Transactor] = {}
        self._lock = threading.Lock()

    def transactor(self, private_key: str | bytes) -> Transactor:
        candidate = Transactor(self.w3, private_key, decoder=self.decoder)
        with self._lock:
            return self._transactors.setdefault(candidate.address, candidate)


class _ContractClient:
    name: str = ""

    def __init__(self, connection: _Connection, transactor: Transactor | None) -> None:
        self._conn = connection
        self._tx = transactor
        self.contract = connection.contracts[self.name]
        self.address: str = self.contract.address

    def _call(self, fn: str, *args: Any, block_identifier: BlockIdentifier = "latest") -> Any:
        try:
            return self.contract.functions[fn](*args).call(block_identifier=block_identifier)
        except (ContractLogicError, Web3RPCError) as exc:
            raise as_ledger_error(exc) from None

    def encode(self, fn: str, *args: Any) -> str:
        """ABI-encoded call data of `fn(*args)` (for proposals and raw transactions)."""
        return str(self.contract.encode_abi(fn, args=list(args)))

    def simulate(self, sender: str, fn: str, *args: Any) -> None:
        """Run `fn(*args)` as `sender` at the latest block without sending it; raise what it would revert with."""
        try:
            self.contract.functions[fn](*args).call({"from": sender}, block_identifier="latest")
        except (ContractLogicError, Web3RPCError) as exc:
            raise as_ledger_error(exc) from None

    def _send(self, fn: str, *args: Any, gas: int | None = None) -> PendingTransaction:
        if self._tx is None:
            raise LedgerValueError("this client has no account: create it with a private key to send transactions")
        return self._tx.send(self.address, self.encode(fn, *args), gas=gas)


class ConsortiumClient(_ContractClient):
    """Provinces, admins and the consortium's m-of-n governance."""

    name = "Consortium"

    # --- governance-only (send them through propose/vote/execute; encode with `encode`) ---
    def admit_province(self, code: int, name: str, admins: Sequence[str]) -> PendingTransaction:
        return self._send("admitProvince", province_code(code), name, [checksum(a) for a in admins])

    def suspend_province(self, code: int) -> PendingTransaction:
        return self._send("suspendProvince", province_code(code))

    def reinstate_province(self, code: int) -> PendingTransaction:
        return self._send("reinstateProvince", province_code(code))

    def remove_province(self, code: int) -> PendingTransaction:
        return self._send("removeProvince", province_code(code))

    def set_threshold(self, threshold: int) -> PendingTransaction:
        return self._send("setThreshold", _uint(threshold, 256, "threshold"))

    # --- province self-administration ---
    def add_province_admin(self, code: int, account: str) -> PendingTransaction:
        return self._send("addProvinceAdmin", province_code(code), checksum(account))

    def remove_province_admin(self, code: int, account: str) -> PendingTransaction:
        return self._send("removeProvinceAdmin", province_code(code), checksum(account))

    # --- proposals ---
    def propose(self, target: str, data: str | bytes, expires_at: int, description: str) -> PendingTransaction:
        payload: object = data
        if isinstance(data, str):
            payload = bytes.fromhex(data[2:]) if re.fullmatch(r"0x(?:[0-9a-fA-F]{2})*", data) else None
        if not isinstance(payload, bytes):
            raise LedgerValueError("proposal data must be bytes or 0x-prefixed hex")
        return self._send("propose", checksum(target), payload, _uint(expires_at, 48, "expires_at"), description)

    def vote(self, proposal_id: int) -> PendingTransaction:
        return self._send("vote", _uint(proposal_id, 256, "proposal id"))

    def execute(self, proposal_id: int) -> PendingTransaction:
        return self._send("execute", _uint(proposal_id, 256, "proposal id"))

    def cancel(self, proposal_id: int) -> PendingTransaction:
        return self._send("cancel", _uint(proposal_id, 256, "proposal id"))

    # --- views ---
    def threshold(self, *, block_identifier: BlockIdentifier = "latest") -> int:
        """Votes needed now: the configured threshold, or the number of active provinces if lower."""
        return int(self._call("threshold", block_identifier=block_identifier))

    def configured_threshold(self, *, block_identifier: BlockIdentifier = "latest") -> int:
        return int(self._call("configuredThreshold", block_identifier=block_identifier))

    def active_province_count(self, *, block_identifier: BlockIdentifier = "latest") -> int:
        return int(self._call("activeProvinceCount", block_identifier=block_identifier))

    def province_codes(self, *, block_identifier: BlockIdentifier = "latest") -> list[int]:
        return [int(c) for c in self._call("provinceCodes", block_identifier=block_identifier)]

    def province(self, code: int, *, block_identifier: BlockIdentifier = "latest") -> Province:
        raw = self._call("province", province_code(code), block_identifier=block_identifier)
        return Province(
            code=int(raw[0]),
            status=ProvinceStatus(raw[1]),
            status_since=int(raw[2]),
            epoch=int(raw[3]),
            name=str(raw[4]),
            admins=tuple(to_checksum_address(a) for a in raw[5]),
        )

    def provinces(self, *, block_identifier: BlockIdentifier = "latest") -> list[Province]:
        codes = self.province_codes(block_identifier=block_identifier)
        return [self.province(c, block_identifier=block_identifier) for c in codes]

    def province_status(self, code: int, *, block_identifier: BlockIdentifier = "latest") -> ProvinceStatus:
        return ProvinceStatus(self._call("provinceStatus", province_code(code), block_identifier=block_identifier))

    def is_province_active(self, code: int, *, block_identifier: BlockIdentifier = "latest") -> bool:
        return bool(self._call("isProvinceActive", province_code(code), block_identifier=block_identifier))

    def was_province_active_at(
        self, code: int, timepoint: int, *, block_identifier: BlockIdentifier = "latest"
    ) -> bool:
        args = (province_code(code), _uint(timepoint, 48, "timepoint"))
        return bool(self._call("wasProvinceActiveAt", *args, block_identifier=block_identifier))

    def province_epoch(self, code: int, *, block_identifier: BlockIdentifier = "latest") -> tuple[int, bool]:
        """(membership epoch, active now) of a province."""
        raw = self._call("provinceEpoch", province_code(code), block_identifier=block_identifier)
        return int(raw[0]), bool(raw[1])

    def province_epoch_at(self, code: int, timepoint: int, *, block_identifier: BlockIdentifier = "latest") -> int:
        args = (province_code(code), _uint(timepoint, 48, "timepoint"))
        return int(self._call("provinceEpochAt", *args, block_identifier=block_identifier))

    def province_of_admin(self, account: str, *, block_identifier: BlockIdentifier = "latest") -> int | None:
        code = int(self._call("provinceOfAdmin", checksum(account), block_identifier=block_identifier))
        return code or None

    def is_province_admin(self, code: int, account: str, *, block_identifier: BlockIdentifier = "latest") -> bool:
        return bool(self._call("isProvinceAdmin", code, checksum(account), block_identifier=block_identifier))

    def proposal_count(self, *, block_identifier: BlockIdentifier = "latest") -> int:
        return int(self._call("proposalCount", block_identifier=block_identifier))

    def proposal(self, proposal_id: int, *, block_identifier: BlockIdentifier = "latest") -> Proposal:
        raw = self._call("proposal", _uint(proposal_id, 256, "proposal id"), block_identifier=block_identifier)
        return Proposal(
            id=proposal_id,
            proposer=int(raw[0]),
            state=ProposalState(raw[1]),
            created_at=int(raw[2]),
            expires_at=int(raw[3]),
            target=to_checksum_address(raw[4]),
            data=bytes(raw[5]),
            description=str(raw[6]),
            voters=tuple(int(v) for v in raw[7]),
        )

    def proposal_state(self, proposal_id: int, *, block_identifier: BlockIdentifier = "latest") -> ProposalState:
        return ProposalState(self._call("proposalState", proposal_id, block_identifier=block_identifier))

    def proposal_votes(self, proposal_id: int, *, block_identifier: BlockIdentifier = "latest") -> int:
        return int(self._call("proposalVotes", proposal_id, block_identifier=block_identifier))

    def has_voted(self, proposal_id: int, code: int, *, block_identifier: BlockIdentifier = "latest") -> bool:
        return bool(self._call("hasVoted", proposal_id, code, block_identifier=block_identifier))


class AuthorityRegistryClient(_ContractClient):
    """Issuing agencies, their grants of certificate types and their signing keys."""

    name = "AuthorityRegistry"

    def register_agency(
        self, agency: str, province: int, parent: str | None, region: int, name: str
    ) -> PendingTransaction:
        parent_address = checksum(parent, what="parent") if parent else ZERO_ADDRESS
        if checksum(agency, what="agency") == ZERO_ADDRESS:
            raise LedgerValueError("agency must not be the zero address")
        if not isinstance(name, str) or not name.strip() or len(name.encode()) > 256:
            raise LedgerValueError("agency name must be a non-empty string of at most 256 bytes")
        return self._send(
            "registerAgency",
            checksum(agency, what="agency"),
            province_code(province),
            parent_address,
            _uint(region, 32, "region"),
            name,
        )

    def suspend_agency(self, agency: str, reason: int = 0) -> PendingTransaction:
        return self._send("suspendAgency", checksum(agency, what="agency"), _uint(reason, 16, "reason"))

    def reinstate_agency(self, agency: str) -> PendingTransaction:
        return self._send("reinstateAgency", checksum(agency, what="agency"))

    def grant_certificate_type(self, agency: str, certificate_type: str) -> PendingTransaction:
        code = encode_code(certificate_type, what="certificate type")
        return self._send("grantCertificateType", checksum(agency, what="agency"), code)

    def revoke_certificate_type(self, agency: str, certificate_type: str) -> PendingTransaction:
        code = encode_code(certificate_type, what="certificate type")
        return self._send("revokeCertificateType", checksum(agency, what="agency"), code)

    def add_signing_key(
        self,
        agency: str,
        key: SigningKeyPair,
        valid_from: int = 0,
        valid_until: int = 0,
    ) -> PendingTransaction:
        """Register `key` for `agency`, with the proof of possession signed by `key` itself.

        The key's id is per agency (`key.key_id_for(agency)`). For a key whose private half is held elsewhere, use
        `add_signing_key_with_proof`.
        """
        if not isinstance(key, SigningKeyPair):
            raise LedgerValueError(
                "add_signing_key takes the SigningKeyPair to register (it signs the proof of possession); "
                "for a key held elsewhere use add_signing_key_with_proof"
            )
        account = checksum(agency, what="agency")
        proof = sign_proof_of_possession(key, chain_id=self._chain_id, registry=self.address, agency=account)
        return self.add_signing_key_with_proof(account, key.algorithm, key.public_key, proof, valid_from, valid_until)

    def add_signing_key_with_proof(
        self,
        agency: str,
        algorithm: KeyAlgorithm,
        public_key: bytes,
        proof: bytes,
        valid_from: int = 0,
        valid_until: int = 0,
    ) -> PendingTransaction:
        """Register a public key for `agency` with a proof of possession made by its holder.

        `proof` is the key's signature over `proof_of_possession_message` of this chain, this registry, the agency
        and the key's id for it (see `ledger.keys.signing.sign_proof_of_possession`). Raises `ProofOfPossessionError`,
        sending nothing, unless it verifies.
        """
        account = checksum(agency, what="agency")
        if not verify_proof_of_possession(
            algorithm, public_key, proof, chain_id=self._chain_id, registry=self.address, agency=account
        ):
            raise ProofOfPossessionError(
                f"the proof of possession is not a signature by this {KeyAlgorithm(algorithm).name} key over its "
                f"registration for {account} in registry {self.address} on chain {self._chain_id}"
            )
        return self._send(
            "addSigningKey",
            account,
            int(KeyAlgorithm(algorithm)),
            bytes(public_key),
            _uint(valid_from, 48, "valid_from"),
            _uint(valid_until, 48, "valid_until"),
            bytes(proof),
        )

    @property
    def _chain_id(self) -> int:
        return self._conn.deployment.chain_id

    def revoke_signing_key(self, key_id: Bytes32) -> PendingTransaction:
        return self._send("revokeSigningKey", parse_bytes32(key_id, what="key id"))

    # --- views ---
    def consortium(self, *, block_identifier: BlockIdentifier = "latest") -> str:
        return to_checksum_address(self._call("consortium", block_identifier=block_identifier))

    def max_depth(self, *, block_identifier: BlockIdentifier = "latest") -> int:
        return int(self._call("maxDepth", block_identifier=block_identifier))

    def max_children(self, *, block_identifier: BlockIdentifier = "latest") -> int:
        """Most direct children an agency may have."""
        return int(self._call("maxChildren", block_identifier=block_identifier))

    def agency(self, account: str, *, block_identifier: BlockIdentifier = "latest") -> Agency:
        raw = self._call("agency", checksum(account, what="agency"), block_identifier=block_identifier)
        return Agency(
            account=to_checksum_address(raw[0]),
            parent=_opt_address(raw[1]),
            province=int(raw[2]),
            region=int(raw[3]),
            depth=int(raw[4]),
            status=AgencyStatus(raw[5]),
            effectively_active=bool(raw[6]),
            name=str(raw[7]),
            children=tuple(to_checksum_address(c) for c in raw[8]),
            certificate_types=tuple(decode_code(t) or "" for t in raw[9]),
        )

    def agency_status(self, account: str, *, block_identifier: BlockIdentifier = "latest") -> AgencyStatus:
        return AgencyStatus(self._call("agencyStatus", checksum(account), block_identifier=block_identifier))

    def agency_province(self, account: str, *, block_identifier: BlockIdentifier = "latest") -> int | None:
        return int(self._call("agencyProvince", checksum(account), block_identifier=block_identifier)) or None

    def agency_count(self, *, block_identifier: BlockIdentifier = "latest") -> int:
        return int(self._call("agencyCount", block_identifier=block_identifier))

    def agency_at(self, index: int, *, block_identifier: BlockIdentifier = "latest") -> str:
        return to_checksum_address(self._call("agencyAt", index, block_identifier=block_identifier))

    def agencies(self, *, block_identifier: BlockIdentifier = "latest") -> list[Agency]:
        count = self.agency_count(block_identifier=block_identifier)
        return [
            self.agency(self.agency_at(i, block_identifier=block_identifier), block_identifier=block_identifier)
            for i in range(count)
        ]

    def is_active(self, account: str, *, block_identifier: BlockIdentifier = "latest") -> bool:
        return bool(self._call("isActive", checksum(account), block_identifier=block_identifier))

    def was_active_at(self, account: str, timepoint: int, *, block_identifier: BlockIdentifier = "latest") -> bool:
        args = (checksum(account), _uint(timepoint, 48, "timepoint"))
        return bool(self._call("wasActiveAt", *args, block_identifier=block_identifier))

    def is_granted(self, account: str, certificate_type: str, *, block_identifier: BlockIdentifier = "latest") -> bool:
        args = (checksum(account), encode_code(certificate_type, what="certificate type"))
        return bool(self._call("isGranted", *args, block_identifier=block_identifier))

    def was_granted_at(
        self, account: str, certificate_type: str, timepoint: int, *, block_identifier: BlockIdentifier = "latest"
    ) -> bool:
        args = (checksum(account), encode_code(certificate_type), _uint(timepoint, 48, "timepoint"))
        return bool(self._call("wasGrantedAt", *args, block_identifier=block_identifier))

    def can_issue_at(
        self, account: str, certificate_type: str, timepoint: int, *, block_identifier: BlockIdentifier = "latest"
    ) -> bool:
        args = (checksum(account), encode_code(certificate_type), _uint(timepoint, 48, "timepoint"))
        return bool(self._call("canIssueAt", *args, block_identifier=block_identifier))

    def is_ancestor(self, ancestor: str, account: str, *, block_identifier: BlockIdentifier = "latest") -> bool:
        args = (checksum(ancestor), checksum(account))
        return bool(self._call("isAncestor", *args, block_identifier=block_identifier))

    def signing_key(self, key_id: Bytes32, *, block_identifier: BlockIdentifier = "latest") -> SigningKey:
        kid = parse_bytes32(key_id, what="key id")
        raw = self._call("signingKey", kid, block_identifier=block_identifier)
        return SigningKey(
            key_id=kid,
            agency=to_checksum_address(raw[0]),
            algorithm=KeyAlgorithm(raw[1]),
            valid_from=int(raw[2]),
            valid_until=int(raw[3]),
            public_key=bytes(raw[4]),
        )

    def signing_keys_of(self, account: str, *, block_identifier: BlockIdentifier = "latest") -> list[bytes]:
        return [bytes(k) for k in self._call("signingKeysOf", checksum(account), block_identifier=block_identifier)]

    def signing_key_revoked_at(self, key_id: Bytes32, *, block_identifier: BlockIdentifier = "latest") -> int | None:
        """When the key was revoked, or `None` if it never was (a window that simply ended is not a revocation)."""
        kid = parse_bytes32(key_id, what="key id")
        return int(self._call("signingKeyRevokedAt", kid, block_identifier=block_identifier)) or None

    def key_id_of(
        self, account: str, algorithm: KeyAlgorithm, public_key: bytes, *, block_identifier: BlockIdentifier = "latest"
    ) -> bytes:
        """The id `public_key` gets when registered for `account` (as `ledger.keys.signing.compute_key_id`)."""
        args = (checksum(account), int(KeyAlgorithm(algorithm)), bytes(public_key))
        return bytes(self._call("keyIdOf", *args, block_identifier=block_identifier))

    def proof_of_possession_message(
        self, account: str, key_id: Bytes32, *, block_identifier: BlockIdentifier = "latest"
    ) -> bytes:
        """The message a proof of possession of `key_id` for `account` signs in this registry."""
        args = (checksum(account), parse_bytes32(key_id, what="key id"))
        return bytes(self._call("proofOfPossessionMessage", *args, block_identifier=block_identifier))

    def is_key_valid_at(
        self, account: str, key_id: Bytes32, timepoint: int, *, block_identifier: BlockIdentifier = "latest"
    ) -> bool:
        args = (checksum(account), parse_bytes32(key_id, what="key id"), _uint(timepoint, 48, "timepoint"))
        return bool(self._call("isKeyValidAt", *args, block_identifier=block_identifier))

    def can_manage_certificates_of(
        self, caller: str, account: str, *, block_identifier: BlockIdentifier = "latest"
    ) -> bool:
        args = (checksum(caller), checksum(account))
        return bool(self._call("canManageCertificatesOf", *args, block_identifier=block_identifier))

    def can_consortium_revoke_certificates_of(
        self, account: str, *, block_identifier: BlockIdentifier = "latest"
    ) -> bool:
        """Whether no one of the agency's province can act for it any more, so the consortium revokes by vote."""
        args = (checksum(account),)
        return bool(self._call("canConsortiumRevokeCertificatesOf", *args, block_identifier=block_identifier))


class CertificateRegistryClient(_ContractClient):
    """Anchoring of Merkle roots and per-certificate status (both keyed by the issuing agency)."""

    name = "CertificateRegistry"

    def anchor(
        self, root: Bytes32, count: int, manifest_cid: str = "", *, gas: int | None = None
    ) -> PendingTransaction:
        """Anchor a root as the client's own agency account."""
        if not isinstance(manifest_cid, str) or len(manifest_cid) > 256:
            raise LedgerValueError("manifest CID must be a string of at most 256 characters")
        args = (parse_bytes32(root, what="root"), _uint(count, 32, "count"), manifest_cid)
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
        args = self._status_args(agency, root, digest, proof)
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


def _status(raw: Sequence[Any]) -> StatusRecord:
    successor = bytes(raw[3])
    return StatusRecord(
        status=CertificateStatus(raw[0]),
        reason=int(raw[1]),
        updated_at=int(raw[2]),
        successor=None if successor == ZERO32 else successor,
    )


class RecognitionRegistryClient(_ContractClient):
    """Recognition rules of accepting provinces."""

    name = "RecognitionRegistry"

    def set_rule(
        self,
        accepting_province: int,
        issuing_province: int | None,
        certificate_type: str,
        service_item: str | None = None,
        effective_from: int = 0,
        effective_until: int = 0,
        legal_basis: str = "",
    ) -> PendingTransaction:
        if not isinstance(legal_basis, str) or len(legal_basis.encode()) > 1024:
            raise LedgerValueError("legal basis must be a string of at most 1024 bytes")
        return self._send(
            "setRule",
            province_code(accepting_province),
            province_code(issuing_province or 0, allow_zero=True),
            encode_code(certificate_type, what="certificate type"),
            encode_optional_code(service_item, what="service item"),
            _uint(effective_from, 48, "effective_from"),
            _uint(effective_until, 48, "effective_until"),
            legal_basis,
        )

    def revoke_rule(self, rule_id: int) -> PendingTransaction:
        return self._send("revokeRule", _uint(rule_id, 256, "rule id"))

    # --- views ---
    def consortium(self, *, block_identifier: BlockIdentifier = "latest") -> str:
        return to_checksum_address(self._call("consortium", block_identifier=block_identifier))

    def rule_count(self, *, block_identifier: BlockIdentifier = "latest") -> int:
        return int(self._call("ruleCount", block_identifier=block_identifier))

    def rule(self, rule_id: int, *, block_identifier: BlockIdentifier = "latest") -> RecognitionRule:
        raw = self._call("rule", _uint(rule_id, 256, "rule id"), block_identifier=block_identifier)
        return RecognitionRule(
            id=rule_id,
            accepting_province=int(raw[0]),
            issuing_province=int(raw[1]) or None,
            certificate_type=decode_code(raw[2]),
            service_item=decode_code(raw[3]),
            effective_from=int(raw[4]),
            effective_until=int(raw[5]),
            created_at=int(raw[6]),
            revoked_at=int(raw[7]) or None,
            legal_basis=str(raw[8]),
        )

    def rules(self, *, block_identifier: BlockIdentifier = "latest") -> list[RecognitionRule]:
        count = self.rule_count(block_identifier=block_identifier)
        return [self.rule(i, block_identifier=block_identifier) for i in range(1, count + 1)]

    def rules_of(self, accepting_province: int, *, block_identifier: BlockIdentifier = "latest") -> list[int]:
        raw = self._call("rulesOf", province_code(accepting_province), block_identifier=block_identifier)
        return [int(i) for i in raw]

    def max_rules_per_key(self, *, block_identifier: BlockIdentifier = "latest") -> int:
        """Most unrevoked rules one (accepting province, type, issuing province, service item) key may hold."""
        return int(self._call("maxRulesPerKey", block_identifier=block_identifier))

    def unrevoked_rules(
        self,
        accepting_province: int,
        certificate_type: str,
        issuing_province: int | None,
        service_item: str | None,
        *,
        block_identifier: BlockIdentifier = "latest",
    ) -> list[int]:
        """Ids of the unrevoked rules with exactly this key (`None` for any province or service item), in order."""
        raw = self._call(
            "unrevokedRules",
            province_code(accepting_province),
            encode_code(certificate_type, what="certificate type"),
            province_code(issuing_province or 0, allow_zero=True),
            encode_optional_code(service_item, what="service item"),
            block_identifier=block_identifier,
        )
        return [int(i) for i in raw]

    def is_in_force(self, rule_id: int, timepoint: int, *, block_identifier: BlockIdentifier = "latest") -> bool:
        args = (_uint(rule_id, 256, "rule id"), _uint(timepoint, 48, "timepoint"))
        return bool(self._call("isInForce", *args, block_identifier=block_identifier))

    def accepts(
        self,
        accepting_province: int,
        issuing_province: int,
        certificate_type: str,
        service_item: str | None,
        timepoint: int,
        *,
        block_identifier: BlockIdentifier = "latest",
    ) -> tuple[bool, int | None]:
        """Whether the accepting province recognised the certificate at `timepoint`, and by which rule."""
        raw = self._call(
            "accepts",
            province_code(accepting_province),
            province_code(issuing_province),
            encode_code(certificate_type, what="certificate type"),
            encode_optional_code(service_item, what="service item"),
            _uint(timepoint, 48, "timepoint"),
            block_identifier=block_identifier,
        )
        return bool(raw[0]), int(raw[1]) or None


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
