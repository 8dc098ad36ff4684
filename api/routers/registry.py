"""The consortium's public registers: provinces, agencies, certificate types, recognition rules.

Answers use camelCase names and GB/T 2260 codes as strings. Query parameters are camelCase too (`certificateType`,
`inForce`); the snake_case names of earlier releases (`certificate_type`, `in_force`) keep working.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse

from api.deps import ServiceDep
from api.errors import ApiError
from api.schemas import ErrorResponse
from ledger.certificates import CertificateValidationError, certificate_type, certificate_types

router = APIRouter(tags=["registers"])

ProvinceQuery = Annotated[str | None, Query(pattern=r"^[1-8][0-9]0000$", description="GB/T 2260 province code")]
_TYPE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,31}$"
TypeQuery = Annotated[str | None, Query(alias="certificateType", pattern=_TYPE_PATTERN, description="Certificate type")]
LegacyTypeQuery = Annotated[
    str | None, Query(pattern=_TYPE_PATTERN, deprecated=True, description="Former name of `certificateType`")
]
InForceQuery = Annotated[bool | None, Query(alias="inForce", description="Only rules in force now")]
LegacyInForceQuery = Annotated[bool | None, Query(deprecated=True, description="Former name of `inForce`")]


def _one(name: str, value: Any, legacy: Any) -> Any:
    """A query parameter given under its name or its former snake_case one (both only when they agree)."""
    if value is not None and legacy is not None and value != legacy:
        raise ApiError(422, "conflicting_parameters", f"{name} and its former name disagree: give one")
    return value if value is not None else legacy


@router.get("/provinces")
def list_provinces(service: ServiceDep) -> dict[str, Any]:
    """The consortium's provinces with status and admin accounts."""
    data = service.indexer.provinces()
    return {"count": len(data), "data": data}


@router.get("/agencies")
def list_agencies(
    service: ServiceDep,
    province: ProvinceQuery = None,
    certificateType: TypeQuery = None,
    certificate_type: LegacyTypeQuery = None,
) -> dict[str, Any]:
    """Issuing agencies, optionally of one province or granted one certificate type."""
    kind = _one("certificateType", certificateType, certificate_type)
    data = service.indexer.agencies(province=province, certificate_type=kind)
    return {"count": len(data), "data": data}


@router.get("/certificate-types")
def list_certificate_types() -> dict[str, Any]:
    """The certificate types Hurong knows, with their JSON-LD class; each one's JSON Schema at `schema`."""
    data = [
        {"code": t.code, "className": t.class_name, "name": t.name, "holderId": str(t.holder_id),
         "schema": f"/api/v1/certificate-types/{t.code}"}
        for t in certificate_types()
    ]  # fmt: skip
    return {"count": len(data), "data": data}


@router.get(
    "/certificate-types/{code}",
    response_class=JSONResponse,
    responses={200: {"content": {"application/schema+json": {}}}, 404: {"model": ErrorResponse}},
)
def certificate_type_schema(code: Annotated[str, PathParam(max_length=64)]) -> JSONResponse:
    """The JSON Schema (2020-12) of a certificate type's `credentialSubject`; 404 `unknown_certificate_type`."""
    try:
        kind = certificate_type(code)
    except CertificateValidationError as exc:
        raise ApiError(404, "unknown_certificate_type", exc.problems[0].message) from None
    return JSONResponse(kind.schema(), media_type="application/schema+json")


@router.get("/recognition-rules")
def list_rules(
    service: ServiceDep,
    accepting: ProvinceQuery = None,
    issuing: ProvinceQuery = None,
    certificateType: TypeQuery = None,
    certificate_type: LegacyTypeQuery = None,
    inForce: InForceQuery = None,
    in_force: LegacyInForceQuery = None,
) -> dict[str, Any]:
    """Recognition rules, filtered by accepting / issuing province and certificate type."""
    data = service.indexer.rules(
        accepting=accepting,
        issuing=issuing,
        certificate_type=_one("certificateType", certificateType, certificate_type),
        in_force_at=int(time.time()) if _one("inForce", inForce, in_force) else None,
    )
    return {"count": len(data), "data": data}
