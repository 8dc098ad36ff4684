"""The scale benchmark at a small N (2,000 certificates in batches of 1,000, two provinces of two agencies): the
figures of each step have their shape, the revocations and the service's index are real, and the command line
writes the same JSON. Never at full size."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.common import ROOT
from bench.scale import PROVINCES, bench_scale, licence, scale_consortium
from ledger.certificates.validation import uscc_check_character


@pytest.fixture(scope="module")
def figures() -> dict[str, Any]:
    lines: list[str] = []
    out = bench_scale(maximum=2_000, batch=1_000, provinces=2, agencies_per_province=2, seconds=1, connections=4,
                      report=lines.append)  # fmt: skip
    out["_lines"] = lines
    return out


def test_the_consortium_has_31_provinces_of_10_agencies_by_default() -> None:
    description = scale_consortium()
    assert [p["code"] for p in description["provinces"]] == list(PROVINCES) and len(set(PROVINCES)) == 31
    assert len(description["agencies"]) == 310 and len(description["accounts"]) == 1 + 31 + 310
    assert {a["province"] for a in description["agencies"]} == set(PROVINCES)
    assert len(set(description["accounts"].values())) == len(description["accounts"])
    with pytest.raises(ValueError):
        scale_consortium(32)


def test_a_licence_is_moved_to_its_agencys_province_with_a_valid_credit_code() -> None:
    record = licence(123, 650000)
    assert record["issuingProvince"] == "650000" and record["issuingRegion"] == "650100"
    code = record["licenceNumber"]
    assert code == record["holderId"] and code[2:8] == "650100" and uscc_check_character(code[:17]) == code[17]


def test_each_step_reports_issuance_verification_and_index_size(figures: dict[str, Any]) -> None:
    assert [d["certificates"] for d in figures["decades"]] == [1_000, 2_000]
    assert figures["agencies"] == 4 and figures["batch"] == 1_000 and figures["workers"] == 2
    for step in figures["decades"]:
        assert step["issued_in_decade"] == 1_000 and step["revoked_in_decade"] == 10
        assert step["issue_certificates_per_second"] > 0 and step["issue_cpu_us_per_certificate"] > 0
        verify = step["verify"]
        # every answer wrk counted was a 200 with verdict VALID, for certificates of every batch so far
        assert verify["answers"] > 0 and verify["not_valid_answers"] == 0 and verify["non_2xx"] == 0
        assert 0 < verify["p50_ms"] <= verify["p99_ms"]
        assert verify["distinct_certificates"] == 20 * (step["certificates"] // 1_000)
        same = step["verify_first_certificates"]  # the first decade's certificates again: the chain's size alone
        assert same["answers"] > 0 and same["not_valid_answers"] == 0 and same["non_2xx"] == 0
        assert same["distinct_certificates"] == 20
        assert step["index_bytes"] > 0
        assert step["index_bytes_per_certificate"] == round(step["index_bytes"] / step["certificates"], 1)
    assert isinstance(figures["issue_rate_change"], float) and isinstance(figures["verify_p99_change"], float)
    assert isinstance(figures["issue_cpu_change"], float)
    assert isinstance(figures["verify_p99_change_same_certificates"], float)
    assert any("2,000 certificates issued" in line for line in figures["_lines"])
    # the first decade is timed after an untimed batch of the same size on a scratch chain
    assert figures["_lines"][0].startswith("warm-up: 1,000 certificates issued on a scratch chain")


def test_the_command_refuses_a_maximum_below_one_batch(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "ledger.cli", "bench", "scale", "--max", "10", "--batch", "100",
         "--json", str(tmp_path / "s.json")],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 2 and "--max must be at least one batch" in proc.stdout
    assert not (tmp_path / "s.json").exists()
