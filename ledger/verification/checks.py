"""What the checks judge with, apart from the chain: the shape of a proof, the values a document may hold,
times, the issuer a document names, and the warnings of an issuer no longer in good standing.

Bounds no issued certificate comes near (`MAX_DEPTH`, `MAX_VALUES`, `MAX_TEXT`, integers of 64 bits) are
enforced by `unsupported_value` in one walk without recursion, before a document is validated or hashed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from eth_utils import is_address, to_checksum_address

from ledger.certificates.did import parse_agency_did
from ledger.certificates.hashing import escape_pointer_token, hash_function
from ledger.certificates.model import PROOF_TYPE
from ledger.certificates.native import native
from ledger.chain.models import AgencyStatus, ProvinceStatus
from ledger.errors import LedgerValueError
from ledger.verification.messages import standing_warning
from ledger.verification.reader import Reader
from ledger.verification.results import NOT_IN_GOOD_STANDING, VerificationWarning

HEX32 = re.compile(r"^0x[0-9a-fA-F]{64}$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

#: Bounds no issued certificate comes near. A document beyond them fails the format check before it is
#: validated or hashed: nesting, values in all, text length, and integers beyond 64 bits.
MAX_DEPTH = 32
MAX_VALUES = 50_000
MAX_TEXT = 65_536
_MAX_INT = 2**63
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

#: Validator problem codes that only say a value is absent (hidden fields of a redacted document are absent).
ABSENCE_CODES = frozenset({"required", "missing", "missing_field", "required_field", "too_short"})


@dataclass(frozen=True)
class Claims:
    """What the format check read from a well-formed document: the fields the later checks judge."""

    agency: str
    chain_id: int
    certificate_type: str
    province: str
    #: The certificate's digest, `0x` and lower-case hex.
    digest: str
    valid_from: str
    valid_until: str
    status_entry: Any = None


# ------------------------------------------------------------------------------------------------------------ time


def parse_time(value: str | datetime) -> int:
    """Unix seconds of an RFC 3339 time (`2025-06-01T08:00:00+08:00`, `…Z`) or a timezone-aware datetime."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and len(value) <= 40 and _TIME.match(value):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise LedgerValueError(f"{value!r} is not a valid RFC 3339 time") from None
    else:
        shown = repr(value) if isinstance(value, str) and len(value) <= 40 else f"a {type(value).__name__}"
        raise LedgerValueError(f"{shown} is not an RFC 3339 time such as 2025-06-01T08:00:00+08:00")
    if moment.tzinfo is None:
        raise LedgerValueError("a time to verify at needs its UTC offset (Z or ±hh:mm)")
    try:
        return int(moment.timestamp())
    except (OverflowError, ValueError):
        raise LedgerValueError(f"{value} is out of the range of times a chain can answer about") from None


def timestamp(value: Any) -> int | None:
    """Unix seconds of an RFC 3339 time in a document, or `None` when it is not one (never raises)."""
    if value is None:
        return None
    if not isinstance(value, str) or not _TIME.match(value):
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except (ValueError, OverflowError):  # no such date, or one beyond the years datetime can hold once shifted
        return None


def iso(seconds: int) -> str:
    """`seconds` as an RFC 3339 UTC time, for messages."""
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):
        return f"{seconds} (Unix seconds)"


# ------------------------------------------------------------------------------------------------------ the document


@lru_cache(maxsize=256)  # registry addresses: one per deployment
def checksum(address: str) -> str:
    return str(to_checksum_address(address))


def issuer_address(document: Any) -> str | None:
    """The address of the agency a document names as its issuer, or `None` when it names none (never raises)."""
    try:
        issuer = document["issuer"]
        return parse_agency_did(issuer["id"] if isinstance(issuer, dict) else issuer)[1]
    except (TypeError, KeyError, LedgerValueError):
        return None


