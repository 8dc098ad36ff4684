"""The web console (管理控制台, `GET /console`): its page, script and style sheet, and `GET /api/v1/whoami`, which
tells the console whose API key it holds.

The page loads nothing inline and nothing from elsewhere: it is served with `default-src 'self'`, so its script
and style sheet come from `/console/` and its requests go to this service only.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import CurrentPrincipal, ServiceDep
from api.schemas import ErrorResponse

router = APIRouter()

#: The console's policy: its own origin only (no inline script or style, no framing, no plug-ins).
CONSOLE_CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}


def _asset(name: str) -> bytes:
    return (resources.files("api") / "static" / name).read_bytes()


def serve_static(name: str) -> Response:
    """A page, script or style sheet of `api/static` under the console's policy (the supervision dashboard's too)."""
    headers = {"Content-Security-Policy": CONSOLE_CSP, "Cache-Control": "no-cache"}
    return Response(_asset(name), media_type=_TYPES[name[name.rindex(".") :]], headers=headers)


_serve = serve_static


@router.get("/console", include_in_schema=False)
def console_page() -> Response:
    return _serve("console.html")


@router.get("/console/console.js", include_in_schema=False)
def console_script() -> Response:
    return _serve("console.js")


@router.get("/console/console.css", include_in_schema=False)
def console_style() -> Response:
    return _serve("console.css")


class WhoAmI(BaseModel):
    role: str = Field(description="`agency` or `province` (a province admin)")
    subject: str = Field(description="The agency's checksummed address or the province's code")
    keyId: str = Field(description="The API key's id (`hr_<id>_…`)")
    label: str
    name: str | None = Field(description="The agency's or the province's registered name")
    province: str | None = Field(description="The province code (an agency's province)")
    certificateTypes: list[str] = Field(description="An agency's granted certificate types")


@router.get(
    "/api/v1/whoami",
    response_model=WhoAmI,
    tags=["API keys"],
    responses={401: {"model": ErrorResponse}},
)
def whoami(principal: CurrentPrincipal, service: ServiceDep) -> dict[str, Any]:
    """Whose API key this is: its role and subject, with the registered name (the console's sign-in)."""
    out: dict[str, Any] = {"role": principal.role, "subject": principal.subject, "keyId": principal.key_id,
                           "label": principal.label, "name": None, "province": None,
                           "certificateTypes": []}  # fmt: skip
    if principal.role == "province":
        found = [p for p in service.indexer.provinces() if p["code"] == principal.subject]
        out |= {"province": principal.subject, "name": found[0]["name"] if found else None}
    else:
        for agency in service.indexer.agencies():
            if agency["account"] == principal.subject:
                out |= {key: agency[key] for key in ("name", "province", "certificateTypes")}
    return out
