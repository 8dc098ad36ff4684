"""Verification: one certificate, or many at one block height."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ledger.verify import VerificationContext

from ..deps import ServiceDep, SettingsDep
from ..errors import ApiError
from ..schemas import (
    BulkVerificationOut,
    BulkVerifyRequest,
    ErrorResponse,
    VerificationContextIn,
    VerificationOut,
    VerifyRequest,
)
from ..service import Service

router = APIRouter(prefix="/verify", tags=["verification"], responses={422: {"model": ErrorResponse}})

Consistency = Annotated[
    Literal["index", "chain"],
    Query(description="index: answer from the event index (lag ≤ 1 block); chain: read the chain's head"),
]


def _context(value: VerificationContextIn | None) -> VerificationContext | None:
    if value is None or (value.province is None and value.service_item is None):
        return None
    return VerificationContext(int(value.province) if value.province else None, value.service_item)


@router.post("", response_model=VerificationOut)
async def verify_one(body: VerifyRequest, service: ServiceDep, consistency: Consistency = "index") -> Response:
    """Verify one wrapped certificate: nine checks, a verdict, and the block the answer was read at."""
    if consistency == "chain":  # several JSON-RPC round trips: keep them off the event loop
        return await run_in_threadpool(_verify_one, body, service, consistency)
    # From the index the work is ~0.3 ms of CPU over memoised or local reads: run it inline rather than hop
    # to a thread.
    return _verify_one(body, service, consistency)


def _verify_one(body: VerifyRequest, service: Service, consistency: str) -> Response:
    reader = service.reader(consistency)
    result = service.verifier._verify(body.certificate, _context(body.context), reader, int(time.time()))  # noqa: SLF001
    service.metrics.verifications.labels(result.verdict).inc()
    return _json(result.to_json())


def _json(payload: Any) -> Response:
    # The payload is built from plain JSON types: serialise it directly rather than through the response
    # model's validation and jsonable_encoder (the schema still documents it).
    return Response(json.dumps(payload, ensure_ascii=False, separators=(",", ":")), media_type="application/json")


@router.post("/bulk", response_model=BulkVerificationOut)
def verify_bulk(
    body: BulkVerifyRequest, service: ServiceDep, settings: SettingsDep, consistency: Consistency = "index"
) -> Response:
    """Verify many certificates at one consistent block height."""
    if len(body.certificates) > settings.max_certificates:
        raise ApiError(413, "too_many_certificates", f"at most {settings.max_certificates} certificates per request")
    reader = service.reader(consistency)
    now = int(time.time())
    context = _context(body.context)
    agencies = {_issuer(d) for d in body.certificates} - {None}
    for agency in agencies:
        reader.prefetch_statuses(agency)
    results = [service.verifier._verify(doc, context, reader, now) for doc in body.certificates]  # noqa: SLF001
    for r in results:
        service.metrics.verifications.labels(r.verdict).inc()
    return _json({
        "block": {"number": reader.block_number, "hash": reader.block_hash},
        "count": len(results),
        "verdicts": dict(Counter(r.verdict for r in results)),
        "results": [r.to_json() for r in results],
    })  # fmt: skip


def _issuer(doc: Any) -> str | None:
    from ledger.verify import _issuer_address

    return _issuer_address(doc)
