"""Signing key pairs of issuing agencies and the raw signatures they make: Ed25519 and SM2.

`SigningKeyPair` holds a private key with its public key (checked to belong together); `generate` makes a fresh
one, `sign` and `verify` sign and check raw messages (Ed25519 per RFC 8032, SM2 with SM3 and the default signer id
via GmSSL), `compute_key_id` is a key's per-agency id in `AuthorityRegistry`, and `ALGORITHM_NAMES`,
`SUITE_ALGORITHMS` and `algorithm_for_suite` name the algorithms and map proof suites to them. The private helpers
(`_address_bytes`, `_require_bytes`, `_signing_algorithm`) check arguments for the other modules of `ledger.keys`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from eth_utils import is_address, to_canonical_address
from gmssl_pyx import (  # type: ignore[import-untyped,unused-ignore]
    SM2_DEFAULT_SIGNER_ID,
    GmsslInnerError,
    sm2_key_generate,
    sm2_sign,
    sm2_verify,
)

from ledger.certificates.merkle import keccak256
from ledger.chain.models import KeyAlgorithm
from ledger.errors import LedgerValueError
from ledger.keys.sm2 import _SM2_N, _parse_sm2_signature, _sm2_multiply_base, _sm2_public_point

#: The name of each signing algorithm in `proof.signature.algorithm`.
ALGORITHM_NAMES: Mapping[KeyAlgorithm, str] = {KeyAlgorithm.ED25519: "Ed25519", KeyAlgorithm.SM2: "SM2"}

#: The signing algorithm of each proof suite (`proof.suite`).
SUITE_ALGORITHMS: Mapping[str, KeyAlgorithm] = {"default": KeyAlgorithm.ED25519, "sm": KeyAlgorithm.SM2}

#: The SM2 signer id used for every Hurong signature (the GB/T 32918 default).
SM2_SIGNER_ID: bytes = bytes(SM2_DEFAULT_SIGNER_ID)


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


def _address_bytes(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or not is_address(value):
        raise LedgerValueError(f"invalid {what}: {value!r}")
    return bytes(to_canonical_address(value))


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
