"""Which of the processes sharing one index writes it: on PostgreSQL, the holder of a session-level advisory lock
keyed by the deployment; the others only read, and one of them takes over within a poll when the writer's session
ends (its process died, or its connection broke). On SQLite every process writes (the compare-and-set on the
index's last block keeps them from applying a range twice)."""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger("hurong.indexer")


def lock_key(identity: str) -> int:
    """A signed 64-bit advisory-lock key for an index identity (chain id and contract addresses)."""
    return int.from_bytes(hashlib.sha256(b"hurong/index-writer/" + identity.encode()).digest()[:8], "big", signed=True)


class WriterLock:
    """The index's single-writer lock, tried without blocking (`held()` on every poll of the indexer loop)."""

    def __init__(self, engine: Engine, identity: str) -> None:
        self.engine = engine
        self.key = lock_key(identity)
        self.shared = engine.dialect.name == "postgresql"
        self._conn: Connection | None = None

    @property
    def role(self) -> str:
        """`writer` while this process holds the lock (always on SQLite), else `reader`."""
        return "writer" if not self.shared or self._conn is not None else "reader"

    def held(self) -> bool:
        """Whether this process holds the lock now: checks the session that holds it is alive, else tries to take
        it. Never blocks on another holder."""
        if not self.shared:
            return True
        try:
            if self._conn is not None:
                self._conn.execute(text("SELECT 1"))
                return True
            conn = self.engine.connect()
            try:
                taken = bool(conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar())
                conn.commit()
            except BaseException:
                conn.close()
                raise
            if not taken:
                conn.close()
                return False
            self._conn = conn
            log.info("this process now writes the shared index (advisory lock %d)", self.key)
            return True
        except SQLAlchemyError as exc:
            self._drop()
            log.warning("lost the index writer lock: %s", exc)
            return False

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self._conn.commit()
        except SQLAlchemyError:
            pass
        self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()  # never hand a session that may still hold the lock back to the pool
                conn.close()
            except SQLAlchemyError:
                pass
