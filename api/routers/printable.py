"""The printable licence of a certificate (A4 PDF), for the agency that issued it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi import Path as PathParam

from api.deps import CurrentAgency, ServiceDep
from api.errors import ApiError
from api.routers.documents import base_url
from api.schemas import ErrorResponse
from api.store import store_settings
from ledger.certificates.pdf import FontNotFound, licence_pdf
from ledger.certificates.qr import payload_for

router = APIRouter(
    prefix="/certificates",
    tags=["certificates"],
    responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}, 404: {"model": ErrorResponse}},
)


@router.get(
    "/{digest}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The printable licence (A4 PDF)"}},
)
def printable_licence(
    digest: Annotated[str, PathParam(pattern=r"^0x[0-9a-fA-F]{64}$", description="Certificate digest")],
    agency: CurrentAgency,
    service: ServiceDep,
    request: Request,
) -> Response:
    """The printable licence of one of the calling agency's anchored certificates: an A4 PDF in Chinese (fonts
    embedded) with the issuing agency, validity, GB/T 36904 identifier, anchoring block and a QR code that
    verifies it: the whole certificate when it fits in one code, else its holder link when the service's store
    holds its encrypted document (the printout then carries the document's key, as the holder link does), else
    its `hurong:1;…` reference, resolved by `hurong verify --resolve` from the certificate's file. A digest the
    agency's journal does not hold anchored is 404 `unknown_certificate`."""
    digest = digest.lower()
    issuer = service.issuer(agency.subject).issuer
    found = issuer.anchored_documents([bytes.fromhex(digest[2:])])
    if not found:
        raise ApiError(404, "unknown_certificate", f"no anchored certificate {digest} of this agency")
    try:
        data = licence_pdf(found[0], holder_link=_holder_link(issuer, found[0], request))
    except FontNotFound as exc:
        raise ApiError(503, "font_missing", str(exc)) from None
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="licence-{digest[2:18]}.pdf"'})  # fmt: skip


def _holder_link(issuer: Any, document: dict[str, Any], request: Request) -> str | None:
    """The holder link of a certificate too large for one QR code, when the store holds its encrypted document."""
    if not store_settings().store or payload_for(document)[0] == "document":
        return None
    digest = bytes.fromhex(str(document["proof"]["digest"])[2:])
    ref = issuer.document_refs([digest]).get(digest)
    return None if ref is None else ref.link(base_url(request))
