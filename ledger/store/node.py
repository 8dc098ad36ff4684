"""A private Kubo (IPFS) node: initialised, configured for a closed deployment, started, checked and stopped.

    node = KuboNode(Path(".hurong/ipfs"))
    node.up()            # fresh repository on first use; API, gateway and swarm on 127.0.0.1 free ports
    node.status()        # through the RPC API
    node.down()          # graceful (SIGTERM, SIGKILL only after a timeout), by the PID in `ipfs.pid`

The repository (`<home>/repo`) is configured for a consortium, never the public network: no bootstrap peers,
no DHT (`Routing.Type` `none`), no mDNS, no relays, no NAT port mapping, no content announcements, the swarm
listening on the loopback address only, AutoConf off (it would fetch settings from the internet). `<home>/node.json`
records the ports and the PID; the daemon's output goes to `<home>/ipfs.log` (0600). The binary is the one
`scripts/build-kubo.sh` builds (`HURONG_IPFS` names another).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from ledger.errors import StoreError, ToolchainError
from ledger.toolchain.binaries import built_binary

KUBO_VERSION = "0.43.1"


def kubo_executable() -> Path:
    """The Kubo binary: `$HURONG_IPFS`, else the one `scripts/build-kubo.sh` builds once per machine."""
    return built_binary("kubo", KUBO_VERSION, binary="ipfs", env="HURONG_IPFS", script="build-kubo.sh")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class NodeRecord:
    """What `node.json` keeps about the node."""

    api_port: int
    gateway_port: int
    swarm_port: int
    pid: int | None = None


class KuboNode:
    """A Kubo daemon whose repository and records live in `home`."""

    def __init__(self, home: Path, *, executable: Path | None = None) -> None:
        self.home = Path(home)
        self.repo = self.home / "repo"
        self.record_file = self.home / "node.json"
        self.pid_file = self.home / "ipfs.pid"
        self.log_file = self.home / "ipfs.log"
        self._executable = executable
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def executable(self) -> Path:
        return self._executable or kubo_executable()

    # ------------------------------------------------------------------ records

    def record(self) -> NodeRecord | None:
        try:
            data = json.loads(self.record_file.read_text())
        except (OSError, ValueError):
            return None
        return NodeRecord(**{k: data[k] for k in ("api_port", "gateway_port", "swarm_port", "pid") if k in data})

    def _save(self, record: NodeRecord) -> None:
        tmp = self.record_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({**asdict(record), "api": f"http://127.0.0.1:{record.api_port}"}, indent=2))
        os.replace(tmp, self.record_file)

    @property
    def api_url(self) -> str:
        record = self.record()
        if record is None:
            raise StoreError(f"no IPFS node initialised in {self.home}")
        return f"http://127.0.0.1:{record.api_port}"

    # ------------------------------------------------------------------ set-up

    def _env(self) -> dict[str, str]:
        return {**os.environ, "IPFS_PATH": str(self.repo), "IPFS_TELEMETRY": "off"}

    def _ipfs(self, *args: str) -> str:
        result = subprocess.run(  # noqa: S603 (fixed argv)
            [str(self.executable), *args],
            env=self._env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
            timeout=120,
        )
        if result.returncode != 0:
            message = result.stderr.decode(errors="replace").strip()
            raise ToolchainError(f"ipfs {args[0]} failed: {message}")
        return result.stdout.decode()

    def init(self) -> NodeRecord:
        """A fresh repository (once) configured for a private deployment, on free loopback ports."""
        record = self.record()
        if record is not None and (self.repo / "config").is_file():
            return record
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not (self.repo / "config").is_file():
            self._ipfs("init", "--empty-repo")
        record = NodeRecord(api_port=_free_port(), gateway_port=_free_port(), swarm_port=_free_port())
        self._configure(record)
        self._save(record)
        return record

    def _configure(self, record: NodeRecord) -> None:
        path = self.repo / "config"
        config: dict[str, Any] = json.loads(path.read_text())
        private_config(config, record)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(config, indent=2))
        os.replace(tmp, path)

    # ------------------------------------------------------------------ running

    def running(self) -> bool:
        """Whether the recorded PID is this node's daemon (not a process that reused the number)."""
        pid = self._pid()
        if pid is None:
            return False
        if self._process is not None and self._process.pid == pid:
            return self._process.poll() is None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return False
        return state != "Z" and str(self.executable).encode() in cmdline

    def _pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def up(self, timeout: float = 60.0) -> NodeRecord:
        """Initialise if needed and start the daemon (in its own session, so it outlives the caller); returns once
        its RPC API answers. A node already running is left as it is."""
        record = self.init()
        if self.running():
            return record
        # Ports may have been taken since the last run: pick new ones for those no longer free.
        for name in ("api_port", "gateway_port", "swarm_port"):
            if not _port_free(getattr(record, name)):
                setattr(record, name, _free_port())
        self._configure(record)
        self.log_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "ab") as log:
            process = subprocess.Popen(  # noqa: S603 (fixed argv)
                [str(self.executable), "daemon", "--migrate=false"],
                env=self._env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._process = process
        self.pid_file.write_text(f"{process.pid}\n")
        record.pid = process.pid
        self._save(record)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise ToolchainError(f"the IPFS node exited with code {process.returncode}: see {self.log_file}")
            if self.status(timeout=0.5) is not None:
                return record
            time.sleep(0.1)
        self.down()
        raise ToolchainError(f"the IPFS node did not answer on {self.api_url} within {timeout:.0f}s")

    def status(self, timeout: float = 2.0) -> dict[str, Any] | None:
        """The node's identity and version through its RPC API (`/api/v0/id`, `/api/v0/version`), or None when it
        does not answer."""
        record = self.record()
        if record is None:
            return None
        url = f"http://127.0.0.1:{record.api_port}/api/v0"
        try:
            with httpx.Client(timeout=timeout) as client:
                ident = client.post(f"{url}/id")
                version = client.post(f"{url}/version")
                peers = client.post(f"{url}/swarm/peers")
        except httpx.HTTPError:
            return None
        if ident.status_code != 200 or version.status_code != 200:
            return None
        info = ident.json()
        return {
            "id": info.get("ID"),
            "version": version.json().get("Version"),
            "addresses": info.get("Addresses") or [],
            "peers": len((peers.json().get("Peers") or []) if peers.status_code == 200 else []),
            "api": f"http://127.0.0.1:{record.api_port}",
            "gateway": f"http://127.0.0.1:{record.gateway_port}",
            "pid": self._pid(),
        }

    def down(self, timeout: float = 30.0) -> bool:
        """Stop the daemon by the PID in its pid file: SIGTERM (Kubo closes its repository cleanly), SIGKILL after
        `timeout`. Returns whether a daemon was running."""
        pid = self._pid()
        was_running = self.running()
        if pid is not None and was_running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.running():
                time.sleep(0.1)
            if self.running():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                while self.running():
                    time.sleep(0.1)
        if self._process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=5)
            self._process = None
        self.pid_file.unlink(missing_ok=True)
        record = self.record()
        if record is not None:
            record.pid = None
            self._save(record)
        return was_running

    def kill(self) -> None:
        """SIGKILL the daemon (a crash, for fault tests)."""
        pid = self._pid()
        if pid is not None and self.running():
            os.kill(pid, signal.SIGKILL)
            while self.running():
                time.sleep(0.05)
        self.down()


