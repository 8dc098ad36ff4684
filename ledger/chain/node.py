"""Start and stop a local anvil chain from the project's node_modules.

anvil always listens on 127.0.0.1 and runs with `--prune-history` (otherwise it writes a state snapshot per
block to disk). `--state FILE` persists the chain between runs. The process is owned by the `Anvil` object
that started it and is stopped by PID, never by name.

anvil prints the private keys and the mnemonic of its dev accounts when it starts. With a log file, its output
goes through `redact_anvil_output` first, so the log (mode 0600, in a 0700 folder) keeps the listening address,
the chain parameters and one line per call and transaction, but never a key.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from eth_account import Account

from ledger.errors import LedgerValueError, ToolchainError
from ledger.toolchain.compiler import find_project_root

#: The mnemonic anvil derives its dev accounts from (public: for local chains only).
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEFAULT_CHAIN_ID = 31337


def anvil_executable(root: Path | None = None) -> Path:
    """Path of the anvil binary shipped in npm `@foundry-rs/anvil-linux-amd64`."""
    env = os.environ.get("HURONG_ANVIL")
    if env:
        return Path(env)
    try:
        base = find_project_root(root)
    except ToolchainError:
        base = Path.cwd()
    path = base / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
    if not path.is_file():
        raise ToolchainError(f"anvil not found at {path}: run `npm install`")
    return path


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on `host` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def dev_private_keys(count: int, mnemonic: str = DEV_MNEMONIC) -> list[str]:
    """Private keys (hex) of the first `count` dev accounts of `mnemonic` (BIP-44 path m/44'/60'/0'/0/i)."""
    Account.enable_unaudited_hdwallet_features()
    return [Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{i}").key.to_0x_hex() for i in range(count)]


#: Lines of anvil's start-up banner that hold a secret: a dev account's private key (`(0) 0xac09…ff80`), the
#: mnemonic and its derivation path.
_PRIVATE_KEY_LINE = re.compile(rb"^\s*\(\d+\)\s+(?:0x)?[0-9a-fA-F]{64}\s*$")
_WALLET_LINE = re.compile(rb"^\s*(?:Mnemonic|Derivation path)\s*:")
_RULE = re.compile(rb"^=+$")
#: Titles of the banner's sections that list secrets.
_SECRET_SECTIONS = (b"Private Keys", b"Wallet")


def redact_anvil_output(lines: Iterable[bytes]) -> Iterator[bytes]:
    """anvil's output lines without its dev accounts' private keys and mnemonic, every other line unchanged.

    The start-up banner's `Private Keys` and `Wallet` sections are left out (title, rule, entries) up to the next
    line of another kind, and so is a line anywhere that lists a private key or the mnemonic the way they do.
    """
    hiding = False
    for line in lines:
        text = line.strip()
        if text in _SECRET_SECTIONS:
            hiding = True
        elif hiding and text and not (_RULE.match(text) or _PRIVATE_KEY_LINE.match(line) or _WALLET_LINE.match(line)):
            hiding = False
        if hiding or _PRIVATE_KEY_LINE.match(line) or _WALLET_LINE.match(line):
            continue
        yield line


def rpc_ready(url: str, timeout: float = 1.0) -> bool:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})  # noqa: S310 (http URL we built)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (loopback URL we built)
            return "result" in json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError):
        return False


class Anvil:
    """A local anvil process on 127.0.0.1.

    Use as a context manager, or call `start()` and `stop()`::

        with Anvil(accounts=20) as chain:
            print(chain.url)
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        chain_id: int = DEFAULT_CHAIN_ID,
        accounts: int = 10,
        balance_eth: int = 1_000_000,
        state: Path | None = None,
        block_time: float | None = None,
        gas_limit: int = 30_000_000,
        code_size_limit: int | None = None,
        history: int = 512,
        log_file: Path | None = None,
    ) -> None:
        if accounts < 1 or accounts > 1000:
            raise LedgerValueError("accounts must be between 1 and 1000")
        if port is not None and not 0 < port < 65536:
            raise LedgerValueError(f"invalid port {port}")
        if block_time is not None and block_time <= 0:
            raise LedgerValueError("block_time must be positive")
        self.port = port or free_port()
        self.chain_id = chain_id
        self.accounts = accounts
        self.balance_eth = balance_eth
        self.state = state
        self.block_time = block_time
        self.gas_limit = gas_limit
        self.code_size_limit = code_size_limit
        self.history = history
        self.log_file = log_file
        self.process: subprocess.Popen[bytes] | None = None
        self._log_handle: BinaryIO | None = None
        self._log_pump: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        cmd = [
            str(anvil_executable()),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--chain-id",
            str(self.chain_id),
            "--accounts",
            str(self.accounts),
            "--balance",
            str(self.balance_eth),
            "--mnemonic",
            DEV_MNEMONIC,
            "--gas-limit",
            str(self.gas_limit),
            "--prune-history",
            str(self.history),
            "--hardfork",
            "prague",
        ]
        if self.state is not None:
            self.state.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            cmd += ["--state", str(self.state), "--state-interval", "30"]
        if self.block_time is not None:
            cmd += ["--block-time", str(self.block_time)]
        if self.code_size_limit is not None:
            cmd += ["--code-size-limit", str(self.code_size_limit)]
        return cmd

    def start(self, timeout: float = 30.0) -> Anvil:
        if self.process is not None:
            return self
        log = open_private_log(self.log_file) if self.log_file is not None else None
        self._log_handle = log
        self.process = subprocess.Popen(  # noqa: S603 (fixed argv)
            self.command(),
            stdout=subprocess.DEVNULL if log is None else subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if log is not None:
            assert self.process.stdout is not None
            self._log_pump = threading.Thread(
                target=_copy_redacted, args=(self.process.stdout, log), name=f"anvil-{self.port}-log", daemon=True
            )
            self._log_pump.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                self.stop()
                raise ToolchainError(f"anvil exited with code {code} on start (port {self.port} in use?)")
            if rpc_ready(self.url, timeout=0.5):
                return self
            time.sleep(0.05)
        self.stop()
        raise ToolchainError(f"anvil did not answer on {self.url} within {timeout:.0f}s")

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the process (SIGINT first, so that `--state` is written), by its PID."""
        proc = self.process
        if proc is None:
            return
        self.process = None
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if self._log_pump is not None:
            self._log_pump.join(timeout=5)
            self._log_pump = None
        if proc.stdout is not None:
            proc.stdout.close()
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None

    def private_keys(self) -> list[str]:
        return dev_private_keys(self.accounts)

    def __enter__(self) -> Anvil:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def open_private_log(path: Path) -> BinaryIO:
    """`path` opened for appending, readable by its owner only (0600, also when it existed with a looser mode);
    missing folders are created with mode 0700."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "ab")


def _copy_redacted(source: BinaryIO, target: BinaryIO) -> None:
    """Copy anvil's output to its log, line by line and redacted, until anvil closes it."""
    try:
        for line in redact_anvil_output(iter(source.readline, b"")):
            target.write(line)
            target.flush()
    except (OSError, ValueError):  # the log or the pipe was closed while stopping
        pass
