"""W3C Bitstring Status List v1.0: the bitstring, its encoding, the status list credential and the entry that points
into it.

A status list is a bitstring of at least 131,072 entries (16 KiB, so a holder's index hides among many); entry `i`
is bit `i` counted from the left: the most significant bit of byte `i // 8`. Its `encodedList` is the bitstring
compressed with GZIP (written with a zero modification time, so one bitstring always gives the same text and the
same hash) and encoded as multibase base64url without padding (`u` prefix). One list serves one status purpose
(`revocation`: set means revoked, for good; `suspension`: set means suspended now).

`encode_list` / `decode_list` convert between the set entries and `encodedList`; `status_list_credential` makes
the `BitstringStatusListCredential` an agency publishes at a stable URL, `status_entry` the
`BitstringStatusListEntry` a certificate carries, and `list_hash` the SHA-256 of a published credential's
canonical form (RFC 8785), the value a chain can record so that a list is checked against it.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
from collections.abc import Iterable
from typing import Any, Literal

import rfc8785

from ledger.certificates.catalogue import VC_V2_CONTEXT
from ledger.errors import LedgerValueError

#: The smallest list the specification allows (16 KiB of bits): 131,072 entries.
MIN_ENTRIES = 131_072
#: Largest bitstring accepted when decoding (refuses compression bombs): 16 MiB of bits.
MAX_DECODED_BYTES = 1 << 24
PURPOSES: tuple[str, str] = ("revocation", "suspension")
Purpose = Literal["revocation", "suspension"]
LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
LIST_TYPE = "BitstringStatusList"
ENTRY_TYPE = "BitstringStatusListEntry"


def encode_list(set_entries: Iterable[int], size: int = MIN_ENTRIES) -> str:
    """The `encodedList` of a bitstring of `size` entries with `set_entries` set to 1."""
    if size < MIN_ENTRIES or size % 8:
        raise LedgerValueError(f"a status list has at least {MIN_ENTRIES} entries, a multiple of 8; got {size}")
    bits = bytearray(size // 8)
    for index in set_entries:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < size:
            raise LedgerValueError(f"status list index {index!r} is outside 0..{size - 1}")
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def decode_list(encoded: str) -> bytes:
    """The bitstring of an `encodedList` (bytes; entry `i` is `bits[i // 8] >> (7 - i % 8) & 1`)."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise LedgerValueError("an encodedList is multibase base64url: it starts with 'u'")
    body = encoded[1:]
    try:
        packed = base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_", validate=True)
        inflater = gzip.GzipFile(fileobj=io.BytesIO(packed))
        bits = inflater.read(MAX_DECODED_BYTES + 1)
    except (ValueError, OSError, EOFError) as exc:
        raise LedgerValueError(f"the encodedList is not base64url GZIP data: {exc}") from None
    if len(bits) > MAX_DECODED_BYTES:
        raise LedgerValueError("the status list is too large")
    if len(bits) * 8 < MIN_ENTRIES:
        raise LedgerValueError(f"a status list has at least {MIN_ENTRIES} entries, this one {len(bits) * 8}")
    return bits


def is_set(bits: bytes, index: int) -> bool:
    """Whether entry `index` of a decoded bitstring is 1."""
    if not 0 <= index < len(bits) * 8:
        raise LedgerValueError(f"status list index {index} is outside 0..{len(bits) * 8 - 1}")
    return bool(bits[index // 8] >> (7 - index % 8) & 1)


def status_list_credential(
    url: str, issuer: str, purpose: Purpose, set_entries: Iterable[int], *, valid_from: str, size: int = MIN_ENTRIES
) -> dict[str, Any]:
    """The `BitstringStatusListCredential` published at `url` by `issuer` (the agency's DID)."""
    if purpose not in PURPOSES:
        raise LedgerValueError(f"a status purpose is one of {', '.join(PURPOSES)}, got {purpose!r}")
    return {
        "@context": [VC_V2_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": f"{url}#list",
            "type": LIST_TYPE,
            "statusPurpose": purpose,
            "encodedList": encode_list(set_entries, size),
        },
    }


def status_entry(list_url: str, purpose: Purpose, index: int) -> dict[str, Any]:
    """The `BitstringStatusListEntry` of entry `index` of the list at `list_url`."""
    return {
        "id": f"{list_url}#{index}",
        "type": ENTRY_TYPE,
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def list_hash(credential: dict[str, Any]) -> bytes:
    """SHA-256 of a status list credential's RFC 8785 canonical form."""
    return hashlib.sha256(rfc8785.dumps(credential)).digest()


__all__ = [
    "ENTRY_TYPE",
    "LIST_CREDENTIAL_TYPE",
    "LIST_TYPE",
    "MAX_DECODED_BYTES",
    "MIN_ENTRIES",
    "PURPOSES",
    "Purpose",
    "decode_list",
    "encode_list",
    "is_set",
    "list_hash",
    "status_entry",
    "status_list_credential",
]
