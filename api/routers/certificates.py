"""Issuing certificates, reading their status, and changing it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Response
from fastapi import Path as PathParam

from api.deps import CurrentAgency, CurrentPrincipal, ServiceDep, SettingsDep
from api.errors import ApiError
from api.idempotency import HEADER, Claim, fingerprint, parse_key
from api.keys import Principal
from api.schemas import CertificatesCreate, CertificatesPublic, ErrorResponse, StatusChange, StatusChangeOut
from ledger.certificates.did import parse_agency_did
from ledger.certificates.merkle import MerkleTree
from ledger.certificates.reasons import parse_reason
from ledger.errors import LedgerValueError
from ledger.issuance.status_changes import TARGET as _TARGET

router = APIRouter(
    prefix="/certificates",
    tags=["certificates"],
    responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}, 404: {"model": ErrorResponse},
               422: {"model": ErrorResponse}},
)  # fmt: skip

Digest = Annotated[str, PathParam(pattern=r"^0x[0-9a-fA-F]{64}$", description="Certificate digest")]
_HEX32 = re.compile(r"^0x[0-9a-fA-F]{64}$")
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description="A key of the caller's choosing (1–255 printable ASCII characters): a retry with the same key "
        "returns the first outcome and never sends a second transaction.",
    ),
]


@router.post("", response_model=CertificatesPublic, status_code=201)
def issue(
    body: CertificatesCreate,
    agency: CurrentAgency,
    service: ServiceDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Issue unsigned credentials (or licence records) of the calling agency; answers once they are anchored
    at the configured confirmation depth. With an `Idempotency-Key`, a retry answers the same certificates."""
    if len(body.certificates) > settings.max_certificates:
        raise ApiError(413, "too_many_certificates", f"at most {settings.max_certificates} certificates per request")
    key = parse_key(idempotency_key)
    issuer = service.issuer(agency.subject)
    if key is None:
        return _issued(service, issuer.submit([issuer.issuer.credential(c) for c in body.certificates]))
    claim = service.idempotency.begin(f"agency:{agency.subject}", key, fingerprint("issue", body.certificates))
    response.headers[HEADER] = key
    try:
        wrapped = issuer.issuer.for_request(claim.ref)  # what this key's earlier attempt journaled, settled
        if claim.finished:
            response.headers["Idempotent-Replayed"] = "true"
        elif wrapped is None:
            credentials = [issuer.issuer.credential(c) for c in body.certificates]
            wrapped = issuer.submit(credentials, request_ref=claim.ref)
        out = _issued(service, wrapped or [])
    except BaseException:
        service.idempotency.release(claim)
        raise
    if not claim.finished:
        service.idempotency.finish(claim, 201, {"count": out["count"], "transactions": out["transactions"]})
    return out


def _issued(service: Any, wrapped: list[dict[str, Any]]) -> dict[str, Any]:
    transactions = sorted({w["proof"].get("anchor", {}).get("transactionHash", "") for w in wrapped} - {""})
    blocks = [w["proof"].get("anchor", {}).get("blockNumber") or 0 for w in wrapped]
    service.wait_indexed(max(blocks, default=0))  # what the caller verifies next is answered from the index
    return {"count": len(wrapped), "transactions": transactions, "data": wrapped}


@router.get("/{digest}")
def certificate_status(digest: Digest, service: ServiceDep) -> dict[str, Any]:
    """A certificate's status record(s) with the history of its status changes."""
    digest = digest.lower()
    raw = bytes.fromhex(digest[2:])
    history = service.indexer.history(raw)
    agencies = {h["agency"] for h in history}
    batches = []
    for journal in service.journals():
        for batch in journal.find(raw):
            # The journal names the batch; only the chain (through the index) says it is anchored.
            if batch.state == "anchored" and service.indexer.batch(batch.agency, batch.root).anchored:
                agencies.add(batch.agency)
                batches.append({"agency": batch.agency, "root": "0x" + batch.root.hex(),
                                "transactionHash": batch.tx_hash, "blockNumber": batch.block_number})  # fmt: skip
    if not agencies:
        raise ApiError(404, "unknown_certificate", f"no certificate {digest} is known to this service")
    records = []
    for agency in sorted(agencies):
        record = service.indexer.status(agency, raw)
        records.append({
            "agency": agency,
            "status": record.status.name.lower(),
            "reason": record.reason,
            "updatedAt": record.updated_at or None,
            "successor": "0x" + record.successor.hex() if record.successor else None,
        })  # fmt: skip
    return {"digest": digest, "indexedBlock": service.indexer.indexed_block, "records": records,
            "batches": batches, "history": history}  # fmt: skip


