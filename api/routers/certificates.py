"""Issuing certificates, reading their status, and changing it."""

from __future__ import annotations

import re
import time
import unicodedata
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi import Path as PathParam

from api import licences
from api.deps import CurrentAgency, CurrentPrincipal, ServiceDep, SettingsDep
from api.errors import ApiError
from api.export import export_zip
from api.idempotency import HEADER, Claim, fingerprint, parse_key
from api.keys import Principal
from api.routers.documents import base_url
from api.schemas import (
    CertificatesCreate,
    CertificatesPublic,
    ErrorResponse,
    ExportRequest,
    JsonRoute,
    LicenceLookupOut,
    StatusChange,
    StatusChangeOut,
    json_response,
)
from api.store import store_settings
from ledger.certificates.catalogue import certificate_types
from ledger.certificates.did import parse_agency_did
from ledger.certificates.merkle import MerkleTree
from ledger.certificates.reasons import Reason, parse_reason, reason_fields
from ledger.certificates.records import take_record
from ledger.chain.models import CertificateStatus
from ledger.errors import LedgerError, LedgerValueError
from ledger.issuance.journal import DuplicateLicence
from ledger.issuance.status_changes import TARGET as _TARGET

router = APIRouter(
    prefix="/certificates",
    tags=["certificates"],
    responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}, 404: {"model": ErrorResponse},
               422: {"model": ErrorResponse}},
    route_class=JsonRoute,
)  # fmt: skip

Digest = Annotated[str, PathParam(pattern=r"^0x[0-9a-fA-F]{64}$", description="Certificate digest")]
_HEX32 = re.compile(r"^0x[0-9a-fA-F]{64}$")
_TYPE_CODES = [t.code for t in certificate_types()]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description="A key of the caller's choosing (1–255 printable ASCII characters): a retry with the same key "
        "returns the first outcome and never sends a second transaction.",
    ),
]


