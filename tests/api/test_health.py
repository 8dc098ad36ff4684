"""`/health` tells whether writes can go through: `degraded` naming an agency whose balance cannot pay for its
anchors or fees above the configured cap, `lagging` when the index trails the chain, and a JSON 503 with
`Retry-After` when the chain does not answer."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from api.launcher import service_env, start_service, stop_service
from api.routers.health import ANCHOR_GAS, FUNDS_CHECK_SECONDS
from ledger.chain.bootstrap import bootstrap, parse_description
from ledger.chain.client import make_web3
from ledger.chain.node import Anvil, free_port
from ledger.keys.keystore import AccountKey, save_key
from tests.conftest import WORLD

PASSPHRASE = "health 健康 check"
SIGNERS = ["sh_amr", "zj_amr"]
ANCHORS = 100
RICH = 10**24


def until(
    url: str, accept: Callable[[dict[str, Any]], bool], timeout: float = 4 * FUNDS_CHECK_SECONDS
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        answer = httpx.get(url, timeout=10)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        if accept(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def test_health_is_degraded_by_a_drained_agency_or_high_fees_lagging_behind_and_503_without_a_chain(
    tmp_path: Path,
) -> None:
    chain = Anvil(accounts=len(WORLD["accounts"])).start()
    try:
        result = bootstrap(parse_description(WORLD), chain.url)
        result.deployment.save(tmp_path / "deployments")
        for name in SIGNERS:
            key = AccountKey.from_hex(result.keys[name])
            save_key(tmp_path / "keystore" / f"{key.address}.json", key, PASSPHRASE)
        w3 = make_web3(chain.url)
        port = free_port()
        env = service_env(rpc_url=chain.url, home=tmp_path, passphrase=PASSPHRASE, HURONG_RUN_INDEXER="false",
                          HURONG_LOW_BALANCE_ANCHORS=str(ANCHORS))  # fmt: skip
        server = start_service(env, port=port, log=tmp_path / "service.log")
        url = f"http://127.0.0.1:{port}/api/v1/health"
        try:
            health = httpx.get(url).json()
            assert health["status"] == "ok" and health["problems"] == [], health
            drained = result.accounts["sh_amr"]

            w3.provider.make_request("anvil_setBalance", [drained, hex(ANCHORS * ANCHOR_GAS)])  # type: ignore[arg-type]
            health = until(url, lambda h: h["status"] != "ok")
            assert health["status"] == "degraded", health
            [problem] = health["problems"]
            assert problem["code"] == "low_balance" and problem["account"] == drained
            assert problem["agency"] == "上海市市场监督管理局" and "上海市市场监督管理局" in problem["message"]
            assert int(problem["balance"]) == ANCHORS * ANCHOR_GAS < int(problem["required"])

            w3.provider.make_request("anvil_setBalance", [drained, hex(RICH)])  # type: ignore[arg-type]
            health = until(url, lambda h: h["status"] == "ok")
            assert health["status"] == "ok" and health["problems"] == [], health

            # A base fee above the configured cap (500 gwei) stops every write, whatever the balances.
            w3.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(1000 * 10**9)])  # type: ignore[arg-type]
            w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
            health = until(url, lambda h: h["status"] != "ok")
            assert health["status"] == "degraded", health
            assert [p["code"] for p in health["problems"]] == ["fees_above_cap"], health

            # Ten empty blocks bring the base fee under the cap; the index, not running, falls behind.
            w3.provider.make_request("anvil_mine", [hex(10)])  # type: ignore[arg-type]
            health = until(url, lambda h: h["status"] == "lagging")
            assert health["status"] == "lagging", health
            [problem] = health["problems"]
            assert problem["code"] == "index_lagging" and problem["lag"] == health["indexLag"] >= 10

            chain.stop()
            answer = httpx.get(url, timeout=30)
            assert answer.status_code == 503 and answer.headers["content-type"] == "application/json"
            assert int(answer.headers["retry-after"]) > 0
            body = answer.json()
            assert body["status"] == "unavailable" and body["error"]["code"] == "chain_unavailable"
            assert [p["code"] for p in body["problems"]] == ["chain_unavailable"]
            assert body["chainId"] == 31337
            metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30)
            assert metrics.status_code == 200 and "hurong_http_requests_total" in metrics.text
            spec = httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json").json()
            assert "503" in spec["paths"]["/api/v1/health"]["get"]["responses"]
        finally:
            stop_service(server)
    finally:
        chain.stop()
