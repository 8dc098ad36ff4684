"""The usage records module on its own: batched writes from several writers, retention, the secret, comments."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from api.supervision.feedback import looks_personal
from api.supervision.records import SECRET_FILE, USAGE_FILE, UsageLog, UsageRecord, load_secret, new_usage_id


def record(at: float, item: str = "item") -> UsageRecord:
    return UsageRecord(id=new_usage_id(), at=at, accepting_province="330000", caller_role=None, caller_agency=None,
                       caller_province=None, service_item=item, verdict="VALID", failed="", issuing_province="310000",
                       issuer=None, certificate_type="business_licence", certificate_ref=None,
                       duration_ms=0.5)  # fmt: skip


def count(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM usage_records").fetchone()[0])


def test_several_writers_share_one_file_and_every_queued_record_is_written(tmp_path: Path) -> None:
    path = tmp_path / USAGE_FILE
    logs = [UsageLog(path, b"s", flush_interval=0.02, batch_size=50) for _ in range(3)]
    for log in logs:
        log.start()

    def produce(log: UsageLog) -> None:
        for _ in range(400):
            log.record(record(time.time()))

    threads = [threading.Thread(target=produce, args=(log,)) for log in logs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for log in logs:
        log.stop()
    assert count(path) == 1200
    assert path.stat().st_mode & 0o777 == 0o600
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_records_past_the_retention_period_are_pruned_with_their_feedback(tmp_path: Path) -> None:
    log = UsageLog(tmp_path / USAGE_FILE, b"s", retention_days=30)
    now = time.time()
    old, recent = record(now - 31 * 86_400), record(now - 29 * 86_400)
    log.insert([old, recent])
    assert log.add_feedback(old.id, 5, None) and log.add_feedback(recent.id, 3, "好")
    assert not log.add_feedback(recent.id, 1, None)
    with sqlite3.connect(tmp_path / USAGE_FILE) as db:  # the usage log anchored both periods (hours)
        for at in (old.at, recent.at):
            db.execute("INSERT INTO usage_anchors (province, period, interval, root, count, state, claimed_at) "
                       "VALUES ('310000', ?, 3600, '0x00', 1, 'anchored', ?)", (int(at // 3600), at))  # fmt: skip
    assert log.prune(now) == 1
    assert count(tmp_path / USAGE_FILE) == 1
    assert log.exists(recent.id, wait=0) and not log.exists(old.id, wait=0)
    with sqlite3.connect(tmp_path / USAGE_FILE) as db:
        assert db.execute("SELECT usage_id FROM usage_feedback").fetchall() == [(recent.id,)]
        assert db.execute("SELECT period FROM usage_anchors").fetchall() == [(int(recent.at // 3600),)]


def test_a_disabled_log_records_nothing(tmp_path: Path) -> None:
    log = UsageLog(tmp_path / USAGE_FILE, b"s", enabled=False)
    log.start()
    log.record(record(time.time()))
    log.stop()
    assert count(tmp_path / USAGE_FILE) == 0


def test_the_secret_is_generated_once_private_and_given_one_wins(tmp_path: Path) -> None:
    found: list[bytes] = []
    threads = [threading.Thread(target=lambda: found.append(load_secret(tmp_path))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 1 and len(found[0]) == 64
    assert (tmp_path / SECRET_FILE).stat().st_mode & 0o777 == 0o600
    assert os.listdir(tmp_path) == [SECRET_FILE]
    assert load_secret(tmp_path, "consortium secret") == b"consortium secret"
    one, other = UsageLog(tmp_path / "a.sqlite", b"one"), UsageLog(tmp_path / "b.sqlite", b"other")
    digest = "0x" + "ab" * 32
    assert one.reference(digest) == one.reference(digest.upper().replace("0X", "0x")) != other.reference(digest)
    assert one.reference(None) is None


@pytest.mark.parametrize(
    ("text", "personal"),
    [
        ("13812345678", True),
        ("电话 138 1234 5678", True),
        ("11010119900307777X", True),
        ("身份证110101199003077777。", True),
        ("办事很快，五星", False),
        ("编号 2025-0001", False),
        ("12345", False),
        ("1381234567", False),
    ],
)
def test_comments_that_look_like_an_id_or_phone_number_are_recognised(text: str, personal: bool) -> None:
    assert looks_personal(text) is personal


def test_usage_ids_never_begin_with_a_hyphen_a_command_line_would_take_for_an_option() -> None:
    from api.supervision.records import new_usage_id

    ids = [new_usage_id() for _ in range(5000)]
    assert len(set(ids)) == 5000 and not any(i.startswith("-") for i in ids)
    assert all(len(i) == 22 for i in ids)


def test_usage_ids_sort_as_their_times_so_the_primary_key_grows_at_its_end() -> None:
    from api.supervision.records import new_usage_id

    moments = [1_600_000_000.0 + step * 0.001 for step in range(0, 3_000_000, 997)] + [4_398_046_511.0]
    ids = [new_usage_id(at) for at in moments]
    assert ids == sorted(ids) and len({i[:7] for i in ids}) == len(ids)
    assert all(len(i) == 22 and i[0] != "-" for i in ids)
    assert len({new_usage_id(1_700_000_000.0)[7:] for _ in range(1000)}) == 1000  # the rest is random


def test_a_batch_is_written_field_for_field_with_the_day_in_china_standard_time(tmp_path: Path) -> None:
    """The writer hands SQLite a batch as one JSON array: every field, the nulls, Chinese text and the day (computed
    by SQLite) come back as the record had them, on both sides of midnight in China Standard Time."""
    from api.supervision.records import day_of

    log = UsageLog(tmp_path / USAGE_FILE, b"s")
    midnight_cst = 1_767_196_800.0  # 2026-01-01 00:00 in UTC+8
    sparse = UsageRecord(id=new_usage_id(), at=midnight_cst + 3600.25, accepting_province=None, caller_role="agency",
                         caller_agency="0x" + "ab" * 20, caller_province="310000", service_item=None,
                         verdict="INVALID", failed="integrity revoked", issuing_province=None, issuer="0x" + "cd" * 20,
                         certificate_type=None, certificate_ref="ef" * 32, duration_ms=12.75)  # fmt: skip
    records = [record(midnight_cst - 0.001, item="跨省通办·开办企业"), record(midnight_cst), sparse]
    for r in records:
        log.record(r)
    assert log.flush() == 3
    with sqlite3.connect(tmp_path / USAGE_FILE) as db:
        db.row_factory = sqlite3.Row
        rows = {row["id"]: dict(row) for row in db.execute("SELECT * FROM usage_records")}
    for r in records:
        assert rows[r.id] == r._asdict() | {"day": day_of(r.at)}
    assert [rows[r.id]["day"] for r in records] == ["2025-12-31", "2026-01-01", "2026-01-01"]
