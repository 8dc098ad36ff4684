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
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from eth_utils import is_address, to_canonical_address, to_checksum_address
from gmssl_pyx import (  # type: ignore[import-untyped,unused-ignore]
    SM2_DEFAULT_SIGNER_ID,
    GmsslInnerError,
    sm2_key_generate,
    sm2_sign,
    sm2_verify,
)

from ledger.certificates.merkle import keccak256
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

if TYPE_CHECKING:
    from ledger.chain.client import HurongClient

#: The name of each signing algorithm in `proof.signature.algorithm`.
ALGORITHM_NAMES: Mapping[KeyAlgorithm, str] = {KeyAlgorithm.ED25519: "Ed25519", KeyAlgorithm.SM2: "SM2"}
_BY_NAME: Mapping[str, KeyAlgorithm] = {name: algorithm for algorithm, name in ALGORITHM_NAMES.items()}

#: The signing algorithm of each proof suite (`proof.suite`).
SUITE_ALGORITHMS: Mapping[str, KeyAlgorithm] = {"default": KeyAlgorithm.ED25519, "sm": KeyAlgorithm.SM2}

#: The SM2 signer id used for every Hurong signature (the GB/T 32918 default).
SM2_SIGNER_ID: bytes = bytes(SM2_DEFAULT_SIGNER_ID)

#: The first 32 bytes of the message a proof of possession signs (`AuthorityRegistry.proofOfPossessionMessage`).
POSSESSION_DOMAIN: bytes = b"hurong/signing-key-possession/v1"

