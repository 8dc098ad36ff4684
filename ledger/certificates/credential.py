"""Building credentials: `LicenceData`, what an agency knows about one licence, and `build_credential`, which
makes the unsigned `ElectronicLicense` credential of it.

`FIELD_ALIASES` maps the snake_case names of the standard licence fields to their camelCase names in
`credentialSubject`, `normalise_datetime` brings a validity date to the `YYYY-MM-DDThh:mm:ssZ` form of the
document, and the private helpers copy JSON-like values and check the issuer's and registry's addresses.
Every credential built is checked with `validate_credential` (`ledger.certificates.documents`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from eth_utils import to_checksum_address

from ledger.certificates import validation
from ledger.certificates.catalogue import CREDENTIAL_CONTEXT, CREDENTIAL_TYPE, STATUS_TYPE, certificate_type
from ledger.certificates.documents import _inverted, _is_checksummed, validate_credential
from ledger.certificates.formats import _RFC3339, escape_pointer
from ledger.certificates.identifiers import check_credential_identifier
from ledger.certificates.validation import CertificateValidationError, Problem

#: Standard licence fields a record may leave out.
_OPTIONAL = {"issuing_region", "licence_identifier"}
#: snake_case names of the standard licence fields → their camelCase names in `credentialSubject`.
FIELD_ALIASES = {
    "licence_number": "licenceNumber",
    "certificate_type": "certificateType",
    "holder_name": "holderName",
    "holder_id": "holderId",
    "issuing_province": "issuingProvince",
    "issuing_region": "issuingRegion",
    "licence_identifier": "licenceIdentifier",
    "valid_from": "validFrom",
    "valid_until": "validUntil",
}
_TOP_LEVEL = {"validFrom", "validUntil"}
_RESERVED_SUBJECT = {"type", "id", *(camel for camel in FIELD_ALIASES.values() if camel not in _TOP_LEVEL)}


def _pointer_of(name: str) -> str:
    camel = FIELD_ALIASES.get(name, name)
    return f"/{camel}" if camel in _TOP_LEVEL else f"/credentialSubject/{escape_pointer(camel)}"


def normalise_datetime(value: datetime | str, pointer: str = "") -> str:
    """`value` (an aware datetime or an RFC 3339 string) as `YYYY-MM-DDThh:mm:ssZ` in UTC, to the second."""
    if isinstance(value, str):
        match = _RFC3339.fullmatch(value)
        if not match:
            raise CertificateValidationError(
                [Problem(pointer, "invalid_datetime", f"{value!r} is no RFC 3339 date-time (YYYY-MM-DDThh:mm:ssZ)")]
            )
        try:
            parsed = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        except ValueError:
            raise CertificateValidationError(
                [Problem(pointer, "invalid_datetime", f"{value!r} is not a real date and time")]
            ) from None
    elif isinstance(value, datetime):
        parsed = value
    else:
        raise CertificateValidationError(
            [Problem(pointer, "invalid_type", f"expected a datetime or an RFC 3339 string, got {type(value).__name__}")]
        )
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise CertificateValidationError(
            [Problem(pointer, "invalid_datetime", f"{value!r} has no time zone; give UTC (Z) or an offset")]
        )
    if problems := validation.check_datetime_range(parsed, pointer):
        raise CertificateValidationError(problems)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class LicenceData:
    """What an agency knows about one licence; `build_credential` makes the credential from it.

    `valid_from` and `valid_until` accept aware datetimes or RFC 3339 strings and are normalised to
    `YYYY-MM-DDThh:mm:ssZ` (UTC, whole seconds); `valid_until` must be later than `valid_from`. `fields`
    holds the type-specific fields of `credentialSubject` (see `schemas/<certificate_type>.json`).
    Malformed values raise `CertificateValidationError` with the pointer the value takes in the document.
    """

    licence_number: str
    certificate_type: str
    holder_name: str
    holder_id: str
    issuing_province: str
    valid_from: datetime | str
    valid_until: datetime | str
    issuing_region: str | None = None
    licence_identifier: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        for name in ("licence_number", "certificate_type", "holder_name", "holder_id", "issuing_province"):
            if not isinstance(getattr(self, name), str):
                problems.append(Problem(_pointer_of(name), "invalid_type", f"{name} must be a string"))
        for name in _OPTIONAL:
            if getattr(self, name) is not None and not isinstance(getattr(self, name), str):
                problems.append(Problem(_pointer_of(name), "invalid_type", f"{name} must be a string"))
        if not isinstance(self.fields, Mapping):
            problems.append(Problem("/credentialSubject", "invalid_type", "fields must be a mapping"))
        else:
            for key in self.fields:
                if not isinstance(key, str):
                    problems.append(Problem("/credentialSubject", "invalid_type", f"field name {key!r} is no string"))
                elif key in _RESERVED_SUBJECT:
                    problems.append(
                        Problem(
                            f"/credentialSubject/{escape_pointer(key)}",
                            "reserved_field",
                            f"{key} is set by the builder, not among the type-specific fields",
                        )
                    )
        normalised: dict[str, str] = {}
        for name in ("valid_from", "valid_until"):
            try:
                normalised[name] = normalise_datetime(getattr(self, name), _pointer_of(name))
            except CertificateValidationError as error:
                problems.extend(error.problems)
        if len(normalised) == 2 and normalised["valid_until"] <= normalised["valid_from"]:
            problems.append(_inverted(normalised["valid_from"], normalised["valid_until"]))
        if problems:
            raise CertificateValidationError(problems)
        for name, value in normalised.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "fields", _copy_json(self.fields))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LicenceData:
        """A `LicenceData` from a mapping with camelCase (`holderId`) or snake_case (`holder_id`) keys.

        Keys other than the common ones and `fields` are taken as type-specific fields, so a flat row (from a
        CSV file, say) works as well as `{"...": ..., "fields": {...}}`.
        """
        if not isinstance(data, Mapping):
            raise CertificateValidationError(
                [Problem("", "invalid_type", f"licence data must be a mapping, got {type(data).__name__}")]
            )
        snake = {camel: name for name, camel in FIELD_ALIASES.items()}
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        problems: list[Problem] = []
        for key, value in data.items():
            name = snake.get(key, key)
            if name in FIELD_ALIASES:
                if name in values:
                    problems.append(Problem(_pointer_of(name), "duplicate_field", f"{key} is given twice"))
                values[name] = value
            elif key == "fields":
                if not isinstance(value, Mapping):
                    problems.append(Problem("/credentialSubject", "invalid_type", "fields must be a mapping"))
                else:
                    extra.update(value)
            else:
                extra[key] = value
        for name, alias in FIELD_ALIASES.items():
            if name not in _OPTIONAL and name not in values:
                problems.append(Problem(_pointer_of(name), "missing_field", f"{alias} is required"))
        if problems:
            raise CertificateValidationError(problems)
        return cls(**values, fields=extra)


@lru_cache(maxsize=4096)
def _checksummed(address: str) -> str:
    return str(to_checksum_address(address))


def _copy_json(value: Any) -> Any:
    """A deep copy of JSON-like data (mappings become dicts; other values are shared, as they are immutable)."""
    if isinstance(value, Mapping):
        return {key: _copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_json(item) for item in value]
    return value


def _address(value: Any, pointer: str, what: str) -> str | Problem:
    if not isinstance(value, str) or not re.fullmatch(r"0x[0-9a-fA-F]{40}", value):
        return Problem(pointer, "invalid_address", f"{what} must be 0x and 40 hex digits, got {value!r}")
    if value[2:] != value[2:].lower() and value[2:] != value[2:].upper() and not _is_checksummed(value):
        return Problem(pointer, "address_not_checksummed", f"{what} {value} has a wrong EIP-55 checksum")
    return _checksummed(value)


def build_credential(
    licence: LicenceData | Mapping[str, Any],
    *,
    issuer_address: str,
    chain_id: int,
    issuer_name: str,
    registry: str | None = None,
    credential_id: str | None = None,
    issuer_code: str | None = None,
) -> dict[str, Any]:
    """The unsigned `ElectronicLicense` credential (no `proof`) for `licence`, issued by `issuer_address`.

    `issuer.id` becomes `did:pkh:eip155:<chain_id>:<checksummed address>`; `credentialStatus` is added when
    `registry` (the CertificateRegistry address) is given; `id` is `urn:uuid:<credential_id>` (a new random
    UUID when not given). Addresses may be given in lower case; a mixed-case address must carry a valid
    EIP-55 checksum. The result is validated with `validate_credential` and its licence identifier (if the
    licence has one) with `check_credential_identifier`: of the certificate type's licence type code and, when
    `issuer_code` (the agency's unified social credit code) is given, of that issuing body. Every problem raises
    `CertificateValidationError`.
    """
    data = licence if isinstance(licence, LicenceData) else LicenceData.from_dict(licence)
    kind = certificate_type(data.certificate_type)
    problems: list[Problem] = []
    issuer = _address(issuer_address, "/issuer/id", "issuer address")
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or not 0 < chain_id < 2**53:
        problems.append(
            Problem("/issuer/id", "invalid_chain_id", f"chain id must be a positive integer, got {chain_id!r}")
        )
    if isinstance(issuer, Problem):
        problems.append(issuer)
    status_address = None
    if registry is not None:
        status_address = _address(registry, "/credentialStatus/registry", "registry address")
    if isinstance(status_address, Problem):
        problems.append(status_address)
    try:
        identifier = uuid.UUID(credential_id.removeprefix("urn:uuid:")) if credential_id else uuid.uuid4()
    except (ValueError, AttributeError):
        problems.append(Problem("/id", "invalid_credential_id", f"{credential_id!r} is no UUID or urn:uuid: URN"))
        identifier = uuid.uuid4()
    if problems:
        raise CertificateValidationError(problems)
    subject: dict[str, Any] = {
        "type": kind.class_name,
        "licenceNumber": data.licence_number,
        "certificateType": kind.code,
        "holderName": data.holder_name,
        "holderId": data.holder_id,
        "issuingProvince": data.issuing_province,
    }
    if data.issuing_region is not None:
        subject["issuingRegion"] = data.issuing_region
    if data.licence_identifier is not None:
        subject["licenceIdentifier"] = data.licence_identifier
    subject.update(_copy_json(data.fields))
    document: dict[str, Any] = {
        "@context": list(CREDENTIAL_CONTEXT),
        "id": identifier.urn,
        "type": list(CREDENTIAL_TYPE),
        "issuer": {"id": f"did:pkh:eip155:{chain_id}:{issuer}", "name": issuer_name},
        "validFrom": data.valid_from,
        "validUntil": data.valid_until,
        "credentialSubject": subject,
    }
    if status_address is not None:
        document["credentialStatus"] = {
            "id": f"eip155:{chain_id}:{status_address}",
            "type": STATUS_TYPE,
            "chainId": chain_id,
            "registry": status_address,
        }
    validate_credential(document)
    if problems := check_credential_identifier(document, issuer_code=issuer_code):
        raise CertificateValidationError(problems)
    return document
