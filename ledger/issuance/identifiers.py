"""GB/T 36904 licence identifiers at issuance, for the service and `hurong issue`: the agencies' credit codes,
serials, and finding certificates.

- An agency's issuing body code is its unified social credit code, part of its off-chain description in the
  deployment record (`extra.creditCodes`, by lower-case address), beside the suites agencies issue in: the chain
  records no credit code. `credit_code` reads it; `describe_credit_codes` writes it.
- `Serials` hands out serials (`HR` and 10 digits) from a SQLite file in the service's (or the CLI's) home,
  reserving them in blocks, each in one `BEGIN IMMEDIATE` transaction, so the service's workers (threads and
  processes) never take the same one, and the counter survives restarts. It also records which certificate
  (digest) carries which identifier, so an agency can find its certificate by identifier. An agency may give
  identifiers of its own; one whose serial has the service's form must be a version of one the service made.
- `IdentifyingIssuer` is the `Issuer` of an agency with a credit code: a licence record without an identifier gets
  one (`<credit code of the type's department + 3 digits>.<agency's credit code>.<serial>.001`), and a given one
  must be valid and name the record's type and this agency. An agency without a credit code issues as before,
  checking only what an identifier given says of itself.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ledger.certificates.catalogue import _TYPES_BY_CODE
from ledger.certificates.credential import LicenceData
from ledger.certificates.identifiers import (
    POINTER,
    check_credential_identifier,
    credential_identifier,
    make_identifier,
    parse_identifier,
)
from ledger.certificates.validation import CertificateValidationError, Problem, check_uscc
from ledger.chain.deployment import Deployment
from ledger.errors import ConfigurationError, LedgerValueError
from ledger.issuance.issuer import IssuedBatch, Issuer
from ledger.issuance.sqlite_files import SharedSqlite
from ledger.issuance.status_entries import StatusEntries, carried, entries_key

log = logging.getLogger("hurong.issuance")
#: Where the deployment record's `extra` keeps the agencies' credit codes.
CREDIT_CODES = "creditCodes"
#: Serials the service makes: `HR` and 10 digits (`HR0000000001`), reserved `BLOCK` at a time.
SERIAL_PREFIX = "HR"
SERIAL_DIGITS = 10
BLOCK = 1000
_MADE = re.compile(rf"{SERIAL_PREFIX}[0-9]{{{SERIAL_DIGITS}}}")
SERIALS_FILE = "identifiers.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS serials (
    issuer_code TEXT NOT NULL,
    type_code TEXT NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (issuer_code, type_code)
);
CREATE TABLE IF NOT EXISTS identified (
    identifier TEXT NOT NULL,
    agency TEXT NOT NULL,
    digest BLOB,
    UNIQUE (identifier, agency, digest)
);
CREATE INDEX IF NOT EXISTS identified_by_identifier ON identified (identifier);
"""


def credit_code(deployment: Deployment, agency: str) -> str | None:
    """The unified social credit code of `agency` in the deployment record, or None when it has none.

    Raises `ConfigurationError` when the recorded code is no valid GB 32100 code."""
    codes = deployment.extra.get(CREDIT_CODES)
    code = codes.get(agency.lower()) if isinstance(codes, Mapping) else None
    if code is None:
        return None
    if problems := check_uscc(code):
        raise ConfigurationError(f"the credit code of agency {agency} in the deployment record: {problems[0].message}")
    return str(code)


def describe_credit_codes(deployment: Deployment, codes: Mapping[str, str]) -> Deployment:
    """The deployment record with the credit codes of agencies (by address) added to their description."""
    for agency, code in codes.items():
        if problems := check_uscc(code):
            raise LedgerValueError(f"credit code of {agency}: {problems[0].message}")
    known = deployment.extra.get(CREDIT_CODES)
    merged = {**(known if isinstance(known, Mapping) else {}), **{a.lower(): c for a, c in codes.items()}}
    return replace(deployment, extra={**deployment.extra, CREDIT_CODES: merged})


