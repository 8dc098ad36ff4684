"""Supervision (电子监察) endpoints: statistics of the usage records (a province admin's key), feedback on a
verification (好差评), and the dashboard's page, script and style sheet (`/supervision`)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from api.deps import CurrentPrincipal, ServiceDep
from api.errors import ApiError
from api.keys import Principal
from api.routers.console import serve_static
from api.schemas import ErrorResponse
from api.supervision.feedback import FeedbackIn, FeedbackOut
from api.supervision.statistics import Filters, statistics, to_csv
from ledger.chain.codes import encode_code
from ledger.errors import LedgerValueError
from ledger.verification import parse_time

router = APIRouter(prefix="/supervision", tags=["supervision"], responses={422: {"model": ErrorResponse}})
pages = APIRouter()

_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
_PROVINCE = r"^[1-8][0-9]0000$"


def province_admin(principal: CurrentPrincipal) -> Principal:
    if principal.role != "province":
        raise ApiError(403, "province_key_required", "only a province admin's API key may read supervision data")
    return principal


ProvinceAdmin = Annotated[Principal, Depends(province_admin)]


def _time(value: str | None, name: str) -> float | None:
    if value is None:
        return None
    try:
        return float(parse_time(value))
    except LedgerValueError as exc:
        problem = {"pointer": f"/{name}", "code": "invalid_time", "message": str(exc)}
        raise ApiError(422, "invalid_request", f"/{name}: {exc}", [problem]) from None


_STATISTICS = {
    "description": "The statistics (JSON), or with `format=csv` the matrix and daily counts (CSV, UTF-8 with a BOM)",
    "content": {"application/json": {"schema": {"type": "object"}}, "text/csv": {"schema": {"type": "string"}}},
}


@router.get("/statistics", responses={200: _STATISTICS, 403: {"model": ErrorResponse}})
async def get_statistics(
    admin: ProvinceAdmin,
    service: ServiceDep,
    start: Annotated[str | None, Query(alias="from", max_length=40, pattern=_TIME, description="RFC 3339")] = None,
    end: Annotated[str | None, Query(alias="to", max_length=40, pattern=_TIME, description="RFC 3339")] = None,
    province: Annotated[str | None, Query(pattern=_PROVINCE, description="Issuing or accepting")] = None,
    certificate_type: Annotated[str | None, Query(alias="certificateType", pattern=r"^[a-z][a-z0-9_]{0,63}$")] = None,
    service_item: Annotated[str | None, Query(alias="serviceItem", max_length=32)] = None,
    format: Annotated[Literal["json", "csv"], Query(description="csv: the matrix and daily counts")] = "json",
) -> Response:
    """Usage statistics (用证统计): the recognition matrix (issuing × accepting province), daily counts, verdicts,
    top failure reasons, service items, latency percentiles and ratings of the records where the admin's province
    issued or accepted the certificate; of the whole consortium, counts only. Days are counted in UTC+8."""
    if service_item is not None:
        try:
            encode_code(service_item, what="service item")
        except LedgerValueError as exc:
            problem = {"pointer": "/serviceItem", "code": "invalid_service_item", "message": str(exc)}
            raise ApiError(422, "invalid_request", f"/serviceItem: {exc}", [problem]) from None
    filters = Filters(_time(start, "from"), _time(end, "to"), province, certificate_type, service_item)
    if filters.start is not None and filters.end is not None and filters.start > filters.end:
        problem = {"pointer": "/to", "code": "out_of_range", "message": "`to` is before `from`"}
        raise ApiError(422, "invalid_request", "/to: `to` is before `from`", [problem])
    stats = await run_in_threadpool(statistics, service.usage.engine, admin.subject, filters)
    stats["filters"] = {"from": start, "to": end, "province": province, "certificateType": certificate_type,
                        "serviceItem": service_item}  # fmt: skip
    if format == "csv":
        name = f"usage-{admin.subject}.csv"
        return Response(to_csv(stats), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
    return JSONResponse(stats)


@router.post(
    "/feedback",
    status_code=201,
    response_model=FeedbackOut,
    responses={404: {"model": ErrorResponse}, 409: {"model": ErrorResponse}},
)
def post_feedback(body: FeedbackIn, service: ServiceDep) -> dict[str, Any]:
    """Rate a verification (好差评) by its answer's `usageId`: 1-5, with an optional comment of at most 200
    characters holding no personal data. Once per verification: a second is refused with 409."""
    usage = service.usage
    if not usage.enabled or not usage.exists(body.usageId):
        raise ApiError(404, "usage_not_found", "no verification has this usageId")
    if not usage.add_feedback(body.usageId, body.rating, body.comment):
        raise ApiError(409, "feedback_exists", "this verification has been rated already")
    return {"usageId": body.usageId, "rating": body.rating}


for _path, _name in (("/supervision", "supervision.html"), ("/supervision/supervision.js", "supervision.js"),
                     ("/supervision/supervision.css", "supervision.css")):  # fmt: skip
    pages.add_api_route(_path, partial(serve_static, _name), methods=["GET"], include_in_schema=False)
