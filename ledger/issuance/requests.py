"""What an issuance request is checked for before it joins a batch, for the service and the command line alike:
every record built and validated (each problem with the index of its record), and one active certificate per
licence (type and licence number) of the agency, unless the request names the one it supersedes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.certificates.merkle import MerkleTree
from ledger.certificates.records import take_record
from ledger.certificates.validation import CertificateValidationError
from ledger.chain.models import CertificateStatus
from ledger.issuance.issuer import Issuer
from ledger.issuance.journal import BatchRecord

LICENCE_POINTER = "/credentialSubject/licenceNumber"


@dataclass
class Prepared:
    """The unsigned credentials of a request's records (None where a record failed), the digest each supersedes
    (None when it supersedes nothing), and every problem, each with the `index` of its record."""

    credentials: list[dict[str, Any] | None]
    supersedes: list[str | None]
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failing(self) -> int:
        return len({p["index"] for p in self.problems})


def prepare(issuer: Issuer, records: Sequence[Any]) -> Prepared:
    """Build and check the credentials of `records` as `issuer`'s agency."""
    problems: list[dict[str, Any]] = []
    credentials: list[dict[str, Any] | None] = []
    supersedes: list[str | None] = []
    for index, record in enumerate(records):
        taken = take_record(record, issuer.did, issuer.agency_record.name)
        problems.extend({"index": index, **p.as_dict()} for p in taken.problems)
        supersedes.append(taken.supersedes)
        try:
            credentials.append(issuer.credential(taken.document))
        except CertificateValidationError as exc:
            problems.extend({"index": index, **p.as_dict()} for p in exc.problems)
            credentials.append(None)
    built = [(i, c) for i, c in enumerate(credentials) if c is not None and not any(p["index"] == i for p in problems)]
    for problem in issuer.check([c for _, c in built]):
        problems.append(problem | {"index": built[problem["index"]][0]})
    problems.sort(key=lambda p: p["index"])
    return Prepared(credentials, supersedes, problems)


@dataclass
class LicenceCheck:
    """The journaled certificates the request may take the licence of (no longer active, or superseded by it),
    and its conflicts (`duplicate_licence` naming the `existing` digest, or `not_a_predecessor`)."""

    replaceable: set[bytes]
    conflicts: list[dict[str, Any]]


def check_licences(
    issuer: Issuer,
    credentials: Sequence[dict[str, Any]],
    supersedes: Sequence[str | None],
    is_active: Callable[[bytes], bool],
) -> LicenceCheck:
    """Check the request's licences against each other and against the agency's journaled certificates, judged
    active or not by `is_active` (from the service's index, or from the chain)."""
    keys = issuer.sealer.licence_keys(credentials)
    held = issuer.same_licence(credentials, keys)
    first: dict[bytes, int] = {}
    conflicts: list[dict[str, Any]] = []
    free: set[bytes] = set()
    for index, (holders, named, key) in enumerate(zip(held, supersedes, keys, strict=True)):
        if key is not None and key in first:
            conflicts.append(conflict(index, "duplicate_licence", f"certificate {first[key]} of this request has "
                                      "the same type and licence number"))  # fmt: skip
            continue
        if key is not None:
            first[key] = index
        active = [h for h in holders if is_active(h)]
        free |= set(holders) - set(active)
        others = ["0x" + h.hex() for h in active if "0x" + h.hex() != named]
        if named is not None and named not in ["0x" + h.hex() for h in active]:
            conflicts.append(conflict(index, "not_a_predecessor", f"supersedes names {named}, which is no active "
                                      "certificate of this agency with the same type and licence number",
                                      pointer="/supersedes"))  # fmt: skip
        elif named is not None:
            free.add(bytes.fromhex(named[2:]))
        if others:
            message = f"the agency's certificate {others[0]} of the same type and licence number is active"
            conflicts.append(conflict(index, "duplicate_licence", message, existing=others[0]))
    return LicenceCheck(free, conflicts)


def conflict(
    index: int, code: str, message: str, *, pointer: str = LICENCE_POINTER, existing: str | None = None
) -> dict[str, Any]:
    found: dict[str, Any] = {"index": index, "pointer": pointer, "code": code, "message": message}
    if existing is not None:
        found["existing"] = existing
    return found


#: Statuses in which a certificate holds its licence.
ACTIVE = (CertificateStatus.VALID, CertificateStatus.SUSPENDED)


def journaled_active(issuer: Issuer, digest: bytes, anchored_active: Callable[[BatchRecord], bool]) -> bool:
    """Whether a certificate of `issuer`'s journal holds its licence: being anchored (journaled in a batch not
    failed), or, once anchored, as `anchored_active(batch)` judges it (from the index or from the chain)."""
    for batch in issuer.journal.find(digest):
        if batch.state == "failed":
            continue
        if batch.state != "anchored":
            return True
        return anchored_active(batch)
    return False


def active_on_chain(issuer: Issuer) -> Callable[[bytes], bool]:
    """`journaled_active` judged from the chain: anchored and valid or suspended (neither revoked, nor in a
    revoked batch, nor superseded)."""

    def active(digest: bytes) -> bool:
        def on_chain(batch: BatchRecord) -> bool:
            return issuer.client.certificates.certificate_status(issuer.agency, batch.root, digest).status in ACTIVE

        return journaled_active(issuer, digest, on_chain)

    return active


def journaled_proof(issuer: Issuer, digest: bytes) -> tuple[bytes, list[bytes]] | None:
    """(Merkle root, proof) of a certificate in an anchored batch of `issuer`'s journal, or None."""
    for batch in issuer.journal.find(digest):
        if batch.state == "anchored":
            return batch.root, MerkleTree(issuer.journal.digests(batch.id)).proof(digest)
    return None
