"""The W3C VC-API (https://w3c-ccg.github.io/vc-api/): issuing and verifying VC 2.0 credentials at
`/api/v1/vc/credentials/issue` and `/api/v1/vc/credentials/verify`.

The base URL sits under `/api/v1` so that the VC-API shares the service's admission (API keys, body limits,
rate limits), its error form and its OpenAPI document; `/vc` keeps the two endpoints apart from Hurong's own.

- Issuing takes `{credential, options}` with the agency's API key and answers 201 `{verifiableCredential}` once
  its root is anchored. A licence (`ElectronicLicense` naming one of the licence types) goes through the agency's
  licence issuer as `POST /certificates` does; any other VC 2.0 credential needs the agency's `generic` grant
  (`GENERIC_TYPE`, granted on chain as a type id) and is anchored by an issuer of the same journal and chain
  account whose check is the VC 2.0 data model instead of a licence schema. The service completes a generic
  credential with what verification reads: Hurong's context, `credentialSubject.certificateType` (`generic`)
  and `issuingProvince`, and `validFrom` (now) when absent; `validUntil` is required.
- Verifying takes `{verifiableCredential, options}` (no key) and answers 200 `{checks, warnings, errors}` when
  every check passed, else 400 with the same body and the service's `error` (code `verification_failed`): the VC
  2.0 data model
  (`dataModel`) first, then Hurong's checks (integrity, inclusion, anchoring, issuer, signature, status, validity).
- Every data-model violation is a 400 `invalid_credential` listing each rule broken (`code`) and its `pointer`.
"""

from __future__ import annotations

import threading
import time
import weakref
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from api import licences
from api.batching import BatchingIssuer
from api.deps import CurrentAgency, ServiceDep
from api.errors import ApiError
from api.identifiers import IdentifyingIssuer, credit_code
from api.schemas import ErrorResponse
from api.service import Service
from ledger.certificates.catalogue import GENERIC_TYPE, HURONG_CONTEXT, certificate_types
from ledger.certificates.validation import CertificateValidationError, Problem
from ledger.certificates.vc_model import check_vc, vc_problems
from ledger.errors import IssuanceError
from ledger.issuance.journal import DuplicateLicence
from ledger.verification import Verifier

router = APIRouter(
    prefix="/vc",
    tags=["vc-api"],
    responses={400: {"model": ErrorResponse}, 401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}},
)

_LICENCE_TYPES = frozenset(t.code for t in certificate_types())
#: Problems of the issuance check that mean the caller may not issue this, not that the credential is malformed.
_FORBIDDEN = frozenset({"issuer_mismatch", "type_not_granted", "province_mismatch"})
_generic: weakref.WeakKeyDictionary[Service, dict[str, BatchingIssuer]] = weakref.WeakKeyDictionary()
_verifiers: weakref.WeakKeyDictionary[Service, Verifier] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def validate_any(document: dict[str, Any]) -> None:
    """The check of a credential by its kind: a generic one by the VC 2.0 data model, a licence by its schema."""
    subject = document.get("credentialSubject")
    if isinstance(subject, dict) and subject.get("certificateType") == GENERIC_TYPE:
        check_vc(document)
        return
    from ledger.certificates import validate_credential

    validate_credential(document)


@router.post("/credentials/issue", status_code=201)
def issue_credential(
    agency: CurrentAgency,
    service: ServiceDep,
    body: dict[str, Any] = Body(...),  # noqa: B008
) -> dict[str, Any]:
    """Issue a VC 2.0 credential (签发可验证凭证) of the calling agency: `{credential, options}` →
    `{verifiableCredential}`, anchored before the answer. A licence needs its type granted, any other credential
    the agency's `generic` grant (403 `type_not_granted`); each data-model rule broken is a 400."""
    credential = _member(body, "credential")
    if "proof" in credential:
        raise _invalid([Problem("/credential/proof", "already_wrapped", "the credential already has a proof")])
    _refuse(vc_problems(credential))
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    batching = service.issuer(agency.subject)
    if issuer_id != batching.issuer.did:
        raise ApiError(403, "issuer_mismatch", f"the API key's agency issues as {batching.issuer.did}")
    subject = credential["credentialSubject"]
    licence = (
        isinstance(subject, dict)
        and subject.get("certificateType") in _LICENCE_TYPES
        and "ElectronicLicense" in _listed(credential.get("type"))
    )
    if licence:
        try:
            document = batching.issuer.credential(credential)
        except CertificateValidationError as exc:
            raise _invalid(exc.problems) from None
    else:
        document = _generic_document(service, agency.subject, credential)
        batching = _generic_issuer(service, agency.subject)
    try:
        wrapped = batching.submit([document], replaceable=())
    except IssuanceError as exc:
        listed = [Problem(str(p.get("pointer", "")), str(p.get("code")), str(p.get("message"))) for p in exc.problems]
        if any(p.code in _FORBIDDEN for p in listed):
            first = next(p for p in listed if p.code in _FORBIDDEN)
            raise ApiError(403, first.code, first.message, {"problems": [p.as_dict() for p in listed]}) from None
        raise _invalid(listed) from None
    except DuplicateLicence as exc:
        raise licences.duplicate_error(exc) from None
    issued = wrapped[0]
    service.wait_indexed(int(issued["proof"].get("anchor", {}).get("blockNumber") or 0))
    return {"verifiableCredential": issued}


