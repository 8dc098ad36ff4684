"""What the Clique engine knows and decides: the signer set, who sealed which block, and votes on signers.

`status` reads each node's head, peers and signers and who sealed the last blocks (`clique_getSigner`).
`reconcile` makes the signer set follow the consortium: the validators of the provinces the `Consortium` contract
holds active (the province → validator mapping is the network's description) are proposed in
(`clique_propose(address, true)`) and every other signer out (`false`), from every running node, and votes that
no longer serve are discarded; a signer votes in the blocks it seals, and a change takes effect once more than
half of the signers have voted for it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from eth_utils import to_checksum_address

from ledger.chain.client import HurongClient
from ledger.chain.models import ProvinceStatus
from ledger.errors import ChainError, LedgerValueError
from ledger.network.network import Network, rpc_call


@dataclass(frozen=True)
class NodeStatus:
    index: int
    province: int
    signer: str
    rpc: str
    pid: int | None
    running: bool
    head: int | None = None
    head_hash: str | None = None
    peers: int | None = None
    is_signer: bool | None = None


@dataclass(frozen=True)
class NetworkStatus:
    chain_id: int
    nodes: list[NodeStatus]
    signers: list[str]
    #: (block number, signer) of the last blocks, newest first.
    sealed_by: list[tuple[int, str]]


def signers(url: str, block: str = "latest") -> list[str]:
    """The signer set at `block` as a node sees it (checksummed, sorted)."""
    return sorted(to_checksum_address(a) for a in rpc_call(url, "clique_getSigners", [block]))


def sealer_of(url: str, number: int) -> str:
    """The account that sealed block `number`."""
    return to_checksum_address(rpc_call(url, "clique_getSigner", [hex(number)]))


def status(network: Network, *, last_blocks: int = 8) -> NetworkStatus:
    nodes: list[NodeStatus] = []
    current: list[str] = []
    sealed: list[tuple[int, str]] = []
    for node in network.nodes:
        base = NodeStatus(node.index, node.province, node.signer, node.rpc, node.pid, node.running())
        if not base.running:
            nodes.append(base)
            continue
        try:
            number, block_hash = network.head(node.index)
            peers = int(rpc_call(node.rpc, "net_peerCount"), 16)
            node_signers = signers(node.rpc)
        except ChainError:
            nodes.append(base)
            continue
        if not current:
            current = node_signers
            sealed = [(n, sealer_of(node.rpc, n)) for n in range(number, max(number - last_blocks, 0), -1)]
        is_signer = node.signer in node_signers
        nodes.append(dataclasses.replace(base, head=number, head_hash=block_hash, peers=peers, is_signer=is_signer))
    return NetworkStatus(network.chain_id, nodes, current, sealed)


@dataclass(frozen=True)
class Reconciliation:
    """What `reconcile` found and asked for."""

    wanted: list[str]
    current: list[str]
    to_add: list[str]
    to_drop: list[str]
    voters: list[int]


def wanted_signers(network: Network, client: HurongClient) -> list[str]:
    """The validators of the nodes whose province the consortium holds active."""
    active = {p.code for p in client.consortium.provinces() if p.status == ProvinceStatus.ACTIVE}
    return sorted(n.signer for n in network.nodes if n.province in active)


def reconcile(network: Network, client: HurongClient) -> Reconciliation:
    """Vote, from every running node, for the signer set to become the consortium's active validators.
    Returns at once: `wait_for_signers` waits for the effect."""
    wanted = wanted_signers(network, client)
    if not wanted:
        raise LedgerValueError("no active province of the consortium has a node: the signer set would be empty")
    running = network.running()
    if not running:
        raise ChainError("no node of the network is running")
    current = signers(running[0].rpc)
    to_add = [a for a in wanted if a not in current]
    to_drop = [a for a in current if a not in wanted]
    for node in running:
        for address in rpc_call(node.rpc, "clique_proposals") or {}:
            if to_checksum_address(address) not in to_add + to_drop:
                rpc_call(node.rpc, "clique_discard", [address])
        for address in to_add:
            rpc_call(node.rpc, "clique_propose", [address, True])
        for address in to_drop:
            rpc_call(node.rpc, "clique_propose", [address, False])
    return Reconciliation(wanted, current, to_add, to_drop, [n.index for n in running])


def wait_for_signers(network: Network, expected: list[str], *, timeout: float = 60.0) -> None:
    """Wait until the running nodes' signer set is `expected`."""
    want = sorted(to_checksum_address(a) for a in expected)
    network.wait_for(lambda: signers(network.url) == want, timeout, f"the signer set {want}")
