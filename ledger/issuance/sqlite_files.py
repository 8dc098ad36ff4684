"""A SQLite file shared by the service's threads and workers: one connection per thread, in autocommit mode (each
writer takes its own `BEGIN IMMEDIATE`), write-ahead logged, waiting up to 30 s for another writer."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger("hurong.issuance")


class SharedSqlite:
    """Per-thread connections to `path`, whose tables `schema` creates when they are missing."""

    def __init__(self, path: Path, schema: str) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self.connect().executescript(schema)

    def connect(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            use_write_ahead_log(db)
            db.execute("PRAGMA busy_timeout=30000")
            self._local.db = db
        return db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection inside one `BEGIN IMMEDIATE` transaction: committed on exit, rolled back on
        an exception."""
        db = self.connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


def create_tables(engine: Any, *metadatas: Any, tables: Any = None, attempts: int = 20) -> None:
    """`create_all` of each of `metadatas` (only `tables` of them, if given) on `engine` in one transaction, checked
    again where another process created the same tables at the same moment: SQLAlchemy checks, then creates, so two
    service workers starting together can both find a table missing, and the second's CREATE fails with "already
    exists" (or finds the database locked). PostgreSQL reports the first as a programming error."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    for attempt in range(attempts):
        try:
            with engine.begin() as connection:
                for metadata in metadatas:
                    metadata.create_all(connection, tables=tables)
            return
        except (OperationalError, ProgrammingError) as exc:
            text = str(exc).lower()
            if attempt == attempts - 1 or ("already exists" not in text and "locked" not in text):
                raise
            time.sleep(0.05 * (attempt + 1))


def use_write_ahead_log(db: sqlite3.Connection | sqlite3.Cursor, *, timeout: float = 30.0) -> None:
    """`PRAGMA journal_mode=WAL`, tried again for up to `timeout` seconds while SQLite answers "database is locked".
    It can answer so at once, without waiting out its busy timeout, while another process recovers the log of one
    killed in the middle of a write: a service worker respawned after a worker was killed would fail its start-up,
    and uvicorn then stops the whole service."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            log.info("SQLite file locked while switching to its write-ahead log: trying again (%s)", exc)
            time.sleep(0.05)


def private_file(path: Path) -> None:
    """Create `path` (and SQLite's companions when they exist) readable by its owner only."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    for suffix in ("", "-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.chmod(companion, 0o600)


def checkpoint_in_background(path: Path) -> threading.Thread:
    """A started thread that copies the write-ahead log of the SQLite file at `path` into the database on a
    connection of its own (a passive checkpoint: it waits for no reader or writer). A failure is logged: the next
    commit past the file's `wal_autocheckpoint` checkpoints instead."""

    def checkpoint() -> None:
        try:
            db = sqlite3.connect(str(path), timeout=5)
            try:
                db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                db.close()
        except sqlite3.Error as exc:
            log.warning("checkpointing %s failed: %s", path, exc)

    thread = threading.Thread(target=checkpoint, name=f"checkpoint-{path.name}", daemon=True)
    thread.start()
    return thread
