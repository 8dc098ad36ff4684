"""The consortium's public registers: provinces, agencies, certificate types, recognition rules."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import ServiceDep
from ledger.certificates import certificate_types

router = APIRouter(tags=["registers"])

ProvinceQuery = Annotated[str | None, Query(pattern=r"^[1-8][0-9]0000$", description="GB/T 2260 province code")]
TypeQuery = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,31}$")]


@router.get("/provinces")
def list_provinces(service: ServiceDep) -> dict[str, Any]:
    """The consortium's provinces with status and admin accounts."""
    data = service.indexer.provinces()
    return {"count": len(data), "data": data}


@router.get("/agencies")
def list_agencies(
    service: ServiceDep, province: ProvinceQuery = None, certificate_type: TypeQuery = None
) -> dict[str, Any]:
    """Issuing agencies, optionally of one province or granted one certificate type."""
    data = service.indexer.agencies(province=int(province) if province else None, certificate_type=certificate_type)
    return {"count": len(data), "data": data}


@router.get("/certificate-types")
def list_certificate_types() -> dict[str, Any]:
    """The certificate types Hurong knows, with their JSON-LD class and JSON Schema."""
    data = [
        {"code": t.code, "className": t.class_name, "name": t.name, "holderId": str(t.holder_id)}
        for t in certificate_types()
    ]
    return {"count": len(data), "data": data}


@router.get("/recognition-rules")
def list_rules(
    service: ServiceDep,
    accepting: ProvinceQuery = None,
    issuing: ProvinceQuery = None,
    certificate_type: TypeQuery = None,
    in_force: Annotated[bool, Query(description="Only rules in force now")] = False,
) -> dict[str, Any]:
    """Recognition rules, filtered by accepting / issuing province and certificate type."""
    import time

    data = service.indexer.rules(
        accepting=int(accepting) if accepting else None,
        issuing=int(issuing) if issuing else None,
        certificate_type=certificate_type,
        in_force_at=int(time.time()) if in_force else None,
    )
    return {"count": len(data), "data": data}
