"""Errors as JSON `{"error": {"code", "message", "details", "requestId"}}`.

The status of an exception comes from its class, looked up in one table, `STATUS_BY_CLASS` (the most specific
class along the exception's MRO wins): a 4xx for anything the caller got wrong, 503 with `Retry-After` while
the chain (or another service the request needs) cannot be reached, whether the core wrapped the failure in a
`ChainError` or a web3, requests, aiohttp, httpx or socket error came through as it was. A contract's refusal
is answered by its custom error's name, from `REVERT_STATUS`. Anything else is an internal error: the service
answers a JSON 500 with the request's id and logs the traceback under that id (`internal_error`).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger.certificates.reasons import InvalidReason
from ledger.errors import (
    ChainError,
    ConfigurationError,
    ContractRevertError,
    DeploymentError,
    KeystoreError,
    KeystoreFormatError,
    LedgerError,
    LedgerValueError,
    StoreError,
    StoreUnavailable,
)
from ledger.issuance.issuer import AnchoringFailed

log = logging.getLogger("hurong.api")


class ApiError(Exception):
    """An error the service answers with `status` and a machine-readable `code`."""

    def __init__(
        self, status: int, code: str, message: str, details: Any = None, headers: Mapping[str, str] | None = None
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = dict(headers or {})
        super().__init__(message)


def error_body(code: str, message: str, details: Any = None, request_id: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    if request_id is not None:
        error["requestId"] = request_id
    return {"error": error}


def request_id_of(scope: Mapping[str, Any]) -> str | None:
    """The id `api.main.RequestContext` gave the request (None outside the service's middleware)."""
    state = scope.get("state")
    found = state.get("request_id") if isinstance(state, Mapping) else None
    return found if isinstance(found, str) else None


@dataclass(frozen=True, slots=True)
class Rule:
    """How an exception class is answered: its status, its code and whether the caller should retry later."""

    status: int
    code: str
    retry: bool = False


def _classes(module: str, *names: str) -> tuple[type[Exception], ...]:
    """Exception classes of an optional transport library (none when it is not installed)."""
    try:
        loaded = importlib.import_module(module)
    except ImportError:
        return ()
    found = (getattr(loaded, name, None) for name in names)
    return tuple(cls for cls in found if isinstance(cls, type) and issubclass(cls, Exception))


_CHAIN_TRANSPORT = (
    *_classes("requests.exceptions", "RequestException"),
    *_classes(
        "web3.exceptions", "ProviderConnectionError", "RequestTimedOut", "TimeExhausted", "PersistentConnectionError"
    ),
    *_classes("aiohttp", "ClientError"),
    *_classes("httpx", "TransportError"),
)
_UNAVAILABLE = Rule(503, "chain_unavailable", retry=True)

#: Every exception class the service answers without a traceback, most specific along the MRO first.
STATUS_BY_CLASS: Mapping[type[Exception], Rule] = {
    InvalidReason: Rule(422, "invalid_reason"),
    LedgerValueError: Rule(422, "invalid_input"),
    ChainError: _UNAVAILABLE,
    **{cls: _UNAVAILABLE for cls in _CHAIN_TRANSPORT},
    ConnectionError: Rule(503, "upstream_unavailable", retry=True),
    TimeoutError: Rule(503, "upstream_unavailable", retry=True),
    DeploymentError: Rule(503, "deployment_unavailable", retry=True),
    # The document store: down (try again), or answering a CID other than the bytes' own (its fault, not the caller's).
    StoreUnavailable: Rule(503, "store_unavailable", retry=True),
    StoreError: Rule(502, "store_fault"),
    # The service's own keystore (`Service.signer`): no key file under the account's address, or one holding
    # another account's key or not opening with the passphrase; a malformed key file stays an invalid input.
    ConfigurationError: Rule(503, "no_signing_key", retry=True),
    KeystoreFormatError: Rule(422, "invalid_input"),
    KeystoreError: Rule(503, "keystore_mismatch", retry=True),
    LedgerError: Rule(409, "refused"),
}

#: Contract custom errors by name: 403 the caller may not do this, 404 what it names does not exist, 409 the
#: state forbids it now, 422 a malformed argument, 500 a fault of the contracts or the service. A revert not
#: listed is answered 409.
REVERT_STATUS: Mapping[str, int] = {
    **dict.fromkeys(
        (
            "AuthorityRegistryAgencyNotActive",
            "AuthorityRegistryProvinceNotActive",
            "AuthorityRegistryTypeNotGranted",
            "AuthorityRegistryUnauthorized",
            "AuthorityRegistryUnauthorizedProvince",
            "CertificateRegistryAgencyNotActive",
            "CertificateRegistryOnlyConsortium",
            "CertificateRegistryUnauthorized",
            "ConsortiumNotAdminOfProvince",
            "ConsortiumNotProposer",
            "ConsortiumNotProvinceAdmin",
            "ConsortiumOnlyGovernance",
            "ConsortiumProvinceNotActive",
            "ConsortiumUnauthorizedAdmin",
            "RecognitionRegistryProvinceNotActive",
            "RecognitionRegistryUnauthorized",
        ),
        403,
    ),
    **dict.fromkeys(
        (
            "AuthorityRegistryUnknownAgency",
            "AuthorityRegistryUnknownKey",
            "CertificateRegistryUnknownRoot",
            "ConsortiumUnknownProposal",
            "ConsortiumUnknownProvince",
            "RecognitionRegistryUnknownProvince",
            "RecognitionRegistryUnknownRule",
        ),
        404,
    ),
    **dict.fromkeys(
        (
            "AuthorityRegistryAgencyExists",
            "AuthorityRegistryAgencyNotSuspended",
            "AuthorityRegistryKeyExists",
            "AuthorityRegistryStaleAgency",
            "AuthorityRegistryTooManyChildren",
            "AuthorityRegistryTypeAlreadyGranted",
            "CertificateRegistryAlreadyAnchored",
            "CertificateRegistryBatchRevoked",
            "CertificateRegistryIssuerInGoodStanding",
            "CertificateRegistryInvalidTransition",
            "ConsortiumAdminAlreadyAssigned",
            "ConsortiumAlreadyVoted",
            "ConsortiumLastActiveProvince",
            "ConsortiumLastAdmin",
            "ConsortiumProposalExpired",
            "ConsortiumProposalNotPending",
            "ConsortiumProvinceExists",
            "ConsortiumProvinceNotSuspended",
            "ConsortiumThresholdNotReached",
            "RecognitionRegistryRuleAlreadyRevoked",
            "RecognitionRegistryTooManyRules",
        ),
        409,
    ),
    **dict.fromkeys(
        (
            "AuthorityRegistryInvalidAgency",
            "AuthorityRegistryInvalidCertificateType",
            "AuthorityRegistryInvalidKey",
            "AuthorityRegistryInvalidKeyProof",
            "AuthorityRegistryInvalidKeyWindow",
            "AuthorityRegistryInvalidRegion",
            "AuthorityRegistryProvinceMismatch",
            "AuthorityRegistryTreeTooDeep",
            "CertificateRegistryInvalidBatch",
            "CertificateRegistryInvalidProof",
            "CertificateRegistryInvalidSuccessor",
            "ConsortiumInvalidAdmin",
            "ConsortiumInvalidExpiry",
            "ConsortiumInvalidProvinceCode",
            "ConsortiumInvalidTarget",
            "ConsortiumInvalidThreshold",
            "RecognitionRegistryInvalidCertificateType",
            "RecognitionRegistryInvalidWindow",
            "SafeCastOverflowedUintDowncast",
        ),
        422,
    ),
    **dict.fromkeys(
        (
            "AddressEmptyCode",
            "CheckpointUnorderedInsertion",
            "FailedCall",
            "InsufficientBalance",
            "MerkleProofInvalidMultiproof",
            "UnknownContractError",
        ),
        500,
    ),
}

#: Codes of pydantic errors raised on purpose by the request models; they name the whole answer.
_NAMED_VALIDATION_CODES = frozenset({InvalidReason.code, "personal_data"})
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    429: "rate_limited",
}


