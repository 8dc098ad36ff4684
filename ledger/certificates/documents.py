"""Validation of credential documents: `validate_credential` and the checks that no schema can express.

A document is checked for values no JSON text carries, against the envelope's and its certificate type's JSON
Schemas (`ledger.certificates.schema_checks`), for control characters in its text, and by cross-checks of its
fields: the validity period, EIP-55 checksums of the issuer's and registry's addresses, the status entry's id and
chain, the issuing region within the province, and a driving licence's number. Every problem is collected and
raised together in one `CertificateValidationError`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from eth_utils import is_checksum_address

from ledger.certificates import validation
from ledger.certificates.catalogue import _TYPES_BY_CODE, CertificateType, _schema, _unknown_type
from ledger.certificates.formats import escape_pointer
from ledger.certificates.native import native
from ledger.certificates.schema_checks import _schema_problems
from ledger.certificates.status_list import entry_problems
from ledger.certificates.validation import CertificateValidationError, Problem


@lru_cache(maxsize=4096)
def _is_checksummed(address: str) -> bool:
    """Whether `address` carries a valid EIP-55 checksum (cached: a batch has few distinct addresses)."""
    return bool(is_checksum_address(address))


def _inverted(valid_from: str, valid_until: str) -> Problem:
    return Problem(
        "/validUntil",
        "validity_period_inverted",
        f"validUntil {valid_until} is not later than validFrom {valid_from}",
    )


def _strip_proof(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    """The document without its `proof` (itself when it is a dict without one: it is only read)."""
    if type(doc) is dict and "proof" not in doc:
        return doc
    return {k: v for k, v in doc.items() if k != "proof"}


#: Bounds for the native walk that clears a document as plain JSON at once: text, a value count and a nesting
#: depth `json.dumps` takes in its stride. What the walk does not clear is judged by `json.dumps` as before.
_PLAIN_DEPTH = 256
_PLAIN_VALUES = 1 << 40
_PLAIN_TEXT = 1 << 40


def _not_json(doc: Mapping[str, Any]) -> list[Problem]:
    """Values no JSON text can carry: lone surrogates, NaN and infinities, non-JSON types."""
    if native is not None and native.unsupported_value(doc, _PLAIN_DEPTH, _PLAIN_VALUES, _PLAIN_TEXT) is None:
        return []  # string keys, valid text, finite numbers, JSON types only: `json.dumps` could not refuse it
    try:
        json.dumps(doc, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (ValueError, TypeError):
        return list(_unencodable(doc, ""))
    return []


def _unencodable(value: Any, pointer: str) -> Iterator[Problem]:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            yield Problem(pointer, "invalid_text", "text holds a lone surrogate, which UTF-8 cannot encode")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                yield Problem(pointer, "invalid_type", f"object key {key!r} is no string")
                continue
            yield from _unencodable(key, pointer)
            yield from _unencodable(item, f"{pointer}/{escape_pointer(key)}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unencodable(item, f"{pointer}/{index}")
    elif isinstance(value, float) and not math.isfinite(value):
        yield Problem(pointer, "invalid_number", "NaN and infinities are no JSON numbers")
    elif value is not None and not isinstance(value, bool | int | float):
        yield Problem(pointer, "invalid_type", f"a {type(value).__name__} is no JSON value")


@cache
def _multiline(name: str, base: str) -> frozenset[str]:
    """Pointers of the running-text properties (`"x-multiline": true`) of a bundled schema's top level."""
    properties = _schema(name).get("properties", {})
    return frozenset(f"{base}/{escape_pointer(k)}" for k, v in properties.items() if v.get("x-multiline") is True)


def _text_problems(credential: Mapping[str, Any], kind: CertificateType | None) -> list[Problem]:
    multiline = _multiline("_envelope.json", "")
    if kind is not None:
        multiline |= _multiline(kind.schema_file, "/credentialSubject")
    return list(validation.text_problems(credential, "", multiline))


