"""Certificate documents: the certificate types, the builder of unsigned credentials, and their validation.

A certificate is a W3C Verifiable Credential 2.0 of type `ElectronicLicense` (see docs/certificate-format.md).
`build_credential` turns a `LicenceData` into the unsigned document; `validate_credential` checks a document
(unsigned, or the credential part of a wrapped one) against the envelope rules, the JSON Schema of its
certificate type (`schemas/<certificateType>.json`) and the Chinese checks of `validation`, and raises
`CertificateValidationError` listing every problem with the field's JSON Pointer, a code and a message.

The model is split by concern, and this module re-exports it: `ledger.certificates.catalogue` (constants,
certificate types, bundled schemas and contexts), `ledger.certificates.credential` (`LicenceData`,
`build_credential`), `ledger.certificates.documents` (`validate_credential`), `ledger.certificates.formats`
(JSON Pointers, string formats), `ledger.certificates.schema_checks` (jsonschema validation and its explanations)
and `ledger.certificates.schema_compiler` (schemas compiled into fast predicates).
"""

from ledger.certificates import validation as validation
from ledger.certificates.catalogue import CONTEXT_FILES as CONTEXT_FILES
from ledger.certificates.catalogue import CREDENTIAL_CONTEXT as CREDENTIAL_CONTEXT
from ledger.certificates.catalogue import CREDENTIAL_TYPE as CREDENTIAL_TYPE
from ledger.certificates.catalogue import HURONG_CONTEXT as HURONG_CONTEXT
from ledger.certificates.catalogue import PROOF_TYPE as PROOF_TYPE
from ledger.certificates.catalogue import STATUS_TYPE as STATUS_TYPE
from ledger.certificates.catalogue import VC_V2_CONTEXT as VC_V2_CONTEXT
from ledger.certificates.catalogue import CertificateType as CertificateType
from ledger.certificates.catalogue import HolderIdKind as HolderIdKind
from ledger.certificates.catalogue import certificate_type as certificate_type
from ledger.certificates.catalogue import certificate_types as certificate_types
from ledger.certificates.catalogue import load_context as load_context
from ledger.certificates.catalogue import load_schema as load_schema
from ledger.certificates.credential import FIELD_ALIASES as FIELD_ALIASES
from ledger.certificates.credential import LicenceData as LicenceData
from ledger.certificates.credential import build_credential as build_credential
from ledger.certificates.credential import normalise_datetime as normalise_datetime
from ledger.certificates.documents import validate_credential as validate_credential
from ledger.certificates.formats import escape_pointer as escape_pointer
from ledger.certificates.schema_checks import _validator as _validator
from ledger.certificates.schema_compiler import Predicate as Predicate
from ledger.certificates.schema_compiler import _compiled as _compiled
from ledger.certificates.validation import CertificateValidationError as CertificateValidationError
from ledger.certificates.validation import Problem as Problem

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
