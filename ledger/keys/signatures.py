"""The `proof.signature` object of a certificate: a detached signature of the batch's Merkle root.

`RootSignature` is a parsed object (algorithm, key id, signature bytes); `sign_root` makes the object,
`parse_root_signature` checks its shape (raising `SignatureFormatError`) and decodes it, `verify_root_signature`
checks it against a registered public key, and `b64url_encode`/`b64url_decode` are the canonical unpadded
base64url of its `value`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger.chain.codes import parse_bytes32
from ledger.chain.models import KeyAlgorithm
from ledger.errors import LedgerValueError, SignatureFormatError
from ledger.keys.pairs import ALGORITHM_NAMES, SigningKeyPair, _address_bytes, compute_key_id, sign, verify

_BY_NAME: Mapping[str, KeyAlgorithm] = {name: algorithm for algorithm, name in ALGORITHM_NAMES.items()}

_KEY_ID = re.compile(r"0x[0-9a-f]{64}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_SIGNATURE_FIELDS = frozenset({"algorithm", "keyId", "value"})


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
