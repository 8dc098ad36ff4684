"""The verifier: nine ordered checks of a wrapped certificate against the chain, read at one block.

    result = Verifier(client).verify(document, VerificationContext(province=330000))
    result.verdict   # "VALID" | "INVALID" | "NOT_RECOGNIZED"

Checks (each `passed`, `failed` or `skipped`, with a machine-readable code): format, integrity, inclusion,
anchoring, issuer, signature, status, validity, recognition. The verdict is INVALID if any of the first
eight failed, NOT_RECOGNIZED if only recognition failed, VALID otherwise. Every answer names the block
number and hash its chain reads were made at. `verify_many` checks many certificates at one block and
shares chain reads: one read per distinct root, agency, type and rule question, and the statuses of each
agency's certificates from its status events, not one read per certificate.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from eth_utils import is_address, to_checksum_address
from hexbytes import HexBytes
from web3.exceptions import BlockNotFound

from .client import HurongClient
from .codes import encode_code
from .did import parse_agency_did
from .errors import ContractRevertError, LedgerValueError
from .hashing import IntegrityError, hash_function, recompute_digest
from .merkle import verify as merkle_verify
from .models import Agency, Batch, CertificateStatus, SigningKey, StatusRecord

CHECKS = ("format", "integrity", "inclusion", "anchoring", "issuer", "signature", "status", "validity", "recognition")
PROOF_TYPE = "HurongMerkleProof2026"
_HEX32 = re.compile(r"^0x[0-9a-fA-F]{64}$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

VALID, INVALID, NOT_RECOGNIZED = "VALID", "INVALID", "NOT_RECOGNIZED"


@dataclass(frozen=True)
class VerificationContext:
    """Where the certificate is presented: an accepting province and optionally a service item."""

    province: int | None = None
    service_item: str | None = None

    def __post_init__(self) -> None:
        if self.province is not None and (
            isinstance(self.province, bool) or not isinstance(self.province, int)
            or not (110000 <= self.province <= 829999 and self.province % 10000 == 0)
        ):  # fmt: skip
            raise LedgerValueError(f"province {self.province!r} is not a GB/T 2260 province-level code")
        if self.service_item is not None:
            encode_code(self.service_item, what="service item")


@dataclass(frozen=True)
class CheckResult:
    name: str
    outcome: str  # passed | failed | skipped
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VerificationResult:
    verdict: str
    checks: tuple[CheckResult, ...]
    block_number: int
    block_hash: str
    checked_at: int
    digest: str | None = None
    issuer: str | None = None
    issuing_province: str | None = None
    certificate_type: str | None = None
    context: VerificationContext | None = None

    def check(self, name: str) -> CheckResult:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def failed(self) -> list[str]:
        return [c.name for c in self.checks if c.outcome == "failed"]

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "checks": [asdict(c) for c in self.checks],
            "block": {"number": self.block_number, "hash": self.block_hash},
            "checkedAt": self.checked_at,
            "digest": self.digest,
            "issuer": self.issuer,
            "issuingProvince": self.issuing_province,
            "certificateType": self.certificate_type,
            "context": asdict(self.context) if self.context else None,
        }


def fetch_block(client: HurongClient, block: int | str) -> Any:
    try:
        return client.w3.eth.get_block(block)  # type: ignore[arg-type]
    except BlockNotFound:
        raise LedgerValueError(f"block {block} does not exist yet") from None


class ChainReader:
    """Chain reads at one fixed block, memoised: the verifier's view of the registries."""

    def __init__(self, client: HurongClient, block: int | str = "latest", *, header: Any = None) -> None:
        self.client = client
        if isinstance(block, int) and block < client.deployment.block_number:
            raise LedgerValueError(
                f"block {block} is before the registries were deployed (block {client.deployment.block_number})"
            )
        info = header if header is not None else fetch_block(client, block)
        self.block_number = int(info["number"])
        self.block_hash = HexBytes(info["hash"]).to_0x_hex()
        self.chain_id = client.deployment.chain_id
        self.registry = client.certificates.address
        self._statuses: dict[str, dict[bytes, StatusRecord]] = {}
        b = self.block_number
        c = client
        self.batch: Callable[[str, bytes], Batch] = cache(lambda a, r: c.certificates.batch(a, r, block_identifier=b))
        self.agency: Callable[[str], Agency | None] = cache(self._agency)
        self.can_issue_at: Callable[[str, str, int], bool] = cache(
            lambda a, t, when: c.authorities.can_issue_at(a, t, when, block_identifier=b)
        )
        self.signing_key: Callable[[bytes], SigningKey | None] = cache(self._signing_key)
        self.accepts: Callable[[int, int, str, str | None, int], tuple[bool, int | None]] = cache(
            lambda acc, iss, t, s, when: c.recognition.accepts(acc, iss, t, s, when, block_identifier=b)
        )

    def _agency(self, account: str) -> Agency | None:
        try:
            return self.client.authorities.agency(account, block_identifier=self.block_number)
        except ContractRevertError:
            return None

    def _signing_key(self, key_id: bytes) -> SigningKey | None:
        try:
            return self.client.authorities.signing_key(key_id, block_identifier=self.block_number)
        except ContractRevertError:
            return None

    def status(self, agency: str, root: bytes, digest: bytes, batch: Batch) -> StatusRecord:
        if batch.revoked_at is not None:
            own = self._status_of(agency, digest)
            if own.status != CertificateStatus.REVOKED:
                return StatusRecord(CertificateStatus.REVOKED, batch.revoke_reason, batch.revoked_at, None)
            return own
        return self._status_of(agency, digest)

    def _status_of(self, agency: str, digest: bytes) -> StatusRecord:
        statuses = self._statuses.get(agency)
        if statuses is not None:
            return statuses.get(digest, _VALID_RECORD)
        return self.client.certificates.status_of(agency, digest, block_identifier=self.block_number)

    def prefetch_statuses(self, agency: str) -> None:
        """Load every status change of `agency`'s certificates up to this block from its events."""
        if agency in self._statuses:
            return
        contract = self.client.certificates.contract
        events = {
            "CertificateSuspended": CertificateStatus.SUSPENDED,
            "CertificateReinstated": CertificateStatus.VALID,
            "CertificateRevoked": CertificateStatus.REVOKED,
            "CertificateSuperseded": CertificateStatus.SUPERSEDED,
        }
        changes: list[tuple[int, int, bytes, StatusRecord]] = []
        start = self.client.deployment.block_number
        step = 50_000
        timestamps: dict[int, int] = {}
        for name, status in events.items():
            event = getattr(contract.events, name)
            for lo in range(start, self.block_number + 1, step):
                hi = min(self.block_number, lo + step - 1)
                for log in event.get_logs(from_block=lo, to_block=hi, argument_filters={"agency": agency}):
                    number = int(log["blockNumber"])
                    if number not in timestamps:
                        timestamps[number] = int(self.client.w3.eth.get_block(number)["timestamp"])
                    args = log["args"]
                    successor = bytes(args["successor"]) if "successor" in args else None
                    record = StatusRecord(status, int(args["reason"]), timestamps[number], successor)
                    changes.append((number, int(log["logIndex"]), bytes(args["digest"]), record))
        statuses: dict[bytes, StatusRecord] = {}
        for *_, digest, record in sorted(changes, key=lambda c: (c[0], c[1])):
            previous = statuses.get(digest)
            if record.successor is None and previous is not None and previous.successor is not None:
                record = StatusRecord(record.status, record.reason, record.updated_at, previous.successor)
            statuses[digest] = record
        self._statuses[agency] = statuses


