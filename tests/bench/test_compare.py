"""The side-by-side benchmark against OpenAttestation, at a small N: both systems run end to end on one
anvil and agree on which certificates are valid and which are forgeries. Never at full size."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import compare as bench_compare

N = 20
BATCHES = (1, 10)


@pytest.fixture(scope="module")
def figures() -> dict[str, Any]:
    try:
        bench_compare.ensure_peer(report=lambda _: None)
    except bench_compare.PeerUnavailable as exc:
        pytest.skip(f"the peer's npm packages cannot be installed in bench/peer: {exc}")
    return bench_compare.compare(
        N, BATCHES, seconds=1, connections=4, workers=1, concurrency=4, repeat=1, report=lambda _: None
    )


def test_both_systems_issue_every_batch_size_and_pay_gas_per_root(figures: dict[str, Any]) -> None:
    assert figures["peer_packages"]["@govtechsg/document-store"] == "3.0.0"
    assert figures["peer_packages"]["ethers"] == "5.7.2"
    assert figures["peer_packages"]["@govtechsg/open-attestation"].startswith("6.9.")
    assert figures["peer_packages"]["@govtechsg/oa-verify"].startswith("9.4.")
    assert set(figures["issuance"]) == {str(b) for b in BATCHES}
    for batch in BATCHES:
        entry = figures["issuance"][str(batch)]
        for side in ("hurong", "peer"):
            assert entry[side]["certificates_per_second"] > 0
            assert entry[side]["roots"] == N // batch
            # one root costs the same whatever the batch size: gas per certificate falls with the batch
            assert entry[side]["gas_per_certificate"] == pytest.approx(entry[side]["gas_per_root_mean"] / batch)
        assert 40_000 < entry["peer"]["gas_per_root_mean"] < 60_000  # DocumentStore.issue
        assert 45_000 < entry["hurong"]["gas_per_root_mean"] < 120_000  # CertificateRegistry.anchor


def test_both_verify_every_issued_certificate(figures: dict[str, Any]) -> None:
    verification = figures["verification"]
    assert verification["library_single"]["hurong"]["all_valid"]
    assert verification["library_bulk"]["hurong"]["all_valid"]
    assert verification["http_bulk"]["hurong"]["all_valid"]
    assert verification["library_single"]["peer"]["all_valid"]
    assert verification["library_bulk"]["peer"]["all_valid"]
    http = verification["http_verify"]["hurong"]
    assert http["answers"] > 0 and http["not_valid_answers"] == 0 and http["non_2xx"] == 0
    assert http["p50_ms"] is not None and http["p99_ms"] is not None
    assert verification["library_single"]["peer"]["skipped"] == ["ISSUER_IDENTITY (DNS-TXT: needs the internet)"]


def test_every_verifier_rejects_the_same_forgeries(figures: dict[str, Any]) -> None:
    rejections = figures["rejections"]
    assert set(rejections) == {
        "hurong_verify", "hurong_verify_many", "hurong_http_verify", "hurong_http_verify_bulk", "peer_oa_verify",
    }  # fmt: skip
    for verdicts in rejections.values():
        assert verdicts["valid"] == "VALID"
        for case in ("tampered", "never_issued", "revoked"):
            assert verdicts[case] != "VALID", (case, verdicts)
    assert "integrity:digest_mismatch" in rejections["hurong_verify"]["tampered"]
    assert "anchoring:not_anchored" in rejections["hurong_verify"]["never_issued"]
    assert "status:revoked" in rejections["hurong_verify"]["revoked"]
    assert "DOCUMENT_TAMPERED" in rejections["peer_oa_verify"]["tampered"]
    assert "DOCUMENT_NOT_ISSUED" in rejections["peer_oa_verify"]["never_issued"]
    assert "DOCUMENT_REVOKED" in rejections["peer_oa_verify"]["revoked"]
    assert figures["failures"] == []


def test_a_verifier_accepting_a_forgery_fails_the_run(figures: dict[str, Any]) -> None:
    forged = json.loads(json.dumps(figures))
    forged["rejections"]["peer_oa_verify"]["revoked"] = "VALID"
    assert any("peer_oa_verify ACCEPTED a revoked" in f for f in bench_compare.failures_of(forged))


def test_results_are_written_as_json_markdown_and_chart(figures: dict[str, Any], tmp_path: Path) -> None:
    paths = bench_compare.write_results(figures, tmp_path, command="python -m bench.compare --n 20")
    saved = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert saved["rows"] == figures["rows"]
    assert {r["figure"] for r in saved["rows"]} >= {"issuance end to end, batch 10", "gas per anchored root, batch 10"}
    for row in saved["rows"]:
        assert (
            row["hurong"] > 0 and row["peer"] > 0 and row["ratio"] == pytest.approx(row["hurong"] / row["peer"], 1e-3)
        )
    text = paths["markdown"].read_text(encoding="utf-8")
    assert "| figure | Hurong | OpenAttestation | ratio | target | met |" in text
    assert "DNS-TXT issuer-identity check is **skipped**" in text
    assert paths["chart"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
