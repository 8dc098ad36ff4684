"""Dependencies: settings, the service, and the caller's API key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from api.errors import ApiError
from api.keys import Principal
from api.service import Service
from api.settings import Settings, get_settings

SettingsDep = Annotated[Settings, Depends(get_settings)]

_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key of an agency or a province")


def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


def current_principal(
    request: Request, service: ServiceDep, key: Annotated[str | None, Depends(_api_key)]
) -> Principal:
    """The caller's principal: the one `api.main.Admission` admitted (it checks the key before the body is
    read, and counts wrong keys), or, outside that middleware, the key's principal checked here."""
    admitted = getattr(request.state, "principal", None)
    if isinstance(admitted, Principal):
        return admitted
    if not key:
        raise ApiError(401, "missing_api_key", "this endpoint needs an API key in the X-API-Key header")
    principal = service.keys.authenticate(key)
    if principal is None:
        raise ApiError(401, "invalid_api_key", "the API key is unknown or revoked")
    return principal


def current_agency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if principal.role != "agency":
        raise ApiError(403, "agency_key_required", "only an issuing agency's API key may issue certificates")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
CurrentAgency = Annotated[Principal, Depends(current_agency)]
