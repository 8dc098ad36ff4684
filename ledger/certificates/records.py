"""Licence records: what an agency submits for one licence, and the JSON Schema that describes it per type.

A licence record is the flat form `LicenceData.from_dict` reads: the fields of the type's `credentialSubject`
(its `type` aside, which the builder sets), `validFrom` and `validUntil`, and two fields that are not part of
the certificate: `issuer`, the issuing agency's DID (filled from whoever issues when absent), and `supersedes`,
the digest of the agency's certificate this one replaces. `record_schema` describes the canonical camelCase
form; the snake_case aliases of `FIELD_ALIASES` and a nested `fields` object are accepted as well.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger.certificates.catalogue import certificate_type, load_schema
from ledger.certificates.credential import FIELD_ALIASES
from ledger.certificates.did import parse_agency_did
from ledger.certificates.validation import Problem
from ledger.errors import LedgerValueError

#: Fields of a licence record that are not part of the certificate it makes.
ISSUER_FIELD = "issuer"
SUPERSEDES_FIELD = "supersedes"
_DIGEST_PATTERN = "^0x[0-9a-fA-F]{64}$"
_DIGEST = re.compile(_DIGEST_PATTERN)
_DID_PATTERN = "^did:pkh:eip155:[1-9][0-9]{0,15}:0x[0-9a-fA-F]{40}$"


def record_schema(code: str) -> dict[str, Any]:
    """The JSON Schema (2020-12) of a licence record of certificate type `code`, for API documentation."""
    kind = certificate_type(code)
    subject = load_schema(code)
    envelope = load_schema("envelope")["properties"]
    properties: dict[str, Any] = {k: v for k, v in subject["properties"].items() if k != "type"}
    properties["validFrom"] = envelope["validFrom"]
    properties["validUntil"] = envelope["validUntil"]
    properties[ISSUER_FIELD] = {
        "title": "发证机关",
        "description": "The issuing agency's DID (did:pkh:eip155:<chainId>:<address>), or an object with its `id`. "
        "Filled from the API key when absent; a record naming another agency is refused (`issuer_mismatch`).",
        "anyOf": [
            {"type": "string", "pattern": _DID_PATTERN},
            {"type": "object", "required": ["id"], "properties": {"id": {"type": "string", "pattern": _DID_PATTERN}}},
        ],
    }
    properties[SUPERSEDES_FIELD] = {
        "type": "string",
        "title": "替代的证照",
        "description": "Digest of this agency's active certificate of the same type and licence number that the new "
        "one replaces: it is superseded (reason `replaced`) once the new one is anchored.",
        "pattern": _DIGEST_PATTERN,
    }
    required = [name for name in subject["required"] if name != "type"] + ["validFrom", "validUntil"]
    return {
        "title": f"{kind.name}（{kind.code}）",
        "description": f"A licence record of type {kind.code} ({kind.class_name}): the credentialSubject fields, "
        "validity, and optionally issuer and supersedes. snake_case aliases "
        f"({', '.join(FIELD_ALIASES)}) and type-specific fields nested under `fields` are accepted too.",
        "type": "object",
        "required": required,
        "properties": copy.deepcopy(properties),
    }


@dataclass(frozen=True)
class Submitted:
    """One submitted record made ready to build: the record or unsigned credential itself (a record without its
    `issuer`, a credential with the issuer filled in when absent), the digest it supersedes, and its problems."""

    document: Any
    supersedes: str | None = None
    problems: tuple[Problem, ...] = ()


def take_record(record: Any, did: str, issuer_name: str) -> Submitted:
    """Take `supersedes` (and a licence record's `issuer`) out of a submitted record issued as `did`.

    An issuer other than `did` is refused (`issuer_mismatch`); an unsigned credential without an issuer gets
    `{"id": did, "name": issuer_name}`. Anything that is not an object is handed on for validation to refuse."""
    if not isinstance(record, Mapping):
        return Submitted(record)
    document = {k: v for k, v in record.items() if k != SUPERSEDES_FIELD}
    problems: list[Problem] = []
    supersedes = record.get(SUPERSEDES_FIELD)
    if supersedes is not None and (not isinstance(supersedes, str) or not _DIGEST.fullmatch(supersedes)):
        problems.append(Problem(f"/{SUPERSEDES_FIELD}", "invalid_digest", "supersedes must be 0x and 64 hex digits"))
        supersedes = None
    if "@context" in document:
        document.setdefault(ISSUER_FIELD, {"id": did, "name": issuer_name})
    elif ISSUER_FIELD in document:
        named = document.pop(ISSUER_FIELD)
        named_id = named.get("id") if isinstance(named, Mapping) else named
        if not _same_agency(named_id, did):
            shown = repr(named_id) if isinstance(named_id, str) and len(named_id) <= 80 else "another issuer"
            problems.append(
                Problem(f"/{ISSUER_FIELD}", "issuer_mismatch", f"the API key issues as {did}; the record names {shown}")
            )
    return Submitted(document, supersedes.lower() if isinstance(supersedes, str) else None, tuple(problems))


def _same_agency(named: Any, did: str) -> bool:
    try:
        return parse_agency_did(named) == parse_agency_did(did)
    except LedgerValueError:
        return False
