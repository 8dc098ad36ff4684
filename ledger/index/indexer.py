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

This module holds the sync loop (`Indexer`); the tables are in `ledger.index.tables`, the event handlers in
`ledger.index.handlers`, the query API in `ledger.index.queries` and the reader in `ledger.index.reader`. The
names importers used from here before the split stay importable from here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, cast

from hexbytes import HexBytes
from sqlalchemy import Connection, insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from web3.exceptions import BlockNotFound, Web3Exception, Web3RPCError
from web3.types import FilterParams

from ledger.chain.client import HurongClient
from ledger.errors import ChainError
from ledger.errors import IndexerError as IndexerError
from ledger.index.handlers import EventLog, apply_event, event_decoders
from ledger.index.position import PositionReader
from ledger.index.queries import IndexQueries
from ledger.index.reader import IndexReader as IndexReader
from ledger.index.tables import SCHEMA_VERSION as SCHEMA_VERSION
from ledger.index.tables import IndexState, claim, clear_data, open_engine, read_position, read_state_row
from ledger.index.tables import index_state as index_state
from ledger.index.tables import metadata as metadata
from ledger.index.writer_lock import WriterLock
from ledger.issuance.sqlite_files import create_tables
from ledger.toolchain.compiler import CONTRACT_NAMES
from ledger.verification.reader import ChainReader, LruDict

__all__ = ["CHAIN_READERS", "SCHEMA_VERSION", "IndexReader", "Indexer", "IndexerError", "index_state", "metadata"]

log = logging.getLogger("hurong.indexer")

#: Chain readers (with their memoised reads) an indexer keeps for the blocks its readers answer at: the
#: indexed block and the few before it that requests still in flight may be using.
CHAIN_READERS = 4
#: Block hashes and timestamps an indexer remembers.
_BLOCK_CACHE = 4096


class _Conflict(Exception):
    """Another writer moved the index on, or the chain changed under a range: re-read and retry."""


