"""Chain reads at one fixed block, memoised and bounded: what the verifier reads the registries through.

`Reader` names exactly what `Verifier` needs from a reader; `ChainReader` implements it with reads of the
chain at one block, and the index's `IndexReader` implements it from the event index. `fetch_block`,
`guarded` and `chain_failure` turn a node's answers and failures into the ledger's errors (`LedgerValueError`
for a block still to come, `HistoryUnavailable` for pruned state, `ChainError` otherwise).

Memory stays bounded: every memoised read keeps at most `READER_CACHE_SIZE` entries per reader, and a reader
keeps the status events of at most `STATUS_CACHE_AGENCIES` agencies, each dropping the least recently used first.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import Any, Generic, Protocol, TypeVar

from hexbytes import HexBytes
from web3.exceptions import BlockNotFound, Web3Exception

from ledger.chain.client import HurongClient
from ledger.chain.models import Agency, Batch, CertificateStatus, Province, SigningKey, StatusRecord
from ledger.chain.rpc import LeanRpc
from ledger.errors import (
    ChainError,
    ContractRevertError,
    HistoryUnavailable,
    LedgerError,
    LedgerValueError,
    RpcError,
    RpcUnreachable,
)

#: Entries kept by each memoised chain read of one reader (batches, agencies, grants, signing keys, rule
#: questions, provinces), least recently used dropped first: a few MiB per reader at most.
READER_CACHE_SIZE = 4096
#: Agencies whose status changes (loaded from their events for bulk verification) one reader keeps.
STATUS_CACHE_AGENCIES = 64
#: Largest block number accepted in a question (far beyond any chain, within JSON-RPC's quantities).
MAX_BLOCK = 2**63 - 1

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")


class Reader(Protocol):
    """What `Verifier` reads a certificate's chain facts through, all as of one block (`block_number`).

    Implemented structurally by `ChainReader` (reads of the chain) and `ledger.index.IndexReader` (the index).
    """

    @property
    def block_number(self) -> int: ...
    @property
    def block_hash(self) -> str: ...
    @property
    def chain_id(self) -> int: ...
    @property
    def registry(self) -> str:
        """The certificate registry's checksummed address."""
        ...

    @property
    def batch(self) -> Callable[[str, bytes], Batch]:
        """(agency, root) → the batch anchored by that agency under that root (`anchored` false when none)."""
        ...

    @property
    def agency(self) -> Callable[[str], Agency | None]:
        """account → the agency, or `None` when it is not registered."""
        ...

    @property
    def can_issue_at(self) -> Callable[[str, str, int], bool]:
        """(agency, certificate type, time) → whether the agency was active and granted the type then."""
        ...

    @property
    def signing_key(self) -> Callable[[bytes], SigningKey | None]:
        """key id → the registered signing key, or `None`."""
        ...

    @property
    def accepts(self) -> Callable[[int, int, str, str | None, int], tuple[bool, int | None]]:
        """(accepting, issuing, type, service item, time) → (accepted, id of the rule in force)."""
        ...

    @property
    def province(self) -> Callable[[int], Province | None]:
        """code → the province, or `None` when it is not a member."""
        ...

    def status(self, agency: str, root: bytes, digest: bytes, batch: Batch) -> StatusRecord:
        """The status of the certificate `digest` of `agency`'s batch `batch` (anchored under `root`)."""
        ...

    def prefetch_statuses(self, agency: str) -> None:
        """Load the status changes of every certificate of `agency` at once (a hint for bulk verification)."""
        ...


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


# ------------------------------------------------------------------------------------------------- blocks and failures


def fetch_block(client: HurongClient, block: int | str) -> Any:
    """The header of `block` (a number or "latest"); `LedgerValueError` for a block still to come."""
    if isinstance(block, bool) or not (block == "latest" or (isinstance(block, int) and 0 <= block <= MAX_BLOCK)):
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


# ------------------------------------------------------------------------------------------------------- the reader

#: The status of a certificate no status event names.
VALID_RECORD = StatusRecord(CertificateStatus.VALID, 0, 0, None)


