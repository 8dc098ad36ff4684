"""Checks 1-3 of a verification, which need no chain: format, integrity and inclusion.

    local = LocalChecks(validate)
    results, claims = local.check(document, made)             # one document, the reference path
    for (results, claims) in local.check_many(documents, made)   # a batch: one native call where installed

`check` is the reference. `check_many` gives exactly its results for every document: where the native core is
installed, it clears for the whole batch what needs no Python (the shape of the proof, plain JSON within bounds, the
digest recomputed from the disclosed fields, salts and hidden hashes, the Merkle path, and whether
`validate_credential`, the default validator, passes the document), parallel over cores and without the GIL
(`start`: `hurong_native.start_checks`, `ledger.certificates.clearing`); the format check's remaining steps (issuer,
disclosed fields) run in Python meanwhile (`first`), taking the validation as passed, and again with the validator
for a document the native core did not clear. A document the native core does not clear, whatever the reason, is
checked by `check` itself, so every message stays the reference's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, cast

from ledger.certificates.did import parse_agency_did
from ledger.certificates.hashing import recompute_digest
from ledger.certificates.merkle import verify as merkle_verify
from ledger.certificates.model import PROOF_TYPE
from ledger.certificates.native import native
from ledger.errors import LedgerValueError
from ledger.verification.checks import (
    ABSENCE_CODES,
    MAX_DEPTH,
    MAX_TEXT,
    MAX_VALUES,
    Claims,
    proof_problems,
    unsupported_value,
    without_placeholders,
)
from ledger.verification.messages import Made, Put
from ledger.verification.results import CHECKS, CheckResult, Outcome, frozen

log = logging.getLogger("hurong.verify")

PASSED, FAILED, SKIPPED = Outcome.PASSED, Outcome.FAILED, Outcome.SKIPPED
#: What the native core found for one document: (digest matches: True/False, or None when recomputing it
#: raises, so the reference tells why; the Merkle path leads to the root), or None when it did not clear it.
Facts = tuple[bool | None, bool] | None
Local = tuple[dict[str, CheckResult], Claims | None]
#: What `hurong_native.local_facts` clears against: the proof's type and the bounds of `unsupported_value`.
LOCAL_BOUNDS = (PROOF_TYPE, MAX_DEPTH, MAX_VALUES, MAX_TEXT)
#: `hurong_native.local_facts` and `start_local_facts`, or None where the native core is not installed (or predates
#: them).
_local_facts: Callable[..., list[Facts]] | None = getattr(native, "local_facts", None)
_start_local_facts: Callable[..., tuple[list[bool], Any]] | None = getattr(native, "start_local_facts", None)
#: `hurong_native.start_checks` (`start_local_facts` that also clears each document's validation), or None.
_start_checks: Callable[..., tuple[list[bool], Any]] | None = getattr(native, "start_checks", None)
#: `hurong_native.local_checks` (`local_facts` that also clears each document's validation), or None.
_local_checks: Callable[..., tuple[list[Facts], list[bool]]] | None = getattr(native, "local_checks", None)


class Pending:
    """What the native core is finding for a batch (`LocalChecks.start`): `wait()` gives each document's facts and
    whether the validator passes it."""

    def __init__(self, found: Any, clears: bool) -> None:
        self._found, self._clears = found, clears

    def wait(self) -> tuple[list[Facts], list[bool]]:
        if self._clears:
            return cast(tuple[list[Facts], list[bool]], self._found.wait())
        facts = self._found.wait()
        return facts, [False] * len(facts)


class LocalChecks:
    """Checks 1-3 with a validator of certificates (default `ledger.certificates.validate_credential`)."""

    def __init__(self, validate: Callable[[dict[str, Any]], None] | None = None) -> None:
        self._validate = validate

    def validator(self) -> Callable[[dict[str, Any]], None]:
        if self._validate is None:
            from ledger.certificates import validate_credential

            self._validate = validate_credential
        return self._validate

    def check(self, doc: Any, made: Made, facts: Facts = None, *, valid: bool = False) -> Local:
        """The results of checks 1-3 of `doc` (built through `made`), and its claims when its format passed.
        `facts`: what `hurong_native.local_facts` found for `doc`, which then needs no second look; `valid`: the
        native core found that the validator passes it."""
        return self.rest(doc, self.first(doc, made, cleared=facts is not None, valid=valid), made, facts)

    def check_many(self, docs: Sequence[Any], made: Made) -> list[Local]:
        """`check` of each of `docs`, in order. Where the native core is installed, it copies out of the batch what
        checks 1-3 need and clears most documents at once, then computes their digests, Merkle paths and validation
        on every core while the format checks run here; the rest of checks 1-3 follows with its facts."""
        if len(docs) == 1 and _local_facts is not None:  # one document (`POST /verify`): nothing to overlap with
            clearing = self._clearing()
            if clearing is not None and _local_checks is not None:
                (facts,), (alone,) = _local_checks([docs[0]], *LOCAL_BOUNDS, clearing)
                return [self.check(docs[0], made, facts, valid=alone)]
            (facts,) = _local_facts([docs[0]], *LOCAL_BOUNDS)
            return [self.check(docs[0], made, facts)]
        started = self.start(docs)
        if started is None:
            return [self.check(doc, made) for doc in docs]
        cleared, pending = started
        first = [self.first(d, made, cleared=c, valid=c) for d, c in zip(docs, cleared, strict=True)]
        found, valid = pending.wait()
        return [
            self.rest(d, f if v or not c else self.first(d, made, cleared=True), made, facts)
            for d, c, f, facts, v in zip(docs, cleared, first, found, valid, strict=True)
        ]

    def start(self, docs: Sequence[Any]) -> tuple[list[bool], Pending] | None:
        """Start the native checks of `docs`: (whether each is cleared, so its facts will come; what is pending),
        or None where the native core is not installed or there is nothing to check. The validation of a cleared
        document is cleared too where the validator is `validate_credential`."""
        if _start_local_facts is None or not docs:
            return None
        batch = docs if type(docs) is list else list(docs)
        clearing = self._clearing()
        if clearing is not None and _start_checks is not None:
            cleared, found = _start_checks(batch, *LOCAL_BOUNDS, clearing)
            return cleared, Pending(found, clears=True)
        cleared, found = _start_local_facts(batch, *LOCAL_BOUNDS)
        return cleared, Pending(found, clears=False)

    def _clearing(self) -> Any:
        """The native core's `Clearing` where the validator is `validate_credential` itself, else None."""
        from ledger.certificates import validate_credential
        from ledger.certificates.clearing import native_clearing

        return native_clearing() if self.validator() is validate_credential else None

    def first(self, doc: Any, made: Made, *, cleared: bool, valid: bool = False) -> Local:
        """The format check (`cleared`, `valid`: see `_format`), and the other two skipped when it failed."""
        results: dict[str, CheckResult] = {}

        def put(name: str, outcome: Outcome, code: str, message: str, **details: Any) -> None:
            results[name] = made(name, outcome, code, message, details)

        claims = self._format(doc, put, cleared=cleared, valid=valid)
        if claims is None:
            for name in CHECKS[1:]:
                put(name, SKIPPED, "format_failed", "not checked: the document is malformed")
        return results, claims

    @staticmethod
    def rest(doc: Any, first: Local, made: Made, facts: Facts) -> Local:
        """Integrity and inclusion of a document whose format passed (`first`), from `facts` where given."""
        results, claims = first
        if claims is None:
            return first
        proof = doc["proof"]
        matches = None if facts is None else facts[0]
        if matches is None:
            try:
                matches = recompute_digest(doc) == bytes.fromhex(proof["digest"][2:])
            except LedgerValueError as exc:  # IntegrityError, or a value that cannot be canonicalised
                results["integrity"] = made("integrity", FAILED, "fields_mismatch", str(exc), {})
        if matches is True:
            results["integrity"] = made("integrity", PASSED, "ok",
                                        "the digest matches the disclosed fields and hidden hashes", {})  # fmt: skip
        elif matches is False:
            results["integrity"] = made("integrity", FAILED, "digest_mismatch",
                                        "the fields do not hash to the digest in the proof", {})  # fmt: skip
        path = proof["merklePath"]
        if facts is not None:
            included = facts[1]
        else:
            digest, root = bytes.fromhex(proof["digest"][2:]), bytes.fromhex(proof["merkleRoot"][2:])
            included = merkle_verify(root, digest, [bytes.fromhex(h[2:]) for h in path])
        if included:
            results["inclusion"] = made("inclusion", PASSED, "ok", f"the Merkle path ({len(path)} hashes) leads to "
                                        "the root", {"pathLength": len(path)})  # fmt: skip
        else:
            results["inclusion"] = made("inclusion", FAILED, "bad_merkle_path",
                                        "the Merkle path does not lead from the digest to the root", {})  # fmt: skip
        return results, claims

    def _format(self, doc: Any, put: Put, *, cleared: bool = False, valid: bool = False) -> Claims | None:
        """The format check; `cleared`: the native core found the proof well shaped and every value plain JSON
        within bounds (so those two steps, which would pass, are not taken again); `valid`: it found that the
        validator passes the document's body (so the validator does not run again)."""

        def fail(code: str, message: str, **details: Any) -> None:
            put("format", FAILED, code, message, **details)

        if not isinstance(doc, dict):
            fail("not_an_object", "the certificate must be a JSON object")
            return None
        proof = doc.get("proof")
        if not isinstance(proof, dict):
            fail("missing_proof", "the certificate has no proof: it was not issued through Hurong")
            return None
        problems = [] if cleared else proof_problems(proof)
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
        unsupported = None if cleared else unsupported_value(doc)
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
        schema = None if valid else self._schema_problems(doc, proof)
        if schema is not None:
            fail("schema", schema[0], problems=schema[1])
            return None
        put("format", PASSED, "ok", "a well-formed ElectronicLicense with a Hurong proof")
        return frozen(Claims, agency=agency, chain_id=chain_id, certificate_type=ctype, province=province,
                      digest=proof["digest"].lower(), valid_from=valid_from, valid_until=valid_until,
                      status_entry=doc.get("credentialStatus"))  # fmt: skip

    def _schema_problems(self, doc: dict[str, Any], proof: dict[str, Any]) -> tuple[str, list[Any]] | None:
        """(message, problems) when the disclosed fields do not validate as a certificate, else `None`."""
        body = {k: v for k, v in doc.items() if k != "proof"}
        redacted = bool(proof.get("obfuscated"))
        if redacted:
            body = without_placeholders(body, proof["salts"])
        try:
            self.validator()(body)
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
