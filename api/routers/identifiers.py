"""Finding an agency's certificates by their GB/T 36904 licence identifier."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from pydantic import BaseModel

from api.deps import CurrentAgency, ServiceDep
from api.errors import ApiError
from api.identifiers import IdentifyingIssuer
from api.schemas import ErrorResponse, LicenceCertificateOut
from ledger.certificates.identifiers import check_licence_identifier
from ledger.certificates.reasons import reason_fields

router = APIRouter(
    prefix="/licence-identifiers",
    tags=["certificates"],
    responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)


class IdentifierLookupOut(BaseModel):
    licenceIdentifier: str
    count: int
    data: list[LicenceCertificateOut]


@router.get("/{identifier}", response_model=IdentifierLookupOut)
def find_by_identifier(
    identifier: Annotated[str, PathParam(max_length=120, description="A GB/T 36904 licence identifier")],
    agency: CurrentAgency,
    service: ServiceDep,
) -> dict[str, Any]:
    """The calling agency's anchored certificates carrying a GB/T 36904 licence identifier, oldest first, each
    wrapped with its anchor and its current status. An identifier that is not well formed (structure, credit
    codes, ISO 7064 MOD 37,36 check character) is refused with 422 and the problem's code."""
    if problems := check_licence_identifier(identifier, ""):
        raise ApiError(422, problems[0].code, problems[0].message, [p.as_dict() for p in problems])
    issuer = service.issuer(agency.subject).issuer
    found = issuer.identified(identifier) if isinstance(issuer, IdentifyingIssuer) else []
    data = []
    for document in found:
        digest = str(document["proof"]["digest"]).lower()
        record = service.indexer.status(agency.subject, bytes.fromhex(digest[2:]))
        data.append({"digest": digest, "status": record.status.name.lower(), **reason_fields(record.reason),
                     "successor": "0x" + record.successor.hex() if record.successor else None,
                     "certificate": document})  # fmt: skip
    return {"licenceIdentifier": identifier, "count": len(data), "data": data}
