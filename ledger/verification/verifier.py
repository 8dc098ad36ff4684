"""The verifier: nine ordered checks of a wrapped certificate against the chain, read at one block.

    result = Verifier(client).verify(document, VerificationContext(province=330000))
    result.verdict   # "VALID" | "INVALID" | "NOT_RECOGNIZED"
    Verifier(client).verify(document, at="2025-06-01T00:00:00+08:00")   # as of a past time (or block=N)

Checks (each `passed`, `failed` or `skipped`, with a machine-readable code): format, integrity, inclusion,
anchoring, issuer, signature, status, validity, recognition. The verdict is INVALID if any of the first
eight failed, NOT_RECOGNIZED if only recognition failed, VALID otherwise. Every answer names the block
number and hash its chain reads were made at. `verify_many` checks many certificates at one block and
shares chain reads: one read per distinct root, agency, type and rule question, and the statuses of each
agency's certificates from its status events, not one read per certificate.

Time: by default the chain is read at its head and validity and recognition are judged now. Asked about a
past block, they are judged at that block's time; asked about a past time `at`, the chain is read at the last
block at or before `at` (found by binary search on block timestamps) and they are judged at `at`. A node that
no longer keeps the state of that block raises `HistoryUnavailable`; a block or time still to come, or one
before the registries were deployed, raises `LedgerValueError`.

Standing: an answer carries warnings, apart from the checks. `issuer_not_in_good_standing` says that the
issuing agency, one of its parents or its province is no longer active today (read at the head), although
the agency was authorised when it anchored: the verdict is unchanged, since revoking certificates is an
explicit act of the agency, its province or a consortium vote.

Memory stays bounded: every memoised read keeps at most `READER_CACHE_SIZE` entries per reader, a reader
keeps the status events of at most `STATUS_CACHE_AGENCIES` agencies, and a verifier keeps its head reader
and at most `PAST_READERS` readers of past blocks, each dropping the least recently used first.

Nothing in a document makes the verifier raise: a malformed one fails the `format` check.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Generic, TypeVar

from eth_utils import is_address, to_checksum_address
from hexbytes import HexBytes
from web3.exceptions import BlockNotFound, Web3Exception

from ledger.certificates.did import parse_agency_did
from ledger.certificates.hashing import escape_pointer_token, hash_function, recompute_digest
from ledger.certificates.merkle import verify as merkle_verify
from ledger.certificates.model import PROOF_TYPE
from ledger.chain.client import HurongClient
from ledger.chain.codes import encode_code, is_province_code
from ledger.chain.models import (
    Agency,
    AgencyStatus,
    Batch,
    CertificateStatus,
    Province,
    ProvinceStatus,
    SigningKey,
    StatusRecord,
)
from ledger.errors import ChainError, ContractRevertError, HistoryUnavailable, LedgerError, LedgerValueError

log = logging.getLogger("hurong.verify")

CHECKS = ("format", "integrity", "inclusion", "anchoring", "issuer", "signature", "status", "validity", "recognition")
_HEX32 = re.compile(r"^0x[0-9a-fA-F]{64}$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

VALID, INVALID, NOT_RECOGNIZED = "VALID", "INVALID", "NOT_RECOGNIZED"
NOT_IN_GOOD_STANDING = "issuer_not_in_good_standing"

#: Entries kept by each memoised chain read of one reader (batches, agencies, grants, signing keys, rule
#: questions, provinces), least recently used dropped first: a few MiB per reader at most.
READER_CACHE_SIZE = 4096
#: Agencies whose status changes (loaded from their events for bulk verification) one reader keeps.
STATUS_CACHE_AGENCIES = 64
#: Readers of past blocks a verifier keeps, each with its memoised reads (its head reader is kept apart).
PAST_READERS = 8
#: Seconds a time asked about may lie beyond both the verifier's clock and the head block's time (clock skew).
FUTURE_LEEWAY = 60
#: Largest block number accepted in a question (far beyond any chain, within JSON-RPC's quantities).
_MAX_BLOCK = 2**63 - 1

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")


class LruDict(Generic[K, V]):
    """A thread-safe mapping that keeps its `maxsize` most recently used entries."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise LedgerValueError("an LRU mapping needs room for at least one entry")
        self.maxsize = maxsize
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def __setitem__(self, key: K, value: V) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._data

    def __len__(self) -> int:
        return len(self._data)


