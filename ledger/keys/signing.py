"""Detached signing keys of issuing agencies: Ed25519 and SM2 key pairs, signatures, the proof's signature object,
proofs of possession, and the check of a registered key before anything is anchored.

A certificate's `proof.signature` signs the 32 bytes of `proof.merkleRoot` with a key the agency registered in
`AuthorityRegistry`. Key ids are per agency: `keyId = keccak256(agency || algorithm || publicKey)` (the 20-byte
address, the algorithm as one byte, the key; `compute_key_id`), so no agency can take another's id first.

- suite `default`: Ed25519 (RFC 8032, pure Ed25519); the key is the raw 32-byte public key and the signature
  the raw 64 bytes `R || S`;
- suite `sm`: SM2 with SM3 and the default signer id `1234567812345678` (GB/T 32918.2, the `Z` value included);
  the key is the 64-byte `x || y` (the contract also accepts the 65-byte `04 || x || y` and stores it without
  the prefix, so `keyId` is always computed over the 64 bytes) and the signature the DER
  `SEQUENCE { r INTEGER, s INTEGER }` of GB/T 35276, as GmSSL produces and verifies it.

The object is `{"algorithm": "Ed25519" | "SM2", "keyId": "0x" + 64 lowercase hex, "value": base64url}` with the
signature bytes in unpadded base64url (RFC 4648 §5). Verification never raises for a wrong or malformed
signature or key; a malformed *object* raises `SignatureFormatError`.

Registering a key takes a proof of possession: the new key's signature (in the same algorithm and encoding) over
the 136 bytes of `proof_of_possession_message` — `"hurong/signing-key-possession/v1"`, the chain id as 32 bytes,
the registry's and the agency's 20-byte addresses and the key id — which `AuthorityRegistry.addSigningKey`
publishes and the client checks before sending (`verify_proof_of_possession`).

Before anything is anchored with a key, `check_signing_key` reads it from the registry and raises a
`SigningKeyError` when it cannot sign for the agency::

    LedgerValueError
    ├── ProofOfPossessionError            a proof of possession missing or not verifying
    └── SigningKeyError                   a key that cannot sign for the agency at the time asked
        ├── UnregisteredSigningKeyError   no key with this id in the registry
        ├── ForeignSigningKeyError        registered to another agency
        ├── WrongKeyAlgorithmError        not of the algorithm the proof suite needs
        ├── RevokedSigningKeyError        revoked at or before that time
        └── SigningKeyNotValidError       outside its validity window (not yet valid, or expired)

This module holds `check_signing_key` and re-exports the rest, which lives in `ledger.keys.pairs` (key pairs,
`sign`, `verify`, key ids), `ledger.keys.signatures` (the `proof.signature` object), `ledger.keys.possession`
(proofs of possession) and `ledger.keys.sm2` (SM2 curve arithmetic).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from eth_utils import to_checksum_address

from ledger.chain.codes import parse_bytes32
from ledger.chain.contract_errors import AuthorityRegistryUnknownKey
from ledger.chain.models import KeyAlgorithm, SigningKey
from ledger.errors import ForeignSigningKeyError as ForeignSigningKeyError
from ledger.errors import LedgerValueError
from ledger.errors import ProofOfPossessionError as ProofOfPossessionError
from ledger.errors import RevokedSigningKeyError as RevokedSigningKeyError
from ledger.errors import SignatureFormatError as SignatureFormatError
from ledger.errors import SigningKeyError as SigningKeyError
from ledger.errors import SigningKeyNotValidError as SigningKeyNotValidError
from ledger.errors import UnregisteredSigningKeyError as UnregisteredSigningKeyError
from ledger.errors import WrongKeyAlgorithmError as WrongKeyAlgorithmError
from ledger.keys.pairs import ALGORITHM_NAMES as ALGORITHM_NAMES
from ledger.keys.pairs import SM2_SIGNER_ID as SM2_SIGNER_ID
from ledger.keys.pairs import SUITE_ALGORITHMS as SUITE_ALGORITHMS
from ledger.keys.pairs import SigningKeyPair as SigningKeyPair
from ledger.keys.pairs import _address_bytes, _signing_algorithm
from ledger.keys.pairs import algorithm_for_suite as algorithm_for_suite
from ledger.keys.pairs import compute_key_id as compute_key_id
from ledger.keys.pairs import generate as generate
from ledger.keys.pairs import sign as sign
from ledger.keys.pairs import verify as verify
from ledger.keys.possession import POSSESSION_DOMAIN as POSSESSION_DOMAIN
from ledger.keys.possession import proof_of_possession_message as proof_of_possession_message
from ledger.keys.possession import sign_proof_of_possession as sign_proof_of_possession
from ledger.keys.possession import verify_proof_of_possession as verify_proof_of_possession
from ledger.keys.signatures import RootSignature as RootSignature
from ledger.keys.signatures import b64url_decode as b64url_decode
from ledger.keys.signatures import b64url_encode as b64url_encode
from ledger.keys.signatures import parse_root_signature as parse_root_signature
from ledger.keys.signatures import sign_root as sign_root
from ledger.keys.signatures import verify_root_signature as verify_root_signature

if TYPE_CHECKING:
    from ledger.chain.client import HurongClient


def check_signing_key(
    client: HurongClient,
    agency: str,
    key_id: bytes | str,
    algorithm: KeyAlgorithm,
    *,
    at: int | datetime | None = None,
) -> SigningKey:
    """The registered key `key_id`, if it can sign for `agency` in `algorithm` at `at`; else a `SigningKeyError`.

    `at` is a Unix time or an aware datetime, by default the latest block's time (the registry judges windows by
    block time). Everything is read at one block. Raises, in this order of checks:
    `UnregisteredSigningKeyError` (no such id), `ForeignSigningKeyError` (another agency's key),
    `WrongKeyAlgorithmError`, `RevokedSigningKeyError` (revoked at or before `at`) and `SigningKeyNotValidError`
    (outside `[valid_from, valid_until)`). `LedgerValueError` for a malformed agency, key id, algorithm or time.
    """
    account = _checksum(agency, "agency")
    kid = parse_bytes32(key_id, what="key id")
    expected = _signing_algorithm(algorithm)
    when = None if at is None else _timepoint(at)
    block = client.w3.eth.get_block("latest")
    number = int(block["number"])
    when = int(block["timestamp"]) if when is None else when
    name = "0x" + kid.hex()
    try:
        key = client.authorities.signing_key(kid, block_identifier=number)
    except AuthorityRegistryUnknownKey:
        raise UnregisteredSigningKeyError(
            f"signing key {name} is not registered (a key's id is per agency: SigningKeyPair.key_id_for(agency))",
            key_id=kid,
            agency=account,
            at=when,
        ) from None
    if key.agency != account:
        raise ForeignSigningKeyError(
            f"signing key {name} is registered to {key.agency}, not to {account}",
            key_id=kid,
            agency=account,
            at=when,
            owner=key.agency,
        )
    if key.algorithm is not expected:
        raise WrongKeyAlgorithmError(
            f"signing key {name} is an {ALGORITHM_NAMES.get(key.algorithm, key.algorithm.name)} key; "
            f"{ALGORITHM_NAMES[expected]} is needed",
            key_id=kid,
            agency=account,
            at=when,
            expected=expected,
            actual=key.algorithm,
        )
    revoked_at = client.authorities.signing_key_revoked_at(kid, block_identifier=number)
    if revoked_at is not None and revoked_at <= when:
        raise RevokedSigningKeyError(
            f"signing key {name} was revoked at {revoked_at}",
            key_id=kid,
            agency=account,
            at=when,
            revoked_at=revoked_at,
        )
    if not key.valid_from <= when < key.valid_until:
        early = when < key.valid_from
        state, moment = ("not valid before", key.valid_from) if early else ("expired at", key.valid_until)
        raise SigningKeyNotValidError(
            f"signing key {name} is {state} {moment} (asked for {when})",
            key_id=kid,
            agency=account,
            at=when,
            valid_from=key.valid_from,
            valid_until=key.valid_until,
        )
    return key


def _checksum(value: Any, what: str) -> str:
    _address_bytes(value, what)
    return str(to_checksum_address(value))


def _timepoint(at: Any) -> int:
    if isinstance(at, datetime):
        if at.tzinfo is None or at.utcoffset() is None:
            raise LedgerValueError("a time to check a signing key at must carry its UTC offset")
        seconds = int(at.timestamp())
    elif isinstance(at, int) and not isinstance(at, bool):
        seconds = at
    else:
        raise LedgerValueError(f"a time to check a signing key at is a Unix time or a datetime, got {at!r}")
    if not 0 <= seconds < 2**48:
        raise LedgerValueError(f"time {seconds} is out of range")
    return seconds


__all__ = [
    "ALGORITHM_NAMES",
    "POSSESSION_DOMAIN",
    "SM2_SIGNER_ID",
    "SUITE_ALGORITHMS",
    "ForeignSigningKeyError",
    "ProofOfPossessionError",
    "RevokedSigningKeyError",
    "RootSignature",
    "SignatureFormatError",
    "SigningKeyError",
    "SigningKeyNotValidError",
    "SigningKeyPair",
    "UnregisteredSigningKeyError",
    "WrongKeyAlgorithmError",
    "algorithm_for_suite",
    "b64url_decode",
    "b64url_encode",
    "check_signing_key",
    "compute_key_id",
    "generate",
    "parse_root_signature",
    "proof_of_possession_message",
    "sign",
    "sign_proof_of_possession",
    "sign_root",
    "verify",
    "verify_proof_of_possession",
    "verify_root_signature",
]
