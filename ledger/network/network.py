"""A consortium network on go-ethereum Clique: one validator node per province, on this machine's loopback.

    network = Network.create(Path("net"), validators=4)   # keys, genesis, data folders
    network.up()                                          # start, peer, wait for blocks
    network.stop_node(3); network.start_node(3)
    network.down()

Everything lives in the network's home folder (0700): `network.json` (the description: chain id, and per node its
province, signer address, RPC URL, enode, ports, PID and data folder), `genesis.json`, the validators' keys in the
project's encrypted keystore (`keystore/`), the passphrase file (0600) that unlocks them and the copies in each
node's own keystore, one data folder per node (`node<i>/`) and one log per node (`logs/`). Nodes run in their own
sessions: they outlive the command that started them and are stopped by the PIDs recorded here.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.chain.node import free_port
from ledger.errors import ChainError, ConfigurationError, LedgerValueError, ToolchainError
from ledger.keys.keystore import AccountKey, ensure_passphrase_file, load_account_key, save_key
from ledger.network.genesis import DEFAULT_CHAIN_ID, DEFAULT_GAS_LIMIT, clique_genesis
from ledger.network.geth import GethNode, enode_id

#: Provinces given to validators when none are named: the test and demo consortia's founders first.
DEFAULT_PROVINCES = (310000, 330000, 440000, 110000, 320000, 340000, 350000, 360000, 370000, 420000)
DESCRIPTION = "network.json"

Log = Callable[[str], None]


def rpc_call(url: str, method: str, params: Sequence[Any] = (), *, timeout: float = 10.0) -> Any:
    """One JSON-RPC call; `ChainError` when the node cannot be reached or answers an error."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})  # noqa: S310 (loopback URL we built)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (loopback URL we built)
            answer = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ChainError(f"{method} on {url}: {exc}") from None
    if "error" in answer:
        raise ChainError(f"{method} on {url}: {answer['error'].get('message', answer['error'])}")
    return answer.get("result")