@router.post("", response_model=CertificatesPublic, status_code=201, responses={409: {"model": ErrorResponse}})
def issue(
    body: CertificatesCreate,
    agency: CurrentAgency,
    service: ServiceDep,
    settings: SettingsDep,
    response: Response,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Issue licence records (one schema per certificate type) or unsigned credentials of the calling agency;
    answers once they are anchored at the configured confirmation depth.

    The issuer is the API key's agency (a record naming another is refused, 403 `issuer_mismatch`). A refused
    request lists every problem of every certificate with its `index`, JSON Pointer, code and message. One
    certificate per type and licence number is active: another is refused (409 `duplicate_licence`, naming the
    `existing` digest) unless its record names that one in `supersedes`; it is then superseded (reason
    `replaced`) once the new one is anchored, as `supersessions` reports. Where the service keeps a document store,
    `documents` hands over each certificate's encrypted document: its CID, the key that opens it and the holder
    link (the key is kept nowhere else in the clear). With an `Idempotency-Key`, a retry answers the same
    certificates."""
    if len(body.certificates) > settings.max_certificates:
        raise ApiError(413, "too_many_certificates", f"at most {settings.max_certificates} certificates per request")
    records = body.records()
    if not settings.public_url:  # the status list entries new certificates carry point under this base URL
        service.status_lists.remember_base(str(request.base_url))
    key = parse_key(idempotency_key)
    batching = service.issuer(agency.subject)
    if key is None:
        credentials, supersedes = licences.prepare(service, batching.issuer, records)
        wrapped_now = _submit(service, batching, credentials, supersedes, None)
        issued = _issued(service, agency, wrapped_now, supersedes, base_url(request))
        return json_response(issued, 201)
    claim = service.idempotency.begin(f"agency:{agency.subject}", key, fingerprint("issue", records))
    response.headers[HEADER] = key
    try:
        wrapped: list[dict[str, Any]] | None = batching.issuer.for_request(claim.ref)  # journaled earlier, settled
        if claim.finished:
            response.headers["Idempotent-Replayed"] = "true"
        if wrapped is None and not claim.finished:
            credentials, supersedes = licences.prepare(service, batching.issuer, records)
            wrapped = _submit(service, batching, credentials, supersedes, claim.ref)
        else:
            supersedes = [take_record(r, batching.issuer.did, "").supersedes for r in records]
        out = _issued(service, agency, wrapped or [], supersedes, base_url(request))
    except BaseException:
        service.idempotency.release(claim)
        raise
    if not claim.finished:
        service.idempotency.finish(claim, 201, {"count": out["count"], "transactions": out["transactions"]})
    # The wrapped certificates are plain JSON: written directly, not through the response model (which documents
    # them) and `jsonable_encoder`.
    return json_response(out, 201, {k: v for k, v in response.headers.items() if k != "content-length"})


def _submit(
    service: Any, batching: Any, credentials: list[dict[str, Any]], supersedes: list[str | None], ref: str | None
) -> list[dict[str, Any]]:
    free = licences.replaceable(service, batching.issuer, credentials, supersedes)
    try:
        wrapped: list[dict[str, Any]] = batching.submit(credentials, request_ref=ref, replaceable=free, validated=True)
    except DuplicateLicence as exc:  # taken by a concurrent request since the check
        raise licences.duplicate_error(exc) from None
    return wrapped


def _issued(
    service: Any, agency: Principal, wrapped: list[dict[str, Any]], supersedes: list[str | None], base: str
) -> dict[str, Any]:
    transactions = sorted({w["proof"].get("anchor", {}).get("transactionHash", "") for w in wrapped} - {""})
    blocks = [w["proof"].get("anchor", {}).get("blockNumber") or 0 for w in wrapped]
    service.wait_indexed(max(blocks, default=0))  # what the caller verifies next is answered from the index
    out: dict[str, Any] = {"count": len(wrapped), "transactions": transactions, "data": wrapped}
    out["supersessions"] = [
        _supersede(service, agency, index, old, wrapped[index]["proof"]["digest"])
        for index, old in enumerate(supersedes)
        if old is not None and index < len(wrapped)
    ]
    digests = [bytes.fromhex(w["proof"]["digest"][2:]) for w in wrapped]
    # without a document store nothing was stored: no journal lookup on every issuance
    refs = service.issuer(agency.subject).issuer.document_refs(digests) if store_settings().store else {}
    out["documents"] = [
        {"index": index, "digest": f"0x{digest.hex()}", **refs[digest].as_dict(base)}
        for index, digest in enumerate(digests)
        if digest in refs
    ]
    return out


def _supersede(service: Any, agency: Principal, index: int, digest: str, successor: str) -> dict[str, Any]:
    """Supersede `digest` by the new certificate `successor` (reason `replaced`), unless the chain has it so."""
    entry: dict[str, Any] = {"index": index, "digest": digest, "successor": successor, "status": "superseded"}
    record = service.indexer.status(agency.subject, bytes.fromhex(digest[2:]))
    if record.status == CertificateStatus.SUPERSEDED and record.successor == bytes.fromhex(successor[2:]):
        return entry
    body = StatusChange(reason="replaced", successor=successor)
    try:
        applied = _apply("supersede", digest, body, int(Reason.REPLACED), agency, service, None)
    except (ApiError, LedgerError) as exc:
        code = exc.code if isinstance(exc, ApiError) else type(exc).__name__
        return entry | {"status": "pending", "error": {"code": code, "message": str(exc)}}
    return entry | {"transactionHash": applied["transactionHash"], "blockNumber": applied["blockNumber"]}


@router.get("", response_model=LicenceLookupOut)
def find_by_licence(
    agency: CurrentAgency,
    service: ServiceDep,
    licenceNumber: Annotated[str, Query(min_length=1, max_length=64, description="The licence number")],
    certificateType: Annotated[
        str | None, Query(max_length=64, description="The certificate type's code; every type when absent")
    ] = None,
) -> dict[str, Any]:
    """The calling agency's certificates of a licence number (of one type, or of every type), oldest first, each
    wrapped with its anchor and its current status. The service keeps no licence number in the clear: it finds
    them through a keyed hash of type and number that only the agency's key can compute."""
    if certificateType is not None and certificateType not in _TYPE_CODES:
        raise ApiError(422, "unknown_certificate_type", f"unknown certificate type {certificateType!r}")
    text = _clean_text(licenceNumber, "licenceNumber")
    issuer = service.issuer(agency.subject).issuer
    found: list[dict[str, Any]] = []
    for code in [certificateType] if certificateType else list(_TYPE_CODES):
        found += issuer.licence_certificates(code, text)
    found.sort(key=lambda d: d["proof"].get("anchor", {}).get("blockNumber") or 0)
    return {"licenceNumber": text, "count": len(found),
            "data": [_with_status(service, agency.subject, document) for document in found]}  # fmt: skip


@router.post(
    "/export",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "A ZIP of certificates and QR images"}},
)
def export(body: ExportRequest, agency: CurrentAgency, service: ServiceDep) -> Response:
    """A ZIP of the calling agency's anchored certificates named by digest: for each, the wrapped certificate
    (`certificates/<licence number>-<digest prefix>.json`) and a QR image (`qr/<same>.png`: the whole certificate
    when it fits in one code, else a reference a verifier resolves), with `index.csv` listing them. Digests the
    agency's journal does not hold anchored are refused (422 `unknown_certificates`, each with its index)."""
    wanted = [d.lower() for d in body.digests]
    documents = service.issuer(agency.subject).issuer.anchored_documents([bytes.fromhex(d[2:]) for d in wanted])
    by_digest = {str(d["proof"]["digest"]).lower(): d for d in documents}
    missing = [{"index": i, "pointer": f"/digests/{i}", "code": "unknown_certificate",
                "message": f"no anchored certificate {d} of this agency"}
               for i, d in enumerate(wanted) if d not in by_digest]  # fmt: skip
    if missing:
        raise ApiError(422, "unknown_certificates", f"{len(missing)} of {len(wanted)} digests are not certificates "
                       "this agency anchored", missing)  # fmt: skip
    data = export_zip([by_digest[d] for d in dict.fromkeys(wanted)])
    name = f"certificates-{time.strftime('%Y%m%d-%H%M%S')}.zip"
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


def _with_status(service: Any, agency: str, document: dict[str, Any]) -> dict[str, Any]:
    record = service.indexer.status(agency, bytes.fromhex(str(document["proof"]["digest"])[2:]))
    return {"digest": str(document["proof"]["digest"]).lower(), "status": record.status.name.lower(),
            **reason_fields(record.reason),
            "successor": "0x" + record.successor.hex() if record.successor else None,
            "certificate": document}  # fmt: skip


def _clean_text(value: str, name: str) -> str:
    if value != value.strip() or any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in value):
        raise ApiError(422, "invalid_text", f"{name} has surrounding spaces or control or format characters")
    return value


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
            **reason_fields(record.reason),
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
        if action != "supersede" and (body.successor is not None or body.successorCertificate is not None):
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
    if action == "supersede" and body.successor is not None:
        licences.check_successor(service, agency, digest, body.successor.lower(), body.successorCertificate)
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
    named = body.successor.lower() if action == "supersede" and body.successor else None
    return {"digest": digest, "agency": agency, "action": action, **reason_fields(reason), "successor": named,
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
