"""Certificate documents: the certificate types, the builder of unsigned credentials, and their validation.

A certificate is a W3C Verifiable Credential 2.0 of type `ElectronicLicense` (see docs/certificate-format.md).
`build_credential` turns a `LicenceData` into the unsigned document; `validate_credential` checks a document
(unsigned, or the credential part of a wrapped one) against the envelope rules, the JSON Schema of its
certificate type (`schemas/<certificateType>.json`) and the Chinese checks of `validation`, and raises
`CertificateValidationError` listing every problem with the field's JSON Pointer, a code and a message.
"""

from __future__ import annotations

import copy
import json
import math
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal

from eth_utils import is_checksum_address, to_checksum_address
from jsonschema import (  # type: ignore[import-untyped,unused-ignore]
    Draft202012Validator,
    FormatChecker,
    ValidationError,
)

from ledger.certificates import validation
from ledger.certificates.validation import CertificateValidationError, Problem
from ledger.errors import LedgerValueError

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
HURONG_CONTEXT = "https://w3id.org/hurong/contexts/v1"
CREDENTIAL_CONTEXT: tuple[str, str] = (VC_V2_CONTEXT, HURONG_CONTEXT)
CREDENTIAL_TYPE: tuple[str, str] = ("VerifiableCredential", "ElectronicLicense")
STATUS_TYPE = "HurongRegistryStatus"
PROOF_TYPE = "HurongMerkleProof2026"
#: The JSON-LD contexts shipped in `ledger/certificates/contexts/`, by URL.
CONTEXT_FILES: Mapping[str, str] = {
    VC_V2_CONTEXT: "credentials-v2.jsonld",
    HURONG_CONTEXT: "hurong-v1.jsonld",
}

HolderIdKind = Literal["resident_id", "uscc"]


@dataclass(frozen=True, slots=True)
class CertificateType:
    """A certificate type: its code (granted on chain), JSON-LD class, Chinese name and kind of holder ID."""

    code: str
    class_name: str
    name: str
    holder_id: HolderIdKind

    @property
    def schema_file(self) -> str:
        return f"{self.code}.json"

    def schema(self) -> dict[str, Any]:
        """The JSON Schema (2020-12) of this type's `credentialSubject`."""
        return load_schema(self.code)


_TYPES: tuple[CertificateType, ...] = (
    CertificateType("business_licence", "BusinessLicence", "营业执照", "uscc"),
    CertificateType("food_business_licence", "FoodBusinessLicence", "食品经营许可证", "uscc"),
    CertificateType("physician_certificate", "PhysicianCertificate", "医师执业证书", "resident_id"),
    CertificateType("driving_licence", "DrivingLicence", "机动车驾驶证", "resident_id"),
    CertificateType("degree_certificate", "DegreeCertificate", "学位证书", "resident_id"),
)
_TYPES_BY_CODE = {t.code: t for t in _TYPES}


def certificate_types() -> list[CertificateType]:
    """The known certificate types, in a stable order."""
    return list(_TYPES)


def certificate_type(code: str) -> CertificateType:
    """The certificate type with this code; `CertificateValidationError` if there is none."""
    found = _TYPES_BY_CODE.get(code) if isinstance(code, str) else None
    if found is None:
        raise CertificateValidationError([_unknown_type(code)])
    return found


def _unknown_type(code: Any) -> Problem:
    known = ", ".join(_TYPES_BY_CODE)
    return Problem(
        "/credentialSubject/certificateType",
        "unknown_certificate_type",
        f"unknown certificate type {code!r}; known: {known}",
    )


# --- bundled files --------------------------------------------------------------------------------------------


def _read_json(folder: str, name: str) -> dict[str, Any]:
    text = resources.files(__package__ or "ledger.certificates").joinpath(folder, name).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _schema(name: str) -> dict[str, Any]:
    return _read_json("schemas", name)


def load_schema(code: str) -> dict[str, Any]:
    """A copy of the JSON Schema of a certificate type's `credentialSubject` (`envelope` for the credential)."""
    if code == "envelope":
        return copy.deepcopy(_schema("_envelope.json"))
    return copy.deepcopy(_schema(certificate_type(code).schema_file))


