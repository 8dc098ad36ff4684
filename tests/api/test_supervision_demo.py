"""`hurong demo` (through the README's run command) seeds usage enough for the supervision dashboard, and deploys
the usage log's contract beside the consortium's."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from ledger.chain.node import free_port
from tests.api.test_demo import start, stop, wait_up


def test_the_demo_seeds_verifications_across_provinces_failures_an_assist_request_and_ratings(tmp_path: Path) -> None:
    process = start(tmp_path, free_port(), free_port())
    try:
        demo = wait_up(tmp_path, process)
        api = f"{demo['api_url']}/api/v1"
        admin = {"X-API-Key": demo["provinces"][0]["admin_api_key"]}  # type: ignore[index]
        stats = httpx.get(f"{api}/supervision/statistics", headers=admin, timeout=60).json()
        cells = {(c["issuingProvince"], c["acceptingProvince"]) for c in stats["matrix"]}
        assert {("310000", "330000"), ("310000", "440000"), ("330000", "310000"), ("440000", "310000")} <= cells
        assert stats["verdicts"]["VALID"] > 0 and stats["verdicts"]["INVALID"] > 0
        assert {r["code"] for r in stats["failureReasons"]} >= {"digest_mismatch"}
        assert stats["ratings"]["count"] > 5 and len(stats["serviceItems"]) >= 3
        requests = httpx.get(f"{api}/assist-requests", headers=admin, timeout=60).json()
        assert {r["state"] for r in requests["data"]} == {"open", "answered"}
        assert httpx.get(f"{api}/supervision/alerts", headers=admin, timeout=60).status_code == 200
        record = json.loads(next((tmp_path / "deployments").glob("*.json")).read_text(encoding="utf-8"))
        assert record["extra"]["usageLog"]["address"].startswith("0x")
    finally:
        assert stop(process) == 0
