"""JSON-RPC failover: a service given several endpoints of its chain keeps answering when the first one dies,
and `/health` names the endpoint that answers, the node's peers, and a chain that stopped sealing."""

from __future__ import annotations

import http.server
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from api.launcher import stop_service
from ledger.chain.base import FailoverHTTPProvider, active_endpoint
from ledger.chain.client import make_web3
from ledger.chain.node import Anvil, free_port
from tests.api.conftest import prepare_home, start_server
from tests.api.test_api import BUSINESS
from tests.conftest import WORLD
from tests.ledger.certificates.samples import fresh


@contextmanager
def forwarder(target: str) -> Iterator[tuple[str, http.server.ThreadingHTTPServer]]:
    """A JSON-RPC endpoint on its own port that forwards to `target` (a node's second door), until shut down."""

    class Forward(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            request = urllib.request.Request(target, data=body, headers={"Content-Type": "application/json"})  # noqa: S310
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (the loopback anvil)
                data = answer.read()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Forward)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server
    finally:
        server.shutdown()
        server.server_close()


def test_a_web3_over_several_endpoints_moves_past_a_dead_one_and_back_to_the_preferred() -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with Anvil(accounts=1) as chain, forwarder(chain.url) as (door, server):
        w3 = make_web3([dead, chain.url], timeout=2)
        assert isinstance(w3.provider, FailoverHTTPProvider)
        assert w3.eth.block_number >= 0 and active_endpoint(w3) == chain.url
        preferred = make_web3([door, chain.url], timeout=2)
        provider = preferred.provider
        assert isinstance(provider, FailoverHTTPProvider)
        provider.retry_after = 0.2
        assert preferred.eth.chain_id == 31337 and active_endpoint(preferred) == door
        server.shutdown()
        server.server_close()
        assert preferred.eth.get_block("latest")["number"] >= 0 and active_endpoint(preferred) == chain.url
        time.sleep(0.3)  # the preferred one is tried again, still dead: the request is answered all the same
        assert preferred.eth.get_block("latest")["number"] >= 0 and active_endpoint(preferred) == chain.url
    assert make_web3(chain.url).provider.__class__.__name__ == "HTTPProvider"  # one URL: no failover layer


def test_the_service_keeps_issuing_and_verifying_when_its_own_node_dies(tmp_path: Path) -> None:
    with Anvil(accounts=len(WORLD["accounts"])) as chain, forwarder(chain.url) as (door, own_node):
        _, keys = prepare_home(tmp_path, chain)
        env = {"HURONG_RPC_URLS": f"{door},{chain.url}", "HURONG_MAX_BLOCK_AGE_SECONDS": "5"}
        url, process = start_server(tmp_path, chain, env)
        try:
            with httpx.Client(base_url=url + "/api/v1", headers={"X-API-Key": keys["sh_amr"]}, timeout=60) as http:
                assert http.post("/certificates", json={"certificates": [fresh(BUSINESS)]}).status_code == 201
                node = http.get("/health").json()["node"]
                assert node["endpoint"] == door and node["endpoints"] == [door, chain.url] and "peers" in node
                own_node.shutdown()
                own_node.server_close()
                issued = http.post("/certificates", json={"certificates": [fresh(BUSINESS)]})
                assert issued.status_code == 201, issued.text
                (doc,) = issued.json()["data"]
                verdict = http.post("/verify", json={"certificate": doc, "context": {"province": "330000"}}).json()
                assert verdict["verdict"] == "VALID", verdict
                health = http.get("/health").json()
                assert health["status"] == "ok" and health["node"]["endpoint"] == chain.url, health
                time.sleep(6)  # anvil seals only when it has transactions: to a sealing network, a stall
                stalled = http.get("/health").json()
                assert stalled["status"] == "degraded" and stalled["node"]["headAge"] > 5
                assert [p["code"] for p in stalled["problems"]] == ["chain_stalled"]
        finally:
            stop_service(process)