class Serials(SharedSqlite):
    """Serials per issuing body and licence type, and the certificates carrying each identifier.

    Serials are reserved from the file in blocks of `BLOCK` (one transaction each) and handed out from memory, so
    a request of thousands of records takes a few transactions; the serials of a block a process had not handed
    out when it stopped are skipped. Made serials have a form of their own (`HR` and 10 digits), so no serial an
    agency gives can be one the service makes later."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA)
        self._blocks: dict[tuple[str, str], tuple[int, int]] = {}
        self._lock = threading.Lock()

    def next(self, issuer_code: str, type_code: str) -> str:
        """A serial never handed out before for this issuing body and licence type."""
        key = (issuer_code, type_code)
        with self._lock:
            serial, end = self._blocks.get(key, (0, 0))
            if serial >= end:
                with self.transaction() as db:
                    row = db.execute("SELECT last FROM serials WHERE issuer_code = ? AND type_code = ?", key).fetchone()
                    serial = (row[0] if row else 0) + 1
                    end = serial + BLOCK
                    db.execute(
                        "INSERT INTO serials (issuer_code, type_code, last) VALUES (?, ?, ?) "
                        "ON CONFLICT (issuer_code, type_code) DO UPDATE SET last = excluded.last",
                        (*key, end - 1),
                    )
            self._blocks[key] = (serial + 1, end)
        return f"{SERIAL_PREFIX}{serial:0{SERIAL_DIGITS}d}"

    def made_before(self, agency: str, identifier: str) -> bool:
        """Whether a certificate of `agency` carries a version of `identifier` (same type, body and serial)."""
        stem = identifier.rsplit(".", 2)[0] + "."
        row = (
            self.connect()
            .execute(
                "SELECT 1 FROM identified WHERE agency = ? AND substr(identifier, 1, ?) = ? LIMIT 1",
                (agency.lower(), len(stem), stem),
            )
            .fetchone()
        )
        return row is not None

    def record(self, agency: str, pairs: Iterable[tuple[str, bytes]]) -> None:
        """Record which certificate (digest) of `agency` carries which identifier."""
        with self.transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO identified (identifier, agency, digest) VALUES (?, ?, ?)",
                [(identifier, agency.lower(), digest) for identifier, digest in pairs],
            )

    def digests(self, agency: str, identifier: str) -> list[bytes]:
        """The digests of `agency`'s certificates recorded with this identifier."""
        rows = self.connect().execute(
            "SELECT digest FROM identified WHERE identifier = ? AND agency = ? AND digest IS NOT NULL ORDER BY rowid",
            (identifier, agency.lower()),
        )
        return [bytes(row[0]) for row in rows]


