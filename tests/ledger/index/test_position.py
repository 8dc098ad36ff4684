"""`PositionReader` reads the index's position on a SQLite connection of its own: what the writer commits, at
once; nothing where it cannot (no table yet, an in-memory database), so that the indexer reads it its own way."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert, update

from ledger.index.position import PositionReader
from ledger.index.tables import index_state, metadata, open_engine, read_position

ROW = {"id": 1, "schema_version": 1, "chain_id": 31337, "deployment_block": 5, "deployment_hash": "0x" + "ab" * 32,
       "contracts": "{}", "last_block": 4, "last_hash": None}  # fmt: skip


def test_it_reads_what_the_writer_commits_as_the_engine_does(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'index.sqlite'}")
    reader = PositionReader(engine)
    assert reader.read() == (False, None)  # no table yet: read elsewhere
    metadata.create_all(engine)
    assert reader.read() == (True, None)  # no position yet
    with engine.begin() as conn:
        conn.execute(insert(index_state).values(**{k: v for k, v in ROW.items() if k in index_state.c}))
    for block in (4, 9, 10):
        with engine.begin() as conn:
            conn.execute(update(index_state).values(last_block=block, last_hash=f"0x{block:064x}"))
        with engine.connect() as conn:
            expected = read_position(conn)
        assert expected is not None and reader.read() == (True, (expected.last_block, expected.last_hash))
    reader.close()
    assert reader.read() == (True, (10, f"0x{10:064x}"))  # opens again after closing
    reader.close()
    engine.dispose()


def test_an_in_memory_index_is_read_by_the_engine(tmp_path: Path) -> None:
    engine = open_engine("sqlite://")
    metadata.create_all(engine)
    assert PositionReader(engine).read() == (False, None)
