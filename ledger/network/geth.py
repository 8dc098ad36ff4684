"""One go-ethereum validator process: its data folder, its command line, and starting and stopping it by PID.

go-ethereum v1.13.15 is the last release that seals Clique blocks; `scripts/build-geth.sh` builds it once per
machine into `${XDG_CACHE_HOME:-~/.cache}/hurong/geth-v1.13.15/geth` (`HURONG_GETH` names another binary).

A node listens on 127.0.0.1 only (JSON-RPC, the engine API geth always opens, and devp2p with discovery off and
`--netrestrict 127.0.0.1/32`), peers only with the static nodes of its `config.toml`, keeps every state
(`--gcmode archive`, for verification at a past block) and seals with its validator account, unlocked from its
keystore with the network's passphrase file. Its output goes to a log file (0600); geth logs no private key.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import coincurve
from eth_account import Account

from ledger.chain.node import open_private_log, rpc_ready
from ledger.errors import ToolchainError
from ledger.network.processes import runs, spawn, stop
from ledger.toolchain.binaries import built_binary

GETH_VERSION = "1.13.15"
#: scrypt cost of the key file in a node's keystore (the same as the project's own key files).
_GETH_KEY_SCRYPT_N = 2**15


def geth_executable() -> Path:
    """The geth binary: `$HURONG_GETH`, else the one `scripts/build-geth.sh` builds."""
    return built_binary("geth", GETH_VERSION, binary="geth", env="HURONG_GETH", script="build-geth.sh")


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` with mode 0600 (folders 0700)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        os.fchmod(file.fileno(), 0o600)
        file.write(data)


def enode_id(node_key: bytes) -> str:
    """The devp2p node id (uncompressed public key without its prefix, hex) of a node key."""
    return bytes(coincurve.PublicKey.from_secret(node_key).format(compressed=False)[1:]).hex()


@dataclass
class GethNode:
    """What a network keeps about one of its nodes (`network.json`)."""

    index: int
    province: int
    signer: str
    datadir: str
    http_port: int
    p2p_port: int
    auth_port: int
    enode: str
    pid: int | None = None

    @property
    def rpc(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def log_file(self) -> Path:
        return Path(self.datadir).parent / "logs" / f"node{self.index}.log"

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "rpc": self.rpc}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GethNode:
        return cls(**{k: v for k, v in data.items() if k != "rpc"})

    def prepare(self, private_key: bytes, node_key: bytes, passphrase: str, genesis: Path) -> None:
        """Lay out the data folder: the validator's key file, the node key, and the genesis block."""
        datadir = Path(self.datadir)
        datadir.mkdir(mode=0o700, parents=True, exist_ok=True)
        keyfile = Account.encrypt(private_key, passphrase, kdf="scrypt", iterations=_GETH_KEY_SCRYPT_N)
        write_private(datadir / "keystore" / f"validator-{self.signer.lower()[2:]}.json", json.dumps(keyfile).encode())
        write_private(datadir / "geth" / "nodekey", node_key.hex().encode())
        self._run_once(["init", str(genesis)])

    def write_peers(self, enodes: list[str]) -> None:
        """The node's static peers (every other node of the network), read when it starts."""
        peers = ", ".join(f'"{e}"' for e in enodes)
        text = f"[Node.P2P]\nStaticNodes = [{peers}]\nTrustedNodes = [{peers}]\n"
        write_private(Path(self.datadir) / "config.toml", text.encode())

    def command(self, *, chain_id: int, password_file: Path, gas_limit: int) -> list[str]:
        return [
            str(geth_executable()),
            "--datadir", self.datadir,
            "--config", str(Path(self.datadir) / "config.toml"),
            "--networkid", str(chain_id),
            "--port", str(self.p2p_port), "--http.port", str(self.http_port), "--authrpc.port", str(self.auth_port),
            "--nodiscover", "--netrestrict", "127.0.0.1/32", "--nat", "none", "--maxpeers", "50",
            "--http", "--http.addr", "127.0.0.1", "--http.api", "eth,net,web3,clique,admin,txpool,miner,debug",
            "--authrpc.addr", "127.0.0.1", "--ipcdisable",
            "--syncmode", "full", "--gcmode", "archive", "--cache", "128",
            "--unlock", self.signer, "--password", str(password_file), "--allow-insecure-unlock",
            "--miner.etherbase", self.signer, "--miner.gaslimit", str(gas_limit),
            "--verbosity", "3",
        ]  # fmt: skip

    def start(self, *, chain_id: int, password_file: Path, gas_limit: int, timeout: float = 60.0) -> None:
        """Start geth (in its own session, so it outlives the command that started it) and wait for its RPC."""
        if self.running():
            return
        command = self.command(chain_id=chain_id, password_file=password_file, gas_limit=gas_limit)
        process = spawn(command, self.log_file)
        self.pid = process.pid
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.pid = None
                raise ToolchainError(
                    f"geth node {self.index} exited with code {process.returncode}: see {self.log_file}"
                )
            if rpc_ready(self.rpc, timeout=0.5):
                return
            time.sleep(0.1)
        self.stop()
        raise ToolchainError(f"geth node {self.index} did not answer on {self.rpc} within {timeout:.0f}s")

    def running(self) -> bool:
        """Whether the recorded PID is this node's geth (and not a process that reused the number)."""
        return runs(self.pid, self.datadir.encode())

    def stop(self, timeout: float = 30.0) -> None:
        """Stop geth by its PID (SIGTERM, so it writes its state; SIGKILL after `timeout`)."""
        pid, self.pid = self.pid, None
        if pid is not None:
            stop(pid, lambda pid: runs(pid, self.datadir.encode()), timeout)

    def _run_once(self, args: list[str]) -> None:
        with open_private_log(self.log_file) as log:
            result = subprocess.run(  # noqa: S603 (fixed argv)
                [str(geth_executable()), "--datadir", self.datadir, *args],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
                timeout=120,
            )
        if result.returncode != 0:
            raise ToolchainError(f"geth {args[0]} failed for node {self.index}: see {self.log_file}")
