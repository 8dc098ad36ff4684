"""The event indexer: every event of the four contracts, followed into a database the service reads from.

    indexer = Indexer(client, "sqlite:///.hurong/index.sqlite")      # or "postgresql://user@host/hurong"
    indexer.sync()                                                    # up to the chain's head
    indexer.status(agency, digest), indexer.history(digest), indexer.rules(accepting=330000)
    verifier.verify_with(IndexReader(indexer), [document], context)  # verification answered from the index

Logs of the Consortium, AuthorityRegistry, CertificateRegistry and RecognitionRegistry are read from the
deployment block on, in bounded block ranges (one `eth_getLogs` over the four addresses per range), decoded with
the contracts' ABIs, and written in one database transaction per range together with the new last block and its
hash, so a crash never leaves a range half applied and a restart resumes after the stored block. Before each
sync the stored hash of the last indexed block is compared with the chain's: a reorganisation, a reset chain
(an anvil snapshot reverted), another chain id or another deployment makes the indexer rebuild from scratch
(the index is derived data). Several processes may share one PostgreSQL index: a range is committed only if the
stored last block is still the one the range follows.

Tables (SQLAlchemy Core, SQLite by default, PostgreSQL by URL; addresses checksummed, hashes `0x` lower hex,
times in Unix seconds of block timestamps):

    index_state          one row: schema version, chain id, deployment, last block and hash, vote threshold
    events               every log: (block, log_index), tx hash, contract, event, arguments as JSON, time
    batches              (agency, root): count, manifest CID, anchored_at, block, tx; revoked_at / reason / by
    certificate_events   status changes: digest, agency, kind, status, reason, successor, by, block, tx, time
    certificate_status   (agency, digest): current status record, as `statusOf` returns it
    provinces            code: name, status, status_since, epoch          province_admins: account → code
    agencies             account: province, parent, region, depth, epoch, name, status, status_since
    agency_types         (agency, certificate type) currently granted, granted_at
    signing_keys         key id: agency, algorithm, validity window, public key, revoked_at
    recognition_rules    id: every field of the rule, created_at, revoked_at / by
    proposals, votes     consortium proposals, their votes, execution or cancellation
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from eth_utils import to_checksum_address
from hexbytes import HexBytes
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    and_,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import StaticPool
from web3.exceptions import BlockNotFound, Web3Exception, Web3RPCError
from web3.types import FilterParams

from ledger.chain.client import HurongClient, checksum
from ledger.chain.codes import decode_code, parse_bytes32
from ledger.chain.models import (
    AgencyStatus,
    Batch,
    CertificateStatus,
    KeyAlgorithm,
    ProvinceStatus,
    StatusRecord,
)
from ledger.errors import ChainError
from ledger.errors import IndexerError as IndexerError
from ledger.toolchain.compiler import CONTRACT_NAMES
from ledger.verification.verifier import STATUS_CACHE_AGENCIES, ChainReader, LruDict, memoised

__all__ = ["SCHEMA_VERSION", "IndexReader", "Indexer", "IndexerError", "metadata"]

log = logging.getLogger("hurong.indexer")

#: Bumped whenever the tables change: an index of another version is dropped and rebuilt from the chain.
SCHEMA_VERSION = 1

_ZERO32 = "0x" + "00" * 32
#: Chain readers (with their memoised reads) an indexer keeps for the blocks its readers answer at: the
#: indexed block and the few before it that requests still in flight may be using.
CHAIN_READERS = 4
_VALID = StatusRecord(CertificateStatus.VALID, 0, 0, None)


# ---------------------------------------------------------------------------------------------------- schema

metadata = MetaData()

index_state = Table(
    "index_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("schema_version", Integer, nullable=False),
    Column("chain_id", BigInteger, nullable=False),
    Column("deployment_block", BigInteger, nullable=False),
    Column("deployment_hash", String(66), nullable=False),
    Column("contracts", Text, nullable=False),
    Column("last_block", BigInteger, nullable=False),
    Column("last_hash", String(66)),
    Column("threshold", BigInteger),
)

events = Table(
    "events",
    metadata,
    Column("block", BigInteger, primary_key=True),
    Column("log_index", Integer, primary_key=True),
    Column("tx_hash", String(66), nullable=False),
    Column("contract", String(32), nullable=False),
    Column("event", String(64), nullable=False),
    Column("args", Text, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Index("ix_events_event", "contract", "event"),
)

batches = Table(
    "batches",
    metadata,
    Column("agency", String(42), primary_key=True),
    Column("root", String(66), primary_key=True),
    Column("count", BigInteger, nullable=False),
    Column("manifest_cid", Text, nullable=False),
    Column("anchored_at", BigInteger, nullable=False),
    Column("block", BigInteger, nullable=False),
    Column("log_index", Integer, nullable=False),
    Column("tx_hash", String(66), nullable=False),
    Column("revoked_at", BigInteger),
    Column("revoke_reason", Integer, nullable=False, default=0),
    Column("revoked_by", String(42)),
    Column("revoke_block", BigInteger),
    Column("revoke_tx_hash", String(66)),
    Index("ix_batches_root", "root"),
    Index("ix_batches_block", "block", "log_index"),
)

certificate_events = Table(
    "certificate_events",
    metadata,
    Column("block", BigInteger, primary_key=True),
    Column("log_index", Integer, primary_key=True),
    Column("digest", String(66), nullable=False),
    Column("agency", String(42), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", SmallInteger, nullable=False),
    Column("reason", Integer, nullable=False),
    #: The successor named by this event (supersede only).
    Column("successor", String(66)),
    #: The successor in the status record after this event (kept by a later revocation, as on chain).
    Column("record_successor", String(66)),
    Column("actor", String(42), nullable=False),
    Column("tx_hash", String(66), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Index("ix_certificate_events_digest", "digest", "block", "log_index"),
    Index("ix_certificate_events_agency", "agency", "digest", "block", "log_index"),
)

certificate_status = Table(
    "certificate_status",
    metadata,
    Column("agency", String(42), primary_key=True),
    Column("digest", String(66), primary_key=True),
    Column("status", SmallInteger, nullable=False),
    Column("reason", Integer, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("successor", String(66)),
    Column("block", BigInteger, nullable=False),
    Index("ix_certificate_status_digest", "digest"),
    Index("ix_certificate_status_status", "status"),
)

provinces = Table(
    "provinces",
    metadata,
    Column("code", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("status", SmallInteger, nullable=False),
    Column("status_since", BigInteger, nullable=False),
    Column("epoch", Integer, nullable=False),
    Column("admitted_block", BigInteger, nullable=False),
)

province_admins = Table(
    "province_admins",
    metadata,
    Column("account", String(42), primary_key=True),
    Column("code", Integer, nullable=False),
    Column("block", BigInteger, nullable=False),
    Column("log_index", Integer, nullable=False),
    Index("ix_province_admins_code", "code"),
)

agencies = Table(
    "agencies",
    metadata,
    Column("account", String(42), primary_key=True),
    Column("province", Integer, nullable=False),
    Column("parent", String(42)),
    Column("region", Integer, nullable=False),
    Column("depth", SmallInteger, nullable=False),
    Column("epoch", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("status", SmallInteger, nullable=False),
    Column("status_since", BigInteger, nullable=False),
    Column("status_reason", Integer, nullable=False, default=0),
    Column("registered_at", BigInteger, nullable=False),
    Column("block", BigInteger, nullable=False),
    Column("log_index", Integer, nullable=False),
    Index("ix_agencies_province", "province"),
    Index("ix_agencies_parent", "parent"),
)

agency_types = Table(
    "agency_types",
    metadata,
    Column("agency", String(42), primary_key=True),
    Column("certificate_type", String(66), primary_key=True),
    Column("granted_at", BigInteger, nullable=False),
    Column("granted_by", String(42), nullable=False),
    Column("block", BigInteger, nullable=False),
    Column("log_index", Integer, nullable=False),
    Index("ix_agency_types_type", "certificate_type"),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("key_id", String(66), primary_key=True),
    Column("agency", String(42), nullable=False),
    Column("algorithm", SmallInteger, nullable=False),
    Column("valid_from", BigInteger, nullable=False),
    Column("valid_until", BigInteger, nullable=False),
    Column("public_key", Text, nullable=False),
    Column("added_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
    Column("block", BigInteger, nullable=False),
    Index("ix_signing_keys_agency", "agency"),
)

recognition_rules = Table(
    "recognition_rules",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("accepting_province", Integer, nullable=False),
    Column("issuing_province", Integer),
    Column("certificate_type", String(66), nullable=False),
    Column("service_item", String(66)),
    Column("effective_from", BigInteger, nullable=False),
    Column("effective_until", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
    Column("revoked_by", String(42)),
    Column("legal_basis", Text, nullable=False),
    Column("block", BigInteger, nullable=False),
    Column("tx_hash", String(66), nullable=False),
    Index("ix_recognition_rules_accepting", "accepting_province"),
    Index("ix_recognition_rules_issuing", "issuing_province"),
    Index("ix_recognition_rules_type", "certificate_type"),
)

proposals = Table(
    "proposals",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("proposer", Integer, nullable=False),
    Column("target", String(42), nullable=False),
    Column("data", Text, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("description", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("executed_at", BigInteger),
    Column("executor", String(42)),
    Column("cancelled_at", BigInteger),
    Column("block", BigInteger, nullable=False),
)

votes = Table(
    "votes",
    metadata,
    Column("block", BigInteger, primary_key=True),
    Column("log_index", Integer, primary_key=True),
    Column("proposal_id", BigInteger, nullable=False),
    Column("province", Integer, nullable=False),
    Column("voter", String(42), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Index("ix_votes_proposal", "proposal_id"),
)

#: Tables emptied on a rebuild (every table but the state row).
DATA_TABLES: tuple[Table, ...] = tuple(t for t in metadata.sorted_tables if t is not index_state)

_STATUS_EVENTS = {
    "CertificateSuspended": ("suspended", CertificateStatus.SUSPENDED),
    "CertificateReinstated": ("reinstated", CertificateStatus.VALID),
    "CertificateRevoked": ("revoked", CertificateStatus.REVOKED),
    "CertificateSuperseded": ("superseded", CertificateStatus.SUPERSEDED),
}


# ---------------------------------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class _Log:
    """One decoded log, with the timestamp of its block."""

    contract: str
    name: str
    args: Mapping[str, Any]
    block: int
    log_index: int
    tx_hash: str
    timestamp: int


@dataclass(frozen=True)
class _State:
    last_block: int
    last_hash: str | None


class _Conflict(Exception):
    """Another writer moved the index on, or the chain changed under a range: re-read and retry."""


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def _opt_hex32(value: bytes) -> str | None:
    text = _hex(value)
    return None if text == _ZERO32 else text


def _b32(value: bytes | str, what: str) -> str:
    return _hex(parse_bytes32(value.lower() if isinstance(value, str) else value, what=what))


@lru_cache(maxsize=4096)  # agency accounts: thousands at most, each entry under 200 bytes
def _address(value: str) -> str:
    return checksum(value, what="agency")


def _opt_address(value: str) -> str | None:
    return None if int(value, 16) == 0 else str(to_checksum_address(value))


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return _hex(bytes(value))
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, pool_size=8, max_overflow=40)
    database = parsed.database or ""
    memory = database in ("", ":memory:") or "mode=memory" in database
    if memory:
        engine = create_engine(parsed, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30}, pool_size=8, max_overflow=40)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


# ---------------------------------------------------------------------------------------------------- indexer


class Indexer:
    """Follows the deployment's events into the index database and answers queries from it.

    `sync()` brings the index up to the chain's head (less `confirmations`); `run(stop)` keeps it there from a
    thread. Queries read the committed index and never touch the chain.
    """

    def __init__(
        self,
        client: HurongClient,
        url: str = "sqlite:///.hurong/index.sqlite",
        *,
        batch_blocks: int = 2000,
        confirmations: int = 0,
    ) -> None:
        if batch_blocks < 1:
            raise IndexerError("batch_blocks must be at least 1")
        if confirmations < 0:
            raise IndexerError("confirmations must not be negative")
        self.client = client
        self.batch_blocks = batch_blocks
        self.confirmations = confirmations
        self.deployment = client.deployment
        self.w3 = client.w3
        self._contracts: dict[str, Any] = {
            sub.name: sub.contract
            for sub in (client.consortium, client.authorities, client.certificates, client.recognition)
        }
        assert sorted(self._contracts) == sorted(CONTRACT_NAMES)
        self._addresses = [str(c.address) for c in self._contracts.values()]
        self._decoders: dict[tuple[str, str], tuple[str, Any]] = {}
        self._wake = threading.Event()
        for name, contract in self._contracts.items():
            for ev in contract.all_events():
                self._decoders[(str(contract.address).lower(), HexBytes(ev.topic).to_0x_hex())] = (name, ev)
        self._handlers: dict[str, Callable[[Connection, _Log], None]] = {
            "ProvinceAdmitted": self._province_admitted,
            "ProvinceSuspended": self._province_suspended,
            "ProvinceReinstated": self._province_reinstated,
            "ProvinceRemoved": self._province_removed,
            "ProvinceAdminAdded": self._province_admin_added,
            "ProvinceAdminRemoved": self._province_admin_removed,
            "ThresholdChanged": self._threshold_changed,
            "ProposalCreated": self._proposal_created,
            "VoteCast": self._vote_cast,
            "ProposalExecuted": self._proposal_executed,
            "ProposalCancelled": self._proposal_cancelled,
            "AgencyRegistered": self._agency_registered,
            "AgencySuspended": self._agency_suspended,
            "AgencyReinstated": self._agency_reinstated,
            "CertificateTypeGranted": self._certificate_type_granted,
            "CertificateTypeRevoked": self._certificate_type_revoked,
            "SigningKeyAdded": self._signing_key_added,
            "SigningKeyRevoked": self._signing_key_revoked,
            "BatchAnchored": self._batch_anchored,
            "BatchRevoked": self._batch_revoked,
            **{name: self._status_change for name in _STATUS_EVENTS},
            "RecognitionRuleSet": self._recognition_rule_set,
            "RecognitionRuleRevoked": self._recognition_rule_revoked,
        }
        self._blocks: OrderedDict[int, tuple[str, int]] = OrderedDict()
        self._lock = threading.RLock()
        self._chain_readers: LruDict[int, ChainReader] = LruDict(CHAIN_READERS)
        try:
            self.engine = _engine(url)
            self._prepare()
        except SQLAlchemyError as exc:
            raise IndexerError(f"cannot open the index database: {exc}") from exc

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Indexer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ state

    def _identity(self) -> dict[str, Any]:
        d = self.deployment
        contracts = json.dumps({name: self._contracts[name].address for name in sorted(self._contracts)})
        return {
            "chain_id": d.chain_id,
            "deployment_block": d.block_number,
            "deployment_hash": HexBytes(d.block_hash).to_0x_hex(),
            "contracts": contracts,
        }

    def _prepare(self) -> None:
        """Create the tables; drop an index of another schema version or deployment."""
        with self.engine.begin() as conn:
            metadata.create_all(conn, tables=[index_state])
            row = conn.execute(select(index_state).where(index_state.c.id == 1)).mappings().first()
        if row is not None and row["schema_version"] != SCHEMA_VERSION:
            log.info("index schema %s differs from %s: dropping it", row["schema_version"], SCHEMA_VERSION)
            with self.engine.begin() as conn:
                metadata.drop_all(conn)
            row = None
        with self.engine.begin() as conn:
            metadata.create_all(conn)
        identity = self._identity()
        if row is None:
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(index_state).values(id=1, schema_version=SCHEMA_VERSION, **self._fresh()))
            except IntegrityError:  # another process created it first
                pass
        elif any(row[k] != v for k, v in identity.items()):
            log.warning("the index belongs to another chain or deployment: rebuilding it")
            try:
                self._reset(_State(int(row["last_block"]), row["last_hash"]))
            except _Conflict:  # another process rebuilt or moved it meanwhile: the next sync checks again
                pass

    def _fresh(self) -> dict[str, Any]:
        return {
            **self._identity(),
            "last_block": self.deployment.block_number - 1,
            "last_hash": None,
            "threshold": None,
        }

    def _state(self) -> _State:
        with self.engine.connect() as conn:
            row = conn.execute(select(index_state.c.last_block, index_state.c.last_hash)).first()
        if row is None:
            return _State(self.deployment.block_number - 1, None)
        return _State(int(row[0]), row[1])

    def _reset(self, seen: _State) -> _State:
        """Empty every table and start again from the deployment block (one transaction)."""
        self._blocks.clear()
        self._chain_readers = LruDict(CHAIN_READERS)
        with self.engine.begin() as conn:
            moved = conn.execute(
                update(index_state)
                .where(index_state.c.id == 1, index_state.c.last_block == seen.last_block)
                .values(**self._fresh())
            )
            if moved.rowcount != 1:
                raise _Conflict
            for table in reversed(DATA_TABLES):
                conn.execute(delete(table))
        return _State(self.deployment.block_number - 1, None)

    def position(self) -> tuple[int, str | None]:
        """`(indexed_block, indexed_block_hash)`, read together."""
        state = self._state()
        return state.last_block, state.last_hash

    @property
    def indexed_block(self) -> int:
        """The last block whose events are in the index (the deployment block less one before any sync)."""
        return self._state().last_block

    @property
    def indexed_block_hash(self) -> str | None:
        """The hash of `indexed_block` as it was when indexed (`None` before any sync)."""
        return self._state().last_hash

    def head(self) -> int:
        """The chain's latest block number."""
        try:
            return int(self.w3.eth.block_number)
        except (Web3Exception, OSError) as exc:
            raise ChainError(f"cannot read the chain's head: {exc}") from exc

    # ------------------------------------------------------------------ syncing

    def sync(self, to_block: int | None = None) -> int:
        """Index every event up to `to_block` (default: the head less `confirmations`); the last indexed block."""
        with self._lock:
            for _ in range(100):
                try:
                    return self._sync(to_block)
                except _Conflict:
                    continue
                except (Web3Exception, OSError) as exc:
                    raise ChainError(f"indexing failed reading the chain: {exc}") from exc
                except SQLAlchemyError as exc:
                    raise IndexerError(f"indexing failed writing the index: {exc}") from exc
            raise IndexerError("the index kept changing under this indexer (100 attempts)")

    def _sync(self, to_block: int | None) -> int:
        state = self._check_chain()
        target = self.head() - self.confirmations
        if to_block is not None:
            target = min(target, to_block)
        while state.last_block < target:
            lo = state.last_block + 1
            hi = min(target, lo + self.batch_blocks - 1)
            state = self._index_range(state, lo, hi)
        return state.last_block

    def _check_chain(self) -> _State:
        """The stored position, after a rebuild if it no longer fits the chain: another chain or deployment, or
        a last block whose hash changed (reorganisation, reset chain) or that no longer exists."""
        with self.engine.connect() as conn:
            row = conn.execute(select(index_state).where(index_state.c.id == 1)).mappings().first()
        if row is None:
            self._prepare()
            raise _Conflict
        state = _State(int(row["last_block"]), row["last_hash"])
        if any(row[k] != v for k, v in self._identity().items()):
            log.warning("the index belongs to another chain or deployment: rebuilding it")
            return self._reset(state)
        if state.last_hash is None:
            return state
        try:
            current = self._block(state.last_block, fresh=True)[0]
        except BlockNotFound:
            current = None
        if current != state.last_hash:
            log.warning("block %d changed (%s → %s): rebuilding the index", state.last_block, state.last_hash, current)
            return self._reset(state)
        return state

    def _block(self, number: int, *, fresh: bool = False) -> tuple[str, int]:
        """(hash, timestamp) of a block, memoised."""
        if not fresh and number in self._blocks:
            self._blocks.move_to_end(number)
            return self._blocks[number]
        info = self.w3.eth.get_block(number)
        value = (HexBytes(info["hash"]).to_0x_hex(), int(info["timestamp"]))
        self._blocks[number] = value
        while len(self._blocks) > 4096:
            self._blocks.popitem(last=False)
        return value

    def _logs(self, lo: int, hi: int) -> list[Any]:
        params = cast(FilterParams, {"address": self._addresses, "fromBlock": lo, "toBlock": hi})
        try:
            return list(self.w3.eth.get_logs(params))
        except Web3RPCError:
            if lo == hi:
                raise
            mid = (lo + hi) // 2  # the node refused the range (too many results, range limit): halve it
            return self._logs(lo, mid) + self._logs(mid + 1, hi)

    def _decode(self, raw: Sequence[Any]) -> list[_Log]:
        out: list[_Log] = []
        for entry in sorted(raw, key=lambda e: (int(e["blockNumber"]), int(e["logIndex"]))):
            if entry.get("removed"):
                raise _Conflict
            number = int(entry["blockNumber"])
            stamp = entry.get("blockTimestamp")  # newer nodes put it in logs: no block fetch needed
            if stamp is not None:
                timestamp = int(stamp, 16) if isinstance(stamp, str) else int(stamp)
            else:
                block_hash, timestamp = self._block(number)
                if HexBytes(entry["blockHash"]).to_0x_hex() != block_hash:
                    self._blocks.pop(number, None)
                    raise _Conflict  # the chain reorganised while this range was read
            topics = entry.get("topics") or []
            key = (str(entry["address"]).lower(), HexBytes(topics[0]).to_0x_hex() if topics else "")
            decoder = self._decoders.get(key)
            if decoder is None:
                continue
            contract, ev = decoder
            decoded = ev.process_log(entry)
            out.append(
                _Log(
                    contract=contract,
                    name=str(decoded["event"]),
                    args=dict(decoded["args"]),
                    block=number,
                    log_index=int(entry["logIndex"]),
                    tx_hash=HexBytes(entry["transactionHash"]).to_0x_hex(),
                    timestamp=timestamp,
                )
            )
        return out

    def _index_range(self, state: _State, lo: int, hi: int) -> _State:
        """Apply the logs of blocks `lo..hi` and record `hi` as indexed, in one transaction."""
        try:
            before = self._block(hi, fresh=True)[0]
            logs = self._decode(self._logs(lo, hi))
            after = self._block(hi, fresh=True)[0]
        except BlockNotFound:
            raise _Conflict from None  # the chain got shorter since its head was read
        if before != after:
            raise _Conflict
        with self.engine.begin() as conn:
            moved = conn.execute(
                update(index_state)
                .where(index_state.c.id == 1, index_state.c.last_block == state.last_block)
                .values(last_block=hi, last_hash=after)
            )
            if moved.rowcount != 1:
                raise _Conflict
            for entry in logs:
                self._apply(conn, entry)
        if logs:
            log.debug("indexed blocks %d-%d: %d events", lo, hi, len(logs))
        return _State(hi, after)

    def _apply(self, conn: Connection, entry: _Log) -> None:
        """Write one event: its row in `events` and its effect on the derived tables."""
        conn.execute(
            insert(events).values(
                block=entry.block,
                log_index=entry.log_index,
                tx_hash=entry.tx_hash,
                contract=entry.contract,
                event=entry.name,
                args=json.dumps(_jsonable(entry.args), ensure_ascii=False, sort_keys=True),
                timestamp=entry.timestamp,
            )
        )
        handler = self._handlers.get(entry.name)
        if handler is not None:
            handler(conn, entry)

    def run(self, stop: threading.Event, poll_interval: float = 0.2) -> None:
        """Keep the index at the head until `stop` is set (for a thread); failures are logged and retried."""
        backoff = poll_interval
        while not stop.is_set():
            try:
                self.sync()
                backoff = poll_interval
            except Exception as exc:  # noqa: BLE001 (a follower thread must outlive a failing node or database)
                log.warning("index sync failed (retrying in %.1fs): %s", backoff, exc)
                stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            # Until the next poll, or sooner when a reader waits for a block it knows was mined (`wake`).
            if self._wake.wait(poll_interval):
                self._wake.clear()

    def wake(self) -> None:
        """Ask the thread in `run` to sync now (a writer waits to read its own write)."""
        self._wake.set()

    # ------------------------------------------------------------------ event handlers: Consortium

    def _province_admitted(self, conn: Connection, e: _Log) -> None:
        code = int(e.args["code"])
        values = {"name": str(e.args["name"]), "status": ProvinceStatus.ACTIVE, "status_since": e.timestamp}
        existing = conn.execute(select(provinces.c.epoch).where(provinces.c.code == code)).scalar()
        if existing is None:
            conn.execute(insert(provinces).values(code=code, epoch=1, admitted_block=e.block, **values))
        else:
            conn.execute(update(provinces).where(provinces.c.code == code).values(epoch=existing + 1, **values))

    def _province_status(self, conn: Connection, e: _Log, status: ProvinceStatus) -> None:
        code = int(e.args["code"])
        conn.execute(update(provinces).where(provinces.c.code == code).values(status=status, status_since=e.timestamp))

    def _province_suspended(self, conn: Connection, e: _Log) -> None:
        self._province_status(conn, e, ProvinceStatus.SUSPENDED)

    def _province_reinstated(self, conn: Connection, e: _Log) -> None:
        self._province_status(conn, e, ProvinceStatus.ACTIVE)

    def _province_removed(self, conn: Connection, e: _Log) -> None:
        self._province_status(conn, e, ProvinceStatus.REMOVED)

    def _province_admin_added(self, conn: Connection, e: _Log) -> None:
        account = str(e.args["account"])
        conn.execute(delete(province_admins).where(province_admins.c.account == account))
        conn.execute(
            insert(province_admins).values(
                account=account, code=int(e.args["code"]), block=e.block, log_index=e.log_index
            )
        )

    def _province_admin_removed(self, conn: Connection, e: _Log) -> None:
        conn.execute(delete(province_admins).where(province_admins.c.account == str(e.args["account"])))

    def _threshold_changed(self, conn: Connection, e: _Log) -> None:
        conn.execute(update(index_state).where(index_state.c.id == 1).values(threshold=int(e.args["newThreshold"])))

    def _proposal_created(self, conn: Connection, e: _Log) -> None:
        conn.execute(
            insert(proposals).values(
                id=int(e.args["proposalId"]),
                proposer=int(e.args["proposer"]),
                target=str(e.args["target"]),
                data=_hex(e.args["data"]),
                expires_at=int(e.args["expiresAt"]),
                description=str(e.args["description"]),
                created_at=e.timestamp,
                block=e.block,
            )
        )

    def _vote_cast(self, conn: Connection, e: _Log) -> None:
        conn.execute(
            insert(votes).values(
                block=e.block,
                log_index=e.log_index,
                proposal_id=int(e.args["proposalId"]),
                province=int(e.args["province"]),
                voter=str(e.args["voter"]),
                timestamp=e.timestamp,
            )
        )

    def _proposal_executed(self, conn: Connection, e: _Log) -> None:
        conn.execute(
            update(proposals)
            .where(proposals.c.id == int(e.args["proposalId"]))
            .values(executed_at=e.timestamp, executor=str(e.args["executor"]))
        )

    def _proposal_cancelled(self, conn: Connection, e: _Log) -> None:
        conn.execute(
            update(proposals).where(proposals.c.id == int(e.args["proposalId"])).values(cancelled_at=e.timestamp)
        )

    # ------------------------------------------------------------------ event handlers: AuthorityRegistry

    def _agency_registered(self, conn: Connection, e: _Log) -> None:
        parent = _opt_address(str(e.args["parent"]))
        province = int(e.args["province"])
        depth = 1
        if parent is not None:
            depth = int(conn.execute(select(agencies.c.depth).where(agencies.c.account == parent)).scalar() or 0) + 1
        epoch = conn.execute(select(provinces.c.epoch).where(provinces.c.code == province)).scalar() or 0
        conn.execute(
            insert(agencies).values(
                account=str(e.args["agency"]),
                province=province,
                parent=parent,
                region=int(e.args["region"]),
                depth=depth,
                epoch=int(epoch),
                name=str(e.args["name"]),
                status=AgencyStatus.ACTIVE,
                status_since=e.timestamp,
                status_reason=0,
                registered_at=e.timestamp,
                block=e.block,
                log_index=e.log_index,
            )
        )

    def _agency_suspended(self, conn: Connection, e: _Log) -> None:
        conn.execute(
            update(agencies)
            .where(agencies.c.account == str(e.args["agency"]))
            .values(status=AgencyStatus.SUSPENDED, status_since=e.timestamp, status_reason=int(e.args["reason"]))
        )

    def _agency_reinstated(self, conn: Connection, e: _Log) -> None:
        conn.execute(
            update(agencies)
            .where(agencies.c.account == str(e.args["agency"]))
            .values(status=AgencyStatus.ACTIVE, status_since=e.timestamp, status_reason=0)
        )

    def _certificate_type_granted(self, conn: Connection, e: _Log) -> None:
        conn.execute(
            insert(agency_types).values(
                agency=str(e.args["agency"]),
                certificate_type=decode_code(e.args["certificateType"]) or "",
                granted_at=e.timestamp,
                granted_by=str(e.args["by"]),
                block=e.block,
                log_index=e.log_index,
            )
        )

    def _certificate_type_revoked(self, conn: Connection, e: _Log) -> None:
        code = decode_code(e.args["certificateType"]) or ""
        conn.execute(
            delete(agency_types).where(
                agency_types.c.agency == str(e.args["agency"]), agency_types.c.certificate_type == code
            )
        )

    def _signing_key_added(self, conn: Connection, e: _Log) -> None:
        conn.execute(
            insert(signing_keys).values(
                key_id=_hex(e.args["keyId"]),
                agency=str(e.args["agency"]),
                algorithm=int(e.args["algorithm"]),
                valid_from=int(e.args["validFrom"]),
                valid_until=int(e.args["validUntil"]),
                public_key=_hex(e.args["publicKey"]),
                added_at=e.timestamp,
                block=e.block,
            )
        )

    def _signing_key_revoked(self, conn: Connection, e: _Log) -> None:
        conn.execute(
            update(signing_keys)
            .where(signing_keys.c.key_id == _hex(e.args["keyId"]))
            .values(valid_until=int(e.args["validUntil"]), revoked_at=e.timestamp)
        )

    # ------------------------------------------------------------------ event handlers: CertificateRegistry

    def _batch_anchored(self, conn: Connection, e: _Log) -> None:
        conn.execute(
            insert(batches).values(
                agency=str(e.args["agency"]),
                root=_hex(e.args["root"]),
                count=int(e.args["count"]),
                manifest_cid=str(e.args["manifestCid"]),
                anchored_at=e.timestamp,
                block=e.block,
                log_index=e.log_index,
                tx_hash=e.tx_hash,
                revoke_reason=0,
            )
        )

    def _batch_revoked(self, conn: Connection, e: _Log) -> None:
        conn.execute(
            update(batches)
            .where(batches.c.agency == str(e.args["agency"]), batches.c.root == _hex(e.args["root"]))
            .values(
                revoked_at=e.timestamp,
                revoke_reason=int(e.args["reason"]),
                revoked_by=str(e.args["by"]),
                revoke_block=e.block,
                revoke_tx_hash=e.tx_hash,
            )
        )

    def _status_change(self, conn: Connection, e: _Log) -> None:
        kind, status = _STATUS_EVENTS[e.name]
        agency, digest = str(e.args["agency"]), _hex(e.args["digest"])
        successor = _opt_hex32(e.args["successor"]) if "successor" in e.args else None
        key = and_(certificate_status.c.agency == agency, certificate_status.c.digest == digest)
        previous = conn.execute(select(certificate_status.c.successor).where(key)).first()
        carried = successor or (previous[0] if previous is not None else None)
        reason = int(e.args["reason"])
        conn.execute(
            insert(certificate_events).values(
                block=e.block,
                log_index=e.log_index,
                digest=digest,
                agency=agency,
                kind=kind,
                status=status,
                reason=reason,
                successor=successor,
                record_successor=carried,
                actor=str(e.args["by"]),
                tx_hash=e.tx_hash,
                timestamp=e.timestamp,
            )
        )
        record = {"status": status, "reason": reason, "updated_at": e.timestamp, "successor": carried, "block": e.block}
        if previous is None:
            conn.execute(insert(certificate_status).values(agency=agency, digest=digest, **record))
        else:
            conn.execute(update(certificate_status).where(key).values(**record))

    # ------------------------------------------------------------------ event handlers: RecognitionRegistry

    def _recognition_rule_set(self, conn: Connection, e: _Log) -> None:
        conn.execute(
            insert(recognition_rules).values(
                id=int(e.args["ruleId"]),
                accepting_province=int(e.args["acceptingProvince"]),
                issuing_province=int(e.args["issuingProvince"]) or None,
                certificate_type=decode_code(e.args["certificateType"]) or "",
                service_item=decode_code(e.args["serviceItem"]),
                effective_from=int(e.args["effectiveFrom"]),
                effective_until=int(e.args["effectiveUntil"]),
                created_at=e.timestamp,
                legal_basis=str(e.args["legalBasis"]),
                block=e.block,
                tx_hash=e.tx_hash,
            )
        )

    def _recognition_rule_revoked(self, conn: Connection, e: _Log) -> None:
        conn.execute(
            update(recognition_rules)
            .where(recognition_rules.c.id == int(e.args["ruleId"]))
            .values(revoked_at=e.timestamp, revoked_by=str(e.args["by"]))
        )

    # ------------------------------------------------------------------ queries

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise IndexerError(f"the index database failed: {exc}") from exc

    def status(self, agency: str, digest: bytes | str, *, at_block: int | None = None) -> StatusRecord:
        """The status record of `digest` among `agency`'s certificates, as `statusOf` answers it (VALID, updated
        at 0, when it never changed); at `at_block` if given (from the status history), else now."""
        a, d = _address(agency), _b32(digest, "digest")
        with self._read() as conn:
            if at_block is None:
                row = conn.execute(
                    select(
                        certificate_status.c.status,
                        certificate_status.c.reason,
                        certificate_status.c.updated_at,
                        certificate_status.c.successor,
                    ).where(certificate_status.c.agency == a, certificate_status.c.digest == d)
                ).first()
            else:
                ce = certificate_events.c
                row = conn.execute(
                    select(ce.status, ce.reason, ce.timestamp, ce.record_successor)
                    .where(ce.agency == a, ce.digest == d, ce.block <= at_block)
                    .order_by(ce.block.desc(), ce.log_index.desc())
                    .limit(1)
                ).first()
        if row is None:
            return _VALID
        return StatusRecord(CertificateStatus(row[0]), int(row[1]), int(row[2]), _bytes(row[3]))

    def statuses(self, agency: str, *, at_block: int | None = None) -> dict[bytes, StatusRecord]:
        """Every changed status record of `agency`'s certificates (digest → record), now or at `at_block`."""
        ce = certificate_events.c
        query = select(ce.digest, ce.status, ce.reason, ce.timestamp, ce.record_successor).where(
            ce.agency == _address(agency)
        )
        if at_block is not None:
            query = query.where(ce.block <= at_block)
        with self._read() as conn:
            rows = conn.execute(query.order_by(ce.block, ce.log_index)).all()
        return {
            bytes.fromhex(r[0][2:]): StatusRecord(CertificateStatus(r[1]), int(r[2]), int(r[3]), _bytes(r[4]))
            for r in rows
        }

    def history(self, digest: bytes | str) -> list[dict[str, Any]]:
        """Every status change of `digest` (under any agency), oldest first."""
        ce = certificate_events.c
        with self._read() as conn:
            rows = conn.execute(
                select(certificate_events).where(ce.digest == _b32(digest, "digest")).order_by(ce.block, ce.log_index)
            ).mappings()
            return [
                {
                    "digest": r["digest"],
                    "agency": r["agency"],
                    "kind": r["kind"],
                    "status": CertificateStatus(r["status"]).name.lower(),
                    "reason": r["reason"],
                    "successor": r["successor"],
                    "by": r["actor"],
                    "block": r["block"],
                    "log_index": r["log_index"],
                    "tx_hash": r["tx_hash"],
                    "timestamp": r["timestamp"],
                }
                for r in rows
            ]

    def batch(self, agency: str, root: bytes | str, *, at_block: int | None = None) -> Batch:
        """A batch as `CertificateRegistry.batch` answers it (`anchored_at` 0 for a root never anchored by
        `agency`), now or at `at_block`."""
        a, r = _address(agency), _b32(root, "root")
        b = batches.c
        query = select(b.anchored_at, b.count, b.revoked_at, b.revoke_reason, b.revoke_block).where(
            b.agency == a, b.root == r
        )
        if at_block is not None:
            query = query.where(b.block <= at_block)
        with self._read() as conn:
            row = conn.execute(query).first()
        raw_root = bytes.fromhex(r[2:])
        if row is None:
            return Batch(agency=a, root=raw_root, anchored_at=0, count=0, revoked_at=None, revoke_reason=0)
        revoked = row[2] is not None and (at_block is None or row[4] <= at_block)
        return Batch(
            agency=a,
            root=raw_root,
            anchored_at=int(row[0]),
            count=int(row[1]),
            revoked_at=int(row[2]) if revoked else None,
            revoke_reason=int(row[3]) if revoked else 0,
        )

    def batches(self, agency: str | None = None, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """Anchored batches, newest first, optionally of one agency."""
        b = batches.c
        query = select(batches).order_by(b.block.desc(), b.log_index.desc()).limit(max(0, limit)).offset(max(0, offset))
        if agency is not None:
            query = query.where(b.agency == _address(agency))
        with self._read() as conn:
            return [{k: v for k, v in row.items() if k not in ("log_index",)} for row in conn.execute(query).mappings()]

    def provinces(self) -> list[dict[str, Any]]:
        """The consortium's provinces (by code) with status, epoch and admin accounts."""
        with self._read() as conn:
            rows = conn.execute(select(provinces).order_by(provinces.c.code)).mappings().all()
            admins = conn.execute(
                select(province_admins.c.code, province_admins.c.account).order_by(
                    province_admins.c.block, province_admins.c.log_index
                )
            ).all()
        by_code: dict[int, list[str]] = {}
        for code, account in admins:
            by_code.setdefault(int(code), []).append(account)
        return [
            {
                "code": r["code"],
                "name": r["name"],
                "status": ProvinceStatus(r["status"]).name.lower(),
                "status_since": r["status_since"],
                "epoch": r["epoch"],
                "admins": by_code.get(r["code"], []),
            }
            for r in rows
        ]

    def agencies(self, province: int | None = None, certificate_type: str | None = None) -> list[dict[str, Any]]:
        """Registered agencies in registration order, optionally of one province or holding one type."""
        with self._read() as conn:
            query = select(agencies).order_by(agencies.c.block, agencies.c.log_index)
            rows: list[dict[str, Any]] = [dict(r) for r in conn.execute(query).mappings()]
            grants = conn.execute(
                select(agency_types.c.agency, agency_types.c.certificate_type).order_by(
                    agency_types.c.block, agency_types.c.log_index
                )
            ).all()
            states = {
                int(code): (int(status), int(epoch))
                for code, status, epoch in conn.execute(select(provinces.c.code, provinces.c.status, provinces.c.epoch))
            }
        by_account = {r["account"]: r for r in rows}
        types: dict[str, list[str]] = {}
        for account, code in grants:
            types.setdefault(account, []).append(code)
        children: dict[str, list[str]] = {}
        for r in rows:
            if r["parent"] is not None:
                children.setdefault(r["parent"], []).append(r["account"])

        def effectively_active(row: Mapping[str, Any]) -> bool:
            status, epoch = states.get(int(row["province"]), (0, 0))
            if status != ProvinceStatus.ACTIVE or epoch != row["epoch"]:
                return False
            cursor: Mapping[str, Any] | None = row
            while cursor is not None:
                if cursor["status"] != AgencyStatus.ACTIVE:
                    return False
                cursor = by_account.get(cursor["parent"]) if cursor["parent"] else None
            return True

        out = []
        for r in rows:
            if province is not None and r["province"] != province:
                continue
            granted = types.get(r["account"], [])
            if certificate_type is not None and certificate_type not in granted:
                continue
            out.append(
                {
                    "account": r["account"],
                    "parent": r["parent"],
                    "province": r["province"],
                    "region": r["region"],
                    "depth": r["depth"],
                    "name": r["name"],
                    "status": AgencyStatus(r["status"]).name.lower(),
                    "status_since": r["status_since"],
                    "effectively_active": effectively_active(r),
                    "children": children.get(r["account"], []),
                    "certificate_types": granted,
                    "registered_at": r["registered_at"],
                }
            )
        return out

    def signing_keys(self, agency: str | None = None) -> list[dict[str, Any]]:
        """Registered signing keys, in registration order, optionally of one agency."""
        k = signing_keys.c
        query = select(signing_keys).order_by(k.block, k.key_id)
        if agency is not None:
            query = query.where(k.agency == _address(agency))
        with self._read() as conn:
            return [
                {**row, "algorithm": KeyAlgorithm(row["algorithm"]).name.lower()}
                for row in conn.execute(query).mappings()
            ]

    def rules(
        self,
        accepting: int | None = None,
        issuing: int | None = None,
        certificate_type: str | None = None,
        in_force_at: int | None = None,
    ) -> list[dict[str, Any]]:
        """Recognition rules by id. `issuing` also matches rules accepting any issuing province; `in_force_at`
        keeps rules in force at that time (effective window, not revoked by then)."""
        r = recognition_rules.c
        query = select(recognition_rules).order_by(r.id)
        if accepting is not None:
            query = query.where(r.accepting_province == accepting)
        if issuing is not None:
            query = query.where(or_(r.issuing_province == issuing, r.issuing_province.is_(None)))
        if certificate_type is not None:
            query = query.where(r.certificate_type == certificate_type)
        if in_force_at is not None:
            query = query.where(
                r.effective_from <= in_force_at,
                r.effective_until > in_force_at,
                or_(r.revoked_at.is_(None), r.revoked_at > in_force_at),
            )
        with self._read() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def proposals(self) -> list[dict[str, Any]]:
        """Consortium proposals by id, with the provinces that voted (in order)."""
        with self._read() as conn:
            rows = conn.execute(select(proposals).order_by(proposals.c.id)).mappings().all()
            cast_votes = conn.execute(
                select(votes.c.proposal_id, votes.c.province).order_by(votes.c.block, votes.c.log_index)
            ).all()
        voters: dict[int, list[int]] = {}
        for proposal_id, province in cast_votes:
            voters.setdefault(int(proposal_id), []).append(int(province))
        return [{**row, "voters": voters.get(int(row["id"]), [])} for row in rows]

    def certificate_counts(self, agency: str | None = None) -> dict[str, int]:
        """Batches and certificates anchored, batches revoked, and certificates by changed status."""
        b, s = batches.c, certificate_status.c
        batch_query = select(func.count(), func.coalesce(func.sum(b.count), 0), func.count(b.revoked_at))
        status_query = select(s.status, func.count()).group_by(s.status)
        if agency is not None:
            batch_query = batch_query.where(b.agency == _address(agency))
            status_query = status_query.where(s.agency == _address(agency))
        with self._read() as conn:
            n_batches, n_certificates, n_revoked = conn.execute(batch_query).one()
            by_status = {CertificateStatus(st): int(n) for st, n in conn.execute(status_query)}
        return {
            "batches": int(n_batches),
            "certificates": int(n_certificates),
            "revoked_batches": int(n_revoked),
            "suspended": by_status.get(CertificateStatus.SUSPENDED, 0),
            "revoked": by_status.get(CertificateStatus.REVOKED, 0),
            "superseded": by_status.get(CertificateStatus.SUPERSEDED, 0),
        }

    # ------------------------------------------------------------------ readers

    def chain_reader(self, block: int, block_hash: str | None = None) -> ChainReader:
        """A `ChainReader` at `block`, shared by the readers of that block (its reads are memoised); the readers
        of the last `CHAIN_READERS` blocks asked about are kept."""
        reader = self._chain_readers.get(block)
        if reader is None or block_hash is not None and reader.block_hash != block_hash:
            reader = ChainReader(self.client, block)
            self._chain_readers[block] = reader
        if block_hash is not None and reader.block_hash != block_hash:
            raise IndexerError(f"block {block} changed on the chain since it was indexed: sync the index")
        return reader


def _bytes(value: str | None) -> bytes | None:
    return None if value is None else bytes.fromhex(value[2:])


class IndexReader(ChainReader):
    """The verifier's reader answered from the index at its last indexed block: a drop-in for `ChainReader`.

    Batches and certificate statuses come from the index, as they stood at the indexed block (even while the
    indexer moves on); batch reads are memoised (bounded, like a `ChainReader`'s). Agency and province records,
    `can_issue_at`, signing keys and recognition questions, which depend on timestamped histories kept by the
    contracts, are read from the chain at the same block through the indexer's shared, memoised `ChainReader`.
    `ChainReader.__init__` is not called: it would fetch the block from the chain.
    """

    def __init__(self, indexer: Indexer, client: HurongClient | None = None) -> None:
        self.indexer = indexer
        self.client = client or indexer.client
        block, block_hash = indexer.position()
        if block_hash is None or block < self.client.deployment.block_number:
            raise IndexerError("nothing is indexed yet: sync the index first")
        self.block_number = block
        self.block_hash = block_hash
        self._timestamp = -1
        self.chain_id = self.client.deployment.chain_id
        self.registry = self.client.certificates.address
        self._statuses: LruDict[str, dict[bytes, StatusRecord]] = LruDict(STATUS_CACHE_AGENCIES)
        n = self.block_number
        self.batch: Callable[[str, bytes], Batch] = memoised(lambda a, r: indexer.batch(a, r, at_block=n))
        self.agency = lambda account: self._chain().agency(account)
        self.can_issue_at = lambda a, t, when: self._chain().can_issue_at(a, t, when)
        self.signing_key = lambda key_id: self._chain().signing_key(key_id)
        self.accepts = lambda acc, iss, t, s, when: self._chain().accepts(acc, iss, t, s, when)
        self.province = lambda code: self._chain().province(code)

    def _chain(self) -> ChainReader:
        return self.indexer.chain_reader(self.block_number, self.block_hash)

    @property
    def timestamp(self) -> int:
        """The time of the indexed block (read from the chain once, when first asked)."""
        if self._timestamp < 0:
            self._timestamp = self._chain().timestamp
        return self._timestamp

    def _status_of(self, agency: str, digest: bytes) -> StatusRecord:
        statuses = self._statuses.get(agency)
        if statuses is not None:
            return statuses.get(digest, _VALID)
        return self.indexer.status(agency, digest, at_block=self.block_number)

    def prefetch_statuses(self, agency: str) -> None:
        """Load every changed status of `agency`'s certificates at this block in one query."""
        if agency not in self._statuses:
            self._statuses[agency] = self.indexer.statuses(agency, at_block=self.block_number)

    def memos(self) -> dict[str, Any]:
        """The memoised reads of this reader and of the shared chain reader it delegates to, and the status map."""
        shared = self.indexer.chain_reader(self.block_number, self.block_hash).memos()
        return {**{f"chain.{k}": v for k, v in shared.items()}, "batch": self.batch, "statuses": self._statuses}