_VALID_RECORD = StatusRecord(CertificateStatus.VALID, 0, 0, None)


class Verifier:
    """Verifies wrapped certificates against one deployment."""

    def __init__(
        self,
        client: HurongClient,
        *,
        clock: Callable[[], float] = time.time,
        validate: Callable[[dict[str, Any]], None] | None = None,
        verify_signature: Callable[..., bool] | None = None,
    ) -> None:
        self.client = client
        self.clock = clock
        self._validate = validate
        self._verify_signature = verify_signature
        self._latest: ChainReader | None = None

    def reader(self, block: int | str = "latest") -> ChainReader:
        """A reader at `block`; for "latest", the same reader (and its memoised reads) while the head stays."""
        if block != "latest":
            return ChainReader(self.client, block)
        header = fetch_block(self.client, "latest")
        cached = self._latest
        if cached is not None and cached.block_hash == HexBytes(header["hash"]).to_0x_hex():
            return cached
        reader = ChainReader(self.client, "latest", header=header)
        self._latest = reader
        return reader

    def verify(
        self, document: Any, context: VerificationContext | None = None, *, block: int | str = "latest"
    ) -> VerificationResult:
        return self._verify(document, context, self.reader(block), int(self.clock()))

    def verify_many(
        self,
        documents: Sequence[Any],
        context: VerificationContext | None = None,
        *,
        block: int | str = "latest",
    ) -> list[VerificationResult]:
        """Verify many certificates at one block, sharing chain reads."""
        reader = self.reader(block)
        now = int(self.clock())
        agencies = {_issuer_address(d) for d in documents}
        for agency in agencies - {None}:
            reader.prefetch_statuses(agency)  # type: ignore[arg-type]
        return [self._verify(d, context, reader, now) for d in documents]

    # ------------------------------------------------------------------ the checks

    def _verify(
        self,
        doc: Any,
        context: VerificationContext | None,
        reader: ChainReader,
        now: int,
        local: tuple[dict[str, CheckResult], dict[str, Any] | None] | None = None,
    ) -> VerificationResult:
        results, parsed = local if local is not None else self._local_checks(doc)

        def put(name: str, outcome: str, code: str, message: str, **details: Any) -> None:
            results[name] = CheckResult(name, outcome, code, message, details)

        if parsed is None:
            return self._result(results, reader, now, context, None)
        proof = doc["proof"]
        digest = bytes.fromhex(proof["digest"][2:])
        root = bytes.fromhex(proof["merkleRoot"][2:])
        agency = parsed["agency"]

        # 4. anchoring
        batch = self._check_anchoring(proof, parsed, root, reader, put)

        # 5. issuer, 6. signature, 7. status
        if batch is None:
            for name in ("issuer", "signature", "status"):
                put(name, "skipped", "not_anchored", "not checked: the root is not anchored by the issuer")
        else:
            self._check_issuer(parsed, batch, reader, put)
            self._check_signature(proof, agency, batch, root, reader, put)
            self._check_status(agency, root, digest, batch, reader, put)

        # 8. validity
        self._check_validity(parsed, now, put)

        # 9. recognition
        if context is None or context.province is None:
            put("recognition", "skipped", "no_context", "no accepting province named")
        elif any(r.outcome == "failed" for r in results.values()):
            put("recognition", "skipped", "invalid", "not checked: the certificate is not valid")
        else:
            self._check_recognition(parsed, context, now, reader, put)
        return self._result(results, reader, now, context, parsed)

    def _local_checks(self, doc: Any) -> tuple[dict[str, CheckResult], dict[str, Any] | None]:
        """Checks 1-3, which need no chain: format, integrity, inclusion."""
        results: dict[str, CheckResult] = {}

        def put(name: str, outcome: str, code: str, message: str, **details: Any) -> None:
            results[name] = CheckResult(name, outcome, code, message, details)

        parsed = self._check_format(doc, put)
        if parsed is None:
            for name in CHECKS[1:]:
                put(name, "skipped", "format_failed", "not checked: the document is malformed")
            return results, None
        proof = doc["proof"]
        digest = bytes.fromhex(proof["digest"][2:])
        root = bytes.fromhex(proof["merkleRoot"][2:])
        try:
            recomputed = recompute_digest(doc)
        except IntegrityError as exc:
            put("integrity", "failed", "fields_mismatch", str(exc))
        else:
            if recomputed == digest:
                put("integrity", "passed", "ok", "the digest matches the disclosed fields and hidden hashes")
            else:
                put("integrity", "failed", "digest_mismatch", "the fields do not hash to the digest in the proof")
        path = [bytes.fromhex(h[2:]) for h in proof["merklePath"]]
        if merkle_verify(root, digest, path):
            put("inclusion", "passed", "ok", f"the Merkle path ({len(path)} hashes) leads to the root")
        else:
            put("inclusion", "failed", "bad_merkle_path", "the Merkle path does not lead from the digest to the root")
        return results, parsed

    def _result(
        self,
        results: dict[str, CheckResult],
        reader: ChainReader,
        now: int,
        context: VerificationContext | None,
        parsed: dict[str, Any] | None,
    ) -> VerificationResult:
        checks = tuple(results[name] for name in CHECKS)
        if any(c.outcome == "failed" for c in checks[:8]):
            verdict = INVALID
        elif checks[8].outcome == "failed":
            verdict = NOT_RECOGNIZED
        else:
            verdict = VALID
        parsed = parsed or {}
        return VerificationResult(
            verdict=verdict,
            checks=checks,
            block_number=reader.block_number,
            block_hash=reader.block_hash,
            checked_at=now,
            digest=parsed.get("digest"),
            issuer=parsed.get("agency"),
            issuing_province=parsed.get("province"),
            certificate_type=parsed.get("type"),
            context=context,
        )

    def _check_format(self, doc: Any, put: Callable[..., None]) -> dict[str, Any] | None:
        def fail(code: str, message: str, **details: Any) -> None:
            put("format", "failed", code, message, **details)

        if not isinstance(doc, dict):
            fail("not_an_object", "the certificate must be a JSON object")
            return None
        proof = doc.get("proof")
        if not isinstance(proof, dict):
            fail("missing_proof", "the certificate has no proof: it was not issued through Hurong")
            return None
        problems = _proof_problems(proof)
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
        subject = doc.get("credentialSubject")
        if not isinstance(subject, dict):
            fail("missing_subject", "credentialSubject is missing or hidden")
            return None
        ctype, province = subject.get("certificateType"), subject.get("issuingProvince")
        required = (
            ("credentialSubject.certificateType", ctype),
            ("credentialSubject.issuingProvince", province),
            ("validFrom", doc.get("validFrom")),
            ("validUntil", doc.get("validUntil")),
        )
        for name, value in required:
            if not isinstance(value, str):
                fail("undisclosed_field", f"{name} must be disclosed to verify", field=name)
                return None
        validator = self._validator()
        body = {k: v for k, v in doc.items() if k != "proof"}
        redacted = bool(proof.get("obfuscated"))
        if redacted:
            body = _without_placeholders(body, proof["salts"])
        try:
            validator(body)
        except LedgerValueError as exc:
            listed = [p.as_dict() for p in getattr(exc, "problems", [])]
            if redacted:
                # Hidden fields are absent on purpose: only problems with disclosed values count.
                listed = [p for p in listed if p["code"] not in _ABSENCE_CODES]
            if listed or not getattr(exc, "problems", None):
                fail("schema", listed[0]["message"] if listed else str(exc), problems=listed)
                return None
        put("format", "passed", "ok", "a well-formed ElectronicLicense with a Hurong proof")
        return {
            "agency": agency,
            "chain_id": chain_id,
            "type": ctype,
            "province": province,
            "digest": proof["digest"].lower(),
            "valid_from": doc.get("validFrom"),
            "valid_until": doc.get("validUntil"),
            "status_entry": doc.get("credentialStatus"),
        }

    def _validator(self) -> Callable[[dict[str, Any]], None]:
        if self._validate is None:
            from .certificates import validate_credential

            self._validate = validate_credential
        return self._validate

    def _check_anchoring(
        self, proof: dict[str, Any], parsed: dict[str, Any], root: bytes, reader: ChainReader, put: Callable[..., None]
    ) -> Batch | None:
        agency = parsed["agency"]
        if proof["chainId"] != reader.chain_id or parsed["chain_id"] != reader.chain_id:
            put("anchoring", "failed", "wrong_chain", f"the certificate names chain {proof['chainId']}, "
                f"this verifier reads chain {reader.chain_id}")  # fmt: skip
            return None
        if _checksum(proof["registry"]) != reader.registry:
            put("anchoring", "failed", "wrong_registry", f"the certificate names registry {proof['registry']}, "
                f"the consortium's is {reader.registry}")  # fmt: skip
            return None
        batch = reader.batch(agency, root)
        if not batch.anchored:
            put("anchoring", "failed", "not_anchored", "the root is not anchored by the issuing agency")
            return None
        when = datetime.fromtimestamp(batch.anchored_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        put("anchoring", "passed", "ok", f"anchored by {agency} at {when}",
            anchoredAt=batch.anchored_at, count=batch.count)  # fmt: skip
        return batch

    def _check_issuer(
        self, parsed: dict[str, Any], batch: Batch, reader: ChainReader, put: Callable[..., None]
    ) -> None:
        agency = reader.agency(parsed["agency"])
        if agency is None:
            put("issuer", "failed", "unknown_agency", "the issuer is not a registered agency")
            return
        if str(agency.province) != parsed["province"]:
            message = f"the certificate names province {parsed['province']}, the agency is in {agency.province}"
            put("issuer", "failed", "province_mismatch", message)
            return
        try:
            allowed = reader.can_issue_at(agency.account, parsed["type"], batch.anchored_at)
        except LedgerValueError:
            allowed = False
        if not allowed:
            put("issuer", "failed", "not_authorised",
                f"{agency.name} was not active and granted {parsed['type']} when the batch was anchored")  # fmt: skip
            return
        put("issuer", "passed", "ok", f"{agency.name} ({agency.province}) was authorised for {parsed['type']}",
            agencyName=agency.name, province=agency.province, region=agency.region)  # fmt: skip

    def _check_signature(
        self,
        proof: dict[str, Any],
        agency: str,
        batch: Batch,
        root: bytes,
        reader: ChainReader,
        put: Callable[..., None],
    ) -> None:
        signature = proof.get("signature")
        if signature is None:
            put("signature", "skipped", "unsigned", "the batch carries no issuer signature")
            return
        from .signing import SignatureFormatError, verify_root_signature

        key_hex = signature.get("keyId") if isinstance(signature, dict) else None
        if not isinstance(key_hex, str) or not _HEX32.match(key_hex):
            put("signature", "failed", "malformed", "the signature object has no valid keyId")
            return
        key = reader.signing_key(bytes.fromhex(key_hex[2:]))
        if key is None or key.agency != agency:
            put("signature", "failed", "unknown_key", "the signing key is not registered to the issuing agency")
            return
        from .signing import algorithm_for_suite

        if key.algorithm != algorithm_for_suite(proof["suite"]):
            put("signature", "failed", "wrong_algorithm",
                f"a {key.algorithm.name} key cannot sign in the {proof['suite']} suite")  # fmt: skip
            return
        if not key.valid_from <= batch.anchored_at < key.valid_until:
            put("signature", "failed", "key_not_valid", "the signing key was not valid when the batch was anchored")
            return
        verify = self._verify_signature or verify_root_signature
        try:
            ok = verify(signature, root, key.public_key, algorithm=key.algorithm)
        except SignatureFormatError as exc:
            put("signature", "failed", "malformed", str(exc))
            return
        if not ok:
            put("signature", "failed", "bad_signature", "the signature over the root does not verify")
            return
        put("signature", "passed", "ok", f"{key.algorithm.name} signature by a registered key", keyId=key_hex)

    def _check_status(
        self, agency: str, root: bytes, digest: bytes, batch: Batch, reader: ChainReader, put: Callable[..., None]
    ) -> None:
        record = reader.status(agency, root, digest, batch)
        details = {"reason": record.reason, "updatedAt": record.updated_at}
        if record.status == CertificateStatus.VALID:
            put("status", "passed", "ok", "not revoked or suspended")
        elif record.status == CertificateStatus.SUSPENDED:
            put("status", "failed", "suspended", "the certificate is suspended", **details)
        elif record.status == CertificateStatus.REVOKED:
            put("status", "failed", "revoked", "the certificate is revoked", **details)
        else:
            successor = "0x" + record.successor.hex() if record.successor else None
            put("status", "failed", "superseded", f"the certificate was replaced by {successor}",
                successor=successor, **details)  # fmt: skip

    def _check_validity(self, parsed: dict[str, Any], now: int, put: Callable[..., None]) -> None:
        start, end = _timestamp(parsed["valid_from"]), _timestamp(parsed["valid_until"])
        if parsed["valid_from"] is not None and start is None or parsed["valid_until"] is not None and end is None:
            put("validity", "failed", "bad_dates", "validFrom / validUntil are not RFC 3339 timestamps")
        elif start is not None and now < start:
            put("validity", "failed", "not_yet_valid", f"valid from {parsed['valid_from']}")
        elif end is not None and now > end:
            put("validity", "failed", "expired", f"expired at {parsed['valid_until']}")
        else:
            put("validity", "passed", "ok", "within its validity period")

    def _check_recognition(
        self,
        parsed: dict[str, Any],
        context: VerificationContext,
        now: int,
        reader: ChainReader,
        put: Callable[..., None],
    ) -> None:
        accepting = context.province
        assert accepting is not None
        issuing = int(parsed["province"])
        if accepting == issuing:
            put("recognition", "passed", "same_province", "issued in the accepting province")
            return
        accepted, rule = reader.accepts(accepting, issuing, parsed["type"], context.service_item, now)
        if accepted:
            put("recognition", "passed", "rule", f"recognised by rule {rule} of province {accepting}", ruleId=rule)
        else:
            item = f" for {context.service_item}" if context.service_item else ""
            message = f"province {accepting} has no rule in force for {parsed['type']} from {issuing}{item}"
            put("recognition", "failed", "no_rule", message)


_ABSENCE_CODES = {"required", "missing", "missing_field", "required_field", "too_short"}


def _without_placeholders(value: Any, salts: dict[str, str], pointer: str = "") -> Any:
    """A copy without the `null` placeholders of hidden array elements (nulls that have no salt)."""
    from .hashing import escape_pointer_token

    if isinstance(value, dict):
        return {k: _without_placeholders(v, salts, f"{pointer}/{escape_pointer_token(k)}") for k, v in value.items()}
    if isinstance(value, list):
        return [
            _without_placeholders(v, salts, f"{pointer}/{i}")
            for i, v in enumerate(value)
            if not (v is None and f"{pointer}/{i}" not in salts)
        ]
    return value


@cache
def _checksum(address: str) -> str:
    return str(to_checksum_address(address))


def _issuer_address(doc: Any) -> str | None:
    try:
        issuer = doc["issuer"]
        return parse_agency_did(issuer["id"] if isinstance(issuer, dict) else issuer)[1]
    except (TypeError, KeyError, LedgerValueError):
        return None


def _proof_problems(proof: dict[str, Any]) -> list[str]:
    problems = []
    if proof.get("type") != PROOF_TYPE:
        problems.append(f"proof.type must be {PROOF_TYPE}")
    try:
        hash_function(proof.get("suite"))  # type: ignore[arg-type]
    except LedgerValueError as exc:
        problems.append(str(exc))
    for name in ("digest", "merkleRoot"):
        if not isinstance(proof.get(name), str) or not _HEX32.match(proof[name]):
            problems.append(f"proof.{name} must be 0x and 64 hex digits")
    path = proof.get("merklePath")
    if not isinstance(path, list) or len(path) > 64 or not all(isinstance(h, str) and _HEX32.match(h) for h in path):
        problems.append("proof.merklePath must be a list of 0x-prefixed 32-byte hashes")
    if not isinstance(proof.get("salts"), dict):
        problems.append("proof.salts must be an object")
    if not isinstance(proof.get("obfuscated", []), list):
        problems.append("proof.obfuscated must be a list")
    chain_id = proof.get("chainId")
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id <= 0:
        problems.append("proof.chainId must be a positive integer")
    if not isinstance(proof.get("registry"), str) or not is_address(proof["registry"]):
        problems.append("proof.registry must be an address")
    return problems


def _timestamp(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _TIME.match(value):
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None
