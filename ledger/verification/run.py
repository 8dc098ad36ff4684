"""Checks 4-9 of a verification, against the chain as one reader sees it, and the answer: one `Run` per question.

    run = Run(reader, context, now, today=today, checked_at=now, verify_signature=..., status_lists=...)
    result = run.verify(document, local.check(document, run.made))

A run answers many certificates at one block and one time, so what certificates share is judged once: the
anchoring of each (agency, root), the issuer's authorisation for each (agency, type, anchoring time), the
signature over each root, the validity of each period, the recognition of each (province, type), the standing of
each agency, and the check results themselves (`SharedResults`). A check is memoised with everything it reads as
its key, so each certificate's answer is exactly what judging it alone would give.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ledger.certificates.reasons import reason_fields
from ledger.chain.models import Batch, CertificateStatus, StatusRecord
from ledger.errors import LedgerValueError
from ledger.verification.checks import HEX32, Claims, checksum, standing, timestamp
from ledger.verification.messages import Put, SharedResults
from ledger.verification.reader import Reader
from ledger.verification.results import (
    CHECKS,
    CheckResult,
    Outcome,
    VerificationContext,
    VerificationResult,
    VerificationWarning,
    frozen,
    verdict_of,
)
from ledger.verification.status_lists import StatusListFetch, lists_say

PASSED, FAILED, SKIPPED = Outcome.PASSED, Outcome.FAILED, Outcome.SKIPPED
#: Types whose values are their own identity in a memo key (a subclass may format itself otherwise).
_EXACT = frozenset({str, int, bytes, type(None)})
Local = tuple[dict[str, CheckResult], Claims | None]
#: What runs judging at one block, time and context can share: the results of each check by key, and the standing
#: warnings of each agency.
Memo = tuple[dict[tuple[Any, ...], tuple[dict[str, CheckResult], Any]], dict[str, tuple[VerificationWarning, ...]]]


def memo_key(
    reader: Reader, today: Reader, context: VerificationContext | None, now: int, checked_at: int
) -> tuple[Any, ...] | None:
    """What a `Run`'s judgements depend on besides the certificates: the block its readers read (by number and
    hash), the context, and the times it judges at and stamps. Runs with one key judge every certificate alike,
    so they may share one `Memo`; None when a reader names no block hash."""
    if reader.block_hash is None or today.block_hash is None:
        return None
    position = (type(reader), reader.block_number, reader.block_hash)
    today_position = None if today is reader else (type(today), today.block_number, today.block_hash)
    return (*position, today_position, context, now, checked_at)


def _keyable(*values: Any) -> bool:
    return all(value.__class__ in _EXACT for value in values)


def _texts(a: Any, b: Any) -> bool:
    """Whether both are exact `str` (a subclass may format itself otherwise)."""
    return a.__class__ is str and b.__class__ is str


class Run:
    """Checks 4-9 of certificates read through `reader`, validity and recognition judged at `now` (Unix
    seconds), the issuer's standing read with `today` (default `reader`), answers stamped `checked_at`."""

    def __init__(
        self,
        reader: Reader,
        context: VerificationContext | None,
        now: int,
        *,
        today: Reader | None = None,
        checked_at: int | None = None,
        verify_signature: Callable[..., bool] | None = None,
        status_lists: StatusListFetch | None = None,
        made: SharedResults | None = None,
        memo: Memo | None = None,
    ) -> None:
        self.reader, self.context, self.now = reader, context, now
        self.today = today or reader
        self.timing = (now, now if checked_at is None else checked_at)
        self.verify_signature, self.status_lists = verify_signature, status_lists
        self.made = SharedResults() if made is None else made  # the verifier's own, kept from call to call
        # What this run judged, by key (see `_shared`), and the standing of each agency: a verifier may hand the
        # same two to every run that judges at the same block, time and context (`Verifier`, `memo_key`).
        self._memo, self._standing = ({}, {}) if memo is None else memo
        self._valid_now: dict[tuple[str, str], bool] = {}

    def verify(self, doc: Any, local: Local) -> VerificationResult:
        """The answer for `doc`, whose checks 1-3 gave `local` (see `ledger.verification.local`)."""
        return self.judge(doc, local)[0]

    def judge(self, doc: Any, local: Local) -> tuple[VerificationResult, Batch | None]:
        """`verify`, and the batch that anchors `doc`'s root (None where it is not anchored or not reached)."""
        results, claims = local
        if claims is None:
            return self._result(results, None), None
        proof = doc["proof"]
        digest = bytes.fromhex(proof["digest"][2:])
        root = bytes.fromhex(proof["merkleRoot"][2:])
        agency, reader = claims.agency, self.reader
        shared = self._shared

        # 4. anchoring
        chain_id, registry = proof["chainId"], proof["registry"]
        key: tuple[Any, ...] | None = ("anchoring", chain_id, claims.chain_id, registry, agency, root)
        if chain_id.__class__ is not int or registry.__class__ is not str:
            key = None
        batch = shared(results, key, self._check_anchoring, proof, claims, root)

        # 5. issuer, 6. signature, 7. status
        if batch is None:
            shared(results, ("not_anchored",), self._not_anchored)
        else:
            ctype, province = claims.certificate_type, claims.province
            key = ("issuer", agency, province, ctype, batch.anchored_at)
            shared(results, key if _texts(ctype, province) else None, self._check_issuer, claims, batch)
            signature = proof.get("signature")
            key = ("signature", None) if signature is None else self._signature_key(proof, agency, root, batch)
            shared(results, key, self._check_signature, proof, agency, batch, root)
            record = reader.status(agency, root, digest, batch)
            shared(results, ("status", record), self._check_status, record)

        # 8. validity
        key = ("validity", claims.valid_from, claims.valid_until)
        shared(results, key if _texts(claims.valid_from, claims.valid_until) else None, self._check_validity, claims)

        # 9. recognition
        context = self.context
        if context is None or context.province is None:
            shared(results, ("no_context",), self._skip, "recognition", "no_context", "no accepting province named")
        elif FAILED in [r.outcome for r in results.values()]:
            shared(results, ("invalid",), self._skip, "recognition", "invalid",
                   "not checked: the certificate is not valid")  # fmt: skip
        else:
            key = ("recognition", claims.province, claims.certificate_type)
            shared(results, key if _texts(claims.province, claims.certificate_type) else None,
                   self._check_recognition, claims)  # fmt: skip
        warnings: tuple[VerificationWarning, ...] = ()
        if batch:
            warnings = self._standing_of(agency)
            if self.status_lists is not None:
                warnings = (*warnings, *lists_say(claims, results, self.status_lists))
        return self._result(results, claims, warnings), batch

    def _shared(self, results: dict[str, CheckResult], key: tuple[Any, ...] | None, check: Any, *args: Any) -> Any:
        """`check(*args, put)`, its results put into `results`; judged once per `key` in this run (every time
        when `key` is None): a later certificate with the same key gets the same results and value."""
        hit = self._memo.get(key) if key is not None else None
        if hit is None:
            recorded: dict[str, CheckResult] = {}
            made = self.made

            def put(name: str, outcome: Outcome, code: str, message: str, **details: Any) -> None:
                recorded[name] = made(name, outcome, code, message, details)

            hit = (recorded, check(*args, put))
            if key is not None:
                self._memo[key] = hit
        results.update(hit[0])
        return hit[1]

    def _standing_of(self, agency: str) -> tuple[VerificationWarning, ...]:
        found = self._standing.get(agency)
        if found is None:
            found = self._standing[agency] = standing(agency, self.today)
        return found

    def _result(
        self, results: dict[str, CheckResult], claims: Claims | None, warnings: tuple[VerificationWarning, ...] = ()
    ) -> VerificationResult:
        checks = tuple([results[name] for name in CHECKS])
        at, checked_at = self.timing
        reader = self.reader
        return frozen(
            VerificationResult,
            verdict=verdict_of(checks),
            checks=checks,
            block_number=reader.block_number,
            block_hash=reader.block_hash,
            checked_at=checked_at,
            digest=claims.digest if claims else None,
            issuer=claims.agency if claims else None,
            issuing_province=claims.province if claims else None,
            certificate_type=claims.certificate_type if claims else None,
            context=self.context,
            at=at,
            warnings=warnings,
        )

    # ------------------------------------------------------------------ the checks

    def _skip(self, name: str, code: str, message: str, put: Put) -> None:
        put(name, SKIPPED, code, message)

    def _not_anchored(self, put: Put) -> None:
        for name in ("issuer", "signature", "status"):
            put(name, SKIPPED, "not_anchored", "not checked: the root is not anchored by the issuer")

    def _check_anchoring(self, proof: dict[str, Any], claims: Claims, root: bytes, put: Put) -> Batch | None:
        agency, reader = claims.agency, self.reader
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

    def _check_issuer(self, claims: Claims, batch: Batch, put: Put) -> None:
        reader = self.reader
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

    @staticmethod
    def _signature_key(proof: dict[str, Any], agency: str, root: bytes, batch: Batch) -> tuple[Any, ...] | None:
        """The memo key of a signature check: everything it reads, or None when the signature holds values
        that are not plain text (judged every time)."""
        signature, suite = proof["signature"], proof["suite"]
        if signature.__class__ is not dict or not _keyable(suite, *signature, *signature.values()):
            return None
        return ("signature", agency, root, suite, batch.anchored_at, *signature.items())

    def _check_signature(self, proof: dict[str, Any], agency: str, batch: Batch, root: bytes, put: Put) -> None:
        signature = proof.get("signature")
        if signature is None:
            put("signature", SKIPPED, "unsigned", "the batch carries no issuer signature")
            return
        from ledger.keys.signing import SignatureFormatError, algorithm_for_suite, verify_root_signature

        key_hex = signature.get("keyId") if isinstance(signature, dict) else None
        if not isinstance(key_hex, str) or not HEX32.match(key_hex):
            put("signature", FAILED, "malformed", "the signature object has no valid keyId")
            return
        key = self.reader.signing_key(bytes.fromhex(key_hex[2:]))
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
        verify = self.verify_signature or verify_root_signature
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

    def _check_status(self, record: StatusRecord, put: Put) -> None:
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

    def _check_validity(self, claims: Claims, put: Put) -> None:
        start, end, holds = self._dates(claims.valid_from, claims.valid_until)
        if holds:
            put("validity", PASSED, "ok", "within its validity period")
        elif start is None or end is None:  # both are disclosed text (the format check saw to it)
            put("validity", FAILED, "bad_dates", "validFrom / validUntil are not RFC 3339 timestamps")
        elif self.now < start:
            put("validity", FAILED, "not_yet_valid", f"valid from {claims.valid_from}", validFrom=claims.valid_from)
        else:
            put("validity", FAILED, "expired", f"expired at {claims.valid_until}", validUntil=claims.valid_until)

    def _dates(self, valid_from: str, valid_until: str) -> tuple[float | None, float | None, bool]:
        """The two timestamps, and whether the certificate is within its validity period now."""
        start, end = timestamp(valid_from), timestamp(valid_until)
        return start, end, start is not None and end is not None and start <= self.now <= end

    def valid_now(self, valid_from: str, valid_until: str) -> bool:
        """Whether check 8 passes for these dates (exact text) in this run: every such certificate gets the one same
        answer, with no date in it. Kept per pair of dates for the run."""
        key = (valid_from, valid_until)
        found = self._valid_now.get(key)
        if found is None:
            found = self._valid_now[key] = self._dates(valid_from, valid_until)[2]
        return found

    def _check_recognition(self, claims: Claims, put: Put) -> None:
        context = self.context
        assert context is not None and context.province is not None
        accepting, issuing = context.province, int(claims.province)
        if accepting == issuing:
            put("recognition", PASSED, "same_province", "issued in the accepting province")
            return
        accepted, rule = self.reader.accepts(accepting, issuing, claims.certificate_type, context.service_item,
                                             self.now)  # fmt: skip
        if accepted:
            put("recognition", PASSED, "rule", f"recognised by rule {rule} of province {accepting}", ruleId=rule,
                province=str(accepting))  # fmt: skip
        else:
            item = f" for {context.service_item}" if context.service_item else ""
            message = f"province {accepting} has no rule in force for {claims.certificate_type} from {issuing}{item}"
            put("recognition", FAILED, "no_rule", message, province=str(accepting), issuingProvince=str(issuing),
                certificateType=claims.certificate_type, serviceItem=context.service_item)  # fmt: skip