def rule_for(exc: BaseException) -> Rule | None:
    """The table's rule for an exception: that of its most specific listed class, or None."""
    for cls in type(exc).__mro__:
        rule = STATUS_BY_CLASS.get(cls)
        if rule is not None:
            return rule
    return None


def _camel_to_snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def json_error(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = error_body(code, message, details, request_id_of(request.scope))
    return JSONResponse(body, status_code=status, headers=dict(headers) if headers else None)


def internal_error_body(request_id: str) -> dict[str, Any]:
    message = f"an unexpected error occurred; quote request id {request_id} when reporting it"
    return error_body("internal_error", message, request_id=request_id)


def install(app: FastAPI, *, retry_after: int = 5) -> None:
    """Answer every exception class of the table, contract reverts, and FastAPI's own errors as JSON."""
    retry = {"Retry-After": str(retry_after)}

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        headers = exc.headers or (retry if exc.status == 503 else None)
        return json_error(request, exc.status, exc.code, exc.message, exc.details, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation_response(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return json_error(request, exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None))

    def contract_response(request: Request, exc: ContractRevertError, message: str | None = None) -> JSONResponse:
        status = REVERT_STATUS.get(exc.error_name, 409)
        if status >= 500:
            log.error("contract fault [request %s]: %s", request_id_of(request.scope), exc)
        details = {k: ("0x" + v.hex() if isinstance(v, bytes) else v) for k, v in exc.arguments.items()}
        return json_error(request, status, _camel_to_snake(exc.error_name), message or str(exc), details)

    @app.exception_handler(ContractRevertError)
    async def contract_error(request: Request, exc: ContractRevertError) -> JSONResponse:
        return contract_response(request, exc)

    @app.exception_handler(AnchoringFailed)
    async def anchoring_failed(request: Request, exc: AnchoringFailed) -> JSONResponse:
        if isinstance(exc.cause, ContractRevertError):
            return contract_response(request, exc.cause, str(exc))
        log.warning("anchoring failed [request %s]: %s", request_id_of(request.scope), exc)
        return json_error(request, 503, "anchoring_failed", str(exc), headers=retry)

    async def from_table(request: Request, exc: Exception) -> JSONResponse:
        rule = rule_for(exc)
        assert rule is not None  # only the table's classes are routed here
        if rule.retry:
            log.warning("unavailable [request %s]: %s: %s", request_id_of(request.scope), type(exc).__name__, exc)
        problems = getattr(exc, "problems", None)
        details = [p if isinstance(p, dict) else p.as_dict() for p in problems] if problems else None
        message = str(exc) or type(exc).__name__
        return json_error(request, rule.status, rule.code, message, details, retry if rule.retry else None)

    for cls in STATUS_BY_CLASS:
        app.add_exception_handler(cls, from_table)


def _validation_response(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            return json_error(request, 400, "malformed_json", "the request body is not valid JSON")
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        problems.append({"pointer": "/" + "/".join(loc), "code": err.get("type", "invalid"),
                         "message": err.get("msg", "invalid")})  # fmt: skip
    first = problems[0] if problems else {"pointer": "/", "message": "invalid request", "code": "invalid"}
    named = [p["code"] for p in problems if p["code"] in _NAMED_VALIDATION_CODES]
    code = named[0] if named else "invalid_request"
    return json_error(request, 422, code, f"{first['pointer']}: {first['message']}", problems)
