"""Verification: one certificate, or many at one block height; now, or as of a past time or block."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field, field_validator, model_validator

from api.deps import ServiceDep, SettingsDep
from api.errors import ApiError
from api.keys import Principal
from api.schemas import (
    BulkVerifyRequest,
    ErrorResponse,
    JsonRoute,
    VerificationContextIn,
    VerificationOut,
    VerifyRequest,
    json_response,
)
from api.service import Service
from api.supervision.records import UsageRecord, new_usage_id
from ledger.errors import HistoryUnavailable, LedgerValueError
from ledger.verification import Reader, VerificationContext, VerificationResult, parse_time
from ledger.verification.results import Outcome

AS_OF = """
Ask about the past with `at` (an RFC 3339 time with its offset, e.g. `2025-06-01T08:00:00+08:00`) or `block`
(a block number), not both. The chain is then read at that block (for `at`, the last block at or before it),
and validity (`validFrom` ≤ t ≤ `validUntil`) and recognition (rules in force) are judged at that time (for
`block`, the block's time); `consistency` is then ignored. A time or block still to come, or before the
registries were deployed, is refused with 422 `out_of_range`; a block whose state the chain node no longer
keeps (pruned history) with 422 `history_unavailable`.

`warnings` lists what a verifier should know beside the verdict: `issuer_not_in_good_standing` when the
issuing agency, one of its parents or its province is suspended or removed today (details name the `entity`
— `agency`, `parent` or `province` — its `id`, `name` and `status`). The verdict stays what was true when
the certificate was anchored: revoking certificates is a separate, explicit act (of the agency, its province,
or a consortium vote).
"""

router = APIRouter(
    prefix="/verify", tags=["verification"], responses={422: {"model": ErrorResponse}}, route_class=JsonRoute
)

Consistency = Annotated[
    Literal["index", "chain"],
    Query(description="index: answer from the event index (lag ≤ 1 block); chain: read the chain's head"),
]
_AT = Field(
    default=None,
    max_length=40,
    pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$",
    description="Verify as of this past time (RFC 3339 with its UTC offset)",
    examples=["2025-06-01T08:00:00+08:00"],
    json_schema_extra={"format": "date-time"},
)
_BLOCK = Field(default=None, strict=True, ge=0, le=2**63 - 1, description="Verify as of this past block")


class _AsOf(BaseModel):
    at: str | None = _AT
    block: int | None = _BLOCK

    @field_validator("at")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        if value is not None:
            parse_time(value)  # a LedgerValueError is a ValueError: answered 422 with the field's pointer
        return value

    @model_validator(mode="after")
    def _one_of(self) -> _AsOf:
        if self.at is not None and self.block is not None:
            raise ValueError("give `at` or `block`, not both")
        return self


class VerifyAsOfRequest(_AsOf, VerifyRequest):
    pass


class BulkVerifyAsOfRequest(_AsOf, BulkVerifyRequest):
    pass


class WarningOut(BaseModel):
    code: str
    message: str = Field(description="The warning in Chinese")
    messageEn: str = Field(description="The warning in English")
    details: dict[str, Any] = {}


class VerificationAsOfOut(VerificationOut):
    at: int = Field(description="The time validity and recognition were judged at (Unix seconds)")
    warnings: list[WarningOut]
    usageId: str | None = Field(
        description="The id of this verification's usage record (用证记录), for feedback (好差评); null when the "
        "service records no usage"
    )


class BulkVerificationAsOfOut(BaseModel):
    block: dict[str, Any]
    at: int | None
    count: int
    verdicts: dict[str, int]
    results: list[VerificationAsOfOut]


def _context(value: VerificationContextIn | None) -> VerificationContext | None:
    if value is None or (value.province is None and value.serviceItem is None):
        return None
    return VerificationContext(int(value.province) if value.province else None, value.serviceItem)


@router.post("", response_model=VerificationAsOfOut, description=AS_OF)
async def verify_one(
    body: VerifyAsOfRequest, service: ServiceDep, request: Request, consistency: Consistency = "index"
) -> Response:
    """Verify one wrapped certificate: nine checks, a verdict, warnings, and the block the answer was read at.

    An API key is not needed; one presented names the caller in the usage record (unknown keys are ignored)."""
    caller = _caller(request, service)
    if consistency == "chain" or body.at is not None or body.block is not None:
        # several JSON-RPC round trips: keep them off the event loop
        return await run_in_threadpool(_verify_one, body, service, consistency, caller)
    # From the index the work is ~0.3 ms of CPU over memoised or local reads: run it inline rather than hop
    # to a thread.
    return _verify_one(body, service, consistency, caller)


def _verify_one(body: VerifyAsOfRequest, service: Service, consistency: str, caller: Principal | None) -> Response:
    return json_response(answer_one(service, body, consistency, caller))


def answer_one(service: Service, body: VerifyAsOfRequest, consistency: str, caller: Principal | None) -> dict[str, Any]:
    """The answer of `POST /verify` (plain JSON types), its usage recorded."""
    started = time.perf_counter()
    (result,), _, _ = _verify(service, body, [body.certificate], consistency)
    (usage_id,) = _record(service, [result], caller, started)
    return result.to_json() | {"usageId": usage_id}


@router.post("/bulk", response_model=BulkVerificationAsOfOut, description=AS_OF)
def verify_bulk(
    body: BulkVerifyAsOfRequest,
    service: ServiceDep,
    settings: SettingsDep,
    request: Request,
    consistency: Consistency = "index",
) -> Response:
    """Verify many certificates at one consistent block height (each one's usage record is kept)."""
    check_count(body, settings.max_certificates)
    caller = _caller(request, service)
    return json_response(answer_bulk(service, body, consistency, caller))


def check_count(body: BulkVerifyAsOfRequest, max_certificates: int) -> None:
    """`ApiError` 413 `too_many_certificates` for a bulk request of more than `max_certificates`."""
    if len(body.certificates) > max_certificates:
        raise ApiError(413, "too_many_certificates", f"at most {max_certificates} certificates per request")


def answer_bulk(
    service: Service, body: BulkVerifyAsOfRequest, consistency: str, caller: Principal | None
) -> dict[str, Any]:
    """The answer of `POST /verify/bulk` (plain JSON types), every usage recorded."""
    started = time.perf_counter()
    results, reader, when = _verify(service, body, body.certificates, consistency)
    ids = _record(service, results, caller, started)
    return {
        "block": {"number": reader.block_number, "hash": reader.block_hash},
        "at": when,
        "count": len(results),
        "verdicts": dict(Counter(r.verdict for r in results)),
        "results": [r.to_json() | {"usageId": i} for r, i in zip(results, ids, strict=True)],
    }  # fmt: skip


def _caller(request: Request, service: Service) -> Principal | None:
    """The principal of the API key the caller presents, if any and valid (verification needs none)."""
    return caller_of(service, request.headers.get("x-api-key"))


def caller_of(service: Service, key: str | None) -> Principal | None:
    """The principal of the API key `key`, if one is given and valid (unknown keys are ignored)."""
    return service.keys.authenticate(key) if key else None


def _record(
    service: Service, results: Sequence[VerificationResult], caller: Principal | None, started: float
) -> list[str | None]:
    """Queue the usage records of `results`; their ids (None each when no usage is recorded)."""
    usage = service.usage
    if not usage.enabled:
        return [None] * len(results)
    now = time.time()
    duration = (time.perf_counter() - started) * 1000 / max(len(results), 1)
    agency = caller.subject if caller is not None and caller.role == "agency" else None
    province = caller.subject if caller is not None and caller.role == "province" else None
    if agency is not None:
        province = service.province_of_agency(agency)
    role = caller.role if caller is not None else None
    failed: dict[int, str] = {}  # by the identity of a result's checks: alike answers share theirs
    contexts: dict[int, tuple[str | None, str | None]] = {}  # the same for their contexts
    ids: list[str | None] = []
    for r in results:
        codes = failed.get(id(r.checks))
        if codes is None:
            codes = failed[id(r.checks)] = " ".join(c.code for c in r.checks if c.outcome == Outcome.FAILED)
        where = contexts.get(id(r.context))
        if where is None:
            context = r.context
            accepting = context.province if context is not None and context.province is not None else None
            where = contexts[id(r.context)] = (
                str(accepting) if accepting is not None else province,
                context.service_item if context is not None else None,
            )
        usage_id = new_usage_id()
        usage.record(UsageRecord(
            usage_id, now, where[0], role, agency, province, where[1], r.verdict, codes, r.issuing_province, r.issuer,
            r.certificate_type, usage.reference(r.digest), duration,
        ))  # fmt: skip
        ids.append(usage_id)
    return ids


def _verify(
    service: Service, body: _AsOf, documents: Sequence[Any], consistency: str
) -> tuple[list[VerificationResult], Reader, int | None]:
    """Verify `documents` at the index's (or the chain's) head, or as of the time or block the body names."""
    context = _context(getattr(body, "context", None))
    reader: Reader
    try:
        if body.at is None and body.block is None:
            reader, when, today = service.reader(consistency), None, None
        else:
            try:
                reader, when = service.verifier.resolve(block=body.block, at=body.at)
            except HistoryUnavailable:
                raise
            except LedgerValueError as exc:
                raise ApiError(422, "out_of_range", str(exc)) from None
            today = service.reader(consistency)
        results = service.verifier.verify_many(documents, context, reader=reader, at=when, today=today)
    except HistoryUnavailable as exc:
        raise ApiError(422, "history_unavailable", str(exc), {"block": exc.block}) from None
    for r in results:
        service.metrics.verifications.labels(r.verdict).inc()
    return results, reader, when