_KEY_ID = re.compile(r"0x[0-9a-f]{64}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_SIGNATURE_FIELDS = frozenset({"algorithm", "keyId", "value"})

# SM2 recommended curve parameters (GB/T 32918.5): y^2 = x^3 + a x + b over F_p with a = p - 3.
_SM2_P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
_SM2_A = _SM2_P - 3
_SM2_B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
_SM2_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
_SM2_GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
_SM2_GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0


@dataclass(frozen=True)
class SigningKeyPair:
    """An Ed25519 or SM2 signing key of an agency.

    `private_key` is the 32-byte Ed25519 seed or SM2 scalar `d`; `public_key` the raw 32-byte Ed25519 key or the
    64-byte SM2 `x || y`, exactly the bytes to register with `AuthorityRegistry.addSigningKey`. Construction
    checks that the two belong together. The private key is left out of `repr`.
    """

    algorithm: KeyAlgorithm
    private_key: bytes = field(repr=False)
    public_key: bytes

    def __post_init__(self) -> None:
        algorithm = _signing_algorithm(self.algorithm)
        object.__setattr__(self, "algorithm", algorithm)
        object.__setattr__(self, "private_key", _require_bytes(self.private_key, "private key"))
        object.__setattr__(self, "public_key", _require_bytes(self.public_key, "public key"))
        if _derive_public_key(algorithm, self.private_key) != self.public_key:
            raise LedgerValueError(f"the {ALGORITHM_NAMES[algorithm]} public key does not match the private key")

    @classmethod
    def from_private_key(cls, algorithm: KeyAlgorithm, private_key: bytes) -> SigningKeyPair:
        """The key pair of a 32-byte private key (Ed25519 seed or SM2 scalar in `[1, n - 2]`)."""
        algorithm = _signing_algorithm(algorithm)
        private_key = _require_bytes(private_key, "private key")
        return cls(algorithm, private_key, _derive_public_key(algorithm, private_key))

    @property
    def key_id(self) -> bytes:
        """`keccak256(public_key)`: the key's fingerprint, as encrypted key files name it.

        Not its id in `AuthorityRegistry`, which is per agency: see `key_id_for`.
        """
        return keccak256(self.public_key)

    @property
    def key_id_hex(self) -> str:
        """The fingerprint `key_id` as `0x` followed by 64 lowercase hex digits."""
        return "0x" + self.key_id.hex()

    def key_id_for(self, agency: str) -> bytes:
        """The key's id in `AuthorityRegistry` once registered for `agency` (`compute_key_id`)."""
        return compute_key_id(self.algorithm, self.public_key, agency=agency)

    @property
    def algorithm_name(self) -> str:
        """`"Ed25519"` or `"SM2"`."""
        return ALGORITHM_NAMES[self.algorithm]


@dataclass(frozen=True)
class RootSignature:
    """A parsed `proof.signature` object: the algorithm, the 32-byte key id and the raw signature bytes."""

    algorithm: KeyAlgorithm
    key_id: bytes
    value: bytes

    def to_json(self) -> dict[str, str]:
        """The JSON object stored in `proof.signature`."""
        return {
            "algorithm": ALGORITHM_NAMES[self.algorithm],
            "keyId": "0x" + self.key_id.hex(),
            "value": b64url_encode(self.value),
        }


def compute_key_id(algorithm: KeyAlgorithm, public_key: bytes, *, agency: str) -> bytes:
    """The registry's id of a public key registered for `agency`, as `AuthorityRegistry.keyIdOf` computes it.

    `keccak256(agency || algorithm || key)`: the 20-byte address, the algorithm as one byte (Ed25519 1, SM2 2) and
    the key, an SM2 key taken without a 65-byte form's `04` prefix.
    """
    algorithm = _signing_algorithm(algorithm)
    key = _require_bytes(public_key, "public key")
    if algorithm is KeyAlgorithm.SM2 and len(key) == 65 and key[0] == 0x04:
        key = key[1:]
    return keccak256(_address_bytes(agency, "agency") + bytes([int(algorithm)]) + key)


def proof_of_possession_message(*, chain_id: int, registry: str, agency: str, key_id: bytes | str) -> bytes:
    """The 136 bytes a proof of possession signs, as `AuthorityRegistry.proofOfPossessionMessage` returns them.

    `POSSESSION_DOMAIN || chain_id (32 bytes, big-endian) || registry (20 bytes) || agency (20 bytes) || key_id`.
    """
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or not 0 < chain_id < 2**256:
        raise LedgerValueError(f"chain id must be a positive integer, got {chain_id!r}")
    return (
        POSSESSION_DOMAIN
        + chain_id.to_bytes(32, "big")
        + _address_bytes(registry, "registry address")
        + _address_bytes(agency, "agency")
        + parse_bytes32(key_id, what="key id")
    )


def sign_proof_of_possession(key: SigningKeyPair, *, chain_id: int, registry: str, agency: str) -> bytes:
    """The proof that the holder of `key` registers it for `agency` in the registry at `registry` on `chain_id`."""
    message = proof_of_possession_message(
        chain_id=chain_id, registry=registry, agency=agency, key_id=key.key_id_for(agency)
    )
    return sign(key, message)


def verify_proof_of_possession(
    algorithm: KeyAlgorithm,
    public_key: bytes,
    proof: bytes,
    *,
    chain_id: int,
    registry: str,
    agency: str,
) -> bool:
    """Whether `proof` is the signature by `public_key` over the proof-of-possession message of its id for `agency`.

    Returns `False`, never raises, for a wrong, malformed or missing proof and for malformed key bytes (as
    `verify`); raises `LedgerValueError` for an algorithm other than Ed25519 or SM2, a chain id that is not a
    positive integer, or a malformed registry or agency address.
    """
    algorithm = _signing_algorithm(algorithm)
    if not isinstance(public_key, bytes | bytearray | memoryview) or not isinstance(proof, bytes | bytearray):
        return False
    key_id = compute_key_id(algorithm, bytes(public_key), agency=agency)
    message = proof_of_possession_message(chain_id=chain_id, registry=registry, agency=agency, key_id=key_id)
    return verify(algorithm, bytes(public_key), message, bytes(proof))


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


def algorithm_for_suite(suite: str) -> KeyAlgorithm:
    """The signing algorithm of a proof suite: Ed25519 for `default`, SM2 for `sm`."""
    try:
        return SUITE_ALGORITHMS[suite]
    except (KeyError, TypeError):
        raise LedgerValueError(
            f"unknown proof suite {suite!r}; expected one of {', '.join(SUITE_ALGORITHMS)}"
        ) from None


def generate(algorithm: KeyAlgorithm) -> SigningKeyPair:
    """A fresh key pair from the operating system's random source (via OpenSSL or GmSSL)."""
    algorithm = _signing_algorithm(algorithm)
    if algorithm is KeyAlgorithm.ED25519:
        return SigningKeyPair.from_private_key(algorithm, Ed25519PrivateKey.generate().private_bytes_raw())
    public_key, private_key = sm2_key_generate()
    return SigningKeyPair(algorithm, bytes(private_key), bytes(public_key))


def sign(key: SigningKeyPair, message: bytes) -> bytes:
    """Sign `message`: 64 raw bytes for Ed25519, a DER `(r, s)` for SM2 (SM3, default signer id)."""
    message = _require_bytes(message, "message")
    if key.algorithm is KeyAlgorithm.ED25519:
        return Ed25519PrivateKey.from_private_bytes(key.private_key).sign(message)
    return bytes(sm2_sign(key.private_key, key.public_key, message, SM2_SIGNER_ID))


def verify(algorithm: KeyAlgorithm, public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is a valid signature of `message` under `public_key`.

    Returns `False`, never raises, for a wrong signature and for malformed key or signature bytes (an SM2 key
    off the curve, a non-canonical DER signature, wrong lengths, …). SM2 keys may be 64 or 65 (`04 || x || y`)
    bytes. Raises `LedgerValueError` only for an algorithm other than Ed25519 or SM2.
    """
    algorithm = _signing_algorithm(algorithm)
    if not all(isinstance(value, bytes | bytearray | memoryview) for value in (public_key, message, signature)):
        return False
    public_key, message, signature = bytes(public_key), bytes(message), bytes(signature)
    if algorithm is KeyAlgorithm.ED25519:
        if len(public_key) != 32 or len(signature) != 64:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True
    point = _sm2_public_point(public_key)
    if point is None or _parse_sm2_signature(signature) is None:
        return False
    try:
        return bool(sm2_verify(point, message, signature, SM2_SIGNER_ID))
    except GmsslInnerError:
        return False


def sign_root(key: SigningKeyPair, root: bytes | str, *, agency: str) -> dict[str, str]:
    """The `proof.signature` object signing the 32 bytes of a Merkle root (bytes or `0x` hex) for `agency`.

    Its `keyId` is the key's registry id for `agency` (`SigningKeyPair.key_id_for`).
    """
    root_bytes = parse_bytes32(root, what="Merkle root")
    return RootSignature(key.algorithm, key.key_id_for(agency), sign(key, root_bytes)).to_json()


def parse_root_signature(signature_obj: Any) -> RootSignature:
    """Validate the shape of a `proof.signature` object and decode it.

    Raises `SignatureFormatError` if it is not an object of exactly `algorithm`, `keyId` and `value`, the
    algorithm is not `Ed25519` or `SM2`, `keyId` is not `0x` and 64 lowercase hex digits, or `value` is not
    canonical unpadded base64url. The signature bytes themselves are not checked here.
    """
    if not isinstance(signature_obj, Mapping):
        raise SignatureFormatError(f"a signature must be an object, got {type(signature_obj).__name__}")
    keys = set(signature_obj)
    if keys != _SIGNATURE_FIELDS:
        details = []
        if missing := sorted(_SIGNATURE_FIELDS - keys):
            details.append(f"missing {', '.join(missing)}")
        if extra := sorted(map(str, keys - _SIGNATURE_FIELDS)):
            details.append(f"unexpected {', '.join(extra)}")
        raise SignatureFormatError(f"a signature has exactly algorithm, keyId and value: {'; '.join(details)}")
    name, key_id, value = signature_obj["algorithm"], signature_obj["keyId"], signature_obj["value"]
    if not isinstance(name, str) or name not in _BY_NAME:
        raise SignatureFormatError(f"unknown signature algorithm {name!r}; expected one of {', '.join(_BY_NAME)}")
    if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
        raise SignatureFormatError(f"signature keyId must be 0x followed by 64 lowercase hex digits, got {key_id!r}")
    if not isinstance(value, str):
        raise SignatureFormatError(f"signature value must be a base64url string, got {type(value).__name__}")
    try:
        raw = b64url_decode(value)
    except LedgerValueError as exc:
        raise SignatureFormatError(f"signature value: {exc}") from None
    if not raw:
        raise SignatureFormatError("signature value is empty")
    return RootSignature(_BY_NAME[name], bytes.fromhex(key_id[2:]), raw)


def verify_root_signature(
    signature_obj: Any,
    root: bytes | str,
    public_key: bytes,
    *,
    algorithm: KeyAlgorithm | None = None,
    agency: str | None = None,
) -> bool:
    """Whether a `proof.signature` object is a valid signature of `root` by `public_key`.

    Raises `SignatureFormatError` for a malformed object (see `parse_root_signature`) and `LedgerValueError` for a
    root that is not 32 bytes or a malformed `agency`. Returns `False` if its algorithm differs from `algorithm`
    (pass the algorithm the key was registered with), if `agency` is given and its `keyId` is not the key's id
    for that agency (`compute_key_id`), or if the signature does not verify. Without `agency` the caller vouches
    for the binding of `keyId` to `public_key`, for example by having read the key by that id from the registry.
    """
    parsed = parse_root_signature(signature_obj)
    root_bytes = parse_bytes32(root, what="Merkle root")
    if agency is not None:
        _address_bytes(agency, "agency")
    if not isinstance(public_key, bytes | bytearray | memoryview):
        return False
    key_bytes = bytes(public_key)
    if algorithm is not None and KeyAlgorithm(algorithm) is not parsed.algorithm:
        return False
    if agency is not None and compute_key_id(parsed.algorithm, key_bytes, agency=agency) != parsed.key_id:
        return False
    return verify(parsed.algorithm, key_bytes, root_bytes, parsed.value)


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url (RFC 4648 §5)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode canonical unpadded base64url; `LedgerValueError` for padding, other characters or stray bits."""
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise LedgerValueError("not unpadded base64url (A-Z a-z 0-9 - _, no '=')")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise LedgerValueError("not unpadded base64url") from None
    if b64url_encode(raw) != text:
        raise LedgerValueError("non-canonical base64url (unused trailing bits are set)")
    return raw


# ---------------------------------------------------------------------------------------------------- internals


def _address_bytes(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or not is_address(value):
        raise LedgerValueError(f"invalid {what}: {value!r}")
    return bytes(to_canonical_address(value))


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


def _require_bytes(value: Any, what: str) -> bytes:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise LedgerValueError(f"the {what} must be bytes, got {type(value).__name__}")
    return bytes(value)


def _signing_algorithm(algorithm: Any) -> KeyAlgorithm:
    try:
        value = KeyAlgorithm(algorithm)
    except (ValueError, TypeError):
        value = KeyAlgorithm.NONE
    if value not in ALGORITHM_NAMES:
        raise LedgerValueError(f"signing keys are Ed25519 or SM2, got {algorithm!r}")
    return value


def _derive_public_key(algorithm: KeyAlgorithm, private_key: bytes) -> bytes:
    if len(private_key) != 32:
        raise LedgerValueError(f"a {ALGORITHM_NAMES[algorithm]} private key is 32 bytes, got {len(private_key)}")
    if algorithm is KeyAlgorithm.ED25519:
        return Ed25519PrivateKey.from_private_bytes(private_key).public_key().public_bytes_raw()
    d = int.from_bytes(private_key, "big")
    if not 1 <= d <= _SM2_N - 2:
        raise LedgerValueError("an SM2 private key must be an integer in [1, n - 2]")
    x, y = _sm2_multiply_base(d)
    return x.to_bytes(32, "big") + y.to_bytes(32, "big")


def _sm2_multiply_base(k: int) -> tuple[int, int]:
    """`k * G` on the SM2 curve, in Jacobian coordinates (a = -3).

    Variable-time pure Python: used only to derive or check a public key when a key is loaded, never to sign
    (signing runs in GmSSL).
    """
    p = _SM2_P
    result: tuple[int, int, int] | None = None
    addend: tuple[int, int, int] = (_SM2_GX, _SM2_GY, 1)
    while k:
        if k & 1:
            result = addend if result is None else _jacobian_add(result, addend)
        addend = _jacobian_double(addend)
        k >>= 1
    if result is None or result[2] == 0:
        raise LedgerValueError("an SM2 private key must be an integer in [1, n - 2]")
    x, y, z = result
    z_inv = pow(z, -1, p)
    z_inv2 = z_inv * z_inv % p
    return x * z_inv2 % p, y * z_inv2 * z_inv % p


def _jacobian_double(point: tuple[int, int, int]) -> tuple[int, int, int]:
    p = _SM2_P
    x, y, z = point
    if y == 0 or z == 0:
        return (1, 1, 0)
    delta = z * z % p
    gamma = y * y % p
    beta = x * gamma % p
    alpha = 3 * (x - delta) * (x + delta) % p
    x3 = (alpha * alpha - 8 * beta) % p
    z3 = ((y + z) ** 2 - gamma - delta) % p
    y3 = (alpha * (4 * beta - x3) - 8 * gamma * gamma) % p
    return (x3, y3, z3)


def _jacobian_add(a: tuple[int, int, int], b: tuple[int, int, int]) -> tuple[int, int, int]:
    p = _SM2_P
    x1, y1, z1 = a
    x2, y2, z2 = b
    if z1 == 0:
        return b
    if z2 == 0:
        return a
    z1z1, z2z2 = z1 * z1 % p, z2 * z2 % p
    u1, u2 = x1 * z2z2 % p, x2 * z1z1 % p
    s1, s2 = y1 * z2 * z2z2 % p, y2 * z1 * z1z1 % p
    if u1 == u2:
        return _jacobian_double(a) if s1 == s2 else (1, 1, 0)
    h = (u2 - u1) % p
    r = (s2 - s1) % p
    hh = h * h % p
    hhh = h * hh % p
    v = u1 * hh % p
    x3 = (r * r - hhh - 2 * v) % p
    y3 = (r * (v - x3) - s1 * hhh) % p
    z3 = h * z1 * z2 % p
    return (x3, y3, z3)


def _sm2_public_point(public_key: bytes) -> bytes | None:
    """The 64-byte `x || y` of an SM2 key given as 64 or `04`-prefixed 65 bytes, if it is a curve point."""
    if len(public_key) == 65 and public_key[0] == 0x04:
        public_key = public_key[1:]
    if len(public_key) != 64:
        return None
    x, y = int.from_bytes(public_key[:32], "big"), int.from_bytes(public_key[32:], "big")
    if x >= _SM2_P or y >= _SM2_P or (y * y - x * x * x - _SM2_A * x - _SM2_B) % _SM2_P:
        return None
    return public_key


def _parse_sm2_signature(signature: bytes) -> tuple[int, int] | None:
    """`(r, s)` of a strict DER `SEQUENCE { INTEGER r, INTEGER s }` with `1 <= r, s < n`, else `None`."""
    if len(signature) < 8 or signature[0] != 0x30 or signature[1] != len(signature) - 2:
        return None
    values: list[int] = []
    pos = 2
    for _ in range(2):
        if pos + 2 > len(signature) or signature[pos] != 0x02:
            return None
        length = signature[pos + 1]
        body = signature[pos + 2 : pos + 2 + length]
        if not 1 <= length <= 33 or len(body) != length or body[0] & 0x80:
            return None
        if length > 1 and body[0] == 0 and not body[1] & 0x80:
            return None
        values.append(int.from_bytes(body, "big"))
        pos += 2 + length
    if pos != len(signature) or not all(1 <= v < _SM2_N for v in values):
        return None
    return values[0], values[1]


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
