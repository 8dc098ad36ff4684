"""The sliding-window rules the supervisor runs incrementally, `ProvinceSpread` (`many_provinces`) and `CallerShares`
(`caller_failures`), answer every round exactly what their references (`rules.many_provinces`,
`rules.caller_failures`: one grouping over the whole window) answer: over random rounds of records written on time,
late (an earlier time written after a later one, as another worker's writer does) and dated ahead of the round, other
verdicts, records without a province, reference or caller, a clock set back, a rule changed, a round more than a
window after the last, and an emptied table."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from api.supervision import config, rules
from api.supervision.callers import CallerShares
from api.supervision.records import USAGE_FILE, UsageLog, UsageRecord, new_usage_id
from api.supervision.spread import ProvinceSpread

PROVINCES = ["310000", "330000", "440000", "110000", "510000"]
T0 = 1_790_000_000.0
AGENCIES = [f"0x{i:040x}" for i in range(1, 5)]


def _record(rng: random.Random, at: float, refs: list[str]) -> UsageRecord:
    verdict = rng.choice(["VALID", "VALID", "INVALID", "NOT_RECOGNIZED", "ASSIST_REQUESTED"])
    province = rng.choice([*PROVINCES, None]) if rng.random() < 0.1 else rng.choice(PROVINCES)
    ref = None if rng.random() < 0.05 else rng.choice(refs)
    role = rng.choice([None, "agency", "agency", "province", "admin"])
    agency = rng.choice([*AGENCIES, None]) if role == "agency" else None
    calling = rng.choice([*PROVINCES[:3], None]) if role is not None else None
    return UsageRecord(id=new_usage_id(), at=at, accepting_province=province, caller_role=role, caller_agency=agency,
                       caller_province=calling, service_item=None, verdict=verdict, failed="",
                       issuing_province="310000", issuer=None, certificate_type=None, certificate_ref=ref,
                       duration_ms=0.2)  # fmt: skip


@pytest.fixture
def log(tmp_path: Path) -> Iterator[UsageLog]:
    usage = UsageLog(tmp_path / USAGE_FILE, b"secret", flush_interval=3600)
    yield usage
    usage.engine.dispose()


def _same(engine: Engine, incremental: Any, reference: Callable[..., list[Any]], rule: Any, now: float) -> int:
    """Assert the rule read incrementally answers what its reference answers now; how many alerts."""
    expected = reference(engine, rule, now)
    got = incremental.observe(engine, rule, now)
    assert got == expected
    return len(got)


def _a_round(rng: random.Random, now: float, refs: list[str]) -> list[UsageRecord]:
    """Records of a round: on time, late (an earlier time written after a later one) and dated ahead of the round."""
    rows = [_record(rng, now + rng.uniform(-20, 15), refs) for _ in range(rng.randrange(0, 40))]
    rows += [_record(rng, now + rng.uniform(-200, -100), refs) for _ in range(rng.randrange(0, 3))]
    return rows + [_record(rng, now + rng.uniform(1, 40), refs) for _ in range(rng.randrange(0, 3))]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_round_answers_what_the_reference_answers(log: UsageLog, seed: int) -> None:
    rng = random.Random(seed)
    refs = [f"{rng.getrandbits(256):064x}" for _ in range(40)]
    rule = config.ManyProvinces(provinces=3, window_minutes=2)
    spread = ProvinceSpread()
    now, alerted = T0, 0
    for round_ in range(60):
        log.insert(_a_round(rng, now, refs))
        if round_ == 30:
            rule = config.ManyProvinces(provinces=2, window_minutes=1.5)  # the configuration changed
        if round_ == 45:
            now -= 100  # the clock set back: the window is read again
        alerted += _same(log.engine, spread, rules.many_provinces, rule, now)
        now += rng.uniform(5, 20)
    assert alerted > 20  # the scenario raised alerts, so the comparison meant something


def test_a_certificate_leaving_the_window_is_forgotten_and_memory_follows_the_window(log: UsageLog) -> None:
    rng = random.Random(9)
    rule = config.ManyProvinces(provinces=2, window_minutes=1)
    spread = ProvinceSpread()
    spread_ref = "ab" * 32
    log.insert([
        _record(rng, T0, [spread_ref])._replace(accepting_province="310000", verdict="VALID"),
        _record(rng, T0 + 1, [spread_ref])._replace(accepting_province="330000", verdict="VALID"),
    ])  # fmt: skip
    (alert,) = spread.observe(log.engine, rule, T0 + 2)
    assert alert.details == {"certificateRef": spread_ref, "provinces": ["310000", "330000"]}
    for step in range(1, 40):  # 2,000 certificates a minute, each seen once
        at = T0 + 60 * step
        log.insert([
            _record(rng, at, [f"{rng.getrandbits(256):064x}"])._replace(verdict="VALID", accepting_province="31")
            for _ in range(2000)
        ])  # fmt: skip
        assert spread.observe(log.engine, rule, at) == rules.many_provinces(log.engine, rule, at)
    assert len(spread._seen) < 5 * 2000 + 1024 and not spread._spread


def test_a_log_emptied_and_written_again_is_read_again(log: UsageLog) -> None:
    """Rowids start again at 1 in an emptied table: the rule reads the window again instead of waiting for them."""
    rng = random.Random(5)
    rule = config.ManyProvinces(provinces=2, window_minutes=10)
    spread = ProvinceSpread()
    log.insert([_record(rng, T0 + i, ["cd" * 32])._replace(verdict="VALID") for i in range(50)])
    ahead = [_record(rng, T0 + 200, ["cd" * 32])._replace(verdict="VALID", accepting_province=p) for p in PROVINCES]
    log.insert(ahead)  # dated after the next round: waiting when the table is emptied
    spread.observe(log.engine, rule, T0 + 60)
    log.prune(now=T0 + log.retention_days * 86_400 + 3600)  # every record past its retention
    log.insert([_record(rng, T0 + 100 + i, ["ef" * 32])._replace(verdict="VALID") for i in range(5)])
    assert _same(log.engine, spread, rules.many_provinces, rule, T0 + 120) == 1
    assert _same(log.engine, spread, rules.many_provinces, rule, T0 + 250) == 1  # what waited went with the table


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_caller_shares_answer_every_round_what_the_reference_answers(log: UsageLog, seed: int) -> None:
    rng = random.Random(seed)
    rule = config.CallerFailures(rate=0.25, min_requests=8, window_minutes=2)
    shares = CallerShares()
    now, alerted = T0, 0
    for round_ in range(70):
        log.insert(_a_round(rng, now, ["aa" * 32]))
        if round_ == 30:
            rule = config.CallerFailures(rate=0.2, min_requests=5, window_minutes=1.5)  # the configuration changed
        if round_ == 45:
            now -= 100  # the clock set back
        if round_ == 55:
            now += 200  # a round more than a window after the last
        if round_ == 62:
            log.prune(now=now + log.retention_days * 86_400 + 3600)  # the table emptied
        alerted += _same(log.engine, shares, rules.caller_failures, rule, now)
        now += rng.uniform(5, 20)
    assert alerted > 20  # the scenario raised alerts, so the comparison meant something