class Indexer(IndexQueries):
    """Follows the deployment's events into the index database and answers queries from it.

    `sync()` brings the index up to the chain's head (less `confirmations`); `run(stop)` keeps it there from a
    thread. Queries (`IndexQueries`) read the committed index and never touch the chain.
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
        self._decoders = event_decoders(self._contracts)
        self._wake = threading.Event()
        self._blocks: OrderedDict[int, tuple[str, int]] = OrderedDict()
        self._lock = threading.RLock()
        self._chain_readers: LruDict[int, ChainReader] = LruDict(CHAIN_READERS)
        try:
            self.engine = open_engine(url)
            self._positions = PositionReader(self.engine)
            self._prepare()
        except SQLAlchemyError as exc:
            raise IndexerError(f"cannot open the index database: {exc}") from exc
        identity = self._identity()
        self.writer_lock = WriterLock(self.engine, f"{identity['chain_id']}:{identity['contracts']}")

    def close(self) -> None:
        """Release the writer lock and the database connections."""
        self.writer_lock.release()
        self._positions.close()
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

    def _create_tables(self, tables: Sequence[Any] | None = None) -> None:
        """Create the tables that are missing (`create_tables`: processes starting together race between the check
        and the creation, and the loser checks again)."""
        create_tables(self.engine, metadata, tables=tables, attempts=10)

    def _prepare(self) -> None:
        """Create the tables; drop an index of another schema version or deployment."""
        self._create_tables([index_state])
        with self.engine.connect() as conn:
            row = read_state_row(conn)
        if row is not None and row["schema_version"] != SCHEMA_VERSION:
            log.info("index schema %s differs from %s: dropping it", row["schema_version"], SCHEMA_VERSION)
            with self.engine.begin() as conn:
                metadata.drop_all(conn)
            row = None
        self._create_tables()
        identity = self._identity()
        if row is None:
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(index_state).values(id=1, schema_version=SCHEMA_VERSION, **self._fresh()))
            except IntegrityError:  # another process created it first
                pass
        elif any(row[k] != v for k, v in identity.items()):
            log.warning("the index belongs to another chain or deployment: rebuilding it")
            # Another process may rebuild or move it meanwhile (`_Conflict`): the next sync checks again.
            with contextlib.suppress(_Conflict):
                self._reset(IndexState(int(row["last_block"]), row["last_hash"]))

    def _fresh(self) -> dict[str, Any]:
        return {
            **self._identity(),
            "last_block": self.deployment.block_number - 1,
            "last_hash": None,
            "threshold": None,
        }

    def _state(self) -> IndexState:
        here, found = self._positions.read()
        if here:
            state = None if found is None else IndexState(*found)
        else:
            with self.engine.connect() as conn:
                state = read_position(conn)
        return IndexState(self.deployment.block_number - 1, None) if state is None else state

    def _reset(self, seen: IndexState) -> IndexState:
        """Empty every table and start again from the deployment block (one transaction)."""
        self._blocks.clear()
        self._chain_readers = LruDict(CHAIN_READERS)
        with self.engine.begin() as conn:
            if not claim(conn, seen.last_block, **self._fresh()):
                raise _Conflict
            clear_data(conn)
        return IndexState(self.deployment.block_number - 1, None)

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

    def _check_chain(self) -> IndexState:
        """The stored position, after a rebuild if it no longer fits the chain: another chain or deployment, or
        a last block whose hash changed (reorganisation, reset chain) or that no longer exists."""
        with self.engine.connect() as conn:
            row = read_state_row(conn)
        if row is None:
            self._prepare()
            raise _Conflict
        state = IndexState(int(row["last_block"]), row["last_hash"])
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
        while len(self._blocks) > _BLOCK_CACHE:
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

    def _decode(self, raw: Sequence[Any]) -> list[EventLog]:
        out: list[EventLog] = []
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
                EventLog(
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

    def _index_range(self, state: IndexState, lo: int, hi: int) -> IndexState:
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
            if not claim(conn, state.last_block, last_block=hi, last_hash=after):
                raise _Conflict
            for entry in logs:
                self._apply(conn, entry)
        if logs:
            log.debug("indexed blocks %d-%d: %d events", lo, hi, len(logs))
        return IndexState(hi, after)

    def _apply(self, conn: Connection, entry: EventLog) -> None:
        """Write one event: its row in `events` and its effect on the derived tables (`ledger.index.handlers`)."""
        apply_event(conn, entry)

    def run(self, stop: threading.Event, poll_interval: float = 0.2) -> None:
        """Keep the index at the head until `stop` is set (for a thread); failures are logged and retried.

        On a shared PostgreSQL index only the holder of the writer lock syncs (`role`); the others read what it
        commits and take over, within a poll, when its session ends."""
        backoff = poll_interval
        try:
            while not stop.is_set():
                if not self.writer_lock.held():
                    stop.wait(poll_interval)
                    continue
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
        finally:
            self.writer_lock.release()

    @property
    def role(self) -> str:
        """`writer` when this process's `run` writes the index (always on SQLite), `reader` when another process
        holding the shared index's writer lock does."""
        return self.writer_lock.role

    def wake(self) -> None:
        """Ask the thread in `run` to sync now (a writer waits to read its own write)."""
        self._wake.set()

    # ------------------------------------------------------------------ readers

    def chain_reader(self, block: int, block_hash: str | None = None) -> ChainReader:
        """A `ChainReader` at `block`, shared by the readers of that block (its reads are memoised); the readers
        of the last `CHAIN_READERS` blocks asked about are kept."""
        reader = self._chain_readers.get(block)
        if reader is None or (block_hash is not None and reader.block_hash != block_hash):
            reader = ChainReader(self.client, block)
            self._chain_readers[block] = reader
        if block_hash is not None and reader.block_hash != block_hash:
            raise IndexerError(f"block {block} changed on the chain since it was indexed: sync the index")
        return reader
