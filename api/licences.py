"""What an issuance request is checked for before it joins a batch: every record built and validated (each
problem with its index), the issuer the API key names, one active certificate per licence, and what the request
supersedes; and the checks of a successor named by `supersede`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from api.errors import ApiError
from ledger.certificates.merkle import verify as merkle_verify
from ledger.issuance import requests
from ledger.issuance.issuer import Issuer
from ledger.issuance.journal import BatchRecord, DuplicateLicence


def prepare(service: Any, issuer: Issuer, records: Sequence[Any]) -> tuple[list[dict[str, Any]], list[str | None]]:
    """The unsigned credentials of `records` and the digest each supersedes (None when it supersedes nothing).

    Refuses the whole request, listing every problem with the index of its record: 403 `issuer_mismatch` when a
    record names another issuer, else 422 `invalid_input`."""
    prepared = requests.prepare(issuer, records)
    problems = prepared.problems
    if problems:
        if any(p["code"] == "issuer_mismatch" for p in problems):
            raise ApiError(403, "issuer_mismatch", f"{prepared.failing} of {len(records)} certificates name another "
                           "issuer than the API key's agency", problems)  # fmt: skip
        raise ApiError(422, "invalid_input", f"{prepared.failing} of {len(records)} certificates are refused", problems)
    return [c for c in prepared.credentials if c is not None], prepared.supersedes


def replaceable(
    service: Any, issuer: Issuer, credentials: Sequence[dict[str, Any]], supersedes: Sequence[str | None]
) -> set[bytes]:
    """The journaled certificates the request may take the licence of: those no longer active, and those it
    supersedes. Refuses with 409 `duplicate_licence` (each with the digest already holding the licence) or
    `not_a_predecessor` (a `supersedes` that is not an active certificate of the same licence)."""
    checked = requests.check_licences(issuer, credentials, supersedes, lambda h: is_active(service, issuer, h))
    conflicts = checked.conflicts
    if conflicts:
        code = "duplicate_licence" if any(c["code"] == "duplicate_licence" for c in conflicts) else conflicts[0]["code"]
        raise ApiError(409, code, f"{len(conflicts)} certificates conflict with the agency's certificates; name the "
                       "one a certificate replaces in `supersedes`", conflicts)  # fmt: skip
    return checked.replaceable


def duplicate_error(exc: DuplicateLicence) -> ApiError:
    """The 409 of a licence another request took while this one was being checked."""
    conflicts = [
        requests.conflict(position, "duplicate_licence",
                          f"certificate 0x{holder.hex()} holds the same type and licence number",
                          existing="0x" + holder.hex())
        for position, holder in exc.conflicts
    ]  # fmt: skip
    return ApiError(409, "duplicate_licence", str(exc), conflicts)


def is_active(service: Any, issuer: Issuer, digest: bytes) -> bool:
    """`requests.journaled_active` judged from the index: anchored, and neither revoked (nor its batch) nor
    superseded; a batch the index has not reached yet counts as active."""

    def indexed(batch: BatchRecord) -> bool:
        anchored = service.indexer.batch(issuer.agency, batch.root)
        if not anchored.anchored:
            return True  # the index has not reached it yet
        if anchored.revoked_at is not None:
            return False
        return bool(service.indexer.status(issuer.agency, digest).status in requests.ACTIVE)

    return requests.journaled_active(issuer, digest, indexed)


def check_successor(service: Any, agency: str, digest: str, successor: str, certificate: Any) -> None:
    """Refuse a successor that is not a certificate anchored by `agency` (the certificate superseded's agency):
    found in the service's journals, or shown in `certificate` (wrapped) and included in a root `agency` anchored."""
    if successor == digest:
        raise ApiError(422, "invalid_successor", "a certificate cannot supersede itself")
    raw = bytes.fromhex(successor[2:])
    for journal in service.journals():
        for batch in journal.find(raw):
            if batch.state == "anchored" and service.indexer.batch(batch.agency, batch.root).anchored:
                if batch.agency != agency:
                    message = f"the successor {successor} was issued by {batch.agency}, not by {agency}"
                    raise ApiError(409, "successor_of_another_agency", message)
                return
    if isinstance(certificate, dict):
        proof: Any = certificate.get("proof")
        try:
            root = bytes.fromhex(str(proof["merkleRoot"])[2:])
            path = [bytes.fromhex(str(h)[2:]) for h in proof["merklePath"]]
            named = str(proof["digest"]).lower()
        except (KeyError, TypeError, ValueError):
            raise ApiError(422, "malformed_certificate", "successorCertificate is not a wrapped certificate") from None
        if named != successor or len(root) != 32 or not merkle_verify(root, raw, path):
            raise ApiError(422, "invalid_successor", "successorCertificate does not prove the successor's digest")
        if service.indexer.batch(agency, root).anchored:
            return
    raise ApiError(422, "successor_not_anchored",
                   f"no certificate {successor} anchored by {agency} is known: issue it first, or send it wrapped in "
                   "`successorCertificate`")  # fmt: skip
