"""Usage records (用证记录): one row per certificate verified through the service.

A record holds when it was verified, the accepting province (the verification context's, else the caller's), the
caller's role, agency and province when it presented an API key, the service item, the verdict, the codes of the
failed checks, the issuing province and agency, the certificate type, the verification's duration, and a
pseudonymous reference to the certificate: HMAC-SHA256 of its digest under the consortium's secret
(`HURONG_USAGE_SECRET`, else a random secret generated once into `<home>/usage-secret`, 0600). Never a name, an ID
number or the digest itself.

Records are queued in memory by the request (a tuple, an HMAC and an id: a few microseconds) and written in batches
by a background thread to `<home>/usage.sqlite` (0600, WAL: every worker process of the service writes the same
file); the same thread prunes records older than the retention period. A batch goes to SQLite as one JSON array
and one statement, so the writer takes the interpreter's lock for the serialisation only (not once per row, which
on a busy worker hands the lock back and forth with the request path hundreds of times a second). Feedback (好差评)
on a record is kept beside it in `usage_feedback`.
"""

from __future__ import annotations

import hmac
import logging
import os
import queue
import secrets
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from sqlalchemy import (
    Column,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    event,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from ledger.audit.log import USAGE_FILE as USAGE_FILE
from ledger.audit.log import anchors
from ledger.audit.log import metadata as log_metadata
from ledger.issuance.sqlite_files import create_tables, use_write_ahead_log
from ledger.keys.keystore import create_once

log = logging.getLogger("hurong.api.usage")

SECRET_FILE = "usage-secret"  # noqa: S105 (a file name)

metadata = MetaData()
usage = Table(
    "usage_records",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("at", Float, nullable=False),  # Unix seconds
    Column("day", String(10), nullable=False),  # YYYY-MM-DD in China Standard Time
    Column("accepting_province", String(6)),
    Column("caller_role", String(8)),
    Column("caller_agency", String(42)),
    Column("caller_province", String(6)),
    Column("service_item", String(32)),
    Column("verdict", String(16), nullable=False),
    Column("failed", String(512), nullable=False, default=""),  # failed checks' codes, space separated
    Column("issuing_province", String(6)),
    Column("issuer", String(42)),
    Column("certificate_type", String(64)),
    Column("certificate_ref", String(64)),
    Column("duration_ms", Float, nullable=False),
    Index("usage_records_at", "at"),
    Index("usage_records_issuing", "issuing_province", "at"),
    Index("usage_records_accepting", "accepting_province", "at"),
)
feedback = Table(
    "usage_feedback",
    metadata,
    Column("usage_id", String(32), primary_key=True),
    Column("at", Float, nullable=False),
    Column("rating", Integer, nullable=False),
    Column("comment", String(200)),
)


class UsageRecord(NamedTuple):
    id: str
    at: float
    accepting_province: str | None
    caller_role: str | None
    caller_agency: str | None
    caller_province: str | None
    service_item: str | None
    verdict: str
    failed: str
    issuing_province: str | None
    issuer: str | None
    certificate_type: str | None
    certificate_ref: str | None
    duration_ms: float

    def row(self) -> dict[str, Any]:
        return self._asdict() | {"day": day_of(self.at)}


#: The verdicts of verifications; the usage records of assist requests (协查) carry `ASSIST_*` ones.
VERIFICATION_VERDICTS = ("VALID", "INVALID", "NOT_RECOGNIZED")
#: Days are counted in China Standard Time (UTC+8), where every member province is.
DAY_OFFSET = 8 * 3600

#: One statement for a whole batch of records: a JSON array of their fields in `UsageRecord`'s order; SQLite
#: unpacks it and computes the day (as `day_of` does).
_INSERT_BATCH = " ".join([
    "INSERT INTO usage_records (", ", ".join(UsageRecord._fields), ", day) SELECT",
    ", ".join(f"value ->> {i}" for i in range(len(UsageRecord._fields))),
    f", strftime('%Y-%m-%d', (value ->> 1) + {DAY_OFFSET}, 'unixepoch') FROM json_each(?)",
])  # fmt: skip


def day_of(at: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(at + DAY_OFFSET))


#: The 64 characters of URL-safe Base64 in their byte order, so that ids sort as the times they begin with.
_SORTED_ALPHABET = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
#: An id's time: milliseconds since 1970 in 7 characters of `_SORTED_ALPHABET` (42 bits, until the year 2109).
_TIME_CHARS = 7


def new_usage_id(now: float | None = None) -> str:
    """An id of 22 URL-safe characters: the time in milliseconds in 7 characters that sort in its order, then 15
    random ones (90 bits). Never beginning with `-` (a command line would take it for an option, as `hurong audit
    prove` does): the time's first character is 0 only before 1972.

    Ids that sort by time keep the records' primary-key index growing at its end: with random ids every batch the
    writer commits touched pages all over an index of hundreds of thousands of records, and the writer's cost per
    record doubled as the log grew (14 → 28 µs at 400,000 records)."""
    global _last_moment  # noqa: PLW0603 (one tuple, replaced whole: threads read a consistent pair)
    moment = int((time.time() if now is None else now) * 1000)
    last, prefix = _last_moment
    if moment != last:
        chars, rest = [], moment
        for _ in range(_TIME_CHARS):
            rest, low = divmod(rest, 64)
            chars.append(_SORTED_ALPHABET[low])
        prefix = "".join(reversed(chars))
        _last_moment = (moment, prefix)
    return prefix + secrets.token_urlsafe(12)[:15]


#: The last millisecond an id was made in and its 7 characters (a bulk request's ids share them).
_last_moment = (-1, "")


def _private_file(path: Path) -> None:
    """Create `path` readable by its owner only, before any connection opens it: closing a descriptor of a database
    file drops every lock SQLite's connections of this process hold on it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT, 0o600))
    _owner_only(path)


def _owner_only(path: Path) -> None:
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists() and file.stat().st_mode & 0o077:
            os.chmod(file, 0o600)


def load_secret(home: Path, given: str = "") -> bytes:
    """The consortium's secret: `given`, else the one in `<home>/usage-secret`, generated once (0600; the first of
    several processes starting together writes it, the others read it)."""
    if given:
        return given.encode("utf-8")
    path = Path(home) / SECRET_FILE
    create_once(path, secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip().encode("ascii")


def open_engine(path: Path) -> Engine:
    """The usage database (0600, WAL, waiting for other writers), its tables created."""
    _private_file(path)
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(connection: Any, _: Any) -> None:
        cursor = connection.cursor()
        use_write_ahead_log(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    create_tables(engine, metadata, log_metadata)  # other workers may be creating them at the same moment
    _owner_only(path)
    return engine


class UsageLog:
    """Queues usage records and writes them in batches from a background thread; prunes old ones."""

    def __init__(
        self,
        path: Path,
        secret: bytes,
        *,
        retention_days: float = 180,
        enabled: bool = True,
        flush_interval: float = 0.5,
        batch_size: int = 1000,
    ) -> None:
        self.path = Path(path)
        self.enabled = enabled
        self.retention_days = retention_days
        self.flush_interval = flush_interval
        self.batch_size = batch_size
        self._secret = secret
        self._queue: queue.SimpleQueue[UsageRecord] = queue.SimpleQueue()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pruned = 0.0
        self.engine = open_engine(self.path)

    @property
    def secret(self) -> bytes:
        """The consortium's secret (the assist requests derive their encryption key from it)."""
        return self._secret

    # ------------------------------------------------------------------ the hot path

    def reference(self, digest: str | None) -> str | None:
        """The certificate's pseudonymous reference: HMAC-SHA256 of its digest under the consortium's secret."""
        if not digest:
            return None
        return hmac.digest(self._secret, digest.lower().encode("ascii", "replace"), "sha256").hex()

    def record(self, record: UsageRecord) -> None:
        if self.enabled:
            self._queue.put(record)

    # ------------------------------------------------------------------ the writer

    def start(self) -> None:
        if self.enabled and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="usage-writer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.flush()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            try:
                self.flush()
                if time.time() - self._pruned > 3600:
                    self.prune()
            except Exception:
                log.exception("writing usage records failed")

    def flush(self) -> int:
        """Write what is queued; the number of records written."""
        written = 0
        with self._flush_lock:
            while True:
                batch: list[tuple[Any, ...]] = []
                while len(batch) < self.batch_size:
                    try:
                        batch.append(tuple(self._queue.get_nowait()))
                    except queue.Empty:
                        break
                if not batch:
                    return written
                self._write(batch)
                written += len(batch)

    def _write(self, rows: list[tuple[Any, ...]]) -> None:
        payload = orjson.dumps(rows).decode("utf-8")
        with self.engine.begin() as db:
            db.exec_driver_sql(_INSERT_BATCH, (payload,))

    def insert(self, records: Iterable[UsageRecord]) -> None:
        """Write records at once (imports, tests)."""
        rows = [tuple(r) for r in records]
        for start in range(0, len(rows), self.batch_size):
            self._write(rows[start : start + self.batch_size])

    def prune(self, now: float | None = None) -> int:
        """Delete the records (and their feedback) older than the retention period, and the usage log's anchors of
        the periods they began (their roots stay on chain; `hurong audit check` no longer expects their records);
        how many records."""
        self._pruned = now = time.time() if now is None else now
        cutoff = now - self.retention_days * 86_400
        old = select(usage.c.id).where(usage.c.at < cutoff)
        with self.engine.begin() as db:
            db.execute(delete(anchors).where(anchors.c.period * anchors.c.interval < cutoff))
            db.execute(delete(feedback).where(feedback.c.usage_id.in_(old)))
            return int(db.execute(delete(usage).where(usage.c.at < cutoff)).rowcount or 0)

    # ------------------------------------------------------------------ feedback

    def exists(self, usage_id: str, wait: float | None = None) -> bool:
        """Whether the record `usage_id` is written, waiting up to `wait` seconds (by default two flush intervals)
        for a writer to flush it: this process's queue is flushed at once, another worker's within its interval."""
        deadline = time.monotonic() + (2 * self.flush_interval + 0.1 if wait is None else wait)
        query = select(usage.c.id).where(usage.c.id == usage_id)
        while True:
            with self.engine.connect() as db:
                if db.execute(query).first() is not None:
                    return True
            if self.flush() == 0 and time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def add_feedback(self, usage_id: str, rating: int, comment: str | None) -> bool:
        """Keep the feedback on a record; False when it already has some."""
        try:
            with self.engine.begin() as db:
                db.execute(insert(feedback).values(usage_id=usage_id, at=time.time(), rating=rating, comment=comment))
        except IntegrityError:
            return False
        return True
