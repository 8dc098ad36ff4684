"""`hurong ipfs up|down|status`: a private node on loopback, no public bootstrap, no DHT, stopped gracefully."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from ledger.store.node import KuboNode

ROOT = Path(__file__).resolve().parents[2]


def _hurong(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "ledger.cli", *args], capture_output=True, text=True, env=env, timeout=180, check=False
    )


def test_the_session_node_is_configured_for_a_private_deployment(kubo: KuboNode) -> None:
    config = json.loads((kubo.repo / "config").read_text())
    assert config["Bootstrap"] == []
    assert config["Routing"]["Type"] == "none"
    assert config["Discovery"]["MDNS"]["Enabled"] is False
    assert config["AutoConf"]["Enabled"] is False
    assert all(a.startswith("/ip4/127.0.0.1/") for a in config["Addresses"]["Swarm"])
    status = kubo.status()
    assert status is not None and status["version"] == "0.43.1"
    assert status["addresses"] and all("/ip4/127.0.0.1/" in a for a in status["addresses"])
    assert status["peers"] == 0
    answer = httpx.post(f"{kubo.api_url}/api/v0/bootstrap/list").json()
    assert not answer.get("Peers")


def test_up_status_and_down_through_the_command_line(tmp_path: Path, kubo: KuboNode) -> None:
    home = tmp_path / "node"
    down = _hurong("ipfs", "status", "--home", str(home))
    assert down.returncode == 1 and "no IPFS node" in down.stderr
    up = _hurong("ipfs", "up", "--home", str(home), "--json")
    assert up.returncode == 0, up.stderr
    status = json.loads(up.stdout)
    node = KuboNode(home)
    try:
        assert status["api"].startswith("http://127.0.0.1:") and status["pid"] == int(node.pid_file.read_text())
        assert node.running()
        shown = _hurong("ipfs", "status", "--home", str(home))
        assert shown.returncode == 0 and status["id"] in shown.stdout
        again = _hurong("ipfs", "up", "--home", str(home), "--json")  # already up: left as it is
        assert json.loads(again.stdout)["pid"] == status["pid"]
    finally:
        stopped = _hurong("ipfs", "down", "--home", str(home))
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert not node.running() and not node.pid_file.exists()
    assert "Daemon is ready" in node.log_file.read_text()
    assert oct(node.log_file.stat().st_mode & 0o777) == "0o600"