def status_record(status: int, reason: int, updated: int, successor: bytes) -> StatusRecord:
    """A status record from `statusOf`'s words; `ChainError` for a status the registry does not define."""
    try:
        kind = CertificateStatus(status)
    except ValueError:
        raise ChainError(f"statusOf answered an unknown status {status}") from None
    return StatusRecord(kind, reason, updated, None if successor == bytes(32) else successor)


#: Status events, and the status each sets.
_STATUS_EVENTS = {
    "CertificateSuspended": CertificateStatus.SUSPENDED,
    "CertificateReinstated": CertificateStatus.VALID,
    "CertificateRevoked": CertificateStatus.REVOKED,
    "CertificateSuperseded": CertificateStatus.SUPERSEDED,
}
#: Blocks per `eth_getLogs` request when loading status events.
_LOG_RANGE = 50_000


class ChainReader:
    """Chain reads at one fixed block, memoised (bounded): the verifier's view of the registries."""

    def __init__(
        self, client: HurongClient, block: int | str = "latest", *, header: Any = None, rpc: LeanRpc | None = None
    ) -> None:
        self.client = client
        self._rpc = rpc
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
        self._known: LruDict[tuple[str, bytes], StatusRecord] = LruDict(READER_CACHE_SIZE)
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
        self._read_status_web3 = guarded(lambda a, d: c.certificates.status_of(a, d, block_identifier=b), b)

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
            return statuses.get(digest, VALID_RECORD)
        known = self._known.get((agency, digest))
        if known is not None:
            return known
        record = self._read_status(agency, digest)
        self._known[(agency, digest)] = record
        return record

    def _read_status(self, agency: str, digest: bytes) -> StatusRecord:
        """`statusOf` at this block: through the lean JSON-RPC when the reader has it (one kept-alive request),
        through web3 otherwise or when the lean request cannot reach the node (web3 fails over)."""
        if self._rpc is not None:
            try:
                status, reason, updated, successor = self._rpc.status_words(
                    self.registry, agency, digest, self.block_number
                )
            except RpcUnreachable:
                pass
            except RpcError as exc:
                raise chain_failure(exc, self.block_number) from None
            else:
                return status_record(status, reason, updated, successor)
        return self._read_status_web3(agency, digest)

    def remember_status(self, agency: str, digest: bytes, record: StatusRecord) -> None:
        """Keep `record` as the status of `digest` at this reader's block (read beside the head, see
        `Verifier.reader`): the next status question about it needs no read."""
        self._known[(agency, digest)] = record

    def prefetch_statuses(self, agency: str) -> None:
        """Load every status change of `agency`'s certificates up to this block from its events."""
        if agency in self._statuses:
            return
        self._statuses[agency] = guarded(self._status_changes, self.block_number)(agency)

    def _status_changes(self, agency: str) -> dict[bytes, StatusRecord]:
        contract = self.client.certificates.contract
        changes: list[tuple[int, int, bytes, StatusRecord]] = []
        start = self.client.deployment.block_number
        timestamps: dict[int, int] = {}
        for name, status in _STATUS_EVENTS.items():
            event = getattr(contract.events, name)
            for lo in range(start, self.block_number + 1, _LOG_RANGE):
                hi = min(self.block_number, lo + _LOG_RANGE - 1)
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
                statuses[digest] = StatusRecord(record.status, record.reason, record.updated_at, previous.successor)
            else:
                statuses[digest] = record
        return statuses


def latest_header(
    client: HurongClient, rpc: LeanRpc, cached: ChainReader | None, status_of: tuple[str, bytes] | None
) -> Any:
    """The latest block's header: one lean JSON-RPC request (~0.2 ms), through web3 when it cannot reach the node
    (web3 fails over to the next endpoint). With a `cached` head reader and `status_of` (agency, digest), that
    certificate's status at the cached block travels in the same request, and the reader keeps it if the head
    stayed: one round trip to the node for a verification while the head stays."""
    try:
        if cached is None or status_of is None:
            return rpc.head().header()
        agency, digest = status_of
        head, status = rpc.head_and_status(cached.registry, agency, digest, cached.block_hash)
        if head.hash == cached.block_hash and not isinstance(status, ChainError):
            with contextlib.suppress(ChainError):  # an undefined status: the status check reads it again
                cached.remember_status(agency, digest, status_record(*status))
        return head.header()
    except RpcUnreachable:
        return fetch_block(client, "latest")
