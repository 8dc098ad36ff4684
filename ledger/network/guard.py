"""The network's guard: it keeps a Clique network sealing when its validators split into forks that cannot go on.

Clique lets any signer seal a block out of turn, so two validators can seal rival blocks at one height. The nodes
then follow the fork of greater total difficulty; between forks of equal difficulty geth 1.13 picks one at random
when it imports the other. A network can so end up split, each validator holding the fork on which it has signed
one of the last floor(N/2)+1 blocks, where Clique forbids it to sign again: no node seals, no block comes that
would make a node change fork, and the chain halts for good although every validator runs (go-ethereum issue
18402; EIP-3436 proposes the fork choice that prevents it, which geth 1.13 does not have).

The guard watches the running nodes. When no node's head has moved for `stall_after` seconds although enough
validators have been sealing for the chain to go on (more than half of the signer set), and the sealing nodes hold
different heads, it keeps one head, chosen as EIP-3436 orders them (the highest total difficulty, then the lower
block number, then the lowest hash), and brings every other sealing node onto it: that node stops sealing, is
rewound (`debug_setHead`) to the last block it shares with the kept head, is given the kept fork's blocks, and
seals again. The blocks it drops were sealed on a fork no other node will build on; their transactions
go back to its pool (geth re-injects the transactions of a rewound chain) and are sealed on the kept fork.
A node is brought over only when it is peered with a node of the kept fork (it is cut off otherwise, and would
stay behind).

`hurong network up` starts the guard as a process of its own (`hurong network guard`), recorded in the network's
description and stopped by `down`; it writes what it does to `logs/guard.log`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ledger.errors import ChainError, ConfigurationError
from ledger.network.network import Log, Network, rpc_call
from ledger.network.processes import runs, spawn, stop


@dataclass(frozen=True)
class NodeHead:
    """A running node's head, and whether it is sealing."""

    index: int
    number: int
    hash: str
    total_difficulty: int
    sealing: bool

    def describe(self) -> str:
        return f"node {self.index} at #{self.number} {self.hash[:12]}… (td {self.total_difficulty})"


def read_heads(network: Network) -> list[NodeHead]:
    """The heads of the running nodes that answer."""
    heads = []
    for node in network.running():
        try:
            header = rpc_call(node.rpc, "eth_getBlockByNumber", ["latest", False], timeout=5)
            sealing = bool(rpc_call(node.rpc, "eth_mining", [], timeout=5))
        except ChainError:
            continue
        heads.append(
            NodeHead(node.index, int(header["number"], 16), header["hash"], int(header["totalDifficulty"], 16), sealing)
        )
    return heads


def kept_head(heads: list[NodeHead]) -> NodeHead:
    """The head every node is brought onto: EIP-3436's order (highest total difficulty, then the lower number, then
    the lowest hash; its third rule, the signer least recently in turn, is left out: the hash decides alone)."""
    return min(heads, key=lambda h: (-h.total_difficulty, h.number, int(h.hash, 16)))


def common_ancestor(network: Network, index: int, other: int, below: int) -> int:
    """The highest block number at or below `below` where nodes `index` and `other` hold the same block."""
    for number in range(below, -1, -1):
        mine = rpc_call(network.node(index).rpc, "eth_getBlockByNumber", [hex(number), False])
        theirs = rpc_call(network.node(other).rpc, "eth_getBlockByNumber", [hex(number), False])
        if mine and theirs and mine["hash"] == theirs["hash"]:
            return number
    raise ChainError(f"nodes {index} and {other} share no block: they do not run one chain")


def _peer_ids(network: Network, index: int) -> set[str]:
    return {_enode_id(str(p.get("enode", ""))) for p in rpc_call(network.node(index).rpc, "admin_peers", [])}


def _enode_id(enode: str) -> str:
    return enode.removeprefix("enode://").split("@", 1)[0].lower()


def bring_onto(network: Network, index: int, kept: NodeHead, log: Log) -> int:
    """Rewind node `index` to its last block shared with `kept`, give it the kept fork's blocks from the node that
    holds them (`admin_exportChain` there, `admin_importChain` here: a rewound node would not fetch them by
    itself, since geth syncs only when a peer announces a head, and a peer on the other fork may announce as much
    weight), and let it seal again; returns the block it was rewound to."""
    rpc = network.node(index).rpc
    rpc_call(rpc, "miner_stop", [])
    try:
        mine = int(rpc_call(rpc, "eth_blockNumber", []), 16)
        ancestor = common_ancestor(network, index, kept.index, min(mine, kept.number))
        log(f"rewinding node {index} from #{mine} to #{ancestor}, its last block shared with {kept.describe()}")
        blocks = network.home / "guard" / f"blocks-{ancestor + 1}-{kept.number}-{kept.hash[2:14]}.rlp"
        blocks.parent.mkdir(mode=0o700, exist_ok=True)
        blocks.unlink(missing_ok=True)
        try:
            rpc_call(network.node(kept.index).rpc, "admin_exportChain", [str(blocks), ancestor + 1, kept.number])
            rpc_call(rpc, "debug_setHead", [hex(ancestor)])
            rpc_call(rpc, "admin_importChain", [str(blocks)], timeout=120)
        finally:
            blocks.unlink(missing_ok=True)
        block = rpc_call(rpc, "eth_getBlockByNumber", [hex(kept.number), False])
        if not block or block["hash"] != kept.hash:
            raise ChainError(f"node {index} did not take block #{kept.number} {kept.hash}")
        log(f"node {index} now holds #{kept.number} {kept.hash[:12]}…")
        return ancestor
    finally:
        rpc_call(rpc, "miner_start", [])


