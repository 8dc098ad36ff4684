"""The consortium on a real Clique network of four validators: the network as described, deployment and
bootstrap, issuance through the library (journal included) and through the service, verification now and at a
past block, a suspension, and the indexer — all unchanged from anvil."""

from __future__ import annotations

import stat
from pathlib import Path

from eth_account import Account

from api.launcher import stop_service
from ledger.chain.client import HurongClient
from ledger.chain.node import dev_private_keys
from ledger.index import Indexer, IndexReader
from ledger.issuance.issuer import Issuer
from ledger.issuance.journal import Journal
from ledger.network import Network, sealer_of, signers
from ledger.network.genesis import PREFUNDED_ETH
from ledger.verification.verifier import INVALID, VALID, VerificationContext, Verifier
from tests.api.conftest import Server, prepare_home, start_server
from tests.api.test_api import issue as issue_over_http
from tests.api.test_api import verify as verify_over_http
from tests.conftest import World
from tests.ledger import issuing
from tests.network.conftest import NETWORK, status_json

pytestmark = NETWORK

PROVINCES = [310000, 330000, 440000, 110000]


def test_the_network_has_one_sealing_validator_per_province_and_describes_itself(network: Network) -> None:
    state = status_json(network.home)
    assert state["chain_id"] == 8620
    validators = sorted(n.signer for n in network.nodes)
    assert [n["province"] for n in state["nodes"]] == PROVINCES
    assert state["signers"] == validators == signers(network.url)
    for node in state["nodes"]:
        assert node["running"] and node["peers"] == 3 and node["is_signer"]
        assert node["rpc"].startswith("http://127.0.0.1:") and node["pid"]
    heads = [n["head"] for n in state["nodes"]]
    assert all(n["head_hash"] for n in state["nodes"]) and max(heads) - min(heads) <= 3  # read one node at a time
    settled = hex(min(heads) - 1)  # out-of-turn siblings at the tip may take a block to resolve

    def one_chain() -> bool:
        return len({network.head(n.index, settled)[1] for n in network.nodes}) == 1

    network.wait_for(one_chain, 15, "every node to hold the same block")
    assert len({signer for _, signer in state["sealed_by"]}) >= 2  # sealing takes turns
    assert state["guardPid"] == network.guard_pid and network.guard_pid  # `up` started the guard
    for node in network.nodes:
        assert node.enode.startswith("enode://") and node.enode.endswith(f"@127.0.0.1:{node.p2p_port}")
        assert Path(node.datadir).is_dir()
    keys = [network.validator_key(n.index) for n in network.nodes]
    assert [Account.from_key(k).address for k in keys] == [n.signer for n in network.nodes]
    secrets = [network.password_file, *network.home.glob("keystore/*.json"), *network.home.glob("node*/keystore/*")]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in secrets)
    logs = "".join(p.read_text(errors="replace").lower() for p in network.home.glob("logs/*.log"))
    assert "sealed new block" in logs and not any(k[2:].lower() in logs for k in keys)


def test_the_development_accounts_are_funded_as_on_anvil(network: Network, net_world: World) -> None:
    w3 = net_world.reader.w3
    untouched = Account.from_key(dev_private_keys(25)[24]).address
    assert w3.eth.get_balance(untouched) == PREFUNDED_ETH * 10**18
    assert w3.eth.get_block("latest")["baseFeePerGas"] > 0  # London: fees from the base fee


def test_the_consortium_is_deployed_and_bootstrapped_unchanged(network: Network, net_world: World) -> None:
    reader = net_world.reader
    assert net_world.deployment.chain_id == 8620
    assert [p.code for p in reader.consortium.provinces()] == PROVINCES
    assert len(reader.authorities.agencies()) == 9 and reader.recognition.rule_count() == 1
    head = max(rec.block_number for rec in net_world.deployment.contracts.values())
    network.wait_for(lambda: all(network.head(n.index)[0] >= head for n in network.nodes), 30, "every node")
    registry = reader.certificates.address
    codes = {network.rpc(n.index, "eth_getCode", registry, hex(head)) for n in network.nodes}
    assert len(codes) == 1 and len(codes.pop()) > 1000


def test_a_batch_issued_through_the_library_verifies_now_after_a_suspension_and_at_a_past_block(
    network: Network, net_world: World, tmp_path: Path
) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    try:
        issuer = Issuer(net_world.as_("sh_amr"), journal)
        docs = issuer.issue(issuing.credentials(net_world, "sh_amr", 3))
        assert [b.state for b in journal.batches()] == ["anchored"]
    finally:
        journal.close()
    doc = docs[0]
    assert doc["proof"]["chainId"] == 8620
    verifier = Verifier(net_world.reader)
    assert verifier.verify(doc).verdict == VALID
    assert verifier.verify(doc, VerificationContext(330000)).verdict == VALID
    anchored_at = doc["proof"]["anchor"]["blockNumber"]
    assert sealer_of(network.url, anchored_at) in signers(network.url)

    receipt = issuing.suspend(net_world, "sh_amr", doc, reason=2)
    result = verifier.verify(doc)
    assert result.verdict == INVALID
    assert (result.check("status").outcome, result.check("status").code) == ("failed", "suspended")
    assert result.check("status").details["reason"] == "holder_request"
    assert verifier.verify(doc, block=anchored_at).verdict == VALID  # archive nodes answer about the past
    assert verifier.verify(docs[1]).verdict == VALID

    # Another validator's node gives the same answers once it has the block.
    other = network.nodes[2]
    network.wait_for(lambda: network.head(2)[0] >= receipt.block_number, 30, "node 2 to have the suspension")
    elsewhere = Verifier(HurongClient.connect(other.rpc, net_world.deployment))
    assert elsewhere.verify(doc).verdict == INVALID and elsewhere.verify(doc, block=anchored_at).verdict == VALID

    with Indexer(net_world.reader, f"sqlite:///{tmp_path / 'index.sqlite'}") as indexer:
        indexer.sync()
        indexed = verifier.verify(doc, reader=IndexReader(indexer))
        assert indexed.verdict == INVALID and indexed.check("status").code == "suspended"


def test_the_service_issues_and_verifies_over_http_on_the_network(
    network: Network, net_world: World, tmp_path: Path
) -> None:
    result, keys = prepare_home(tmp_path, network, net_world.result)  # type: ignore[arg-type]
    url, process = start_server(tmp_path, network)  # type: ignore[arg-type]
    try:
        server = Server(url, network, result, tmp_path, keys, process)  # type: ignore[arg-type]
        doc = issue_over_http(server)[0]
        assert doc["proof"]["chainId"] == 8620
        answer = verify_over_http(server, doc, "330000")
        assert answer["verdict"] == "VALID" and answer["block"]["number"] >= doc["proof"]["anchor"]["blockNumber"]
        with server.client() as http:
            assert http.get("/health").json()["chainId"] == 8620
    finally:
        stop_service(process)
