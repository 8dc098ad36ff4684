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
canonical form (RFC 8785), the value `CertificateRegistry.publishStatusList` records on chain under the agency and
`list_id(purpose, number)` (keccak-256 of `"<purpose>/<number>"`). `published_list` reads a fetched list credential
back into what a check against the chain needs (agency, chain, list id, hash), refusing anything else.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import rfc8785
from eth_utils import keccak

from ledger.certificates.catalogue import VC_V2_CONTEXT
from ledger.certificates.did import parse_agency_did
from ledger.certificates.validation import Problem
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
#: The path of a Hurong list's stable URL: `…/status-lists/<agency>/<purpose>/<number>`.
_LIST_PATH = re.compile(r"/status-lists/(0x[0-9a-fA-F]{40})/(revocation|suspension)/([1-9][0-9]{0,6})$")


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


_ENTRY_KEYS = frozenset({"id", "type", "statusPurpose", "statusListIndex", "statusListCredential"})
_INDEX = re.compile(r"^(0|[1-9][0-9]{0,9})$")
_URL = re.compile(r"^https?://[^\s]+$")


def entry_problems(entries: Any, pointer: str) -> list[Problem]:
    """Problems of the `BitstringStatusListEntry` objects a certificate carries after its registry status (`entries`:
    the items of `credentialStatus` from the second on, `pointer` that of the first of them): each an object of the
    entry's properties, one per purpose at most, its index a decimal string within the list, its list an HTTP(S)
    URL."""
    problems: list[Problem] = []
    seen: set[str] = set()
    base, first = pointer.rsplit("/", 1)
    for offset, entry in enumerate(entries):
        at = f"{base}/{int(first) + offset}"
        if not isinstance(entry, dict):
            problems.append(Problem(at, "invalid_status_entry", "a status entry after the registry status is a "
                                    f"{ENTRY_TYPE} object"))  # fmt: skip
            continue
        for key in sorted(set(entry) - _ENTRY_KEYS, key=str):
            problems.append(Problem(f"{at}/{key}", "unexpected_field", f"a {ENTRY_TYPE} has no property {key!r}"))
        for key in ("type", "statusPurpose", "statusListIndex", "statusListCredential"):
            if key not in entry:
                problems.append(Problem(f"{at}/{key}", "missing_field", f"a {ENTRY_TYPE} needs {key}"))
        if "type" in entry and entry["type"] != ENTRY_TYPE:
            problems.append(Problem(f"{at}/type", "invalid_value", f"the entry's type must be {ENTRY_TYPE}"))
        purpose = entry.get("statusPurpose")
        if "statusPurpose" in entry and purpose not in PURPOSES:
            problems.append(Problem(f"{at}/statusPurpose", "invalid_value",
                                    f"a status purpose is one of {', '.join(PURPOSES)}, got {purpose!r}"))  # fmt: skip
        elif isinstance(purpose, str) and purpose in seen:
            problems.append(Problem(f"{at}/statusPurpose", "duplicate_status_purpose",
                                    f"the certificate carries two {purpose} entries"))  # fmt: skip
        elif isinstance(purpose, str):
            seen.add(purpose)
        index = entry.get("statusListIndex")
        if "statusListIndex" in entry and not (isinstance(index, str) and _INDEX.match(index)):
            problems.append(Problem(f"{at}/statusListIndex", "invalid_status_list_index",
                                    f"a status list index is a decimal string, got {index!r}"))  # fmt: skip
        for key in ("statusListCredential", "id"):
            value = entry.get(key)
            if key in entry and not (isinstance(value, str) and _URL.match(value) and len(value) <= 2048):
                problems.append(Problem(f"{at}/{key}", "invalid_status_list_url",
                                        f"{key} is an HTTP(S) URL, got {value!r}"))  # fmt: skip
    return problems


def carried_entries(credential: Any) -> list[dict[str, Any]]:
    """The `BitstringStatusListEntry` objects a certificate carries (none for a single registry status)."""
    status = credential.get("credentialStatus") if isinstance(credential, dict) else None
    if not isinstance(status, list):
        return []
    return [e for e in status[1:] if isinstance(e, dict) and e.get("type") == ENTRY_TYPE]


def list_hash(credential: dict[str, Any]) -> bytes:
    """SHA-256 of a status list credential's RFC 8785 canonical form."""
    return hashlib.sha256(rfc8785.dumps(credential)).digest()


def list_id(purpose: str, number: int) -> bytes:
    """The id a list is anchored under on chain (beside its agency): keccak-256 of `"<purpose>/<number>"`."""
    if purpose not in PURPOSES:
        raise LedgerValueError(f"a status purpose is one of {', '.join(PURPOSES)}, got {purpose!r}")
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise LedgerValueError(f"a status list number is a positive integer, got {number!r}")
    return keccak(text=f"{purpose}/{number}")


@dataclass(frozen=True)
class PublishedList:
    """What a fetched list credential says of itself: its agency (and chain), purpose, number, the id it is
    anchored under and its hash."""

    chain_id: int
    agency: str
    purpose: Purpose
    number: int
    list_id: bytes
    list_hash: bytes


def published_list(credential: Any) -> PublishedList:
    """Read a Hurong `BitstringStatusListCredential` (its `id` a list URL of the service, its issuer the agency's
    DID); `LedgerValueError` for anything else, including a list whose bits cannot be decoded."""
    if not isinstance(credential, dict):
        raise LedgerValueError("a status list credential is a JSON object")
    types = credential.get("type")
    if not isinstance(types, list) or LIST_CREDENTIAL_TYPE not in types:
        raise LedgerValueError(f"the credential's type does not include {LIST_CREDENTIAL_TYPE}")
    url, subject = credential.get("id"), credential.get("credentialSubject")
    match = _LIST_PATH.search(url) if isinstance(url, str) else None
    if match is None:
        raise LedgerValueError("the credential's id is not a status list URL (…/status-lists/<agency>/<purpose>/<n>)")
    if not isinstance(subject, dict) or subject.get("type") != LIST_TYPE:
        raise LedgerValueError(f"the credential's subject is not a {LIST_TYPE}")
    chain_id, agency = parse_agency_did(credential.get("issuer"))
    purpose: Purpose = "revocation" if match[2] == "revocation" else "suspension"
    number = int(match[3])
    if agency.lower() != match[1].lower():
        raise LedgerValueError(f"the list's URL names agency {match[1]}, its issuer is {agency}")
    if subject.get("statusPurpose") != purpose:
        raise LedgerValueError(f"the list's URL names purpose {purpose}, its subject {subject.get('statusPurpose')!r}")
    encoded = subject.get("encodedList")
    if not isinstance(encoded, str):
        raise LedgerValueError("the list's encodedList is not a string")
    decode_list(encoded)
    try:
        digest = list_hash(credential)
    except rfc8785.CanonicalizationError as exc:
        raise LedgerValueError(f"the credential has no RFC 8785 form: {exc}") from None
    return PublishedList(chain_id, agency, purpose, number, list_id(purpose, number), digest)


__all__ = [
    "ENTRY_TYPE",
    "LIST_CREDENTIAL_TYPE",
    "LIST_TYPE",
    "MAX_DECODED_BYTES",
    "MIN_ENTRIES",
    "PURPOSES",
    "PublishedList",
    "Purpose",
    "decode_list",
    "encode_list",
    "is_set",
    "list_hash",
    "list_id",
    "published_list",
    "status_entry",
    "status_list_credential",
]
