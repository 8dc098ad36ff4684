"""Offline verification: the signed trust bundle (`GET /api/v1/trust-bundle`), the key it is signed with
(`GET /api/v1/trust-bundle/key`), and the verification page's scripts that verify in the browser
(`/verify/core.js`, built from `web/` into `api/static/dist/`, and `/verify/offline.js`).

The bundle is built from the index as it stands (`ledger.index.trust_bundle`) and signed with the service's
Ed25519 key, kept in `<home>/trust-bundle-key.json`. No API key is needed: everything in it is public on chain.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from api.deps import ServiceDep
from api.errors import ApiError
from api.routers.console import CONSOLE_CSP
from api.schemas import ErrorResponse
from ledger.index import trust_bundle

API_PREFIX = "/api/v1"

api = APIRouter(prefix="/trust-bundle", tags=["verification"], responses={503: {"model": ErrorResponse}})
pages = APIRouter(include_in_schema=False)


@lru_cache(maxsize=8)
def _key(home: Path) -> trust_bundle.BundleKey:
    return trust_bundle.load_or_create_key(home)


@api.get("")
def get_trust_bundle(service: ServiceDep) -> JSONResponse:
    """A trust bundle for verifying with no connection: the anchored roots, the agencies and provinces with their
    status, the certificates not valid now, the anchored hashes of the status lists, the chain id, the registry,
    the block it was read at and the time it was generated, signed by the service's Ed25519 key over its RFC 8785
    form (`signature.value`, hex). Check it with the key of `GET /trust-bundle/key`."""
    bundle = trust_bundle.build(service.indexer.engine, _key(Path(service.settings.home)))
    return JSONResponse(bundle, headers={"Cache-Control": "no-store"})


@api.get("/key")
def get_trust_bundle_key(service: ServiceDep) -> dict[str, Any]:
    """The public key trust bundles are signed with: `{"algorithm": "Ed25519", "keyId", "publicKey"}` (hex)."""
    return _key(Path(service.settings.home)).public_document()


def _script(*parts: str) -> Response:
    try:
        body = resources.files("api").joinpath("static", *parts).read_bytes()
    except FileNotFoundError:
        raise ApiError(503, "not_built", "the verification page's core is not built: run scripts/setup.sh") from None
    headers = {"Content-Security-Policy": CONSOLE_CSP, "Cache-Control": "no-cache"}
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


@pages.get("/verify/core.js")
def verify_core() -> Response:
    return _script("dist", "verify-core.js")


@pages.get("/verify/offline.js")
def verify_offline() -> Response:
    return _script("verify-offline.js")


router = APIRouter()
router.include_router(api, prefix=API_PREFIX)
router.include_router(pages)