def private_config(config: dict[str, Any], record: NodeRecord) -> None:
    """Set a Kubo configuration for a private deployment, listening on `record`'s loopback ports (in place)."""
    loopback = "/ip4/127.0.0.1/tcp/{}"
    config["Addresses"] = {
        **config.get("Addresses", {}),
        "API": loopback.format(record.api_port),
        "Gateway": loopback.format(record.gateway_port),
        "Swarm": [loopback.format(record.swarm_port)],
        "Announce": [],
        "AppendAnnounce": [],
        "NoAnnounce": [],
    }
    config["Bootstrap"] = []
    config.setdefault("AutoConf", {})["Enabled"] = False
    config.setdefault("Routing", {}).update({"Type": "none", "DelegatedRouters": []})
    config.setdefault("Ipns", {})["DelegatedPublishers"] = []
    config.setdefault("DNS", {})["Resolvers"] = {}
    config.setdefault("Discovery", {}).setdefault("MDNS", {})["Enabled"] = False
    config.setdefault("Provide", {})["Enabled"] = False
    swarm = config.setdefault("Swarm", {})
    swarm["DisableNatPortMap"] = True
    swarm.setdefault("RelayClient", {})["Enabled"] = False
    swarm.setdefault("RelayService", {})["Enabled"] = False
    swarm.setdefault("Transports", {}).setdefault("Network", {}).update(
        {"QUIC": False, "WebTransport": False, "WebRTCDirect": False, "Websocket": False, "TCP": True}
    )
    config.setdefault("AutoNAT", {})["ServiceMode"] = "disabled"
    config.setdefault("AutoTLS", {})["Enabled"] = False
    config.setdefault("Gateway", {})["NoFetch"] = True


def _port_free(port: int) -> bool:
    """Whether nothing listens on `port` (a port in TIME_WAIT after the node's own stop counts as free: the node
    keeps its ports across restarts, so that what points at its API keeps working)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
