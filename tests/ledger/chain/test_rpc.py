"""The lean JSON-RPC of the verification hot path (`ledger.chain.rpc`) against the real anvil of the `world`, through
a forwarding endpoint that counts requests and can be told to answer what a broken node would."""

from __future__ import annotations

import http.server
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest

from ledger.chain.base import make_web3
from ledger.chain.client import HurongClient
from ledger.chain.models import CertificateStatus
from ledger.chain.node import free_port
from ledger.chain.rpc import LeanRpc, decode_status
from ledger.errors import ChainError, RpcError, RpcUnreachable
from ledger.verification.verifier import INVALID, VALID, Verifier
from tests.conftest import World
from tests.ledger import issuing


class Door(http.server.ThreadingHTTPServer):
    """Forwards JSON-RPC to the node, keeping connections alive; counts requests; `mode` makes it misbehave."""

    def __init__(self, target: str) -> None:
        super().__init__(("127.0.0.1", free_port()), _Forward)
        self.target = target
        self.requests = 0
        self.mode = "forward"
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


class _Forward(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Door

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.requests += 1
        mode, status = self.server.mode, 200
        if mode == "garbage":
            data = b"<html>not json</html>"
        elif mode == "http500":
            data, status = b"{}", 500
        elif mode == "wrong_ids":
            data = orjson.dumps([{"jsonrpc": "2.0", "id": 7, "result": "0x1"}, {"jsonrpc": "2.0", "id": 7,
                                                                                  "result": "0x1"}])  # fmt: skip
        else:
            request = urllib.request.Request(self.server.target, data=body,  # noqa: S310 (the loopback anvil)
                                             headers={"Content-Type": "application/json"})  # fmt: skip
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (the loopback anvil)
                data = answer.read()
            if mode == "bad_hash" and b'"hash"' in data:
                data = data.replace(b'"hash":"0x', b'"hash":"0xzz', 1)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def door(target: str) -> Iterator[Door]:
    server = Door(target)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def issued(world: World, tmp_path: Path, count: int = 2) -> list[dict[str, Any]]:
    return issuing.issue(world, tmp_path, "sh_amr", issuing.credentials(world, "sh_amr", count))


def test_the_head_and_a_status_read_lean_are_what_web3_reads(world: World, tmp_path: Path) -> None:
    valid, revoked = issued(world, tmp_path)
    issuing.revoke(world, "sh_amr", revoked, reason=3)
    rpc = LeanRpc(world.reader.w3)
    head, block = rpc.head(), world.reader.w3.eth.get_block("latest")
    assert (head.number, head.hash, head.timestamp) == (block["number"], block["hash"].to_0x_hex(), block["timestamp"])
    registry, agency = world.reader.certificates.address, issuing.agency_of(valid)
    for doc, expected in ((valid, CertificateStatus.VALID), (revoked, CertificateStatus.REVOKED)):
        digest = bytes.fromhex(issuing.digest_of(doc)[2:])
        status, reason, updated, successor = rpc.status_words(registry, agency, digest, head.number)
        record = world.reader.certificates.status_of(agency, digest, block_identifier=head.number)
        assert (CertificateStatus(status), reason, updated) == (record.status, record.reason, record.updated_at)
        assert record.status == expected and successor == bytes(32)
        same, answer = rpc.head_and_status(registry, agency, digest, head.hash)
        assert same == head and answer == (status, reason, updated, successor)
    gone, answer = rpc.head_and_status(registry, agency, digest, "0x" + "ab" * 32)  # a block the node never had
    assert gone == head and isinstance(answer, RpcError)


def test_a_verification_while_the_head_stays_is_one_request_to_the_node(world: World, tmp_path: Path) -> None:
    valid, revoked = issued(world, tmp_path)
    issuing.revoke(world, "sh_amr", revoked, reason=3)
    with door(world.anvil.url) as node:
        verifier = Verifier(HurongClient.connect(node.url, world.reader.deployment))
        assert verifier.verify(valid).verdict == VALID  # the first one reads the registries at this head
        before = node.requests
        assert verifier.verify(revoked).verdict == INVALID
        assert node.requests == before + 1  # the head and the status, in one JSON-RPC batch
        result = verifier.verify(valid)  # its status is known at this block: the head only
        assert result.verdict == VALID and node.requests == before + 2
        world.advance(1)  # a new head: a new reader, the same answers
        assert verifier.verify(revoked).verdict == INVALID and verifier.verify(valid).verdict == VALID


@pytest.mark.parametrize("mode", ["garbage", "http500", "bad_hash", "wrong_ids"])
def test_a_node_answering_nonsense_is_a_chain_error_never_a_wrong_answer(world: World, tmp_path: Path,
                                                                         mode: str) -> None:  # fmt: skip
    (doc,) = issued(world, tmp_path, 1)
    with door(world.anvil.url) as node:
        client = HurongClient.connect(node.url, world.reader.deployment)
        rpc, verifier = LeanRpc(client.w3), Verifier(client)
        assert verifier.verify(doc).verdict == VALID
        node.mode = mode
        with pytest.raises(ChainError):
            verifier.verify(doc)
        if mode == "http500":
            with pytest.raises(RpcUnreachable):
                rpc.head()
        elif mode == "wrong_ids":
            with pytest.raises(ChainError, match="unknown or repeated ids"):
                rpc.batch([("eth_blockNumber", []), ("eth_chainId", [])])
        node.mode = "forward"
        assert verifier.verify(doc).verdict == VALID  # and all is well again once the node is


def test_over_several_endpoints_the_lean_reads_follow_web3s_failover(world: World, tmp_path: Path) -> None:
    (doc,) = issued(world, tmp_path, 1)
    dead = f"http://127.0.0.1:{free_port()}"
    with door(world.anvil.url) as node:
        client = HurongClient.connect(make_web3([dead, node.url], timeout=2), world.reader.deployment)
        verifier = Verifier(client)
        assert verifier.verify(doc).verdict == VALID
        assert verifier.verify(doc).verdict == VALID
        assert node.requests > 0
    with pytest.raises(RpcUnreachable):
        LeanRpc(make_web3(dead)).head()


def test_status_answers_are_checked_before_they_are_believed() -> None:
    word = (1).to_bytes(32, "big")
    assert decode_status("0x" + (word * 3 + bytes(32)).hex()) == (1, 1, 1, bytes(32))
    for answer in (None, "0x", "0x" + (word * 3).hex(), "0x" + (word * 5).hex(), "zz", "0x" + "0" * 255,
                   "0x" + ((256).to_bytes(32, "big") + word * 2 + bytes(32)).hex()):  # fmt: skip
        with pytest.raises(ChainError):
            decode_status(answer)
