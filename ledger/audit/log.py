"""The tamper-evident usage log: the usage records of each province rolled, per period, into a Merkle root that
`UsageLog` anchors on chain; inclusion proofs of single records, their check against the chain, and the check of
a whole database against every anchored root.

A record's digest is the SHA-256 of its RFC 8785 (JCS) form over `RECORD_FIELDS`; its leaf is Hurong's leaf of
that digest (`ledger.certificates.merkle`), so the contract's `verify` and OpenZeppelin's `MerkleProof` accept
the proofs. A record belongs to the log of its accepting province, else of its issuing province (a record with
neither, an anonymous verification of an unreadable document, is kept but not anchored). Period `n` of an
interval `i` seconds holds the records with `n·i ≤ at < (n+1)·i`.

What was anchored is kept beside the records, in `usage_anchors` (one row per province and period, claimed by
one writer before its transaction is sent, so several service workers never anchor the same period twice).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import rfc8785
from sqlalchemy import (
    Column,
    ColumnElement,
    Engine,
    Float,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    and_,
    cast,
    column,
    delete,
    func,
    insert,
    select,
    table,
    update,
)
from sqlalchemy.exc import IntegrityError

from ledger.audit.contract import UsageLogClient
from ledger.certificates.merkle import MerkleTree, verify
from ledger.errors import ChainError, LedgerError, LedgerValueError
from ledger.issuance.sqlite_files import create_tables

log = logging.getLogger("hurong.audit")

#: The fields of a usage record that its digest covers, in the order the proofs print them.
RECORD_FIELDS = ("id", "at", "accepting_province", "caller_role", "caller_agency", "caller_province", "service_item",
                 "verdict", "failed", "issuing_province", "issuer", "certificate_type", "certificate_ref",
                 "duration_ms")  # fmt: skip
PROOF_VERSION = 1
#: The usage database in a service's home.
USAGE_FILE = "usage.sqlite"
#: A claim older than this (seconds) whose transaction never confirmed is checked against the chain again.
STALE_CLAIM = 600.0

records = table("usage_records", *(column(name) for name in RECORD_FIELDS))
metadata = MetaData()
anchors = Table(
    "usage_anchors",
    metadata,
    Column("province", String(6), nullable=False),
    Column("period", Integer, nullable=False),
    Column("interval", Integer, nullable=False),
    Column("root", String(66), nullable=False),
    Column("count", Integer, nullable=False),
    Column("state", String(8), nullable=False),  # sending | anchored
    Column("tx_hash", String(66)),
    Column("block_number", Integer),
    Column("claimed_at", Float, nullable=False),
    Column("anchored_at", Float),
    PrimaryKeyConstraint("province", "period", "interval"),
)


def record_digest(record: Mapping[str, Any]) -> bytes:
    """SHA-256 of the record's JCS form over `RECORD_FIELDS`."""
    try:
        return hashlib.sha256(rfc8785.dumps({name: record[name] for name in RECORD_FIELDS})).digest()
    except KeyError as exc:
        raise LedgerValueError(f"the record has no field {exc.args[0]}") from None
    except (rfc8785.CanonicalizationError, ValueError, TypeError) as exc:
        raise LedgerValueError(f"the record cannot be canonicalised: {exc}") from None


def _province_of() -> ColumnElement[Any]:
    return func.coalesce(records.c.accepting_province, records.c.issuing_province)


@dataclass(frozen=True)
class Anchored:
    province: str
    period: int
    interval: int
    root: bytes
    count: int
    tx_hash: str
    block_number: int
    latency: float  # seconds from the period's end to the anchor's confirmation


