"""Supervision (电子监察) endpoints: statistics of the usage records (a province admin's key), feedback on a
verification (好差评), and the dashboard's page, script and style sheet (`/supervision`)."""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from api.deps import CurrentPrincipal, ServiceDep
from api.errors import ApiError
from api.keys import Principal
from api.routers.console import serve_static
from api.schemas import ErrorResponse
from api.supervision.alerts import RULES, AlertPublic, AlertsPublic, public
from api.supervision.assist import (
    STEP_VERDICTS,
    AssistAnswerIn,
    AssistRequestIn,
    AssistRequestPublic,
    AssistRequestsPublic,
)
from api.supervision.feedback import FeedbackIn, FeedbackOut
from api.supervision.records import UsageRecord, new_usage_id
from api.supervision.statistics import Filters, statistics, to_csv
from ledger.chain.codes import encode_code
from ledger.errors import LedgerValueError
from ledger.verification import parse_time

if TYPE_CHECKING:
    from api.service import Service
    from api.supervision.supervisor import Supervisor

router = APIRouter(prefix="/supervision", tags=["supervision"], responses={422: {"model": ErrorResponse}})
assist_router = APIRouter(prefix="/assist-requests", tags=["supervision"], responses={422: {"model": ErrorResponse}})
pages = APIRouter()

_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
_PROVINCE = r"^[1-8][0-9]0000$"


def province_admin(principal: CurrentPrincipal) -> Principal:
    if principal.role != "province":
        raise ApiError(403, "province_key_required", "only a province admin's API key may read supervision data")
    return principal


ProvinceAdmin = Annotated[Principal, Depends(province_admin)]


def get_supervisor(request: Request) -> Supervisor:
    supervisor: Supervisor | None = getattr(request.app.state, "supervisor", None)
    if supervisor is None:
        raise ApiError(503, "supervision_unavailable", "supervision is starting; retry")
    return supervisor


SupervisorDep = Annotated["Supervisor", Depends(get_supervisor)]


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


# --- alerts (预警) -----------------------------------------------------------------------------------------------

_RULE = "^(" + "|".join(RULES) + ")$"


