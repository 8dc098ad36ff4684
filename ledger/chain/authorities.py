"""The client of the `AuthorityRegistry` contract: issuing agencies, their grants of certificate types and their
signing keys.

`AuthorityRegistryClient` registers, suspends and reinstates agencies, grants and revokes certificate types,
registers signing keys with a proof of possession (checked here before anything is sent, see
`ledger.keys.possession`) and revokes them, and reads agencies, grants and keys.
"""

from __future__ import annotations

from eth_utils import to_checksum_address
from web3.types import BlockIdentifier

from ledger.chain.base import ZERO_ADDRESS, Bytes32, _ContractClient, _opt_address, _uint, checksum
from ledger.chain.codes import decode_code, encode_code, parse_bytes32, province_code
from ledger.chain.models import Agency, AgencyStatus, KeyAlgorithm, SigningKey
from ledger.chain.transactions import PendingTransaction
from ledger.errors import LedgerValueError, ProofOfPossessionError
from ledger.keys.pairs import SigningKeyPair
from ledger.keys.possession import sign_proof_of_possession, verify_proof_of_possession


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

    def province_active_epoch(self, code: int, *, block_identifier: BlockIdentifier = "latest") -> int:
        """The registry's mirror of a province: its membership epoch while active, 0 while it is not."""
        return int(self._call("provinceActiveEpoch", province_code(code), block_identifier=block_identifier))

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
