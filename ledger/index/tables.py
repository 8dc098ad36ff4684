"""The index's tables, the state row that records how far the index got, and the stored forms of values.

Tables (SQLAlchemy Core, SQLite by default, PostgreSQL by URL; addresses checksummed, hashes `0x` lower hex,
times in Unix seconds of block timestamps):

    index_state          one row: schema version, chain id, deployment, last block and hash, vote threshold
    events               every log: (block, log_index), tx hash, contract, event, arguments as JSON, time
    batches              (agency, root): count, manifest digest, anchored_at, block, tx; revoked_at / reason / by
    certificate_events   status changes: digest, agency, kind, status, reason, successor, by, block, tx, time
    certificate_status   (agency, digest): current status record, as `statusOf` returns it
    provinces            code: name, status, status_since, epoch          province_admins: account → code
    agencies             account: province, parent, region, depth, epoch, name, status, status_since
    agency_types         (agency, certificate type) currently granted, granted_at
    signing_keys         key id: agency, algorithm, validity window, public key, revoked_at
    recognition_rules    id: every field of the rule, created_at, revoked_at / by
    status_lists         (agency, list id): latest anchored hash of a status list, block, tx, time (history: events)
    proposals, votes     consortium proposals, their votes, execution or cancellation

The state row is moved only by a compare-and-set on its last block (`claim`), so several processes sharing one
PostgreSQL index never apply a range twice: the one that loses the race re-reads the state and retries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    RowMapping,
    SmallInteger,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from ledger.chain.client import checksum
from ledger.chain.codes import parse_bytes32
from ledger.issuance.sqlite_files import use_write_ahead_log

#: Bumped whenever the tables change: an index of another version is dropped and rebuilt from the chain.
#: 3: a batch's manifest is the digest its `BatchAnchored` event carries (`manifest`), no longer a CID.
SCHEMA_VERSION = 3

_ZERO32 = "0x" + "00" * 32


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
    Column("manifest", String(66), nullable=False),
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

status_lists = Table(
    "status_lists",
    metadata,
    Column("agency", String(42), primary_key=True),
    Column("list_id", String(66), primary_key=True),
    Column("list_hash", String(66), nullable=False),
    Column("block", BigInteger, nullable=False),
    Column("tx_hash", String(66), nullable=False),
    Column("published_at", BigInteger, nullable=False),
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


# ---------------------------------------------------------------------------------------------------- state


@dataclass(frozen=True)
class IndexState:
    """How far the index got: the last indexed block and its hash (`None` before any sync)."""

    last_block: int
    last_hash: str | None


def read_state_row(conn: Connection) -> RowMapping | None:
    """The whole state row (`None` when the index has none yet)."""
    return conn.execute(select(index_state).where(index_state.c.id == 1)).mappings().first()


def read_position(conn: Connection) -> IndexState | None:
    """The stored last block and hash (`None` when the index has no state row yet)."""
    row = conn.execute(select(index_state.c.last_block, index_state.c.last_hash)).first()
    return None if row is None else IndexState(int(row[0]), row[1])


def claim(conn: Connection, seen_block: int, **values: Any) -> bool:
    """Set `values` on the state row if its last block is still `seen_block`; whether it was (false: another
    writer moved the index on meanwhile)."""
    moved = conn.execute(
        update(index_state).where(index_state.c.id == 1, index_state.c.last_block == seen_block).values(**values)
    )
    return moved.rowcount == 1


def clear_data(conn: Connection) -> None:
    """Empty every table but the state row (dependents first)."""
    for table in reversed(DATA_TABLES):
        conn.execute(delete(table))


def open_engine(url: str) -> Engine:
    """An engine for `url`: PostgreSQL through psycopg, or SQLite (WAL on a file, one shared in-memory database)."""
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
            use_write_ahead_log(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


# ---------------------------------------------------------------------------------------------------- stored values


def to_hex(value: bytes) -> str:
    """Bytes as stored: `0x` lower hex."""
    return "0x" + bytes(value).hex()


def opt_hex32(value: bytes) -> str | None:
    """A bytes32 as stored, `None` for zero."""
    text = to_hex(value)
    return None if text == _ZERO32 else text


def from_hex(value: str | None) -> bytes | None:
    """Stored `0x` hex back to bytes (`None` stays `None`)."""
    return None if value is None else bytes.fromhex(value[2:])


def to_b32(value: bytes | str, what: str) -> str:
    """A bytes32 given as bytes or hex, as stored (`LedgerValueError` naming `what` when it is not one)."""
    return to_hex(parse_bytes32(value.lower() if isinstance(value, str) else value, what=what))


@lru_cache(maxsize=4096)  # agency accounts: thousands at most, each entry under 200 bytes
def to_address(value: str) -> str:
    """An agency account as stored: checksummed (`LedgerValueError` when it is not an address)."""
    return checksum(value, what="agency")


def opt_address(value: str) -> str | None:
    """An address as stored, `None` for the zero address."""
    return None if int(value, 16) == 0 else str(to_checksum_address(value))


def jsonable(value: Any) -> Any:
    """Event arguments as JSON values (bytes as `0x` hex)."""
    if isinstance(value, bytes | bytearray):
        return to_hex(bytes(value))
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value
