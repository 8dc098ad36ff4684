"""`hurong demo --network 4`: the usual demo (contracts, provinces, agencies, rules, demo certificates, the
service) on four Clique validators, the service failing over between the nodes."""

from __future__ import annotations

import random
from pathlib import Path

import httpx
from rich.console import Console

from api.demo import Demo, demo_licence
from ledger.chain.node import free_port
from tests.network.conftest import NETWORK

pytestmark = NETWORK

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_runs_on_four_validators(tmp_path: Path) -> None:
    demo = Demo(tmp_path / "home", ROOT / "examples" / "demo.yaml", chain_port=free_port(), api_port=free_port(),
                workers=1, certificates=12, console=Console(quiet=True), network=4)  # fmt: skip
    try:
        data = demo.run(wait=False)
        assert data["chain_id"] == 8620 and data["issued"] == 12
        with httpx.Client(base_url=demo.api_url + "/api/v1", timeout=60) as http:
            health = http.get("/health").json()
            assert health["status"] == "ok", health
            assert len(health["node"]["endpoints"]) == 4 and health["node"]["peers"] == 3
            province = data["provinces"][0]
            agency = province["agencies"][0]
            kind = agency["certificate_types"][0]
            record = demo_licence(kind, int(province["code"]), random.Random(7))
            demo.chain.network.stop_node(0)  # the service's first endpoint dies: it goes on through the others
            issued = http.post("/certificates", headers={"X-API-Key": agency["api_key"]},
                               json={"certificates": [record]})  # fmt: skip
            assert issued.status_code == 201, issued.text
            (doc,) = issued.json()["data"]
            other = next(p["code"] for p in data["provinces"] if p["code"] != province["code"])
            verdict = http.post("/verify", json={"certificate": doc, "context": {"province": other}}).json()
            assert verdict["checks"] and verdict["verdict"] in ("VALID", "NOT_RECOGNIZED"), verdict
            assert all(c["outcome"] != "failed" for c in verdict["checks"] if c["name"] != "recognition"), verdict
            assert http.get("/health").json()["node"]["endpoint"] != demo.chain.urls[0]
    finally:
        demo.stop()
    assert not demo.chain.alive()