class Guard:
    """Watches one network (its description is read again at every step: nodes are stopped, started, added)."""

    def __init__(self, home: Path, *, stall_after: float | None = None, log: Log | None = None) -> None:
        self.home = home
        self.stall_after = stall_after
        self.log: Log = log or (lambda message: None)
        self._seen: tuple[tuple[int, str, bool], ...] = ()
        self._reported: tuple[tuple[int, str, bool], ...] = ()
        self._since = time.monotonic()

    def _stall_after(self, network: Network, signer_count: int) -> float:
        """A few block periods and the longest out-of-turn delay (half a second per signer in the recent window)."""
        if self.stall_after is not None:
            return self.stall_after
        return max(8.0, 4 * network.block_period + 0.5 * (signer_count // 2 + 1))

    def step(self, network: Network | None = None) -> list[int]:
        """Look once at `network` (default: as its description says now); returns the nodes brought onto the kept
        head (none when the chain moves or cannot be helped)."""
        network = Network.load(self.home) if network is None else network
        heads = read_heads(network)
        seen = tuple(sorted((h.index, h.hash, h.sealing) for h in heads))
        now = time.monotonic()
        if seen != self._seen:
            self._seen, self._since = seen, now
            return []
        sealing = [h for h in heads if h.sealing]
        if not sealing or len({h.hash for h in sealing}) == 1:
            return []
        kept = kept_head(sealing)
        signer_count = len(rpc_call(network.node(kept.index).rpc, "clique_getSigners", [hex(kept.number)]))
        if now - self._since < self._stall_after(network, signer_count) or len(sealing) <= signer_count // 2:
            return []
        if seen == self._reported:  # said already, and nothing could be done: nothing has changed since
            return []
        self._reported = seen
        self.log(
            f"no block for {now - self._since:.0f}s with {len(sealing)} of {signer_count} signers sealing on "
            f"different heads: " + "; ".join(h.describe() for h in heads) + f"; keeping {kept.describe()}"
        )
        on_kept = {_enode_id(network.node(h.index).enode) for h in heads if h.hash == kept.hash}
        moved = []
        for head in sealing:
            if head.hash == kept.hash:
                continue
            if not _peer_ids(network, head.index) & on_kept:
                self.log(f"node {head.index} has no peer on the kept fork: left as it is")
                continue
            bring_onto(network, head.index, kept, self.log)
            moved.append(head.index)
        self._since = time.monotonic()
        return moved

    def run(self, *, poll: float = 1.0, until: Callable[[], bool] = lambda: False, idle: float = 600.0) -> None:
        """Step every `poll` seconds until `until()`, the network's description is gone, or no node of it has run
        for `idle` seconds (its nodes were stopped without `down`)."""
        self.log(f"guarding the network in {self.home}")
        last_running = time.monotonic()
        while not until():
            try:
                network = Network.load(self.home)
                if network.running():
                    last_running = time.monotonic()
                elif time.monotonic() - last_running > idle:
                    self.log(f"no node has run for {idle:.0f}s: the guard stops")
                    return
                self.step(network)
            except ConfigurationError:
                self.log("the network's description is gone: the guard stops")
                return
            except ChainError as exc:  # a node stopped or restarted meanwhile: look again
                self.log(f"step abandoned: {exc}")
                self._seen = ()
            time.sleep(poll)


# --------------------------------------------------------------------------------------------------- its process


def guard_log(home: Path) -> Path:
    return home / "logs" / "guard.log"


def guard_running(pid: int | None, home: Path) -> bool:
    """Whether `pid` is this network's guard (and not a process that reused the number)."""
    return runs(pid, b"guard", str(home.resolve()).encode())


def start_guard(network: Network) -> int:
    """Start the network's guard process unless it runs; returns its PID (recorded in the description)."""
    if network.guard_pid is not None and guard_running(network.guard_pid, network.home):
        return network.guard_pid
    command = [sys.executable, "-m", "ledger.cli", "network", "guard", "--home", str(network.home.resolve())]
    network.guard_pid = spawn(command, guard_log(network.home)).pid
    network.save()
    return network.guard_pid


def stop_guard(network: Network, timeout: float = 10.0) -> None:
    """Stop the guard by its PID (SIGTERM, so it finishes its step; SIGKILL after `timeout`)."""
    pid, network.guard_pid = network.guard_pid, None
    if pid is not None:
        stop(pid, lambda pid: guard_running(pid, network.home), timeout)
    network.save()