class AuditLog:
    """The anchoring side of the usage log, over the usage database."""

    def __init__(self, engine: Engine, interval: int = 3600, *, delay: float = 30.0, lookback: int = 48) -> None:
        if interval < 1:
            raise LedgerValueError("the anchoring interval is at least 1 second")
        self.engine = engine
        self.interval = interval
        self.delay = delay  # a period is rolled up this long after its end (records still queued in workers)
        self.lookback = lookback  # periods further back than this many are not anchored
        create_tables(engine, metadata)  # other workers may be creating them at the same moment

    # ------------------------------------------------------------------ trees

    def _in_period(self, province: str, period: int, interval: int) -> ColumnElement[bool]:
        start, end = period * interval, (period + 1) * interval
        return and_(_province_of() == province, records.c.at >= start, records.c.at < end)

    def records_of(self, province: str, period: int, interval: int | None = None) -> list[dict[str, Any]]:
        with self.engine.connect() as db:
            where = self._in_period(province, period, interval or self.interval)
            return [dict(r) for r in db.execute(select(records).where(where)).mappings()]

    def tree(self, province: str, period: int, interval: int | None = None) -> MerkleTree | None:
        digests = [record_digest(r) for r in self.records_of(province, period, interval)]
        return MerkleTree(digests) if digests else None

    def due(self, now: float | None = None) -> list[tuple[str, int]]:
        """The (province, period) pairs with records, ended at least `delay` ago, not yet claimed."""
        now = time.time() if now is None else now
        last = int((now - self.delay) // self.interval)  # the first period not yet over (with the delay)
        period = cast(records.c.at / self.interval, Integer)
        claimed = select(anchors.c.province, anchors.c.period).where(anchors.c.interval == self.interval)
        with self.engine.connect() as db:
            rows = db.execute(
                select(_province_of().label("province"), period.label("period")).distinct()
                .where(records.c.at >= (last - self.lookback) * self.interval, records.c.at < last * self.interval,
                       _province_of().is_not(None))
            ).all()  # fmt: skip
            taken = {(r.province, int(r.period)) for r in db.execute(claimed)}
        return sorted((r.province, int(r.period)) for r in rows if (r.province, int(r.period)) not in taken)

    # ------------------------------------------------------------------ anchoring

    def _claim(self, province: str, period: int, root: bytes, count: int) -> bool:
        try:
            with self.engine.begin() as db:
                db.execute(insert(anchors).values(province=province, period=period, interval=self.interval,
                                                  root="0x" + root.hex(), count=count, state="sending",
                                                  claimed_at=time.time()))  # fmt: skip
        except IntegrityError:
            return False
        return True

    def _key(self, province: str, period: int) -> ColumnElement[bool]:
        return and_(anchors.c.province == province, anchors.c.period == period, anchors.c.interval == self.interval)

    def _release(self, province: str, period: int) -> None:
        with self.engine.begin() as db:
            db.execute(delete(anchors).where(self._key(province, period), anchors.c.state == "sending"))

    def _confirm(self, province: str, period: int, tx_hash: str | None, block: int | None) -> float:
        now = time.time()
        with self.engine.begin() as db:
            db.execute(update(anchors).where(self._key(province, period))
                       .values(state="anchored", tx_hash=tx_hash, block_number=block, anchored_at=now))  # fmt: skip
        return now - (period + 1) * self.interval

    def anchor_due(
        self, client_for: Callable[[str], UsageLogClient | None], now: float | None = None
    ) -> list[Anchored]:
        """Anchor every due period whose province `client_for` gives a client (with an account allowed to
        anchor) for; what was anchored. A period another writer claimed is left to it; a transaction that fails
        releases the claim (logged), so the next round tries again."""
        self._settle_stale(client_for)
        done: list[Anchored] = []
        for province, period in self.due(now):
            client = client_for(province)
            tree = self.tree(province, period)
            if client is None or tree is None or not self._claim(province, period, tree.root, len(tree)):
                continue
            try:
                receipt = client.anchor(int(province), period, tree.root, len(tree)).wait()
            except LedgerError as exc:  # this period is tried again next round; the others go on
                self._release(province, period)
                log.warning("anchoring usage records of %s, period %d, failed: %s", province, period, exc)
                continue
            except BaseException:
                self._release(province, period)
                raise
            latency = self._confirm(province, period, receipt.tx_hash, receipt.block_number)
            done.append(Anchored(province, period, self.interval, tree.root, len(tree), receipt.tx_hash,
                                 receipt.block_number, latency))  # fmt: skip
        return done

    def _settle_stale(self, client_for: Callable[[str], UsageLogClient | None]) -> None:
        """Claims left `sending` by a writer that died: confirmed when the chain has their root, else released."""
        with self.engine.connect() as db:
            old = time.time() - STALE_CLAIM
            stale = db.execute(select(anchors).where(anchors.c.state == "sending", anchors.c.claimed_at < old)).all()
        for row in stale:
            client = client_for(row.province)
            if client is None:
                continue
            if client.root_of(int(row.province), int(row.period)) == bytes.fromhex(row.root[2:]):
                self._confirm(row.province, int(row.period), row.tx_hash, row.block_number)
            else:
                self._release(row.province, int(row.period))

    def anchored(self, since: float = 0.0) -> list[dict[str, Any]]:
        """The anchors confirmed at or after `since` (Unix seconds), oldest first."""
        with self.engine.connect() as db:
            rows = db.execute(select(anchors).where(anchors.c.state == "anchored", anchors.c.anchored_at >= since)
                              .order_by(anchors.c.anchored_at)).mappings().all()  # fmt: skip
        return [dict(r) for r in rows]

    # ------------------------------------------------------------------ proofs

    def prove(self, record_id: str, client: UsageLogClient, chain_id: int) -> dict[str, Any]:
        """The inclusion proof of record `record_id` in its anchored period, checked against the chain first:
        `LedgerValueError` when the record is unknown, not anchored yet, or its period's records no longer give the
        anchored root (a record of the period deleted or changed)."""
        with self.engine.connect() as db:
            row = db.execute(select(records).where(records.c.id == record_id)).mappings().first()
            if row is None:
                raise LedgerValueError(f"no usage record {record_id!r}")
            record = dict(row)
            province = record["accepting_province"] or record["issuing_province"]
            if province is None:
                raise LedgerValueError(f"usage record {record_id} names no province: it is not anchored")
            found = db.execute(select(anchors).where(
                anchors.c.province == province, anchors.c.state == "anchored",
                anchors.c.period * anchors.c.interval <= record["at"],
                (anchors.c.period + 1) * anchors.c.interval > record["at"])).first()  # fmt: skip
        if found is None:
            raise LedgerValueError(f"usage record {record_id} is not anchored yet (its period of province {province} "
                             "has not been rolled up)")  # fmt: skip
        period, interval = int(found.period), int(found.interval)
        tree = self.tree(province, period, interval)
        on_chain = client.root_of(int(province), period)
        if tree is None or on_chain is None or tree.root != on_chain:
            raise LedgerValueError(f"the usage records of province {province} in period {period} no longer match the "
                             "root anchored on chain: a record was deleted or changed")  # fmt: skip
        digest = record_digest(record)
        return {
            "version": PROOF_VERSION, "record": {name: record[name] for name in RECORD_FIELDS},
            "digest": "0x" + digest.hex(), "province": province, "period": period, "interval": interval,
            "periodStart": period * interval, "root": "0x" + tree.root.hex(), "count": len(tree),
            "proof": ["0x" + p.hex() for p in tree.proof(digest)],
            "chainId": chain_id, "contract": client.address,
            "anchor": {"txHash": found.tx_hash, "blockNumber": found.block_number},
        }  # fmt: skip

    def check(self, client: UsageLogClient) -> list[dict[str, Any]]:
        """Every anchored period whose records no longer give the root on chain (a record deleted, changed or
        added afterwards), with the count anchored and the count found."""
        with self.engine.connect() as db:
            rows = db.execute(select(anchors).where(anchors.c.state == "anchored")).mappings().all()
        broken = []
        for row in rows:
            province, period = row["province"], int(row["period"])
            tree = self.tree(province, period, int(row["interval"]))
            on_chain = client.root_of(int(province), period)
            if tree is None or on_chain is None or tree.root != on_chain:
                broken.append({"province": province, "period": period, "anchoredCount": int(row["count"]),
                               "foundCount": len(tree) if tree else 0})  # fmt: skip
        return broken


def _bytes32(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or len(value) != 66 or not value.startswith("0x"):
        raise LedgerValueError(f"{what} must be a 0x-prefixed 32-byte hex string")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise LedgerValueError(f"{what} must be a 0x-prefixed 32-byte hex string") from None


def verify_proof(proof: Any, client: UsageLogClient, chain_id: int) -> dict[str, Any]:
    """Check an inclusion proof of `prove` against the chain: the record gives the digest, the path leads from it
    to the root, and that root is the one anchored for the province and period. What was checked; `LedgerValueError`
    naming what does not hold."""
    if not isinstance(proof, dict) or proof.get("version") != PROOF_VERSION:
        raise LedgerValueError(f"not a usage-record proof of version {PROOF_VERSION}")
    try:
        record, province, period = proof["record"], int(proof["province"]), int(proof["period"])
        path = [_bytes32(p, "a proof element") for p in proof["proof"]]
        root, digest = _bytes32(proof["root"], "root"), _bytes32(proof["digest"], "digest")
        proof_chain = int(proof["chainId"])
    except (KeyError, TypeError, ValueError) as exc:
        raise LedgerValueError(f"malformed proof: {exc!r}") from None
    if not isinstance(record, dict):
        raise LedgerValueError("malformed proof: `record` is not an object")
    if proof_chain != chain_id:
        raise LedgerValueError(f"the proof is of chain {proof_chain}, the node answers chain {chain_id}")
    if str(proof.get("contract", "")).lower() != client.address.lower():
        named = proof.get("contract")
        raise LedgerValueError(f"the proof names {named!r}, not this consortium's UsageLog {client.address}")
    if record_digest(record) != digest:
        raise LedgerValueError("the record does not give the proof's digest: it was changed")
    if not verify(root, digest, path):
        raise LedgerValueError("the Merkle path does not lead from the record to the proof's root")
    try:
        on_chain = client.root_of(province, period)
    except ChainError as exc:
        raise LedgerValueError(f"cannot read the anchored root: {exc}") from None
    if on_chain is None:
        raise LedgerValueError(f"nothing is anchored on chain for province {province} in period {period}")
    if on_chain != root:
        raise LedgerValueError(f"the root anchored for province {province} in period {period} is 0x{on_chain.hex()}, "
                         f"not the proof's")  # fmt: skip
    return {"record": record["id"], "province": str(province), "period": period, "root": "0x" + root.hex()}
