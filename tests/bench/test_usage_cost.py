"""`python -m bench.usage --cost N` at a small N: every figure is measured and reported. (That the rules read
incrementally answer what their references answer is tested in `tests/api/test_supervision_windows.py`.)"""

from __future__ import annotations

import pytest

from bench.usage import bench_record_cost


def test_the_record_and_rule_costs_are_all_measured(capsys: pytest.CaptureFixture[str]) -> None:
    figures = bench_record_cost(3_000)
    assert set(figures) == {"request_us", "writer_us", "rules_s", "incremental_first_s", "incremental_round_s"}
    assert all(value > 0 for value in figures.values())
    assert "3,000 records" in capsys.readouterr().out