def proof_problems(proof: dict[str, Any]) -> list[str]:
    """What is wrong with the shape of a proof object (empty when nothing is)."""
    problems = []
    if proof.get("type") != PROOF_TYPE:
        problems.append(f"proof.type must be {PROOF_TYPE}")
    suite = proof.get("suite")
    try:
        if not isinstance(suite, str) or len(suite) > 16:
            raise LedgerValueError("proof.suite must name a hash suite: default or sm")
        hash_function(suite)
    except LedgerValueError as exc:
        problems.append(str(exc))
    for name in ("digest", "merkleRoot"):
        if not isinstance(proof.get(name), str) or not HEX32.match(proof[name]):
            problems.append(f"proof.{name} must be 0x and 64 hex digits")
    path = proof.get("merklePath")
    if not isinstance(path, list) or len(path) > 64 or not all(isinstance(h, str) and HEX32.match(h) for h in path):
        problems.append("proof.merklePath must be a list of 0x-prefixed 32-byte hashes")
    if not isinstance(proof.get("salts"), dict):
        problems.append("proof.salts must be an object")
    if not isinstance(proof.get("obfuscated", []), list):
        problems.append("proof.obfuscated must be a list")
    chain_id = proof.get("chainId")
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id <= 0:
        problems.append("proof.chainId must be a positive integer")
    if not isinstance(proof.get("registry"), str) or not is_address(proof["registry"]):
        problems.append("proof.registry must be an address")
    return problems


def without_placeholders(value: Any, salts: dict[str, str], pointer: str = "") -> Any:
    """A copy without the `null` placeholders of hidden array elements (nulls that have no salt)."""
    if isinstance(value, dict):
        return {k: without_placeholders(v, salts, f"{pointer}/{escape_pointer_token(k)}") for k, v in value.items()}
    if isinstance(value, list):
        return [
            without_placeholders(v, salts, f"{pointer}/{i}")
            for i, v in enumerate(value)
            if not (v is None and f"{pointer}/{i}" not in salts)
        ]
    return value


def unsupported_value(doc: dict[str, Any]) -> dict[str, str] | None:
    """The first value of `doc` that is not plain JSON within the bounds above, as a problem (pointer, code,
    message); `None` when every value is. The native core's walk where it is installed (one pass, the same
    problem), `reference_unsupported_value` otherwise."""
    if native is None:
        return reference_unsupported_value(doc)
    found = native.unsupported_value(doc, MAX_DEPTH, MAX_VALUES, MAX_TEXT)
    if found is None:
        return None
    pointer, code, message = found
    return {"pointer": pointer, "code": code, "message": message}


def reference_unsupported_value(doc: dict[str, Any]) -> dict[str, str] | None:
    """The pure-Python walk `unsupported_value` stands for: without recursion, so any depth is safe; a value's
    JSON Pointer is only spelt out when it is reported."""
    stack: list[tuple[Any, int, Any]] = [(doc, 0, None)]  # (value, depth, (parent's place, key) or None)
    seen = 0
    while stack:
        value, depth, place = stack.pop()
        seen += 1
        if isinstance(value, str):
            reason = _text_problem(value)
        elif isinstance(value, dict | list):
            reason = None
            if depth >= MAX_DEPTH:
                reason = f"nested more than {MAX_DEPTH} levels deep"
            elif isinstance(value, list):
                stack.extend((item, depth + 1, (place, i)) for i, item in enumerate(value))
            else:
                for key, item in value.items():
                    if not isinstance(key, str) or _text_problem(key) is not None:
                        reason = "a member name that is not valid text"
                        break
                    stack.append((item, depth + 1, (place, key)))
        elif isinstance(value, bool) or value is None:
            reason = None
        elif isinstance(value, int):
            reason = None if -_MAX_INT <= value < _MAX_INT else "an integer beyond 64 bits"
        elif isinstance(value, float):
            reason = None if math.isfinite(value) else "a number that is not finite"
        else:
            reason = f"a {type(value).__name__}, which is not JSON"
        if reason is None and seen > MAX_VALUES:
            reason, place = f"more than {MAX_VALUES} values", None
        if reason is not None:
            pointer = _pointer(place)
            return {"pointer": pointer, "code": "unsupported_value", "message": f"{pointer or '/'}: {reason}"}
    return None


def _text_problem(text: str) -> str | None:
    if len(text) > MAX_TEXT:
        return f"text longer than {MAX_TEXT} characters"
    if not text.isascii() and _LONE_SURROGATE.search(text):
        return "text that is not valid Unicode (a lone surrogate)"
    return None