@cache
def _context(url: str) -> dict[str, Any]:
    return _read_json("contexts", CONTEXT_FILES[url])


def load_context(url: str) -> dict[str, Any]:
    """A copy of a bundled JSON-LD context document (the W3C VC v2 context or Hurong's), by URL."""
    if url not in CONTEXT_FILES:
        raise LedgerValueError(f"no bundled JSON-LD context for {url!r}; bundled: {', '.join(CONTEXT_FILES)}")
    return copy.deepcopy(_context(url))


# --- building -------------------------------------------------------------------------------------------------

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})",
    flags=re.ASCII,
)
#: snake_case names of the standard licence fields → their camelCase names in `credentialSubject`.
FIELD_ALIASES = {
    "licence_number": "licenceNumber",
    "certificate_type": "certificateType",
    "holder_name": "holderName",
    "holder_id": "holderId",
    "issuing_province": "issuingProvince",
    "issuing_region": "issuingRegion",
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
    fields: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        for name in ("licence_number", "certificate_type", "holder_name", "holder_id", "issuing_province"):
            if not isinstance(getattr(self, name), str):
                problems.append(Problem(_pointer_of(name), "invalid_type", f"{name} must be a string"))
        if self.issuing_region is not None and not isinstance(self.issuing_region, str):
            problems.append(Problem(_pointer_of("issuing_region"), "invalid_type", "issuing_region must be a string"))
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
        for name in FIELD_ALIASES:
            if name != "issuing_region" and name not in values:
                problems.append(Problem(_pointer_of(name), "missing_field", f"{FIELD_ALIASES[name]} is required"))
        if problems:
            raise CertificateValidationError(problems)
        return cls(**values, fields=extra)


@lru_cache(maxsize=4096)
def _is_checksummed(address: str) -> bool:
    """Whether `address` carries a valid EIP-55 checksum (cached: a batch has few distinct addresses)."""
    return bool(is_checksum_address(address))


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


def _inverted(valid_from: str, valid_until: str) -> Problem:
    return Problem(
        "/validUntil",
        "validity_period_inverted",
        f"validUntil {valid_until} is not later than validFrom {valid_from}",
    )


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
) -> dict[str, Any]:
    """The unsigned `ElectronicLicense` credential (no `proof`) for `licence`, issued by `issuer_address`.

    `issuer.id` becomes `did:pkh:eip155:<chain_id>:<checksummed address>`; `credentialStatus` is added when
    `registry` (the CertificateRegistry address) is given; `id` is `urn:uuid:<credential_id>` (a new random
    UUID when not given). Addresses may be given in lower case; a mixed-case address must carry a valid
    EIP-55 checksum. The result is validated with `validate_credential`; every problem raises
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
    return document


# --- validation -----------------------------------------------------------------------------------------------


def escape_pointer(token: str) -> str:
    """One RFC 6901 reference token (`~` as `~0`, `/` as `~1`)."""
    return token.replace("~", "~0").replace("/", "~1")


def _pointer(base: str, path: Iterable[Any]) -> str:
    return base + "".join(f"/{escape_pointer(str(part))}" for part in path)


def _date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, flags=re.ASCII):
        return False
    date.fromisoformat(value)
    return True


def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(_RFC3339.fullmatch(value)) and bool(datetime.fromisoformat(value.upper().replace("Z", "+00:00")))


#: Formats of the schemas whose failures are explained by a check of `validation` (value, pointer -> problems).
_DETAILED_FORMATS: Mapping[str, Callable[[Any, str], list[Problem]]] = {
    "gb11643-resident-id": validation.check_resident_id,
    "gb32100-uscc": validation.check_uscc,
    "gb2260-province": validation.check_province_code,
    "gb2260-region": validation.check_region_code,
}


def _passes(check: Callable[[Any, str], list[Problem]]) -> Callable[[object], bool]:
    return lambda value: not isinstance(value, str) or not check(value, "")


#: The formats the bundled schemas use; each function raises ValueError or returns False for a bad value.
_FORMAT_FUNCTIONS: Mapping[str, Callable[[object], bool]] = {
    "date": _date,
    "date-time": _date_time,
    **{name: _passes(check) for name, check in _DETAILED_FORMATS.items()},
}


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    for name, function in _FORMAT_FUNCTIONS.items():
        checker.checks(name, raises=ValueError)(function)
    return checker


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = _schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=_format_checker())


_GENERIC_CODES = {
    "type": "invalid_type",
    "const": "invalid_value",
    "enum": "invalid_value",
    "pattern": "pattern_mismatch",
    "minLength": "too_short",
    "minItems": "too_short",
    "maxLength": "too_long",
    "maxItems": "too_long",
    "minimum": "out_of_range",
    "maximum": "out_of_range",
    "uniqueItems": "duplicate_items",
}
_FORMAT_CODES = {"date": "invalid_date", "date-time": "invalid_datetime"}


def _schema_problems(name: str, instance: Any, base: str) -> list[Problem]:
    """Problems of `instance` against a bundled schema: the compiled check first, jsonschema to explain."""
    fast = _compiled(name)
    if fast is not None and fast(instance):
        return []
    problems: list[Problem] = []
    for error in _validator(name).iter_errors(instance):
        problems.extend(_explain(error, base))
    return problems


# Issuance validates every document, so a schema is also compiled into a plain predicate that decides
# validity several times faster than jsonschema; jsonschema only runs to explain a document the predicate
# refuses. The compiler knows just the keywords the bundled schemas use and gives up (None) on any other.

Predicate = Callable[[Any], bool]
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "examples", "default", "x-error-code", "x-multiline"}
)


class _Unsupported(Exception):
    pass


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality as JSON Schema means it: booleans are not numbers, 1 equals 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | dict) or isinstance(b, list | dict):
        return False
    return bool(a == b)


def _is_type(name: str) -> Predicate:
    checks: dict[str, Predicate] = {
        "string": lambda i: isinstance(i, str),
        "object": lambda i: isinstance(i, dict),
        "array": lambda i: isinstance(i, list),
        "boolean": lambda i: isinstance(i, bool),
        "null": lambda i: i is None,
        "number": lambda i: isinstance(i, int | float) and not isinstance(i, bool),
        "integer": lambda i: (
            (isinstance(i, int) and not isinstance(i, bool)) or (isinstance(i, float) and i.is_integer())
        ),
    }
    if name not in checks:
        raise _Unsupported(f"type {name!r}")
    return checks[name]


def _format_predicate(name: str) -> Predicate:
    check = _FORMAT_FUNCTIONS.get(name)
    if check is None:
        return lambda i: True  # jsonschema, too, lets unknown formats pass

    def predicate(instance: Any) -> bool:
        try:
            return check(instance)
        except ValueError:
            return False

    return predicate


def _compile_schema(schema: Mapping[str, Any]) -> Predicate:
    checks: list[Predicate] = []
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        checks.append(_compile_keyword(keyword, value, schema))
    if len(checks) == 1:
        return checks[0]
    every = tuple(checks)

    def check_all(instance: Any) -> bool:
        for check in every:
            if not check(instance):
                return False
        return True

    return check_all


def _compile_keyword(keyword: str, value: Any, schema: Mapping[str, Any]) -> Predicate:
    if keyword == "type" and isinstance(value, str):
        return _is_type(value)
    if keyword == "const":
        return lambda i: _json_equal(i, value)
    if keyword == "enum":
        return lambda i: any(_json_equal(i, v) for v in value)
    if keyword == "pattern":
        regex = re.compile(value)
        return lambda i: not isinstance(i, str) or regex.search(i) is not None
    if keyword == "format":
        return _format_predicate(value)
    if keyword == "minLength":
        return lambda i: not isinstance(i, str) or len(i) >= value
    if keyword == "maxLength":
        return lambda i: not isinstance(i, str) or len(i) <= value
    if keyword == "minItems":
        return lambda i: not isinstance(i, list) or len(i) >= value
    if keyword == "maxItems":
        return lambda i: not isinstance(i, list) or len(i) <= value
    if keyword in ("minimum", "maximum"):
        number = _is_type("number")
        if keyword == "minimum":
            return lambda i: not number(i) or i >= value
        return lambda i: not number(i) or i <= value
    if keyword == "uniqueItems":
        if not value:
            return lambda i: True
        return lambda i: (
            not isinstance(i, list) or not any(_json_equal(a, b) for n, a in enumerate(i) for b in i[n + 1 :])
        )
    if keyword == "items" and isinstance(value, Mapping):
        item = _compile_schema(value)

        def items(instance: Any) -> bool:
            if isinstance(instance, list):
                for element in instance:
                    if not item(element):
                        return False
            return True

        return items
    if keyword == "required":
        names = tuple(value)
        return lambda i: not isinstance(i, dict) or all(n in i for n in names)
    if keyword == "properties":
        subs = tuple((name, _compile_schema(sub)) for name, sub in value.items())

        def properties(instance: Any) -> bool:
            if isinstance(instance, dict):
                for name, sub in subs:
                    if name in instance and not sub(instance[name]):
                        return False
            return True

        return properties
    if keyword == "additionalProperties" and value is False and "patternProperties" not in schema:
        allowed = frozenset(schema.get("properties", {}))
        return lambda i: not isinstance(i, dict) or allowed.issuperset(i)
    raise _Unsupported(keyword)


@cache
def _compiled(name: str) -> Predicate | None:
    try:
        return _compile_schema(_schema(name))
    except _Unsupported:
        return None


def _explain(error: ValidationError, base: str) -> list[Problem]:
    where = _pointer(base, error.absolute_path)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    keyword = str(error.validator)
    title = schema.get("title")
    label = f"{title}: " if title else ""
    if keyword == "required":
        properties = schema.get("properties", {})
        return [
            Problem(
                f"{where}/{escape_pointer(name)}",
                "missing_field",
                f"{properties.get(name, {}).get('title', name)} ({name}) is required",
            )
            for name in error.validator_value
            if isinstance(error.instance, Mapping) and name not in error.instance
        ]
    if keyword == "additionalProperties":
        allowed = set(schema.get("properties", {}))
        return [
            Problem(
                f"{where}/{escape_pointer(str(name))}",
                "unexpected_field",
                f"{name} is not a field of {title or 'this object'}",
            )
            for name in error.instance
            if name not in allowed
        ]
    if keyword == "format" and error.validator_value in _DETAILED_FORMATS:
        detailed = _DETAILED_FORMATS[error.validator_value](error.instance, where)
        if detailed:
            return [Problem(p.pointer, p.code, f"{label}{p.message}") for p in detailed]
    code = schema.get("x-error-code") or _FORMAT_CODES.get(str(error.validator_value) if keyword == "format" else "")
    code = code or _GENERIC_CODES.get(keyword, "schema_violation")
    return [Problem(where, str(code), f"{label}{error.message}")]


def _strip_proof(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "proof"}


def _not_json(doc: Mapping[str, Any]) -> list[Problem]:
    """Values no JSON text can carry: lone surrogates, NaN and infinities, non-JSON types."""
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
        try:
            parsed = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        except ValueError:
            continue  # the schema's format check has refused it
        problems.extend(validation.check_datetime_range(parsed, pointer))
    return problems


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
    if problems:
        raise CertificateValidationError(_unique(problems))


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


__all__ = [
    "CONTEXT_FILES",
    "CREDENTIAL_CONTEXT",
    "CREDENTIAL_TYPE",
    "CertificateType",
    "HURONG_CONTEXT",
    "LicenceData",
    "PROOF_TYPE",
    "STATUS_TYPE",
    "VC_V2_CONTEXT",
    "build_credential",
    "certificate_type",
    "certificate_types",
    "escape_pointer",
    "load_context",
    "load_schema",
    "normalise_datetime",
    "validate_credential",
]
