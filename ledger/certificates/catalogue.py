"""The catalogue of certificate documents: the JSON-LD contexts and types of a credential, the known certificate
types, and the bundled files that describe them.

It holds the constants of the format (`VC_V2_CONTEXT`, `HURONG_CONTEXT`, `CREDENTIAL_CONTEXT`, `CREDENTIAL_TYPE`,
`STATUS_TYPE`, `PROOF_TYPE`, `CONTEXT_FILES`), the VC-API's grant `GENERIC_TYPE`, `CertificateType` and the
registry of the five known types (`certificate_types`, `certificate_type`) with their GB/T 36904 licence type
codes, and the loaders of the bundled JSON Schemas (`schemas/`, `load_schema`) and JSON-LD contexts (`contexts/`,
`load_context`), each file read once and handed out as a copy.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from ledger.certificates.validation import CertificateValidationError, Problem
from ledger.errors import LedgerValueError

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
HURONG_CONTEXT = "https://w3id.org/hurong/contexts/v1"
CREDENTIAL_CONTEXT: tuple[str, str] = (VC_V2_CONTEXT, HURONG_CONTEXT)
CREDENTIAL_TYPE: tuple[str, str] = ("VerifiableCredential", "ElectronicLicense")
STATUS_TYPE = "HurongRegistryStatus"
PROOF_TYPE = "HurongMerkleProof2026"
#: The grant (certificate type id on chain) that lets an agency issue any VC 2.0 credential through the W3C VC-API
#: (`api/routers/vc_api.py`), beside the licence types: it has no schema of its own, the VC 2.0 data model
#: (`ledger.certificates.vc_model`) is its check. Granted on chain like any type id, so it needs no contract change.
GENERIC_TYPE = "generic"
#: The JSON-LD contexts shipped in `ledger/certificates/contexts/`, by URL.
CONTEXT_FILES: Mapping[str, str] = {
    VC_V2_CONTEXT: "credentials-v2.jsonld",
    HURONG_CONTEXT: "hurong-v1.jsonld",
}

HolderIdKind = Literal["resident_id", "uscc"]


@dataclass(frozen=True, slots=True)
class CertificateType:
    """A certificate type: its code (granted on chain), JSON-LD class, Chinese name, kind of holder ID, and its
    GB/T 36904 licence type code (证照类型代码: the defining department's unified social credit code and three
    digits), the second part of the licence identifiers of its certificates (`ledger.certificates.identifiers`)."""

    code: str
    class_name: str
    name: str
    holder_id: HolderIdKind
    licence_type_code: str

    @property
    def schema_file(self) -> str:
        return f"{self.code}.json"

    def schema(self) -> dict[str, Any]:
        """The JSON Schema (2020-12) of this type's `credentialSubject`."""
        return load_schema(self.code)


#: Credit codes standing for the departments that define the known types (market regulation, health, public
#: security, education). They are configuration, not the departments' published codes: valid GB 32100 codes of
#: national-level organs (`11` + `100000`) with `HR` in their body, so no one mistakes them for real ones. A
#: deployment replaces them with the codes its licence type catalogue assigns (docs/identifiers.md).
_DEPARTMENTS = {
    "market_regulation": "11100000HR0000001A",
    "health": "11100000HR0000002D",
    "public_security": "11100000HR0000003G",
    "education": "11100000HR0000004K",
}
_TYPES: tuple[CertificateType, ...] = (
    CertificateType(
        "business_licence", "BusinessLicence", "营业执照", "uscc", _DEPARTMENTS["market_regulation"] + "001"
    ),
    CertificateType(
        "food_business_licence",
        "FoodBusinessLicence",
        "食品经营许可证",
        "uscc",
        _DEPARTMENTS["market_regulation"] + "002",
    ),
    CertificateType(
        "physician_certificate", "PhysicianCertificate", "医师执业证书", "resident_id", _DEPARTMENTS["health"] + "001"
    ),
    CertificateType(
        "driving_licence", "DrivingLicence", "机动车驾驶证", "resident_id", _DEPARTMENTS["public_security"] + "001"
    ),
    CertificateType(
        "degree_certificate", "DegreeCertificate", "学位证书", "resident_id", _DEPARTMENTS["education"] + "001"
    ),
)
_TYPES_BY_CODE = {t.code: t for t in _TYPES}


def certificate_types() -> list[CertificateType]:
    """The known certificate types, in a stable order."""
    return list(_TYPES)


def grantable_types() -> list[str]:
    """The codes an agency can be granted: the licence types and the VC-API's `GENERIC_TYPE`."""
    return [*(t.code for t in _TYPES), GENERIC_TYPE]


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