def _change(action: Literal["revoke", "suspend", "reinstate", "supersede"]) -> Any:
    def change(
        digest: Digest,
        body: StatusChange,
        principal: CurrentPrincipal,
        service: ServiceDep,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        reason = int(parse_reason(body.reason))
        if action == "supersede" and body.successor is None:
            raise ApiError(422, "successor_required", "supersede needs the successor's digest")
        if action != "supersede" and body.successor is not None:
            raise ApiError(422, "unexpected_successor", "only supersede takes a successor")
        key = parse_key(idempotency_key)
        if key is None:
            return _apply(action, digest.lower(), body, reason, principal, service, None)
        request = fingerprint(action, digest.lower(), body.model_dump(mode="json"))
        claim = service.idempotency.begin(f"{principal.role}:{principal.subject}", key, request)
        response.headers[HEADER] = key
        if claim.finished:
            response.headers["Idempotent-Replayed"] = "true"
            return claim.outcome or {}
        try:
            out = _apply(action, digest.lower(), body, reason, principal, service, claim)
        except BaseException:
            service.idempotency.release(claim)
            raise
        service.idempotency.finish(claim, 200, out)
        return out

    change.__name__ = action
    change.__doc__ = (
        f"{action.capitalize()} a certificate: its issuing agency's key, or its province's admin key. Answers once "
        "the transaction is mined; with an `Idempotency-Key`, a retry answers the first outcome."
    )
    return change


def _apply(
    action: str, digest: str, body: StatusChange, reason: int, principal: Principal, service: Any, claim: Claim | None
) -> dict[str, Any]:
    """Send the status change, or settle the one an earlier attempt with the same key sent."""
    agency, root, proof = _locate(digest, body.certificate, service)
    signer = _signer_for(principal, agency, service)
    changes = service.status_changes(agency)
    receipt = None
    if claim is not None and claim.tx_hash is not None:
        # A retry: the first attempt's change, confirmed; or, when the chain does not have it, the state once
        # the changes the chain lost are applied again.
        receipt = changes.settle(claim.tx_hash)
        if receipt is None:
            changes.recheck(service.signer)
            # An earlier acknowledged change of this certificate may be being applied again by another worker:
            # the status is judged once it is back.
            changes.wait_for_earlier(agency, bytes.fromhex(digest[2:]))
            status = signer.certificates.status_of(agency, digest)
            if status.status.name.lower() == _TARGET[action]:
                raise ApiError(409, "already_applied", f"the certificate is already {_TARGET[action]}")
    if receipt is None:
        on_sent = None if claim is None else (lambda tx_hash: service.idempotency.record_transaction(claim, tx_hash))
        successor = bytes.fromhex(body.successor[2:]) if action == "supersede" and body.successor else None
        receipt = changes.apply(signer, action, agency, root, bytes.fromhex(digest[2:]), proof, reason,
                                successor=successor, on_sent=on_sent, signer_for=service.signer)  # fmt: skip
    service.wait_indexed(receipt.block_number)
    return {"digest": digest, "agency": agency, "action": action, "reason": reason,
            "transactionHash": receipt.tx_hash, "blockNumber": receipt.block_number}  # fmt: skip


for _action in ("revoke", "suspend", "reinstate", "supersede"):
    router.post(f"/{{digest}}/{_action}", response_model=StatusChangeOut)(_change(_action))


def _locate(digest: str, certificate: dict[str, Any] | None, service: Any) -> tuple[str, bytes, list[bytes]]:
    raw = bytes.fromhex(digest[2:])
    pending = False
    for journal in service.journals():
        for batch in journal.find(raw):
            if batch.state != "anchored":
                pending = pending or batch.state in ("prepared", "sent")
                continue
            tree = MerkleTree(journal.digests(batch.id))
            return batch.agency, batch.root, tree.proof(raw)
    if pending:  # being anchored, or anchored again after the chain lost its batch
        raise ApiError(503, "not_yet_anchored", f"the batch of {digest} is being anchored: retry shortly",
                       headers={"Retry-After": "1"})  # fmt: skip
    if certificate is None:
        raise ApiError(404, "unknown_certificate",
                       f"the service did not issue {digest}: send the wrapped certificate in the body")  # fmt: skip
    try:
        proof = certificate["proof"]
        _, agency = parse_agency_did(certificate["issuer"]["id"])
        if str(proof["digest"]).lower() != digest:
            raise ApiError(422, "digest_mismatch", "the certificate in the body has another digest")
        root = proof["merkleRoot"]
        path = proof["merklePath"]
        if not _HEX32.match(root) or not isinstance(path, list) or not all(_HEX32.match(str(h)) for h in path):
            raise LedgerValueError("malformed merkleRoot or merklePath")
    except (KeyError, TypeError, LedgerValueError) as exc:
        message = f"the certificate in the body is not a wrapped certificate: {exc}"
        raise ApiError(422, "malformed_certificate", message) from None
    return agency, bytes.fromhex(root[2:]), [bytes.fromhex(h[2:]) for h in path]


def _signer_for(principal: Principal, agency: str, service: Any) -> Any:
    if principal.role == "agency":
        if principal.subject != agency:
            raise ApiError(403, "not_your_certificate", "an agency may only change the status of its own certificates")
        return service.signer(agency)
    province = service.client.authorities.agency_province(agency)
    if province is None or str(province) != principal.subject:
        raise ApiError(403, "not_your_province", "a province admin may only act on its own province's certificates")
    admins = service.client.consortium.province(province).admins
    for admin in admins:
        if (Path(service.settings.keystore_folder) / f"{admin}.json").is_file():
            return service.signer(admin)
    raise ApiError(503, "no_signing_key", f"the service holds no key of an admin of province {province}")
