"""The verifier: nine ordered checks of a wrapped certificate against the chain, read at one block.

    result = Verifier(client).verify(document, VerificationContext(province=330000))
    result.verdict   # "VALID" | "INVALID" | "NOT_RECOGNIZED"
    Verifier(client).verify(document, at="2025-06-01T08:00:00+08:00")   # as of a past time (or block=N)
    Verifier(client).verify_many(documents, context, reader=IndexReader(indexer))   # answered from the index

Checks (each `Outcome.PASSED`, `FAILED` or `SKIPPED`, with a machine-readable code): format, integrity,
inclusion, anchoring, issuer, signature, status, validity, recognition. The verdict is INVALID if any of the
first eight failed, NOT_RECOGNIZED if only recognition failed, VALID otherwise. Every answer names the block
number and hash its chain reads were made at. `verify_many` checks many certificates at one block and shares
chain reads: one read per distinct root, agency, type and rule question, and the statuses of each agency's
certificates from its status events, not one read per certificate.

Time: by default the chain is read at its head and validity and recognition are judged now. Asked about a
past block, they are judged at that block's time; asked about a past time `at`, the chain is read at the last
block at or before `at` (found by binary search on block timestamps) and they are judged at `at`. A node that
no longer keeps the state of that block raises `HistoryUnavailable`; a block or time still to come, or one
before the registries were deployed, raises `LedgerValueError`. Given a `reader` (any `Reader`: a
`ChainReader`, the index's `IndexReader`), the chain is read through it and `at` is only the time to judge at.

Standing: an answer carries warnings, apart from the checks. `issuer_not_in_good_standing` says that the
issuing agency, one of its parents or its province is no longer active today (read at the head), although
the agency was authorised when it anchored: the verdict is unchanged, since revoking certificates is an
explicit act of the agency, its province or a consortium vote.

Memory stays bounded: a verifier keeps its head reader and at most `PAST_READERS` readers of past blocks,
dropping the least recently used first (see `ledger.verification.reader` for the bounds of each reader).

Nothing in a document makes the verifier raise: a malformed one fails the `format` check.

The names this module held before it was split stay importable from it: the results (`ledger.verification.
results`), the readers (`ledger.verification.reader`) and the helpers of the checks (`ledger.verification.checks`).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeAlias, cast

from hexbytes import HexBytes

from ledger.certificates.collection import collection_paused
from ledger.certificates.did import parse_agency_did
from ledger.certificates.hashing import recompute_digest
from ledger.certificates.merkle import verify as merkle_verify
from ledger.certificates.reasons import reason_fields
from ledger.chain.client import HurongClient
from ledger.chain.models import Batch, CertificateStatus
from ledger.chain.rpc import LeanRpc
from ledger.errors import LedgerValueError
from ledger.verification import reader as _reads
from ledger.verification.checks import (
    ABSENCE_CODES,
    HEX32,
    Claims,
    checksum,
    iso,
    issuer_address,
    proof_problems,
    seconds,
    standing,
    status_question,
    timestamp,
    unsupported_value,
    without_placeholders,
)
from ledger.verification.checks import MAX_DEPTH as MAX_DEPTH
from ledger.verification.checks import MAX_TEXT as MAX_TEXT
from ledger.verification.checks import MAX_VALUES as MAX_VALUES
from ledger.verification.checks import parse_time as parse_time
from ledger.verification.messages import check_result
from ledger.verification.reader import READER_CACHE_SIZE as READER_CACHE_SIZE
from ledger.verification.reader import STATUS_CACHE_AGENCIES as STATUS_CACHE_AGENCIES
from ledger.verification.reader import ChainReader as ChainReader
from ledger.verification.reader import LruDict as LruDict
from ledger.verification.reader import Reader as Reader
from ledger.verification.reader import chain_failure as chain_failure
from ledger.verification.reader import fetch_block as fetch_block
from ledger.verification.reader import guarded as guarded
from ledger.verification.reader import memoised as memoised
from ledger.verification.results import CHECKS as CHECKS
from ledger.verification.results import INVALID as INVALID
from ledger.verification.results import NOT_IN_GOOD_STANDING as NOT_IN_GOOD_STANDING
from ledger.verification.results import NOT_RECOGNIZED as NOT_RECOGNIZED
from ledger.verification.results import VALID as VALID
from ledger.verification.results import CheckResult as CheckResult
from ledger.verification.results import Outcome as Outcome
from ledger.verification.results import VerificationContext as VerificationContext
from ledger.verification.results import VerificationResult as VerificationResult
from ledger.verification.results import VerificationWarning as VerificationWarning
from ledger.verification.results import verdict_of
from ledger.verification.status_lists import StatusListFetch, lists_say

log = logging.getLogger("hurong.verify")

#: Readers of past blocks a verifier keeps, each with its memoised reads (its head reader is kept apart).
PAST_READERS = 8
#: Seconds a time asked about may lie beyond both the verifier's clock and the head block's time (clock skew).
FUTURE_LEEWAY = 60

#: The former private name of `issuer_address`, kept for callers that still use it.
_issuer_address = issuer_address

PASSED, FAILED, SKIPPED = Outcome.PASSED, Outcome.FAILED, Outcome.SKIPPED
#: From this many documents on, `verify_many` holds the garbage collector back (`collection_paused`).
_BULK = 64
#: A block asked about, a time asked about, the certificate whose status a question will read.
Block: TypeAlias = int | str | None
When: TypeAlias = str | datetime | int | None
StatusOf: TypeAlias = tuple[str, bytes] | None


class _Put(Protocol):
    """Records the outcome of one check."""

    def __call__(self, name: str, outcome: Outcome, code: str, message: str, **details: Any) -> None: ...


class Verifier:
    """Verifies wrapped certificates against one deployment."""

    def __init__(
        self,
        client: HurongClient,
        *,
        clock: Callable[[], float] = time.time,
        validate: Callable[[dict[str, Any]], None] | None = None,
        verify_signature: Callable[..., bool] | None = None,
        status_lists: StatusListFetch | None = None,
    ) -> None:
        self.client = client
        self.status_lists = status_lists  # reads a status list by URL: a certificate's entries are then compared
        self.clock = clock
        self._validate = validate
        self._verify_signature = verify_signature
        self._latest: ChainReader | None = None
        self._rpc = LeanRpc(client.w3)
        self._past: LruDict[int, ChainReader] = LruDict(PAST_READERS)

    # ------------------------------------------------------------------ readers and time

    def reader(self, block: int | str = "latest", *, status_of: StatusOf = None) -> ChainReader:
        """A reader at `block`; the same reader (and its memoised reads) while the head stays, or while a past
        block keeps its hash. `status_of` (agency, digest): see `ledger.verification.reader.latest_header`."""
        if block != "latest":
            if isinstance(block, int) and not isinstance(block, bool) and block < self.client.deployment.block_number:
                return ChainReader(self.client, block)  # refused with the reason
            header = fetch_block(self.client, block)
            number, block_hash = int(header["number"]), HexBytes(header["hash"]).to_0x_hex()
            past = self._past.get(number)
            if past is None or past.block_hash != block_hash:
                past = ChainReader(self.client, number, header=header)
                self._past[number] = past
            return past
        cached = self._latest
        header = _reads.latest_header(self.client, self._rpc, cached, status_of)
        if cached is not None and cached.block_hash == HexBytes(header["hash"]).to_0x_hex():
            return cached
        reader = ChainReader(self.client, "latest", header=header, rpc=self._rpc)
        self._latest = reader
        return reader

    def resolve(
        self, *, block: Block = "latest", at: When = None, status_of: StatusOf = None
    ) -> tuple[ChainReader, int | None]:
        """The reader and the time to judge validity and recognition at (`None`: now) for a question about the
        head (no `at`, `block` "latest" or `None`), a past block, or a past time `at` (RFC 3339, datetime, or
        Unix seconds), which is read at the last block at or before it. `status_of`: see `reader`."""
        if at is None:
            if block is None or block == "latest":
                return self.reader("latest", status_of=status_of), None
            reader = self.reader(block)
            return reader, reader.timestamp
        if block is not None and block != "latest":
            raise LedgerValueError("ask about a block or a time, not both")
        when = seconds(at)
        return self.reader(self.block_at(when)), when

    def block_at(self, when: int) -> int:
        """The last block whose time is at or before `when` (Unix seconds), by binary search on block times."""
        head = fetch_block(self.client, "latest")
        head_number, head_time = int(head["number"]), int(head["timestamp"])
        if when >= head_time:
            if when > max(int(self.clock()), head_time) + FUTURE_LEEWAY:
                raise LedgerValueError(f"{iso(when)} is in the future: the chain can only answer about the past")
            return head_number
        lo = self.client.deployment.block_number
        if when < self._block_time(lo):
            raise LedgerValueError(
                f"{iso(when)} is before the registries were deployed ({iso(self._block_time(lo))}, block {lo})"
            )
        hi = head_number  # invariant: time(lo) <= when < time(hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._block_time(mid) <= when:
                lo = mid
            else:
                hi = mid
        return lo

    def _block_time(self, number: int) -> int:
        return int(fetch_block(self.client, number)["timestamp"])

    # ------------------------------------------------------------------ the public API

    def verify(
        self,
        document: Any,
        context: VerificationContext | None = None,
        *,
        reader: Reader | None = None,
        block: int | str | None = "latest",
        at: str | datetime | int | None = None,
        today: Reader | None = None,
    ) -> VerificationResult:
        """Verify one certificate, now (default), as of a past `block`, or as of a past time `at`; or through
        `reader` (judged at `at`, default now). Options as for `verify_many`."""
        return self.verify_many([document], context, reader=reader, block=block, at=at, today=today)[0]

    def verify_many(
        self,
        documents: Sequence[Any],
        context: VerificationContext | None = None,
        *,
        reader: Reader | None = None,
        block: int | str | None = "latest",
        at: str | datetime | int | None = None,
        today: Reader | None = None,
    ) -> list[VerificationResult]:
        """Verify many certificates at one block, sharing chain reads.

        Without `reader`, the chain is read at its head, at `block`, or at the last block at or before the time
        `at` (see `resolve`). With `reader` (a `ChainReader`, the index's `IndexReader`), its reads are used and
        `at` (RFC 3339, datetime or Unix seconds; default now) is only the time validity and recognition are
        judged at; `block` cannot be given then. The issuer's standing is read with `today` (default: the reader
        when judging now, else a reader at the chain's head).
        """
        one = status_question(documents[0]) if len(documents) == 1 and reader is None else None
        reader, when = self._question(reader, block, at, one)
        now = int(self.clock())
        if len(documents) > 1:
            self._prefetch(reader, documents)
        if today is None:
            today = reader if when is None else self.reader("latest")
        judged = now if when is None else when
        if len(documents) < _BULK:
            return [self._verify(d, context, reader, judged, today=today, checked_at=now) for d in documents]
        with collection_paused():
            return [self._verify(d, context, reader, judged, today=today, checked_at=now) for d in documents]

    def verify_with(
        self,
        reader: Reader,
        documents: Sequence[Any],
        context: VerificationContext | None = None,
        *,
        at: int | None = None,
        today: Reader | None = None,
    ) -> list[VerificationResult]:
        """`verify_many(documents, context, reader=reader, at=at, today=today)`: the form kept for its callers."""
        return self.verify_many(documents, context, reader=reader, at=at, today=today)

    def _question(
        self, reader: Reader | None, block: Block, at: When, status_of: StatusOf
    ) -> tuple[Reader, int | None]:
        """The reader and the time to judge at (`None`: now) of a question."""
        if reader is None:
            return self.resolve(block=block, at=at, status_of=status_of)
        if block is not None and block != "latest":
            raise LedgerValueError("verify through a reader or at a block, not both")
        return reader, None if at is None else seconds(at)

    def _prefetch(self, reader: Reader, documents: Sequence[Any]) -> None:
        """Load the status changes of the registered agencies issuing most of `documents` (as many as a reader
        keeps), so that their statuses need no read per certificate."""
        issuers = Counter(a for a in map(issuer_address, documents) if a is not None)
        for agency, _ in issuers.most_common(_reads.STATUS_CACHE_AGENCIES):
            if reader.agency(agency) is not None:
                reader.prefetch_statuses(agency)

    # ------------------------------------------------------------------ the checks

    def _verify(
        self,
        doc: Any,
        context: VerificationContext | None,
        reader: Reader,
        now: int,
        *,
        today: Reader | None = None,
        checked_at: int | None = None,
    ) -> VerificationResult:
        """The nine checks of `doc` with `reader`'s reads, validity and recognition judged at `now`; the
        issuer's standing read with `today` (default `reader`)."""
        results, claims = self._local_checks(doc)
        timing = (now, now if checked_at is None else checked_at)

        def put(name: str, outcome: Outcome, code: str, message: str, **details: Any) -> None:
            results[name] = check_result(name, outcome, code, message, details)

        if claims is None:
            return self._result(results, reader, timing, context, None)
        proof = doc["proof"]
        digest = bytes.fromhex(proof["digest"][2:])
        root = bytes.fromhex(proof["merkleRoot"][2:])
        agency = claims.agency

        # 4. anchoring
        batch = self._check_anchoring(proof, claims, root, reader, put)

        # 5. issuer, 6. signature, 7. status
        if batch is None:
            for name in ("issuer", "signature", "status"):
                put(name, SKIPPED, "not_anchored", "not checked: the root is not anchored by the issuer")
        else:
            self._check_issuer(claims, batch, reader, put)
            self._check_signature(proof, agency, batch, root, reader, put)
            self._check_status(agency, root, digest, batch, reader, put)

        # 8. validity
        self._check_validity(claims, now, put)

        # 9. recognition
        if context is None or context.province is None:
            put("recognition", SKIPPED, "no_context", "no accepting province named")
        elif any(r.outcome == FAILED for r in results.values()):
            put("recognition", SKIPPED, "invalid", "not checked: the certificate is not valid")
        else:
            self._check_recognition(claims, context, now, reader, put)
        warnings = (*standing(agency, today or reader), *lists_say(claims, results, self.status_lists)) if batch else ()
        return self._result(results, reader, timing, context, claims, warnings)

    def _local_checks(self, doc: Any) -> tuple[dict[str, CheckResult], Claims | None]:
        """Checks 1-3, which need no chain: format, integrity, inclusion."""
        results: dict[str, CheckResult] = {}

        def put(name: str, outcome: Outcome, code: str, message: str, **details: Any) -> None:
            results[name] = check_result(name, outcome, code, message, details)

        claims = self._check_format(doc, put)
        if claims is None:
            for name in CHECKS[1:]:
                put(name, SKIPPED, "format_failed", "not checked: the document is malformed")
            return results, None
        proof = doc["proof"]
        digest = bytes.fromhex(proof["digest"][2:])
        root = bytes.fromhex(proof["merkleRoot"][2:])
        try:
            recomputed = recompute_digest(doc)
        except LedgerValueError as exc:  # IntegrityError, or a value that cannot be canonicalised
            put("integrity", FAILED, "fields_mismatch", str(exc))
        else:
            if recomputed == digest:
                put("integrity", PASSED, "ok", "the digest matches the disclosed fields and hidden hashes")
            else:
                put("integrity", FAILED, "digest_mismatch", "the fields do not hash to the digest in the proof")
        path = [bytes.fromhex(h[2:]) for h in proof["merklePath"]]
        if merkle_verify(root, digest, path):
            put("inclusion", PASSED, "ok", f"the Merkle path ({len(path)} hashes) leads to the root",
                pathLength=len(path))  # fmt: skip
        else:
            put("inclusion", FAILED, "bad_merkle_path", "the Merkle path does not lead from the digest to the root")
        return results, claims

    def _result(
        self,
        results: dict[str, CheckResult],
        reader: Reader,
        timing: tuple[int, int],
        context: VerificationContext | None,
        claims: Claims | None,
        warnings: tuple[VerificationWarning, ...] = (),
    ) -> VerificationResult:
        checks = tuple(results[name] for name in CHECKS)
        at, checked_at = timing
        return VerificationResult(
            verdict=verdict_of(checks),
            checks=checks,
            block_number=reader.block_number,
            block_hash=reader.block_hash,
            checked_at=checked_at,
            digest=claims.digest if claims else None,
            issuer=claims.agency if claims else None,
            issuing_province=claims.province if claims else None,
            certificate_type=claims.certificate_type if claims else None,
            context=context,
            at=at,
            warnings=warnings,
        )

    def _check_format(self, doc: Any, put: _Put) -> Claims | None:
        def fail(code: str, message: str, **details: Any) -> None:
            put("format", FAILED, code, message, **details)

        if not isinstance(doc, dict):
            fail("not_an_object", "the certificate must be a JSON object")
            return None
        proof = doc.get("proof")
        if not isinstance(proof, dict):
            fail("missing_proof", "the certificate has no proof: it was not issued through Hurong")
            return None
        problems = proof_problems(proof)
        if problems:
            fail("bad_proof", problems[0], problems=problems)
            return None
        issuer = doc.get("issuer")
        issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
        try:
            chain_id, agency = parse_agency_did(issuer_id)
        except LedgerValueError as exc:
            fail("bad_issuer", str(exc))
            return None
        unsupported = unsupported_value(doc)
        if unsupported is not None:
            fail("schema", unsupported["message"], problems=[unsupported])
            return None
        subject = doc.get("credentialSubject")
        if not isinstance(subject, dict):
            fail("missing_subject", "credentialSubject is missing or hidden")
            return None
        required = {
            "credentialSubject.certificateType": subject.get("certificateType"),
            "credentialSubject.issuingProvince": subject.get("issuingProvince"),
            "validFrom": doc.get("validFrom"),
            "validUntil": doc.get("validUntil"),
        }
        for name, value in required.items():
            if not isinstance(value, str):
                fail("undisclosed_field", f"{name} must be disclosed to verify", field=name)
                return None
        ctype, province, valid_from, valid_until = cast(list[str], list(required.values()))
        schema = self._schema_problems(doc, proof)
        if schema is not None:
            fail("schema", schema[0], problems=schema[1])
            return None
        put("format", PASSED, "ok", "a well-formed ElectronicLicense with a Hurong proof")
        return Claims(agency=agency, chain_id=chain_id, certificate_type=ctype, province=province,
                      digest=proof["digest"].lower(), valid_from=valid_from, valid_until=valid_until,
                      status_entry=doc.get("credentialStatus"))  # fmt: skip

    def _schema_problems(self, doc: dict[str, Any], proof: dict[str, Any]) -> tuple[str, list[Any]] | None:
        """(message, problems) when the disclosed fields do not validate as a certificate, else `None`."""
        body = {k: v for k, v in doc.items() if k != "proof"}
        redacted = bool(proof.get("obfuscated"))
        if redacted:
            body = without_placeholders(body, proof["salts"])
        try:
            self._validator()(body)
        except LedgerValueError as exc:
            listed = [p.as_dict() for p in getattr(exc, "problems", [])]
            if redacted:
                # Hidden fields are absent on purpose: only problems with disclosed values count.
                listed = [p for p in listed if p["code"] not in ABSENCE_CODES]
            if listed or not getattr(exc, "problems", None):
                return (listed[0]["message"] if listed else str(exc)), listed
        except Exception as exc:  # noqa: BLE001 (a document the validator cannot handle is not a certificate)
            log.warning("the certificate validator failed on a document (%s): answered malformed", type(exc).__name__)
            return "the document could not be validated as a certificate", []
        return None

    def _validator(self) -> Callable[[dict[str, Any]], None]:
        if self._validate is None:
            from ledger.certificates import validate_credential

            self._validate = validate_credential
        return self._validate

    def _check_anchoring(
        self, proof: dict[str, Any], claims: Claims, root: bytes, reader: Reader, put: _Put
    ) -> Batch | None:
        agency = claims.agency
        if proof["chainId"] != reader.chain_id or claims.chain_id != reader.chain_id:
            put("anchoring", FAILED, "wrong_chain", f"the certificate names chain {proof['chainId']}, "
                f"this verifier reads chain {reader.chain_id}", chainId=proof["chainId"],
                expectedChainId=reader.chain_id)  # fmt: skip
            return None
        if checksum(proof["registry"]) != reader.registry:
            put("anchoring", FAILED, "wrong_registry", f"the certificate names registry {proof['registry']}, "
                f"the consortium's is {reader.registry}", registry=proof["registry"],
                expectedRegistry=reader.registry)  # fmt: skip
            return None
        batch = reader.batch(agency, root)
        if not batch.anchored:
            put("anchoring", FAILED, "not_anchored", "the root is not anchored by the issuing agency")
            return None
        when = datetime.fromtimestamp(batch.anchored_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        put("anchoring", PASSED, "ok", f"anchored by {agency} at {when}",
            anchoredAt=batch.anchored_at, count=batch.count)  # fmt: skip
        return batch

    def _check_issuer(self, claims: Claims, batch: Batch, reader: Reader, put: _Put) -> None:
        agency = reader.agency(claims.agency)
        if agency is None:
            put("issuer", FAILED, "unknown_agency", "the issuer is not a registered agency")
            return
        if str(agency.province) != claims.province:
            message = f"the certificate names province {claims.province}, the agency is in {agency.province}"
            put("issuer", FAILED, "province_mismatch", message, certificateProvince=claims.province,
                agencyProvince=str(agency.province))  # fmt: skip
            return
        try:
            allowed = reader.can_issue_at(agency.account, claims.certificate_type, batch.anchored_at)
        except LedgerValueError:
            allowed = False
        if not allowed:
            message = f"{agency.name} was not active and granted {claims.certificate_type} when the batch was anchored"
            put("issuer", FAILED, "not_authorised", message, agencyName=agency.name,
                certificateType=claims.certificate_type)  # fmt: skip
            return
        put("issuer", PASSED, "ok", f"{agency.name} ({agency.province}) was authorised for {claims.certificate_type}",
            agencyName=agency.name, province=str(agency.province), region=str(agency.region),
            certificateType=claims.certificate_type)  # fmt: skip

    def _check_signature(
        self, proof: dict[str, Any], agency: str, batch: Batch, root: bytes, reader: Reader, put: _Put
    ) -> None:
        signature = proof.get("signature")
        if signature is None:
            put("signature", SKIPPED, "unsigned", "the batch carries no issuer signature")
            return
        from ledger.keys.signing import SignatureFormatError, algorithm_for_suite, verify_root_signature

        key_hex = signature.get("keyId") if isinstance(signature, dict) else None
        if not isinstance(key_hex, str) or not HEX32.match(key_hex):
            put("signature", FAILED, "malformed", "the signature object has no valid keyId")
            return
        key = reader.signing_key(bytes.fromhex(key_hex[2:]))
        if key is None or key.agency != agency:
            put("signature", FAILED, "unknown_key", "the signing key is not registered to the issuing agency")
            return
        if key.algorithm != algorithm_for_suite(proof["suite"]):
            put("signature", FAILED, "wrong_algorithm",
                f"a {key.algorithm.name} key cannot sign in the {proof['suite']} suite",
                algorithm=key.algorithm.name, suite=proof["suite"])  # fmt: skip
            return
        if not key.valid_from <= batch.anchored_at < key.valid_until:
            put("signature", FAILED, "key_not_valid", "the signing key was not valid when the batch was anchored")
            return
        verify = self._verify_signature or verify_root_signature
        try:
            ok = verify(signature, root, key.public_key, algorithm=key.algorithm)
        except SignatureFormatError as exc:
            put("signature", FAILED, "malformed", str(exc))
            return
        if not ok:
            put("signature", FAILED, "bad_signature", "the signature over the root does not verify")
            return
        put("signature", PASSED, "ok", f"{key.algorithm.name} signature by a registered key", keyId=key_hex,
            algorithm=key.algorithm.name)  # fmt: skip

    def _check_status(self, agency: str, root: bytes, digest: bytes, batch: Batch, reader: Reader, put: _Put) -> None:
        record = reader.status(agency, root, digest, batch)
        details = {**reason_fields(record.reason), "updatedAt": record.updated_at}
        because = f" ({details['reason']})"
        if record.status == CertificateStatus.VALID:
            put("status", PASSED, "ok", "not revoked or suspended")
        elif record.status == CertificateStatus.SUSPENDED:
            put("status", FAILED, "suspended", "the certificate is suspended" + because, **details)
        elif record.status == CertificateStatus.REVOKED:
            put("status", FAILED, "revoked", "the certificate is revoked" + because, **details)
        else:
            successor = "0x" + record.successor.hex() if record.successor else None
            put("status", FAILED, "superseded", f"the certificate was replaced by {successor}{because}",
                successor=successor, **details)  # fmt: skip

    def _check_validity(self, claims: Claims, now: int, put: _Put) -> None:
        start, end = timestamp(claims.valid_from), timestamp(claims.valid_until)
        if start is None or end is None:  # both are disclosed text (the format check saw to it)
            put("validity", FAILED, "bad_dates", "validFrom / validUntil are not RFC 3339 timestamps")
        elif now < start:
            put("validity", FAILED, "not_yet_valid", f"valid from {claims.valid_from}", validFrom=claims.valid_from)
        elif now > end:
            put("validity", FAILED, "expired", f"expired at {claims.valid_until}", validUntil=claims.valid_until)
        else:
            put("validity", PASSED, "ok", "within its validity period")

    def _check_recognition(
        self, claims: Claims, context: VerificationContext, now: int, reader: Reader, put: _Put
    ) -> None:
        accepting = context.province
        assert accepting is not None
        issuing = int(claims.province)
        if accepting == issuing:
            put("recognition", PASSED, "same_province", "issued in the accepting province")
            return
        accepted, rule = reader.accepts(accepting, issuing, claims.certificate_type, context.service_item, now)
        if accepted:
            put("recognition", PASSED, "rule", f"recognised by rule {rule} of province {accepting}", ruleId=rule,
                province=str(accepting))  # fmt: skip
        else:
            item = f" for {context.service_item}" if context.service_item else ""
            message = f"province {accepting} has no rule in force for {claims.certificate_type} from {issuing}{item}"
            put("recognition", FAILED, "no_rule", message, province=str(accepting), issuingProvince=str(issuing),
                certificateType=claims.certificate_type, serviceItem=context.service_item)  # fmt: skip