class IdentifyingIssuer(Issuer):
    """An `Issuer` that gives every licence record a GB/T 36904 identifier and checks the ones given."""

    def __init__(
        self, *args: Any, serials: Serials, issuer_code: str | None, status_lists: StatusEntries | None = None,
        status_list_base: Callable[[], str | None] | None = None, **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.serials = serials
        self.issuer_code = issuer_code
        self.status_lists = status_lists
        self.status_list_base = status_list_base
        if status_lists is not None and status_list_base is not None:
            self.status_list_entries = self._reserve_entries
        self._journal_read = False

    def credential(
        self, record: LicenceData | Mapping[str, Any], *, credential_id: str | None = None
    ) -> dict[str, Any]:
        """The unsigned credential of a licence record or unsigned credential, as `Issuer.credential` makes it,
        with an identifier made here for a licence record without one (when the agency has a credit code), and
        the identifier it carries checked against the agency's credit code. A given identifier with a serial of
        the service's form must be a version of one the service made for this agency."""
        made: str | None = None
        if (
            isinstance(record, Mapping)
            and "@context" not in record
            and self.issuer_code is not None
            and not _names_identifier(record)
        ):
            kind = _TYPES_BY_CODE.get(str(record.get("certificateType", record.get("certificate_type"))))
            if kind is not None:
                serial = self.serials.next(self.issuer_code, kind.licence_type_code)
                made = make_identifier(kind.licence_type_code, self.issuer_code, serial)
                record = {**record, "licenceIdentifier": made}
        document = super().credential(record, credential_id=credential_id)
        problems = check_credential_identifier(document, issuer_code=self.issuer_code)
        given = credential_identifier(document)
        if not problems and given is not None and given != made and self._reserved(given):
            problems = [Problem(POINTER, "reserved_licence_identifier_serial",
                                f"serials {SERIAL_PREFIX} and {SERIAL_DIGITS} digits are made by the service; "
                                f"{given} is no version of an identifier it made for this agency")]  # fmt: skip
        if problems:
            raise CertificateValidationError(problems)
        return document

    def _reserve_entries(self, documents: Sequence[Mapping[str, Any]]) -> list[list[dict[str, Any]]]:
        """The status list entries of new certificates (in one transaction), each keyed by its credential id and
        content (`entries_key`; none while no base URL is known for the lists, or for a credential without an id)."""
        assert self.status_lists is not None and self.status_list_base is not None
        base, keys = self.status_list_base(), [entries_key(document) for document in documents]
        if base is None:
            return [[] for _ in documents]
        drawn = iter(self.status_lists.reserved_objects_many(base, self.agency, [k for k in keys if k is not None]))
        return [next(drawn) if key is not None else [] for key in keys]

    def _reserved(self, identifier: str) -> bool:
        serial = parse_identifier(identifier).serial
        return bool(_MADE.fullmatch(serial)) and not self.serials.made_before(self.agency, identifier)

    def issue(self, credentials: Iterable[dict[str, Any]], **kwargs: Any) -> list[dict[str, Any]]:
        """`Issuer.issue`, then the identifier of each certificate recorded with its digest."""
        wrapped = super().issue(credentials, **kwargs)
        self._remember_anchored(wrapped)
        return wrapped

    def _remember_anchored(self, wrapped: Sequence[Mapping[str, Any]]) -> None:
        """`remember` for certificates already anchored: a failure to record is logged, not raised (the caller
        must learn its certificates are anchored), and the journal is read again at the next look-up."""
        try:
            self.remember(wrapped)
        except sqlite3.Error as exc:
            log.warning("recording identifiers and status entries of %s failed: %s", self.agency, exc)
            self._journal_read = False

    def remember(self, wrapped: Sequence[Mapping[str, Any]]) -> None:
        """Record the identifiers of wrapped certificates with their digests, and give each its status list
        entries and record the batch (root) it was anchored in."""
        digests = [bytes.fromhex(str(document["proof"]["digest"])[2:]) for document in wrapped]
        pairs = [(credential_identifier(d), digest) for d, digest in zip(wrapped, digests, strict=True)]
        self.serials.record(self.agency, [(i, digest) for i, digest in pairs if i is not None])
        if self.status_lists is not None:
            keyed = [(entries_key(d), d, digest) for d, digest in zip(wrapped, digests, strict=True)]
            linking = [(key, digest, carried(d)) for key, d, digest in keyed if key is not None and _carries_entries(d)]
            self.status_lists.link(self.agency, linking)
            linked = {digest for _, digest, _ in linking}
            self.status_lists.assign(self.agency, [digest for digest in digests if digest not in linked])
            roots = [bytes.fromhex(str(document["proof"]["merkleRoot"])[2:]) for document in wrapped]
            self.status_lists.record_roots(self.agency, zip(digests, roots, strict=True))

    def reconcile(self, *, timeout: float = 120.0, min_age: float = 0.0) -> list[IssuedBatch]:
        """`Issuer.reconcile`, then the identifiers of the certificates it settled recorded with their digests."""
        settled = super().reconcile(timeout=timeout, min_age=min_age)
        for batch in settled:
            self._remember_anchored(batch.certificates)
        return settled

    def ensure_recorded(self) -> None:
        """Record the identifiers and status entries of every anchored certificate of the journal, once per process
        (and again after a failure to record): certificates of a journal written before they were recorded, or by a
        process stopped between anchoring and recording, are found too."""
        if self._journal_read:
            return
        with self._lock:
            for batch in self.journal.batches("anchored"):
                if batch.agency.lower() == self.agency.lower():
                    self.remember([self.sealer.open(d, sealed) for d, sealed in self.journal.certificates(batch.id)])
            self._journal_read = True

    def identified(self, identifier: str) -> list[dict[str, Any]]:
        """The agency's anchored certificates carrying `identifier`, wrapped with their anchors, oldest first."""
        self.ensure_recorded()
        return self.anchored_documents(self.serials.digests(self.agency, identifier))


def _carries_entries(document: Mapping[str, Any]) -> bool:
    status = document.get("credentialStatus")
    return isinstance(status, list) and len(status) > 1


def _names_identifier(record: Mapping[str, Any]) -> bool:
    fields = record.get("fields")
    return (
        "licenceIdentifier" in record
        or "licence_identifier" in record
        or (isinstance(fields, Mapping) and "licenceIdentifier" in fields)
    )