@dataclass
class Network:
    home: Path
    chain_id: int
    block_period: int
    gas_limit: int
    nodes: list[GethNode]
    #: The PID of the network's guard process (`ledger.network.guard`), while it runs.
    guard_pid: int | None = None

    # ------------------------------------------------------------------------------------------- description

    @classmethod
    def create(
        cls,
        home: Path,
        *,
        validators: int = 4,
        provinces: Sequence[int] | None = None,
        block_period: int = 1,
        chain_id: int = DEFAULT_CHAIN_ID,
        gas_limit: int = DEFAULT_GAS_LIMIT,
    ) -> Network:
        """Keys, genesis and data folders of a new network in `home` (nothing is started)."""
        codes = list(provinces) if provinces else list(DEFAULT_PROVINCES[:validators])
        if validators < 1 or len(codes) != validators or len(set(codes)) != len(codes):
            raise LedgerValueError(f"{validators} validators need as many distinct provinces, got {codes}")
        if block_period < 1:
            raise LedgerValueError("the block period is at least one second")
        if (home / DESCRIPTION).exists():
            raise ConfigurationError(f"{home} already holds a network: start it, or take it down and remove it")
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        network = cls(home, chain_id, block_period, gas_limit, [])
        keys = [AccountKey.generate() for _ in codes]
        genesis = clique_genesis([k.address for k in keys], chain_id=chain_id, block_period=block_period,
                                 gas_limit=gas_limit)  # fmt: skip
        network.genesis_file.write_text(json.dumps(genesis, indent=1) + "\n", encoding="utf-8")
        for code, key in zip(codes, keys, strict=True):
            network._new_node(code, key)
        for node in network.nodes:
            node.write_peers([n.enode for n in network.nodes if n is not node])
        network.save()
        return network

    @classmethod
    def load(cls, home: Path) -> Network:
        try:
            data = json.loads((home / DESCRIPTION).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigurationError(f"no network in {home} (no {DESCRIPTION}): run `hurong network up`") from None
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"cannot read {home / DESCRIPTION}: {exc}") from None
        nodes = [GethNode.from_json(n) for n in data["nodes"]]
        guard = data.get("guardPid")
        return cls(home, int(data["chainId"]), int(data["blockPeriod"]), int(data["gasLimit"]), nodes,
                   int(guard) if guard is not None else None)  # fmt: skip

    def save(self) -> None:
        document = {
            "chainId": self.chain_id,
            "blockPeriod": self.block_period,
            "gasLimit": self.gas_limit,
            "consensus": "clique",
            "nodes": [n.to_json() for n in self.nodes],
            "guardPid": self.guard_pid,
        }
        path = self.home / DESCRIPTION
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        os.replace(temporary, path)

    @property
    def genesis_file(self) -> Path:
        return self.home / "genesis.json"

    @property
    def password_file(self) -> Path:
        return self.home / "passphrase"

    def node(self, index: int) -> GethNode:
        if not 0 <= index < len(self.nodes):
            raise LedgerValueError(f"no node {index}: the network has nodes 0 to {len(self.nodes) - 1}")
        return self.nodes[index]

    def node_of_province(self, code: int) -> GethNode | None:
        return next((n for n in self.nodes if n.province == code), None)

    def validator_key(self, index: int) -> str:
        """The private key (hex) of a node's validator account, from the project's keystore."""
        node = self.node(index)
        passphrase = ensure_passphrase_file(self.password_file)
        return load_account_key(self.home / "keystore" / f"{node.signer}.json", passphrase)

    def _new_node(self, province: int, key: AccountKey) -> GethNode:
        if self.node_of_province(province) is not None:
            raise LedgerValueError(f"province {province} already has a node")
        index = len(self.nodes)
        node_key = secrets.token_bytes(32)
        p2p_port = free_port()
        node = GethNode(
            index=index,
            province=province,
            signer=key.address,
            datadir=str((self.home / f"node{index}").resolve()),
            http_port=free_port(),
            p2p_port=p2p_port,
            auth_port=free_port(),
            enode=f"enode://{enode_id(node_key)}@127.0.0.1:{p2p_port}",
        )
        passphrase = ensure_passphrase_file(self.password_file)
        save_key(self.home / "keystore" / f"{key.address}.json", key, passphrase)
        node.prepare(key.private_key, node_key, passphrase, self.genesis_file)
        self.nodes.append(node)
        return node

    # ----------------------------------------------------------------------------------------------- processes

    def _start(self, node: GethNode) -> None:
        node.start(chain_id=self.chain_id, password_file=self.password_file, gas_limit=self.gas_limit)
        self.save()

    def up(self, *, timeout: float = 120.0, log: Log | None = None) -> Network:
        """Start every node, wait until all of them peer and agree on their head, and only then let them seal;
        then wait until blocks advance.

        Sealing waits for the peers because Clique cannot leave a fork of equal weight: validators that seal
        before they see each other can split two against two, each half holding the blocks of the signers that
        must now wait their turn, and the chain halts for good. A split can still happen (a node seals before the
        others have started sealing and they discard its block), and later too: the network's guard, started
        here, brings such a split back onto one fork (`ledger.network.guard`)."""
        from ledger.network.guard import start_guard

        for node in self.nodes:
            self._start(node)
            if log:
                log(f"node {node.index} (province {node.province}, signer {node.signer}) on {node.rpc}")
        self.wait_peered(timeout=timeout)
        self.wait_synced(timeout=timeout)
        guard = start_guard(self)
        if log:
            log(f"guard (pid {guard}) watching for forks that halt the chain: {self.home / 'logs' / 'guard.log'}")
        for node in self.running():
            self.start_sealing(node)
        self.wait_ready(timeout=timeout)
        return self

    def start_node(self, index: int, *, timeout: float = 60.0) -> GethNode:
        """Start a stopped node, wait until it peers with the running others and has caught up with their head,
        then let it seal (blocks may be halted: two of four validators down)."""
        node = self.node(index)
        self._start(node)
        self.wait_peered([node], timeout=timeout)
        self.wait_caught_up(node, timeout=timeout)
        self.start_sealing(node)
        return node

    def start_sealing(self, node: GethNode, *, timeout: float = 60.0) -> None:
        """Let `node` seal blocks (as a Clique signer once the signers vote it in). Nodes start without sealing
        (no `--mine`): it starts once the node sees its peers and has their head, and once geth has unlocked the
        validator's key, which it does only after its RPC answers. Sealing started before fails ("authentication
        needed") and is not tried again until a block or a transaction arrives; on a halted chain neither comes
        (the pool's transactions were announced to the node before it sealed, and it dropped them then)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                rpc_call(node.rpc, "eth_sign", [node.signer, "0x"])  # answers only with the key unlocked
                break
            except ChainError as exc:
                if time.monotonic() > deadline:
                    raise ToolchainError(f"node {node.index} did not unlock its validator key: {exc}") from None
                time.sleep(0.1)
        rpc_call(node.rpc, "miner_start", [])

    def stop_node(self, index: int) -> GethNode:
        node = self.node(index)
        node.stop()
        self.save()
        return node

    def down(self) -> None:
        """Stop the guard and every node (their data stays: `up` starts them again)."""
        from ledger.network.guard import stop_guard

        stop_guard(self)
        for node in self.nodes:
            node.stop()
        self.save()

    def running(self) -> list[GethNode]:
        return [n for n in self.nodes if n.running()]

    def rpc(self, index: int, method: str, *params: Any) -> Any:
        return rpc_call(self.node(index).rpc, method, params)

    @property
    def url(self) -> str:
        """The RPC URL of the first running node."""
        running = self.running()
        if not running:
            raise ChainError("no node of the network is running")
        return running[0].rpc

    # ------------------------------------------------------------------------------------------------- waiting

    def wait_peered(self, nodes: Sequence[GethNode] | None = None, *, timeout: float = 60.0) -> None:
        """Wait until each of `nodes` (default: every running node) has every other running node as a peer."""
        deadline = time.monotonic() + timeout
        while True:
            running = self.running()
            lagging = [n.index for n in (nodes or running) if _peer_count(n) < len(running) - 1]
            if not lagging:
                return
            if time.monotonic() > deadline:
                raise ToolchainError(f"nodes {lagging} did not peer with the others within {timeout:.0f}s")
            time.sleep(0.2)

    def wait_ready(self, *, timeout: float = 120.0) -> None:
        """Wait until the running nodes peer and each of them sees blocks advance."""
        self.wait_peered(timeout=timeout)
        start = {n.index: self.head(n.index)[0] for n in self.running()}
        self.wait_for(lambda: all(self.head(i)[0] > h for i, h in start.items()), timeout, "blocks to advance")

    def wait_caught_up(self, node: GethNode, *, timeout: float = 60.0) -> None:
        """Wait until `node`'s head is at least as high as the highest head the other running nodes had."""
        others = [self.head(n.index)[0] for n in self.running() if n is not node]
        target = max(others, default=0)
        self.wait_for(lambda: self.head(node.index)[0] >= target, timeout, f"node {node.index} to reach block {target}")

    def wait_synced(self, *, timeout: float = 60.0) -> tuple[int, str]:
        """Wait until every running node has the same head; returns it."""
        heads: list[tuple[int, str]] = []

        def same() -> bool:
            nonlocal heads
            heads = [self.head(n.index) for n in self.running()]
            return len(set(heads)) == 1

        self.wait_for(same, timeout, "the nodes to agree on their head")
        return heads[0]

    def head(self, index: int, block: str = "latest") -> tuple[int, str]:
        header = self.rpc(index, "eth_getBlockByNumber", block, False)
        return int(header["number"], 16), header["hash"]

    @staticmethod
    def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise ChainError(f"timed out after {timeout:.0f}s waiting for {what}")
            time.sleep(0.2)

    # -------------------------------------------------------------------------------------------- membership

    def add_node(self, province: int, *, start: bool = True, timeout: float = 60.0) -> GethNode:
        """A new node for `province` with a new validator account, peered with the others (not yet a signer:
        its province is admitted by consortium vote, then `reconcile` makes it one)."""
        node = self._new_node(province, AccountKey.generate())
        enodes = [n.enode for n in self.nodes]
        for other in self.nodes:
            other.write_peers([e for e in enodes if e != other.enode])
        self.save()
        if start:
            self._start(node)
            for other in self.running():
                if other is not node:
                    rpc_call(other.rpc, "admin_addPeer", [node.enode])
                    rpc_call(other.rpc, "admin_addTrustedPeer", [node.enode])
            self.wait_peered(timeout=timeout)
            self.wait_caught_up(node, timeout=timeout)
            self.start_sealing(node)
        return node


def _peer_count(node: GethNode) -> int:
    try:
        return int(rpc_call(node.rpc, "net_peerCount"), 16)
    except ChainError:
        return -1