@router.post("/credentials/verify", responses={200: {"description": "every check passed"}})
def verify_credential(service: ServiceDep, body: dict[str, Any] = Body(...)) -> JSONResponse:  # noqa: B008
    """Verify a VC 2.0 credential (验证可验证凭证): `{verifiableCredential, options}` → 200
    `{checks, warnings, errors}` when every check passed, else 400 naming the failed checks."""
    credential = _member(body, "verifiableCredential")
    problems = vc_problems(credential)
    if problems:
        error = {"check": "dataModel", "code": "invalid_credential", "message": problems[0].message,
                 "problems": [p.as_dict() for p in problems]}  # fmt: skip
        return _verdict([], [], [error])
    result = _verifier(service).verify(credential, reader=service.reader("index"))
    checks = ["dataModel"] + [c.name for c in result.checks if c.outcome.value == "passed"]
    errors = [
        {"check": c.name, "code": c.code, "message": c.message, "details": c.details}
        for c in result.checks
        if c.outcome.value == "failed"
    ]
    warnings = [w.to_json() for w in result.warnings]
    warnings += [{"code": f"{c.name}_skipped", "message": c.message} for c in result.checks
                 if c.outcome.value == "skipped" and c.name not in ("signature", "recognition")]  # fmt: skip
    return _verdict(checks, warnings, errors, verdict=result.verdict, block=result.block_number)


# --- helpers -----------------------------------------------------------------------------------------------------


def _member(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if not isinstance(value, dict):
        problem = Problem(f"/{name}", "invalid_request", f"{name} must be an object")
        raise ApiError(400, "invalid_request", f"the request body must hold {name} as a JSON object",
                       {"problems": [problem.as_dict()]})  # fmt: skip
    options = body.get("options", {})
    if not isinstance(options, dict):
        raise ApiError(400, "invalid_request", "options must be a JSON object")
    return value


def _invalid(problems: list[Problem]) -> ApiError:
    first = problems[0]
    return ApiError(400, "invalid_credential", f"{first.pointer or '/'}: {first.message} [{first.code}]",
                    {"problems": [p.as_dict() for p in problems]})  # fmt: skip


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise _invalid(problems)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _verdict(
    checks: list[str], warnings: list[Any], errors: list[Any], *, verdict: str | None = None, block: int | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"checks": checks, "warnings": warnings, "errors": errors}
    if verdict is not None:
        body["verdict"] = verdict
        body["blockNumber"] = block
    if errors:
        first = errors[0]
        body["error"] = {"code": "verification_failed", "message": f"{first['check']}: {first['message']}"}
        return JSONResponse(body, status_code=400)
    return JSONResponse(body, status_code=200)


def _generic_document(service: Service, agency: str, credential: dict[str, Any]) -> dict[str, Any]:
    """The generic credential completed with what Hurong's verification reads, after checking the agency's
    `generic` grant (read from the chain now: a grant revoked a moment ago counts)."""
    record = service.client.authorities.agency(agency)
    if GENERIC_TYPE not in record.certificate_types:
        raise ApiError(403, "type_not_granted", f"the agency is not granted the {GENERIC_TYPE!r} credential type")
    subject = credential["credentialSubject"]
    if not isinstance(subject, dict):
        raise _invalid([Problem("/credentialSubject", "single_subject",
                                "an anchored credential has one credentialSubject object")])  # fmt: skip
    problems = []
    if "validUntil" not in credential:
        problems.append(Problem("/validUntil", "valid_until_required",
                                "a credential anchored by Hurong names the end of its validity"))  # fmt: skip
    for name in ("certificateType", "issuingProvince"):
        if name in subject:
            problems.append(Problem(f"/credentialSubject/{name}", "reserved_property",
                                    f"credentialSubject.{name} is set by the service"))  # fmt: skip
    _refuse(problems)
    contexts = _listed(credential["@context"])
    document = {
        **credential,
        "@context": contexts if HURONG_CONTEXT in contexts else [*contexts, HURONG_CONTEXT],
        "credentialSubject": {**subject, "certificateType": GENERIC_TYPE, "issuingProvince": str(record.province)},
    }
    if "validFrom" not in document:
        document["validFrom"] = datetime.fromtimestamp(int(time.time()), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    _refuse(vc_problems(document))
    return document


def _generic_issuer(service: Service, agency: str) -> BatchingIssuer:
    """The issuer of the agency's generic credentials: the same journal, chain account, suite, signing keys,
    identifiers and status lists as its licence issuer, the VC 2.0 data model as its check."""
    with _lock:
        issuers = _generic.setdefault(service, {})
        if agency in issuers:
            return issuers[agency]
        settings = service.settings
        suite = service.suite_of(agency)
        issuer = IdentifyingIssuer(
            service.signer(agency),
            service.journal(agency),
            suite=suite,
            max_batch=settings.batch_max_size,
            confirmations=settings.confirmations,
            validate=validate_any,
            serials=service.serials,
            issuer_code=credit_code(service.deployment, agency),
            status_lists=service.status_lists,
            status_list_base=service.status_list_base,
        )
        batching = BatchingIssuer(
            issuer,
            max_size=settings.batch_max_size,
            max_wait=settings.batch_max_wait,
            on_batch=service.metrics.batch_anchored,
            signing=lambda refresh: service.signing_keys.signer(agency, suite, refresh=refresh),
        )
        issuers[agency] = batching
        return batching


def _verifier(service: Service) -> Verifier:
    with _lock:
        verifier = _verifiers.get(service)
        if verifier is None:
            verifier = _verifiers[service] = Verifier(service.client, validate=validate_any)
        return verifier
