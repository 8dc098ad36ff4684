"""Validators failing on the four-validator Clique network: one of four down and the chain goes on; two of four
down and sealing halts (a signer may seal only one block in every floor(N/2)+1), and what was submitted meanwhile
is answered when sealing resumes, nothing lost and nothing anchored twice. Every test starts its nodes again."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

from ledger.issuance.issuer import Issuer
from ledger.issuance.journal import Journal
from ledger.network import Network, signers
from ledger.verification.verifier import VALID, Verifier
from tests.conftest import World
from tests.ledger import issuing
from tests.network.conftest import NETWORK, hurong

pytestmark = NETWORK


def wait_halted(network: Network, quiet: float = 4.0, timeout: float = 30.0) -> int:
    """Wait until node 0's head has not moved for `quiet` seconds; returns that head."""
    deadline = time.monotonic() + timeout
    head, since = network.head(0)[0], time.monotonic()
    while time.monotonic() - since < quiet:
        assert time.monotonic() < deadline, "sealing did not halt"
        time.sleep(0.25)
        now = network.head(0)[0]
        if now != head:
            head, since = now, time.monotonic()
    return head


def anchored_roots(world: World, from_block: int) -> list[bytes]:
    event = world.reader.certificates.contract.events.BatchAnchored
    return [bytes(e["args"]["root"]) for e in event.get_logs(from_block=from_block, to_block="latest")]


def test_with_one_validator_of_four_stopped_blocks_continue_and_the_restarted_one_catches_up(
    network: Network, net_world: World, tmp_path: Path, restarts: None
) -> None:
    hurong("network", "stop-node", "--home", network.home, "--index", "3")
    network = Network.load(network.home)
    assert not network.nodes[3].running() and len(network.running()) == 3
    start = network.head(0)[0]
    network.wait_for(lambda: network.head(0)[0] >= start + 4, 20, "blocks without node 3")

    docs = issuing.issue(net_world, tmp_path, "zj_amr", issuing.credentials(net_world, "zj_amr", 2))
    assert Verifier(net_world.reader).verify(docs[0]).verdict == VALID

    hurong("network", "start-node", "--home", network.home, "--index", "3")
    network = Network.load(network.home)
    target = network.head(0)
    network.wait_for(lambda: network.head(3)[0] >= target[0], 60, "node 3 to catch up")
    height = hex(target[0])  # the same block at that height, not a fork (a sibling sealed at the tip may lose)
    network.wait_for(lambda: network.head(3, height) == network.head(0, height), 30, "one block at that height")
    assert signers(network.nodes[3].rpc) == signers(network.url)


def test_with_two_of_four_stopped_sealing_halts_and_what_was_submitted_is_anchored_once_it_resumes(
    network: Network, net_world: World, tmp_path: Path, restarts: None
) -> None:
    network.stop_node(2)
    network.stop_node(3)
    halted_at = wait_halted(network)
    assert len(signers(network.url)) == 4  # the two are still signers: their turns are missing

    journal = Journal(tmp_path / "journal.sqlite")
    issuer = Issuer(net_world.as_("gd_amr"), journal, confirmation_timeout=300)
    creds = issuing.credentials(net_world, "gd_amr", 3)
    answered: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: answered.update(docs=issuer.issue(creds)), daemon=True)
    worker.start()
    try:
        time.sleep(4)
        assert worker.is_alive() and "docs" not in answered  # nobody is answered while nothing is sealed
        assert network.head(0)[0] == halted_at
        assert [b.state for b in journal.batches()] == ["sent"]

        network.start_node(2)
        worker.join(timeout=90)
        assert not worker.is_alive() and len(answered["docs"]) == 3
    finally:
        worker.join(timeout=120)
        batches = journal.batches()
        journal.close()
    assert network.head(0)[0] > halted_at
    assert [b.state for b in batches] == ["anchored"]
    assert anchored_roots(net_world, halted_at).count(batches[0].root) == 1  # anchored once, not re-sent twice
    assert Verifier(net_world.reader).verify(answered["docs"][0]).verdict == VALID


def test_the_clients_own_node_killed_mid_issuance_loses_nothing_and_anchors_once(
    network: Network, net_world: World, tmp_path: Path, restarts: None
) -> None:
    """kill -9 of the node the issuer talks to, right after its transaction was sent: the issuer goes on through
    another node (failover), the transaction is re-sent if the dead node never relayed it, and the batch is
    anchored exactly once."""
    from ledger.chain.client import HurongClient, make_web3

    key = net_world.result.keys["gd_amr"]
    w3 = make_web3([network.nodes[0].rpc, network.nodes[1].rpc], timeout=5)
    client = HurongClient.connect(w3, net_world.result.deployment, key)
    journal = Journal(tmp_path / "journal.sqlite")
    issuer = Issuer(client, journal, confirmation_timeout=300)
    start = network.head(1)[0]
    killed: list[int] = []

    def kill_when_sent() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(b.state == "sent" for b in journal.batches()):
            time.sleep(0.01)
        pid = network.nodes[0].pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    killer = threading.Thread(target=kill_when_sent, daemon=True)
    killer.start()
    docs = issuer.issue(issuing.credentials(net_world, "gd_amr", 4))
    killer.join(timeout=60)
    batches = journal.batches()
    journal.close()
    assert killed and len(docs) == 4 and [b.state for b in batches] == ["anchored"]
    reader = HurongClient.connect(network.nodes[1].rpc, net_world.result.deployment)
    event = reader.certificates.contract.events.BatchAnchored
    roots = [bytes(e["args"]["root"]) for e in event.get_logs(from_block=start, to_block="latest")]
    assert roots.count(batches[0].root) == 1
    assert Verifier(reader).verify(docs[0]).verdict == VALID
