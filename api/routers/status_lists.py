"""W3C Bitstring Status Lists: each agency's lists at stable URLs, and a certificate's entries in them."""

from __future__ import annotations

from typing import Annotated, Any

from eth_utils import to_checksum_address
from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse

from api.deps import CurrentAgency, ServiceDep
from api.errors import ApiError
from api.identifiers import IdentifyingIssuer
from api.schemas import ErrorResponse
from api.service import Service
from api.status_lists import list_url
from ledger.certificates.did import agency_did
from ledger.certificates.status_list import Purpose, list_hash, list_id

router = APIRouter(tags=["certificates"], responses={404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}})

Address = Annotated[str, PathParam(pattern=r"^0x[0-9a-fA-F]{40}$", description="The agency's chain account")]


def _base(request: Request, service: Service) -> str:
    """The base URL of list URLs: the public URL when set, else the request's (remembered for publishing)."""
    public = service.settings.public_url.rstrip("/")
    if public:
        return public
    base = str(request.base_url).rstrip("/")
    service.status_lists.remember_base(base)
    return base


@router.get("/status-lists/{agency}/{purpose}/{number}", response_class=JSONResponse)
def status_list(
    agency: Address,
    purpose: Purpose,
    number: Annotated[int, PathParam(ge=1, le=1_000_000)],
    request: Request,
    service: ServiceDep,
) -> JSONResponse:
    """An agency's `BitstringStatusListCredential` (131,072 entries) for one purpose, built from the index: a bit is
    set when the certificate at that entry is no longer in force (`revocation`: revoked, superseded, or of a revoked
    batch) or suspended now (`suspension`). It changes
    exactly when a status changes; `ETag` carries the SHA-256 of its RFC 8785 form. No API key is needed.

    The list served is always the current one. `Hurong-Status-List-Id` is the id it is anchored under on chain;
    `Hurong-Anchored-Hash` and `Hurong-Anchored-Block` the latest hash the chain records for it (as indexed) and
    the block of that publication; `Hurong-Anchor-State` is `anchored` when the served list is that one, `pending`
    when the list changed since (its hash is anchored within the publishing interval), `none` before the first
    publication."""
    account = to_checksum_address(agency)
    statuses = service.indexer.statuses(account)
    url = list_url(_base(request, service), account, purpose, number)
    credential = service.status_lists.credential(url, agency_did(service.deployment.chain_id, account), account,
                                                 purpose, number, statuses,
                                                 service.revoked_roots(account))  # fmt: skip
    if credential is None:
        raise ApiError(404, "unknown_status_list", f"agency {account} has no {purpose} status list {number}")
    digest = "0x" + list_hash(credential).hex()
    identifier = "0x" + list_id(purpose, number).hex()
    headers = {"ETag": f'"{digest}"', "Cache-Control": "no-cache", "Hurong-Status-List-Id": identifier,
               "Hurong-Anchor-State": "none"}  # fmt: skip
    for row in service.indexer.status_list_hashes(account):
        if row["listId"] == identifier:
            headers["Hurong-Anchored-Hash"], headers["Hurong-Anchored-Block"] = row["listHash"], str(row["block"])
            headers["Hurong-Anchor-State"] = "anchored" if row["listHash"] == digest else "pending"
    return JSONResponse(credential, media_type="application/vc+ld+json", headers=headers)


@router.get("/certificates/{digest}/status-entries")
def status_entries(
    digest: Annotated[str, PathParam(pattern=r"^0x[0-9a-fA-F]{64}$", description="Certificate digest")],
    agency: CurrentAgency,
    request: Request,
    service: ServiceDep,
) -> dict[str, Any]:
    """The `BitstringStatusListEntry` objects of one of the calling agency's anchored certificates (one per
    purpose, at random indexes): what a standard VC verifier reads to learn its status from the lists."""
    issuer = service.issuer(agency.subject).issuer
    if isinstance(issuer, IdentifyingIssuer):
        issuer.ensure_recorded()
    entries = service.status_lists.entry_objects(_base(request, service), agency.subject, bytes.fromhex(digest[2:]))
    if not entries:
        raise ApiError(404, "unknown_certificate", f"no anchored certificate {digest.lower()} of this agency")
    return {"digest": digest.lower(), "credentialStatus": entries}
