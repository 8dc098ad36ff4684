"""Encrypted certificate documents: `GET /documents/{cid}` serves the ciphertext a holder link names (anyone may
fetch it: only the key in the link opens it), `POST /documents/keys` gives an agency the CID, key and holder link of
its certificates, and `GET /wallet` is the holder's page that fetches, decrypts (in the browser) and verifies one.

The key never reaches the service from a holder: it travels in the link's fragment (`/wallet#cid=…&key=…`), which
browsers do not send.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CurrentAgency, ServiceDep, SettingsDep
from api.errors import ApiError
from api.routers.console import serve_static
from api.schemas import ErrorResponse
from api.store import document_index, service_store, store_settings
from ledger.certificates.reasons import reason_fields
from ledger.errors import LedgerValueError, StoreError
from ledger.store import StoreUnavailable, parse_cid
from ledger.store.sealed import DocumentRef

router = APIRouter(prefix="/documents", tags=["documents"], responses={404: {"model": ErrorResponse}})
pages = APIRouter()

_DIGEST = re.compile(r"^0x[0-9a-f]{64}$")


class DocumentLocationOut(BaseModel):
    digest: str
    cid: str = Field(description="CID of the encrypted document")
    agency: str
    root: str = Field(description="Merkle root of the batch that anchored the certificate")
    manifestCid: str = Field(description="CID of the batch manifest that lists the document")
    transactionHash: str | None = Field(description="The transaction that anchored the batch")
    blockNumber: int | None
    status: str = Field(description="The certificate's status, from the index of the chain's events")
    reason: str
    reasonCode: int
    successor: str | None


class DocumentLocationsOut(BaseModel):
    data: list[DocumentLocationOut]
    count: int


@router.get("", response_model=DocumentLocationsOut, responses={422: {"model": ErrorResponse}})
def find_documents(
    service: ServiceDep,
    settings: SettingsDep,
    digest: Annotated[str, Query(description="Certificate digest (0x and 64 hex digits)")],
) -> dict[str, Any]:
    """Where a certificate's encrypted document is, the batch that anchored it and its status: read from the
    manifests of the anchored batches (their digests are in the chain's `BatchAnchored` events) and the index of the
    chain's events, so any service over the same chain and store answers alike, its index rebuilt or not."""
    if not _DIGEST.match(digest.lower()):
        raise ApiError(422, "invalid_digest", f"a digest is 0x and 64 hex digits, not {digest!r}")
    index = document_index(settings.home)
    if index is None:
        raise ApiError(404, "document_not_found", "本服务不保存文档 this service keeps no documents")
    index.sync(lambda limit, offset: service.indexer.batches(None, limit, offset))
    data = []
    for found in index.documents(digest.lower()):
        record = service.indexer.status(found["agency"], bytes.fromhex(digest[2:]))
        successor = "0x" + record.successor.hex() if record.successor else None
        data.append({**found, "status": record.status.name.lower(), **reason_fields(record.reason),
                     "successor": successor})  # fmt: skip
    return {"data": data, "count": len(data)}


@router.get(
    "/{cid}",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The sealed (encrypted) document"},
        422: {"model": ErrorResponse},
        503: {"model": ErrorResponse},
    },
)
def get_document(cid: str) -> Response:
    """The encrypted document with this CID (CIDv1, base32): `HRD1 || digest || nonce || AES-256-GCM ciphertext`.
    Open it with the key of its holder link (`hurong fetch`, or the wallet page)."""
    try:
        parse_cid(cid)
    except LedgerValueError as exc:
        raise ApiError(422, "invalid_cid", f"无效的 CID invalid CID: {exc}") from None
    store = service_store()
    if store is None:
        raise ApiError(404, "document_not_found", f"本服务不保存文档 this service keeps no documents: no {cid}")
    try:
        if not store.has(cid):
            raise ApiError(404, "document_not_found", f"未找到文档 no document {cid}")
        data = store.get(cid)
    except StoreUnavailable as exc:
        raise ApiError(503, "store_unavailable", f"文档存储不可用 the document store is unavailable: {exc}") from None
    except StoreError as exc:
        raise ApiError(404, "document_not_found", f"未找到文档 no document {cid}: {exc}") from None
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "ETag": f'"{cid}"'}
    return Response(data, media_type="application/octet-stream", headers=headers)


class DocumentKeysIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    digests: Annotated[list[str], Field(min_length=1, max_length=10_000, description="Certificate digests (0x…)")]


class DocumentKeyOut(BaseModel):
    digest: str
    cid: str
    key: str = Field(description="AES-256 key, unpadded base64url: hand it to the holder, never store it beside")
    link: str = Field(description="Holder link: the wallet page with CID and key in the fragment")
    qr: str = Field(description="SVG data URI of a QR code carrying the holder link")


class DocumentKeysOut(BaseModel):
    data: list[DocumentKeyOut]
    count: int


@router.post("/keys", response_model=DocumentKeysOut, responses={401: {"model": ErrorResponse}})
def document_keys(body: DocumentKeysIn, agency: CurrentAgency, service: ServiceDep, request: Request) -> dict[str, Any]:
    """The stored encrypted document of each of the calling agency's certificates: its CID, the key that opens it,
    the holder link and a QR code of the link. Digests the agency has no stored document for are left out."""
    digests = []
    for text in body.digests:
        if not isinstance(text, str) or not _DIGEST.match(text):
            raise ApiError(422, "invalid_digest", f"a digest is 0x and 64 lower-case hex digits, not {text!r}")
        digests.append(bytes.fromhex(text[2:]))
    refs = service.issuer(agency.subject).issuer.document_refs(digests)
    data = [document_entry(f"0x{d.hex()}", refs[d], base_url(request)) for d in digests if d in refs]
    return {"data": data, "count": len(data)}


def base_url(request: Request) -> str:
    """Where holder links point: `HURONG_PUBLIC_URL`, else the address the request came to."""
    return store_settings().public_url or str(request.base_url).rstrip("/")


def document_entry(digest: str, ref: DocumentRef, base: str) -> dict[str, Any]:
    """What an issuer is handed for one certificate's document: CID, key, holder link and its QR code (SVG)."""
    return {"digest": digest, **ref.as_dict(base), "qr": str(ref.qr(base).svg_data_uri(scale=4))}


@pages.get("/wallet", include_in_schema=False)
def wallet_page() -> Response:
    return serve_static("wallet.html")


@pages.get("/wallet/wallet.js", include_in_schema=False)
def wallet_script() -> Response:
    return serve_static("wallet.js")


@pages.get("/wallet/wallet.css", include_in_schema=False)
def wallet_style() -> Response:
    return serve_static("wallet.css")
