"""API keys (接口密钥) of a province's agencies, managed by the province's admin.

A province admin creates keys for agencies of its own province (the key is answered once; only a hash of its
secret is kept), revokes them, and lists its province's keys (never their secrets). Keys of provinces are made
by the operator with `hurong keys create --province`. Creating a key sends no transaction, so it takes no
`Idempotency-Key`: a replay would have to keep the secret.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam

from api.admin_schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyList, ApiKeyOut
from api.deps import CurrentPrincipal, ServiceDep
from api.errors import ApiError
from api.principals import agency_record, require_province, require_same_province
from api.schemas import ErrorResponse

router = APIRouter(
    prefix="/api-keys",
    tags=["API keys"],
    responses={403: {"model": ErrorResponse}, 404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)

KeyId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{12}$", description="The key's id (`hr_<id>_…`)")]


def _out(row: dict[str, Any]) -> ApiKeyOut:
    return ApiKeyOut(id=row["id"], role=row["role"], subject=row["subject"], label=row["label"],
                     created_at=row["created_at"], revoked_at=row["revoked_at"])  # fmt: skip


@router.post("", response_model=ApiKeyCreated, status_code=201)
def create_api_key(body: ApiKeyCreate, principal: CurrentPrincipal, service: ServiceDep) -> ApiKeyCreated:
    """Create an API key for an agency of the caller's province; the key is in this answer only."""
    require_province(principal)
    agency = agency_record(service, body.agency)
    require_same_province(principal, agency.province)
    key, created = service.keys.create("agency", agency.account, body.label)
    row = next(r for r in service.keys.list() if r["id"] == created.key_id)
    return ApiKeyCreated(**_out(row).model_dump(), key=key)


@router.get("", response_model=ApiKeyList)
def list_api_keys(principal: CurrentPrincipal, service: ServiceDep) -> ApiKeyList:
    """The keys of the caller's province and of its agencies, oldest first, revoked ones included."""
    province = require_province(principal)
    agencies = {str(a["account"]) for a in service.indexer.agencies(province=province)}
    rows = [
        _out(r)
        for r in service.keys.list()
        if (r["role"] == "province" and r["subject"] == principal.subject)
        or (r["role"] == "agency" and r["subject"] in agencies)
    ]
    return ApiKeyList(count=len(rows), data=rows)


@router.delete("/{key_id}", response_model=ApiKeyOut)
def revoke_api_key(key_id: KeyId, principal: CurrentPrincipal, service: ServiceDep) -> ApiKeyOut:
    """Revoke an API key of an agency of the caller's province."""
    require_province(principal)
    row = next((r for r in service.keys.list() if r["id"] == key_id), None)
    if row is None:
        raise ApiError(404, "unknown_api_key", f"there is no API key {key_id}")
    if row["role"] != "agency":
        raise ApiError(403, "agency_keys_only", "a province admin revokes only its agencies' keys")
    province = service.client.authorities.agency_province(str(row["subject"]))
    if province is None or str(province) != principal.subject:
        raise ApiError(403, "not_your_province", "a province admin revokes only the keys of its own agencies")
    if row["revoked_at"] is not None or not service.keys.revoke(key_id):
        raise ApiError(409, "api_key_revoked", f"the API key {key_id} is already revoked")
    revoked = next(r for r in service.keys.list() if r["id"] == key_id)
    return _out(revoked)
