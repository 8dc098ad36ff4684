"""Service workers starting together create their SQLite tables at the same moment: `create_tables` leaves every
one of them with the tables, where SQLAlchemy's `create_all` alone (check, then create) lets all but the first fail
with "table ... already exists"."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect

from api.supervision import alerts, assist, supervisor
from api.supervision.records import metadata as usage_metadata
from ledger.audit import log as audit_log
from ledger.issuance.sqlite_files import create_tables

_METADATAS = (usage_metadata, alerts.metadata, assist.metadata, supervisor.metadata, audit_log.metadata)
_WORKERS = 6


def _start(path: str, barrier: Any, create: Callable[[Any], None], results: Any) -> None:
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})
    barrier.wait()
    try:
        create(engine)
        results.put("ok")
    except Exception as exc:  # noqa: BLE001 (reported to the test)
        results.put(f"{type(exc).__name__}: {exc}"[:200])


def _together(path: Path, create: Callable[[Any], None]) -> list[str]:
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(_WORKERS), context.Queue()
    workers = [context.Process(target=_start, args=(str(path), barrier, create, results)) for _ in range(_WORKERS)]
    for worker in workers:
        worker.start()
    answers = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    return answers


def _all_tables(engine: Any) -> None:
    create_tables(engine, *_METADATAS)


def test_workers_creating_the_same_tables_at_once_all_start(tmp_path: Path) -> None:
    for round_ in range(5):
        path = tmp_path / f"usage-{round_}.sqlite"
        assert _together(path, _all_tables) == ["ok"] * _WORKERS
        found = set(inspect(create_engine(f"sqlite:///{path}")).get_table_names())
        assert found == {name for metadata in _METADATAS for name in metadata.tables}
