"""Certificate documents (电子证照): W3C Verifiable Credentials 2.0 of type `ElectronicLicense`.

`build_credential` makes the unsigned credential of a licence, `validate_credential` checks one against the
envelope rules, its type's JSON Schema (`schemas/`) and the Chinese checks of `validation` (resident ID
numbers, unified social credit codes, GB/T 2260 codes from `regions`); `load_context` serves the bundled
JSON-LD contexts (`contexts/`). The format is described in docs/certificate-format.md.
"""

from ledger.certificates import regions, validation
from ledger.certificates.catalogue import (
    CONTEXT_FILES,
    CREDENTIAL_CONTEXT,
    CREDENTIAL_TYPE,
    HURONG_CONTEXT,
    PROOF_TYPE,
    STATUS_TYPE,
    VC_V2_CONTEXT,
    CertificateType,
    certificate_type,
    certificate_types,
    load_context,
    load_schema,
)
from ledger.certificates.credential import LicenceData, build_credential
from ledger.certificates.documents import validate_credential
from ledger.certificates.validation import CertificateValidationError, Problem

__all__ = [
    "CONTEXT_FILES",
    "CREDENTIAL_CONTEXT",
    "CREDENTIAL_TYPE",
    "CertificateType",
    "CertificateValidationError",
    "HURONG_CONTEXT",
    "LicenceData",
    "PROOF_TYPE",
    "Problem",
    "STATUS_TYPE",
    "VC_V2_CONTEXT",
    "build_credential",
    "certificate_type",
    "certificate_types",
    "load_context",
    "load_schema",
    "regions",
    "validate_credential",
    "validation",
]
