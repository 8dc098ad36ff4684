"""The index's position (last indexed block and its hash) read cheaply, for the service's every few milliseconds.

A worker answering `/verify` from the index reads the position again every `index_position_ttl` (5 ms): through
SQLAlchemy, a pool checkout and a statement cost ~150 µs, about a tenth of what a worker spent on `/verify` at a
thousand requests a second. On a SQLite file `PositionReader` keeps one connection of its own (WAL: each `SELECT`
sees what the writer last committed) and reads the row in a few microseconds; elsewhere (PostgreSQL, an in-memory
database), or when that read fails, the caller reads it as before.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from sqlalchemy.engine import Engine

_QUERY = "SELECT last_block, last_hash FROM index_state"


class PositionReader:
    """Reads `index_state`'s position on a SQLite connection of its own (see the module)."""

    def __init__(self, engine: Engine) -> None:
        url = engine.url
        database = url.database or ""
        memory = database in ("", ":memory:") or "mode=memory" in database
        self._path = None if url.get_backend_name() != "sqlite" or memory else Path(database).expanduser()
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    def read(self) -> tuple[bool, tuple[int, str | None] | None]:
        """(True, (last block, its hash), or None when the index has no position yet), or (False, None) when it
        cannot be read here (not a SQLite file, no such table yet, a failing read): the caller reads it its own way."""
        if self._path is None:
            return False, None
        with self._lock:
            try:
                if self._connection is None:
                    uri = self._path.resolve().as_uri() + "?mode=ro"
                    self._connection = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
                row = self._connection.execute(_QUERY).fetchone()
            except sqlite3.Error:
                self.close_locked()
                return False, None
        return True, None if row is None else (int(row[0]), row[1])

    def close(self) -> None:
        with self._lock:
            self.close_locked()

    def close_locked(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