def _pointer(place: Any) -> str:
    """The JSON Pointer of a place built by `unsupported_value` (nested (parent, key) pairs)."""
    tokens: list[str] = []
    while place is not None:
        place, key = place
        tokens.append(escape_pointer_token(key) if isinstance(key, str) else str(key))
    return "".join("/" + token for token in reversed(tokens))


# ------------------------------------------------------------------------------------------------ issuer standing

#: How many parents up the agency tree standing is looked for (the registry's tree is far shallower).
_MAX_PARENTS = 32


def standing(account: str, reader: Reader) -> tuple[VerificationWarning, ...]:
    """`issuer_not_in_good_standing` warnings for the agency `account` as `reader` sees it: the agency, each
    parent and the province that is not active, or the agency itself when it belongs to an earlier membership
    of a province removed and admitted again. None when the agency is effectively active (or unknown)."""
    agency = reader.agency(account)
    if agency is None or agency.effectively_active:
        return ()
    found: list[VerificationWarning] = []
    if agency.status != AgencyStatus.ACTIVE:
        found.append(_standing_warning(reader, "agency", account, agency.name, agency.status.name.lower()))
    parent, depth = agency.parent, 0
    while parent is not None and depth < _MAX_PARENTS:
        above = reader.agency(parent)
        if above is None:
            break
        if above.status != AgencyStatus.ACTIVE:
            found.append(_standing_warning(reader, "parent", parent, above.name, above.status.name.lower()))
        parent, depth = above.parent, depth + 1
    province = reader.province(agency.province)
    if province is None or province.status != ProvinceStatus.ACTIVE:
        status = province.status.name.lower() if province is not None else "unknown"
        name = province.name if province is not None else str(agency.province)
        since = {"since": province.status_since} if province is not None else {}
        found.append(_standing_warning(reader, "province", str(agency.province), name, status, **since))
    if not found:  # every status is active, yet the agency is not: registered before its province was removed
        found.append(_standing_warning(reader, "agency", account, agency.name, "stale_membership"))
    return tuple(found)


_STANDING_MESSAGES = {
    "agency": "the issuing agency {name} is {status} today",
    "parent": "{name}, a parent of the issuing agency, is {status} today",
    "province": "the issuing province {name} ({id}) is {status} today",
}


def _standing_warning(
    reader: Reader, entity: str, ident: str, name: str, status: str, **extra: Any
) -> VerificationWarning:
    if status == "stale_membership":
        message = f"the issuing agency {name} belongs to an earlier membership of its province, which was removed"
    else:
        message = _STANDING_MESSAGES[entity].format(name=name, status=status, id=ident)
    details = {"entity": entity, "id": ident, "name": name, "status": status, **extra, "block": reader.block_number}
    kind = "stale_membership" if status == "stale_membership" else entity
    return standing_warning(NOT_IN_GOOD_STANDING, kind, message + "; the certificate was authorised when anchored",
                            details)  # fmt: skip


def seconds(at: str | datetime | int) -> int:
    """Unix seconds of a time asked about (RFC 3339 text, a timezone-aware datetime, or Unix seconds)."""
    if isinstance(at, bool) or not isinstance(at, str | datetime | int):
        raise LedgerValueError(f"a time to verify at must be RFC 3339 text, got a {type(at).__name__}")
    when = at if isinstance(at, int) else parse_time(at)
    if not -(2**48) < when < 2**48:
        raise LedgerValueError("a time to verify at must lie within the range of block timestamps")
    return when


_DIGEST = re.compile(r"0x[0-9a-fA-F]{64}")


def status_question(document: Any) -> tuple[str, bytes] | None:
    """The (agency, digest) whose status a document's verification will ask, read without trusting the document
    (None when it names no agency or no well-formed digest: its checks fail before the status is read)."""
    agency = issuer_address(document)
    try:
        digest = document["proof"]["digest"]
    except (TypeError, KeyError):
        return None
    if agency is None or not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        return None
    return agency, bytes.fromhex(digest[2:])