@router.get("/alerts", response_model=AlertsPublic, responses={403: {"model": ErrorResponse}})
def list_alerts(
    admin: ProvinceAdmin,
    supervisor: SupervisorDep,
    state: Annotated[Literal["open", "acknowledged"] | None, Query()] = None,
    rule: Annotated[str | None, Query(pattern=_RULE)] = None,
    since: Annotated[str | None, Query(max_length=40, pattern=_TIME, description="RFC 3339: seen since")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """Supervision alerts (预警) of the admin's province and of the whole consortium, newest first: the rule, its
    severity, the provinces concerned, a message in Chinese and English, details, when first and last raised and
    how often, and whether acknowledged."""
    rows, total = supervisor.alerts.find(province=admin.subject, state=state, rule=rule, since=_time(since, "since"),
                                         limit=limit, offset=offset)  # fmt: skip
    return {"data": [public(r) for r in rows], "count": total}


_ACK_ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": ErrorResponse} for status in (403, 404, 409)}


@router.post("/alerts/{alert_id}/ack", response_model=AlertPublic, responses=_ACK_ERRORS)
def acknowledge_alert(
    admin: ProvinceAdmin, supervisor: SupervisorDep, alert_id: Annotated[int, Path(ge=1, le=2**62)]
) -> dict[str, Any]:
    """Acknowledge an alert (确认): a province admin of a province it concerns (any for a consortium-wide one)."""
    row = supervisor.alerts.get(alert_id)
    if row is None:
        raise ApiError(404, "alert_not_found", f"no alert {alert_id}")
    if row.provinces and admin.subject not in row.provinces.split():
        raise ApiError(403, "not_your_province", "this alert concerns other provinces")
    if not supervisor.alerts.acknowledge(alert_id, f"province:{admin.subject}"):
        raise ApiError(409, "alert_acknowledged", "this alert has been acknowledged already")
    return public(supervisor.alerts.get(alert_id))


# --- assist requests (协查) -------------------------------------------------------------------------------------


def clerk(principal: CurrentPrincipal, service: ServiceDep) -> tuple[Principal, str]:
    """An agency's key, and the agency's province."""
    if principal.role != "agency":
        raise ApiError(403, "agency_key_required", "only an agency's API key may file or answer assist requests")
    province = service.province_of_agency(principal.subject)
    if province is None:
        raise ApiError(403, "unknown_agency", "the key's agency is not in the index yet; retry")
    return principal, province


Clerk = Annotated[tuple[Principal, str], Depends(clerk)]


def _usage_step(service: Service, usage_id: str, verdict: str, row: Any, agency: str, province: str,
                started: float) -> None:  # fmt: skip
    """The usage record of a step of an assist request."""
    service.usage.record(UsageRecord(
        id=usage_id, at=time.time(), accepting_province=row.requesting_province, caller_role="agency",
        caller_agency=agency, caller_province=province, service_item=row.service_item, verdict=verdict, failed="",
        issuing_province=row.target_province, issuer=None, certificate_type=None,
        certificate_ref=row.certificate_ref, duration_ms=(time.perf_counter() - started) * 1000,
    ))  # fmt: skip


_ASSIST_ERRORS: dict[int | str, dict[str, Any]] = {403: {"model": ErrorResponse}, 404: {"model": ErrorResponse}}


@assist_router.post("", status_code=201, response_model=AssistRequestPublic, responses=_ASSIST_ERRORS)
def file_assist_request(body: AssistRequestIn, who: Clerk, service: ServiceDep,
                        supervisor: SupervisorDep) -> dict[str, Any]:  # fmt: skip
    """File an assist request (协查) with the issuing province: a certificate (by digest, kept only as its
    pseudonymous reference) or a licence number (kept encrypted), the question and the service item. Answered by
    an agency of that province before the deadline (working days); the answer's `usageId` is for feedback."""
    started = time.perf_counter()
    principal, province = who
    if body.issuingProvince == province:
        problem = {"pointer": "/issuingProvince", "code": "same_province", "message": "ask another province"}
        raise ApiError(422, "invalid_request", "/issuingProvince: an assist request goes to another province",
                       [problem])  # fmt: skip
    if service.client.consortium.province_status(int(body.issuingProvince)).name == "NONE":
        raise ApiError(404, "province_not_found", f"{body.issuingProvince} is not a province of the consortium")
    reference = service.usage.reference(body.certificateDigest)
    request = supervisor.assist.file(body, principal.subject, province, reference)
    _usage_step(service, request["usageId"], STEP_VERDICTS["filed"], supervisor.assist.row(request["id"]),
                principal.subject, province, started)  # fmt: skip
    return request


_REQUEST_ID = Path(pattern=r"^[A-Za-z0-9_-]{16,64}$")


def _visible(supervisor: Supervisor, request_id: str, province: str) -> Any:
    row = supervisor.assist.row(request_id)
    if row is None or province not in (row.requesting_province, row.target_province):
        raise ApiError(404, "assist_request_not_found", f"no assist request {request_id} of your province")
    return row


@assist_router.post("/{request_id}/answer", response_model=AssistRequestPublic,
                    responses=_ASSIST_ERRORS | {409: {"model": ErrorResponse}})  # fmt: skip
def answer_assist_request(request_id: Annotated[str, _REQUEST_ID], body: AssistAnswerIn, who: Clerk,
                          service: ServiceDep, supervisor: SupervisorDep) -> dict[str, Any]:  # fmt: skip
    """Answer an assist request of your province (confirmed / not_confirmed / needs_documents, with a note): an
    agency of the province asked only; once."""
    started = time.perf_counter()
    principal, province = who
    row = _visible(supervisor, request_id, province)
    if row.target_province != province:
        raise ApiError(403, "not_target_province", "only an agency of the province asked may answer")
    if not supervisor.assist.answer(request_id, body, principal.subject):
        raise ApiError(409, "assist_request_answered", "this assist request has been answered already")
    _usage_step(service, new_usage_id(), STEP_VERDICTS[body.answer], row, principal.subject, province, started)
    return supervisor.assist.get(request_id) or {}


def _requester(principal: CurrentPrincipal, service: ServiceDep) -> str:
    if principal.role == "province":
        return principal.subject
    return clerk(principal, service)[1]


@assist_router.get("", response_model=AssistRequestsPublic, responses={403: {"model": ErrorResponse}})
def list_assist_requests(
    province: Annotated[str, Depends(_requester)],
    supervisor: SupervisorDep,
    state: Annotated[Literal["open", "overdue", "answered"] | None, Query()] = None,
    direction: Annotated[Literal["incoming", "outgoing"] | None, Query()] = None,
    service_item: Annotated[str | None, Query(alias="serviceItem", pattern=r"^[a-z0-9][a-z0-9\-]{0,31}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """The assist requests of the key's province (an agency's or an admin's): filed (`outgoing`) or asked
    (`incoming`), by state (`overdue`: open past the deadline) and service item, newest first."""
    data, total = supervisor.assist.find(province, state=state, direction=direction, service_item=service_item,
                                         limit=limit, offset=offset)  # fmt: skip
    return {"data": data, "count": total}


@assist_router.get("/{request_id}", response_model=AssistRequestPublic, responses=_ASSIST_ERRORS)
def get_assist_request(request_id: Annotated[str, _REQUEST_ID], province: Annotated[str, Depends(_requester)],
                       supervisor: SupervisorDep) -> dict[str, Any]:  # fmt: skip
    """One assist request of the key's province."""
    return supervisor.assist.public(_visible(supervisor, request_id, province))


for _path, _name in (("/supervision", "supervision.html"), ("/supervision/supervision.js", "supervision.js"),
                     ("/supervision/supervision.css", "supervision.css")):  # fmt: skip
    pages.add_api_route(_path, partial(serve_static, _name), methods=["GET"], include_in_schema=False)