def memoised(read: Callable[..., T], maxsize: int | None = None) -> Callable[..., T]:
    """`read` behind an LRU memo of `maxsize` entries (default `READER_CACHE_SIZE`), a `functools.lru_cache`
    whose `cache_info()` tells its size."""
    return lru_cache(maxsize=READER_CACHE_SIZE if maxsize is None else maxsize)(read)


@dataclass(frozen=True)
class VerificationContext:
    """Where the certificate is presented: an accepting province and optionally a service item."""

    province: int | None = None
    service_item: str | None = None

    def __post_init__(self) -> None:
        if self.province is not None and not is_province_code(self.province):
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
class VerificationWarning:
    """Something a verifier should know beside the verdict, such as an issuer no longer in good standing."""

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
    #: The time validity and recognition were judged at (`checked_at` unless a past time or block was asked).
    at: int | None = None
    warnings: tuple[VerificationWarning, ...] = ()

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
            "at": self.checked_at if self.at is None else self.at,
            "digest": self.digest,
            "issuer": self.issuer,
            "issuingProvince": self.issuing_province,
            "certificateType": self.certificate_type,
            "context": asdict(self.context) if self.context else None,
            "warnings": [asdict(w) for w in self.warnings],
        }


# ------------------------------------------------------------------------------------------------- time and blocks


