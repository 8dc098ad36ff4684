"""The network's guard on the four-validator Clique network: validators split onto two forks of equal total
difficulty, each validator on the fork where it has just signed, halt for good in geth 1.13; the guard (started
by `hurong network up`) brings them back onto one fork, and what was submitted meanwhile is anchored.

The split is made exactly: every node stops sealing, the network is cut into two pairs, each pair seals two blocks
(one node at a time, chosen so that both forks weigh the same), the pairs are joined again (nodes exchange only
their total difficulty on connecting, which is equal, so each keeps its own fork) and every node seals again."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.network import Network, sealer_of, signers
from ledger.network.guard import NodeHead, guard_log, guard_running, kept_head
from ledger.verification.verifier import VALID, Verifier
from tests.conftest import World
from tests.ledger import issuing
from tests.network.conftest import NETWORK

pytestmark = NETWORK

Pair = tuple[int, int]


def test_the_kept_head_is_chosen_by_total_difficulty_then_number_then_hash() -> None:
    def head(index: int, number: int, hash_: str, td: int) -> NodeHead:
        return NodeHead(index, number, hash_, td, True)

    a, b = head(0, 10, "0x0b", 15), head(1, 10, "0x0a", 15)
    assert kept_head([a, b]) == b  # equal weight and height: the lower hash
    assert kept_head([a, head(2, 9, "0xff", 15)]).index == 2  # equal weight: the shorter chain
    assert kept_head([a, b, head(3, 10, "0xff", 16)]).index == 3  # the heavier chain first


def _cut(network: Network, left: Pair, right: Pair, *, join: bool) -> None:
    """Disconnect (or connect again) every node of `left` from every node of `right`, both ways. A dial already
    under way when a peer is removed can connect it again: the call is repeated until the peers are as asked."""
    pairs = [p for i, j in itertools.product(left, right) for p in ((i, j), (j, i))]
    expected = 3 if join else 1

    def settled() -> bool:
        for a, b in pairs:
            enode = network.node(b).enode
            if join:
                network.rpc(a, "admin_addTrustedPeer", enode)
                network.rpc(a, "admin_addPeer", enode)
            else:
                network.rpc(a, "admin_removeTrustedPeer", enode)
                network.rpc(a, "admin_removePeer", enode)
        time.sleep(1)
        return all(int(network.rpc(i, "net_peerCount"), 16) == expected for i in (*left, *right))

    network.wait_for(settled, 60, f"{expected} peers each")


def _plan(network: Network, head: int) -> tuple[Pair, list[int], Pair, list[int]] | None:
    """Two pairs of nodes, and for each the nodes that seal blocks head+1, head+2… on its side, such that Clique
    lets each seal (none signed among the two blocks before its own), both forks add the same difficulty (2 in
    turn, 1 out of turn) and afterwards every node of a pair has signed one of its fork's last two blocks; None
    when no such split exists at this head."""
    order = sorted(signers(network.url), key=str.lower)  # Clique's turns follow the addresses' bytes
    node_of = {n.signer: n.index for n in network.nodes}
    base = {head: node_of[sealer_of(network.url, head)], head - 1: node_of[sealer_of(network.url, head - 1)]}

    def fork(pair: Pair, sequence: tuple[int, ...]) -> int | None:
        sealed, weight = dict(base), 0
        for number, index in enumerate(sequence, start=head + 1):
            if index in (sealed.get(number - 1), sealed.get(number - 2)):
                return None
            sealed[number] = index
            weight += 2 if order[number % len(order)] == network.node(index).signer else 1
        tip = head + len(sequence)
        return weight if all(i in (sealed[tip], sealed[tip - 1]) for i in pair) else None

    pairs: list[tuple[Pair, Pair]] = [((0, 1), (2, 3)), ((0, 2), (1, 3)), ((0, 3), (1, 2))]
    for left, right in pairs:
        for a, b in itertools.product(_sequences(left), _sequences(right)):
            weight = fork(left, a)
            if weight is not None and weight == fork(right, b):
                return left, list(a), right, list(b)
    return None


def _sequences(pair: Pair) -> list[tuple[int, ...]]:
    first, second = pair
    return [(first,), (second,), (first, second), (second, first)]


def _seal_one(network: Network, index: int, number: int, nodes: list[int]) -> None:
    """Let node `index` alone seal block `number`, and wait until `nodes` hold it."""
    network.rpc(index, "miner_start")
    try:
        network.wait_for(lambda: network.head(index)[0] >= number, 30, f"node {index} to seal #{number}")
    finally:
        network.rpc(index, "miner_stop")
    sealed = network.head(index)
    network.wait_for(lambda: all(network.head(i) == sealed for i in nodes), 30, f"#{number} to reach {nodes}")


def _stop_sealing_on_one_head(network: Network, tries: int = 8) -> int:
    """Stop every node's sealing with all of them on one head; returns its number. Blocks sealed as the miners stop
    can leave two siblings at the tip, which nothing settles while nobody seals: then everyone seals a little
    longer and stops again."""
    for _ in range(tries):
        for i in range(4):
            network.rpc(i, "miner_stop")
        time.sleep(2)  # a block sealed as the miners stopped has reached every node
        heads = {network.head(i) for i in range(4)}
        if len(heads) == 1:
            return heads.pop()[0]
        tip = max(heads)[0]
        for i in range(4):
            network.rpc(i, "miner_start")
        network.wait_for(lambda tip=tip: min(network.head(i)[0] for i in range(4)) > tip, 60, "a block past the tip")
    raise AssertionError(f"the nodes did not stop on one head in {tries} tries")


@pytest.fixture
def sealing_again(network: Network, restarts: None) -> Iterator[None]:
    """Whatever happens, every node is peered with every other and sealing afterwards."""
    yield
    for i, j in itertools.permutations(range(4), 2):
        network.rpc(i, "admin_addTrustedPeer", network.node(j).enode)
        network.rpc(i, "admin_addPeer", network.node(j).enode)
    for i in range(4):
        network.rpc(i, "miner_start")


def test_validators_split_onto_two_forks_of_equal_weight_are_brought_back_onto_one_by_the_guard(
    network: Network, net_world: World, tmp_path: Path, sealing_again: None
) -> None:
    assert guard_running(network.guard_pid, network.home), "`hurong network up` starts the guard"
    head = _stop_sealing_on_one_head(network)
    plan = _plan(network, head)
    for _ in range(12):  # no such split from this head: one more block, sealed by a node allowed to
        if plan is not None:
            break
        node_of = {n.signer: n.index for n in network.nodes}
        recent = {node_of[sealer_of(network.url, head)], node_of[sealer_of(network.url, head - 1)]}
        sealer = next(i for i in range(4) if i not in recent)
        _seal_one(network, sealer, head + 1, list(range(4)))
        head += 1
        plan = _plan(network, head)
    assert plan is not None, "no split of equal weight in twelve blocks"
    left, left_sealers, right, right_sealers = plan
    _cut(network, left, right, join=False)
    for pair, sealers in ((left, left_sealers), (right, right_sealers)):
        for number, index in enumerate(sealers, start=head + 1):
            _seal_one(network, index, number, list(pair))
    forks = {network.head(left[0]), network.head(right[0])}
    assert len(forks) == 2
    _cut(network, left, right, join=True)
    time.sleep(3)
    assert {network.head(i) for i in range(4)} == forks  # joined: each node keeps its own fork (equal weight)

    log_before = guard_log(network.home).read_text()
    answered: dict[str, Any] = {}
    creds = issuing.credentials(net_world, "zj_amr", 2)
    worker = threading.Thread(
        target=lambda: answered.update(docs=issuing.issue(net_world, tmp_path, "zj_amr", creds)), daemon=True
    )
    for i in range(4):
        network.rpc(i, "miner_start")
    worker.start()
    time.sleep(4)
    assert {network.head(i) for i in range(4)} == forks, "the split halts the chain: no node may seal"

    worker.join(timeout=120)
    assert not worker.is_alive() and len(answered["docs"]) == 2
    network.wait_for(lambda: min(network.head(i)[0] for i in range(4)) > head + 3, 60, "blocks on one fork")
    assert len({network.head(i, hex(head + 3)) for i in range(4)}) == 1
    assert Verifier(net_world.reader).verify(answered["docs"][0]).verdict == VALID
    added = guard_log(network.home).read_text()[len(log_before) :]
    assert "keeping node" in added and "rewinding node" in added, added


def test_the_guard_command_refuses_a_folder_without_a_network(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ledger.cli", "network", "guard", "--home", str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode != 0 and "no network in" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