def _datetime_problems(doc: Mapping[str, Any], refused: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    for name in ("validFrom", "validUntil"):
        value, pointer = doc.get(name), f"/{name}"
        if pointer in refused or not isinstance(value, str):
            continue
        problems.extend(_datetime_range(str(value), pointer))
    return problems


@lru_cache(maxsize=4096)
def _datetime_range(value: str, pointer: str) -> tuple[Problem, ...]:
    """The range problems of one date and time text (cached: a batch repeats its dates; problems are immutable)."""
    try:
        parsed = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return ()  # the schema's format check has refused it
    return tuple(validation.check_datetime_range(parsed, pointer))


def _cross_checks(doc: Mapping[str, Any], kind: CertificateType | None, refused: set[str]) -> list[Problem]:
    problems = _datetime_problems(doc, refused)
    refused = refused | {p.pointer for p in problems}
    valid_from, valid_until = doc.get("validFrom"), doc.get("validUntil")
    if (
        not refused & {"/validFrom", "/validUntil"}
        and isinstance(valid_from, str)
        and isinstance(valid_until, str)
        and valid_until <= valid_from
    ):
        problems.append(_inverted(valid_from, valid_until))
    chain: str | None = None
    issuer = doc.get("issuer")
    if isinstance(issuer, Mapping) and "/issuer/id" not in refused and isinstance(issuer.get("id"), str):
        *_, chain, address = issuer["id"].split(":")
        if not _is_checksummed(address):
            problems.append(
                Problem("/issuer/id", "address_not_checksummed", f"issuer address {address} is not EIP-55 checksummed")
            )
    status = doc.get("credentialStatus")
    if isinstance(status, Mapping) and not any(p.startswith("/credentialStatus") for p in refused):
        registry, status_chain = status["registry"], status["chainId"]
        if not _is_checksummed(registry):
            problems.append(
                Problem(
                    "/credentialStatus/registry",
                    "address_not_checksummed",
                    f"registry address {registry} is not EIP-55 checksummed",
                )
            )
        if status["id"] != f"eip155:{status_chain}:{registry}":
            problems.append(
                Problem(
                    "/credentialStatus/id",
                    "invalid_status_id",
                    f"status id must be eip155:{status_chain}:{registry}, got {status['id']}",
                )
            )
        if chain is not None and str(status_chain) != chain:
            problems.append(
                Problem(
                    "/credentialStatus/chainId",
                    "chain_id_mismatch",
                    f"status chain {status_chain} differs from the issuer's chain {chain}",
                )
            )
    subject = doc.get("credentialSubject")
    if kind is not None and isinstance(subject, Mapping):
        province, region = subject.get("issuingProvince"), subject.get("issuingRegion")
        pointer = "/credentialSubject/issuingRegion"
        if (
            region is not None
            and province is not None
            and not refused & {pointer, "/credentialSubject/issuingProvince"}
        ):
            problems.extend(validation.check_region_code(region, pointer, province=province))
        number_pointer = "/credentialSubject/licenceNumber"
        if (
            kind.code == "driving_licence"
            and not refused & {number_pointer, "/credentialSubject/holderId"}
            and subject.get("licenceNumber") != subject.get("holderId")
        ):
            problems.append(
                Problem(
                    number_pointer,
                    "licence_number_mismatch",
                    "a driving licence number is the holder's resident ID number (holderId)",
                )
            )
    return problems


def validate_credential(doc: Mapping[str, Any]) -> None:
    """Check an unsigned credential (or a wrapped one, whose `proof` is ignored); raise on any problem.

    Raises `CertificateValidationError` whose `problems` name each refused field by JSON Pointer, with a
    machine-readable `code` (`missing_field`, `unexpected_field`, `invalid_resident_id_checksum`, ...) and
    a message.
    """
    if not isinstance(doc, Mapping):
        raise CertificateValidationError(
            [Problem("", "invalid_type", f"a credential is a JSON object, got {type(doc).__name__}")]
        )
    credential = _strip_proof(doc)
    problems = _not_json(credential)
    if problems:
        raise CertificateValidationError(problems)
    credential, status_problems = _registry_status_view(credential)
    problems = _schema_problems("_envelope.json", credential, "")
    kind: CertificateType | None = None
    subject = credential.get("credentialSubject")
    if isinstance(subject, Mapping) and "certificateType" in subject:
        code = subject["certificateType"]
        kind = _TYPES_BY_CODE.get(code) if isinstance(code, str) else None
        if kind is None:
            problems = [p for p in problems if p.pointer != "/credentialSubject/certificateType"]
            problems.append(_unknown_type(code))
        else:
            problems.extend(_schema_problems(kind.schema_file, subject, "/credentialSubject"))
    problems.extend(_text_problems(credential, kind))
    refused = {p.pointer for p in problems}
    problems.extend(_cross_checks(credential, kind, refused))
    if status_problems is not None:
        problems = [_in_array(p) for p in problems] + status_problems
    if problems:
        raise CertificateValidationError(_unique(problems))


def _registry_status_view(credential: Mapping[str, Any]) -> tuple[Mapping[str, Any], list[Problem] | None]:
    """A credential whose `credentialStatus` is an array (its registry status, then `BitstringStatusListEntry`
    objects) as the envelope checks read it, the registry status in the array's place, and the problems of the
    entries; the credential itself and None when it carries a single status object."""
    status = credential.get("credentialStatus")
    if not isinstance(status, list):
        return credential, None
    if not status:
        return {k: v for k, v in credential.items() if k != "credentialStatus"}, [
            Problem("/credentialStatus", "too_short", "credentialStatus starts with the registry status")
        ]
    return {**credential, "credentialStatus": status[0]}, entry_problems(status[1:], "/credentialStatus/1")


def _in_array(problem: Problem) -> Problem:
    """A problem of the registry status as the view read it, pointed at the first item of the array."""
    pointer = problem.pointer
    if pointer == "/credentialStatus" or pointer.startswith("/credentialStatus/"):
        return replace(problem, pointer="/credentialStatus/0" + pointer[len("/credentialStatus") :])
    return problem


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))