def parse_time(value: str | datetime) -> int:
    """Unix seconds of an RFC 3339 time (`2025-06-01T08:00:00+08:00`, `…Z`) or a timezone-aware datetime."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and len(value) <= 40 and _TIME.match(value):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise LedgerValueError(f"{value!r} is not a valid RFC 3339 time") from None
    else:
        shown = repr(value) if isinstance(value, str) and len(value) <= 40 else f"a {type(value).__name__}"
        raise LedgerValueError(f"{shown} is not an RFC 3339 time such as 2025-06-01T08:00:00+08:00")
    if moment.tzinfo is None:
        raise LedgerValueError("a time to verify at needs its UTC offset (Z or ±hh:mm)")
    try:
        return int(moment.timestamp())
    except (OverflowError, ValueError):
        raise LedgerValueError(f"{value} is out of the range of times a chain can answer about") from None


def fetch_block(client: HurongClient, block: int | str) -> Any:
    if isinstance(block, bool) or not (block == "latest" or isinstance(block, int) and 0 <= block <= _MAX_BLOCK):
        raise LedgerValueError(f"block must be a non-negative block number or 'latest', got {block!r}")
    try:
        return client.w3.eth.get_block(block)  # type: ignore[arg-type]
    except BlockNotFound:
        raise LedgerValueError(f"block {block} does not exist yet") from None
    except (Web3Exception, OSError) as exc:
        raise ChainError(f"cannot read block {block} from the chain: {exc}") from None


#: Phrases by which nodes say they no longer keep a block's state (anvil, geth, Besu, Erigon, Nethermind).
_PRUNED = ("missing trie node", "historical state", "state not available", "state is not available",
           "state unavailable", "world state", "pruned")  # fmt: skip
_OUT_OF_RANGE = re.compile(r"block height is (\d+) but requested was (\d+)", re.IGNORECASE)


def chain_failure(exc: BaseException, block: int) -> LedgerError:
    """What a failed read at `block` means: `HistoryUnavailable` when the node pruned that block's state,
    otherwise `ChainError`."""
    text = str(exc)
    out_of_range = _OUT_OF_RANGE.search(text)
    if out_of_range is not None and int(out_of_range[2]) <= int(out_of_range[1]):
        return HistoryUnavailable(block)
    if out_of_range is None and any(phrase in text.lower() for phrase in _PRUNED):
        return HistoryUnavailable(block)
    return ChainError(f"reading the chain at block {block} failed: {text[:300]}")


def guarded(read: Callable[..., T], block: int) -> Callable[..., T]:
    """`read` with web3 and transport failures raised as `HistoryUnavailable` or `ChainError`."""

    def call(*args: Any) -> T:
        try:
            return read(*args)
        except LedgerError:
            raise
        except (Web3Exception, OSError) as exc:
            raise chain_failure(exc, block) from None

    return call


class ChainReader:
    """Chain reads at one fixed block, memoised (bounded): the verifier's view of the registries."""

    def __init__(self, client: HurongClient, block: int | str = "latest", *, header: Any = None) -> None:
        self.client = client
        if isinstance(block, int) and not isinstance(block, bool) and block < client.deployment.block_number:
            raise LedgerValueError(
                f"block {block} is before the registries were deployed (block {client.deployment.block_number})"
            )
        info = header if header is not None else fetch_block(client, block)
        self.block_number = int(info["number"])
        self.block_hash = HexBytes(info["hash"]).to_0x_hex()
        self._timestamp = int(info["timestamp"])
        self.chain_id = client.deployment.chain_id
        self.registry = client.certificates.address
        self._statuses: LruDict[str, dict[bytes, StatusRecord]] = LruDict(STATUS_CACHE_AGENCIES)
        b = self.block_number
        c = client
        if block != "latest":  # a past block: fail at once, and clearly, if the node no longer keeps its state
            guarded(lambda: c.certificates.authority_registry(block_identifier=b), b)()
        self.batch: Callable[[str, bytes], Batch] = memoised(
            guarded(lambda a, r: c.certificates.batch(a, r, block_identifier=b), b)
        )
        self.agency: Callable[[str], Agency | None] = memoised(guarded(self._agency, b))
        self.can_issue_at: Callable[[str, str, int], bool] = memoised(
            guarded(lambda a, t, when: c.authorities.can_issue_at(a, t, when, block_identifier=b), b)
        )
        self.signing_key: Callable[[bytes], SigningKey | None] = memoised(guarded(self._signing_key, b))
        self.accepts: Callable[[int, int, str, str | None, int], tuple[bool, int | None]] = memoised(
            guarded(lambda acc, iss, t, s, when: c.recognition.accepts(acc, iss, t, s, when, block_identifier=b), b)
        )
        self.province: Callable[[int], Province | None] = memoised(guarded(self._province, b))
        self._read_status = guarded(lambda a, d: c.certificates.status_of(a, d, block_identifier=b), b)

    @property
    def timestamp(self) -> int:
        """The time of this reader's block (Unix seconds)."""
        return self._timestamp

    def memos(self) -> dict[str, Any]:
        """The memoised reads by name (each with `cache_info()`), and the status map (with `len()`)."""
        names = ("batch", "agency", "can_issue_at", "signing_key", "accepts", "province")
        return {n: getattr(self, n) for n in names if hasattr(getattr(self, n), "cache_info")} | {
            "statuses": self._statuses
        }

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

    def _province(self, code: int) -> Province | None:
        try:
            return self.client.consortium.province(code, block_identifier=self.block_number)
        except (ContractRevertError, LedgerValueError):
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
        return self._read_status(agency, digest)

    def prefetch_statuses(self, agency: str) -> None:
        """Load every status change of `agency`'s certificates up to this block from its events."""
        if agency in self._statuses:
            return
        self._statuses[agency] = guarded(self._status_changes, self.block_number)(agency)

    def _status_changes(self, agency: str) -> dict[bytes, StatusRecord]:
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
        return statuses


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
        self._past: LruDict[int, ChainReader] = LruDict(PAST_READERS)

    def reader(self, block: int | str = "latest") -> ChainReader:
        """A reader at `block`; the same reader (and its memoised reads) while the head stays, or while a past
        block keeps its hash."""
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
        header = fetch_block(self.client, "latest")
        cached = self._latest
        if cached is not None and cached.block_hash == HexBytes(header["hash"]).to_0x_hex():
            return cached
        reader = ChainReader(self.client, "latest", header=header)
        self._latest = reader
        return reader

    def resolve(
        self, *, block: int | str | None = "latest", at: str | datetime | int | None = None
    ) -> tuple[ChainReader, int | None]:
        """The reader and the time to judge validity and recognition at (`None`: now) for a question about the
        head (no `at`, `block` "latest" or `None`), a past block, or a past time `at` (RFC 3339, datetime, or
        Unix seconds), which is read at the last block at or before it."""
        if at is None:
            if block is None or block == "latest":
                return self.reader("latest"), None
            reader = self.reader(block)
            return reader, reader.timestamp
        if block is not None and block != "latest":
            raise LedgerValueError("ask about a block or a time, not both")
        if isinstance(at, bool) or not isinstance(at, str | datetime | int):
            raise LedgerValueError(f"a time to verify at must be RFC 3339 text, got a {type(at).__name__}")
        when = at if isinstance(at, int) else parse_time(at)
        if not -(2**48) < when < 2**48:
            raise LedgerValueError("a time to verify at must lie within the range of block timestamps")
        return self.reader(self.block_at(when)), when

    def block_at(self, when: int) -> int:
        """The last block whose time is at or before `when` (Unix seconds), by binary search on block times."""
        head = fetch_block(self.client, "latest")
        head_number, head_time = int(head["number"]), int(head["timestamp"])
        if when >= head_time:
            if when > max(int(self.clock()), head_time) + FUTURE_LEEWAY:
                raise LedgerValueError(f"{_iso(when)} is in the future: the chain can only answer about the past")
            return head_number
        lo = self.client.deployment.block_number
        if when < self._block_time(lo):
            raise LedgerValueError(
                f"{_iso(when)} is before the registries were deployed ({_iso(self._block_time(lo))}, block {lo})"
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

    def verify(
        self,
        document: Any,
        context: VerificationContext | None = None,
        *,
        block: int | str = "latest",
        at: str | datetime | int | None = None,
    ) -> VerificationResult:
        """Verify one certificate, now (default), as of a past `block`, or as of a past time `at`."""
        reader, when = self.resolve(block=block, at=at)
        now = int(self.clock())
        today = reader if when is None else self.reader("latest")
        return self._verify(document, context, reader, now if when is None else when, today=today, checked_at=now)

    def verify_many(
        self,
        documents: Sequence[Any],
        context: VerificationContext | None = None,
        *,
        block: int | str = "latest",
        at: str | datetime | int | None = None,
    ) -> list[VerificationResult]:
        """Verify many certificates at one block, sharing chain reads."""
        reader, when = self.resolve(block=block, at=at)
        return self.verify_with(reader, documents, context, at=when)

    def verify_with(
        self,
        reader: ChainReader,
        documents: Sequence[Any],
        context: VerificationContext | None = None,
        *,
        at: int | None = None,
        today: ChainReader | None = None,
    ) -> list[VerificationResult]:
        """Verify `documents` with the reads of `reader` (a `ChainReader` or the index's reader), judging validity
        and recognition at `at` (Unix seconds; default now) and the issuer's standing with `today` (default:
        `reader` when judging now, else a reader at the head)."""
        now = int(self.clock())
        if len(documents) > 1:
            self._prefetch(reader, documents)
        if today is None:
            today = reader if at is None else self.reader("latest")
        when = now if at is None else at
        return [self._verify(d, context, reader, when, today=today, checked_at=now) for d in documents]

    def _prefetch(self, reader: ChainReader, documents: Sequence[Any]) -> None:
        """Load the status changes of the registered agencies issuing most of `documents` (as many as a reader
        keeps), so that their statuses need no read per certificate."""
        issuers = Counter(a for a in map(_issuer_address, documents) if a is not None)
        for agency, _ in issuers.most_common(STATUS_CACHE_AGENCIES):
            if reader.agency(agency) is not None:
                reader.prefetch_statuses(agency)

    # ------------------------------------------------------------------ the checks

    def _verify(
        self,
        doc: Any,
        context: VerificationContext | None,
        reader: ChainReader,
        now: int,
        local: tuple[dict[str, CheckResult], dict[str, Any] | None] | None = None,
        *,
        today: ChainReader | None = None,
        checked_at: int | None = None,
    ) -> VerificationResult:
        """The nine checks of `doc` with `reader`'s reads, validity and recognition judged at `now`; the
        issuer's standing read with `today` (default `reader`)."""
        results, parsed = local if local is not None else self._local_checks(doc)
        timing = (now, now if checked_at is None else checked_at)

        def put(name: str, outcome: str, code: str, message: str, **details: Any) -> None:
            results[name] = CheckResult(name, outcome, code, message, details)

        if parsed is None:
            return self._result(results, reader, timing, context, None)
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
        warnings = standing(agency, today or reader) if batch is not None else ()
        return self._result(results, reader, timing, context, parsed, warnings)

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
        except LedgerValueError as exc:  # IntegrityError, or a value that cannot be canonicalised
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
        timing: tuple[int, int],
        context: VerificationContext | None,
        parsed: dict[str, Any] | None,
        warnings: tuple[VerificationWarning, ...] = (),
    ) -> VerificationResult:
        checks = tuple(results[name] for name in CHECKS)
        if any(c.outcome == "failed" for c in checks[:8]):
            verdict = INVALID
        elif checks[8].outcome == "failed":
            verdict = NOT_RECOGNIZED
        else:
            verdict = VALID
        parsed = parsed or {}
        at, checked_at = timing
        return VerificationResult(
            verdict=verdict,
            checks=checks,
            block_number=reader.block_number,
            block_hash=reader.block_hash,
            checked_at=checked_at,
            digest=parsed.get("digest"),
            issuer=parsed.get("agency"),
            issuing_province=parsed.get("province"),
            certificate_type=parsed.get("type"),
            context=context,
            at=at,
            warnings=warnings,
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
        unsupported = _unsupported_value(doc)
        if unsupported is not None:
            fail("schema", unsupported["message"], problems=[unsupported])
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
        schema = self._schema_problems(doc, proof)
        if schema is not None:
            fail("schema", schema[0], problems=schema[1])
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

    def _schema_problems(self, doc: dict[str, Any], proof: dict[str, Any]) -> tuple[str, list[Any]] | None:
        """(message, problems) when the disclosed fields do not validate as a certificate, else `None`."""
        body = {k: v for k, v in doc.items() if k != "proof"}
        redacted = bool(proof.get("obfuscated"))
        if redacted:
            body = _without_placeholders(body, proof["salts"])
        try:
            self._validator()(body)
        except LedgerValueError as exc:
            listed = [p.as_dict() for p in getattr(exc, "problems", [])]
            if redacted:
                # Hidden fields are absent on purpose: only problems with disclosed values count.
                listed = [p for p in listed if p["code"] not in _ABSENCE_CODES]
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
        from ledger.keys.signing import SignatureFormatError, verify_root_signature

        key_hex = signature.get("keyId") if isinstance(signature, dict) else None
        if not isinstance(key_hex, str) or not _HEX32.match(key_hex):
            put("signature", "failed", "malformed", "the signature object has no valid keyId")
            return
        key = reader.signing_key(bytes.fromhex(key_hex[2:]))
        if key is None or key.agency != agency:
            put("signature", "failed", "unknown_key", "the signing key is not registered to the issuing agency")
            return
        from ledger.keys.signing import algorithm_for_suite

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
    if isinstance(value, dict):
        return {k: _without_placeholders(v, salts, f"{pointer}/{escape_pointer_token(k)}") for k, v in value.items()}
    if isinstance(value, list):
        return [
            _without_placeholders(v, salts, f"{pointer}/{i}")
            for i, v in enumerate(value)
            if not (v is None and f"{pointer}/{i}" not in salts)
        ]
    return value


@lru_cache(maxsize=256)  # registry addresses: one per deployment
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
    suite = proof.get("suite")
    try:
        if not isinstance(suite, str) or len(suite) > 16:
            raise LedgerValueError("proof.suite must name a hash suite: default or sm")
        hash_function(suite)
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


#: Bounds no issued certificate comes near. A document beyond them fails the format check before it is
#: validated or hashed: nesting, values in all, text length, and integers beyond 64 bits.
MAX_DEPTH = 32
MAX_VALUES = 50_000
MAX_TEXT = 65_536
_MAX_INT = 2**63
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _unsupported_value(doc: dict[str, Any]) -> dict[str, str] | None:
    """The first value of `doc` that is not plain JSON within the bounds above, as a problem (pointer, code,
    message); `None` when every value is. Walks without recursion, so any depth is safe; a value's JSON Pointer
    is only spelt out when it is reported."""
    stack: list[tuple[Any, int, Any]] = [(doc, 0, None)]  # (value, depth, (parent's place, key) or None)
    seen = 0
    while stack:
        value, depth, place = stack.pop()
        seen += 1
        if isinstance(value, str):
            reason = _text_problem(value)
        elif isinstance(value, dict | list):
            reason = None
            if depth >= MAX_DEPTH:
                reason = f"nested more than {MAX_DEPTH} levels deep"
            elif isinstance(value, list):
                stack.extend((item, depth + 1, (place, i)) for i, item in enumerate(value))
            else:
                for key, item in value.items():
                    if not isinstance(key, str) or _text_problem(key) is not None:
                        reason = "a member name that is not valid text"
                        break
                    stack.append((item, depth + 1, (place, key)))
        elif isinstance(value, bool) or value is None:
            reason = None
        elif isinstance(value, int):
            reason = None if -_MAX_INT <= value < _MAX_INT else "an integer beyond 64 bits"
        elif isinstance(value, float):
            reason = None if math.isfinite(value) else "a number that is not finite"
        else:
            reason = f"a {type(value).__name__}, which is not JSON"
        if reason is None and seen > MAX_VALUES:
            reason, place = f"more than {MAX_VALUES} values", None
        if reason is not None:
            pointer = _pointer(place)
            return {"pointer": pointer, "code": "unsupported_value", "message": f"{pointer or '/'}: {reason}"}
    return None


def _text_problem(text: str) -> str | None:
    if len(text) > MAX_TEXT:
        return f"text longer than {MAX_TEXT} characters"
    if not text.isascii() and _LONE_SURROGATE.search(text):
        return "text that is not valid Unicode (a lone surrogate)"
    return None


def _pointer(place: Any) -> str:
    """The JSON Pointer of a place built by `_unsupported_value` (nested (parent, key) pairs)."""
    tokens: list[str] = []
    while place is not None:
        place, key = place
        tokens.append(escape_pointer_token(key) if isinstance(key, str) else str(key))
    return "".join("/" + token for token in reversed(tokens))


def _timestamp(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _TIME.match(value):
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except (ValueError, OverflowError):  # no such date, or one beyond the years datetime can hold once shifted
        return None


def _iso(seconds: int) -> str:
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):
        return f"{seconds} (Unix seconds)"


# ------------------------------------------------------------------------------------------------ issuer standing

#: How many parents up the agency tree standing is looked for (the registry's tree is far shallower).
_MAX_DEPTH = 32


def standing(account: str, reader: ChainReader) -> tuple[VerificationWarning, ...]:
    """`issuer_not_in_good_standing` warnings for the agency `account` as `reader` sees it: the agency, each
    parent and the province that is not active, or the agency itself when it belongs to an earlier membership
    of a province removed and admitted again. None when the agency is effectively active (or unknown)."""
    agency = reader.agency(account)
    if agency is None or agency.effectively_active:
        return ()
    found: list[VerificationWarning] = []
    if agency.status != AgencyStatus.ACTIVE:
        found.append(_standing_warning(reader, "agency", account, agency.name, agency.status.name.lower()))
    parent, depth = agency.parent, 0
    while parent is not None and depth < _MAX_DEPTH:
        above = reader.agency(parent)
        if above is None:
            break
        if above.status != AgencyStatus.ACTIVE:
            found.append(_standing_warning(reader, "parent", parent, above.name, above.status.name.lower()))
        parent, depth = above.parent, depth + 1
    province = reader.province(agency.province)
    if province is None or province.status != ProvinceStatus.ACTIVE:
        status = province.status.name.lower() if province is not None else "unknown"
        name = province.name if province is not None else str(agency.province)
        since = {"since": province.status_since} if province is not None else {}
        found.append(_standing_warning(reader, "province", str(agency.province), name, status, **since))
    if not found:  # every status is active, yet the agency is not: registered before its province was removed
        found.append(_standing_warning(reader, "agency", account, agency.name, "stale_membership"))
    return tuple(found)


_STANDING_MESSAGES = {
    "agency": "the issuing agency {name} is {status} today",
    "parent": "{name}, a parent of the issuing agency, is {status} today",
    "province": "the issuing province {name} ({id}) is {status} today",
}


def _standing_warning(
    reader: ChainReader, entity: str, ident: str, name: str, status: str, **extra: Any
) -> VerificationWarning:
    if status == "stale_membership":
        message = f"the issuing agency {name} belongs to an earlier membership of its province, which was removed"
    else:
        message = _STANDING_MESSAGES[entity].format(name=name, status=status, id=ident)
    details = {"entity": entity, "id": ident, "name": name, "status": status, **extra, "block": reader.block_number}
    return VerificationWarning(NOT_IN_GOOD_STANDING, message + "; the certificate was authorised when anchored",
                               details)  # fmt: skip
