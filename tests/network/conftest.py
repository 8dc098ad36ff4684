"""One go-ethereum Clique network of four validators per test session (brought up and taken down through
`hurong network`), and the test consortium bootstrapped on it. Tests that stop nodes start them again.

The test consortium here keeps every founding province active, so that the signer set following the consortium
is the four validators."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.chain.bootstrap import bootstrap, parse_description
from ledger.chain.client import HurongClient
from ledger.errors import LedgerError, ToolchainError
from ledger.network import Network, geth_executable
from tests.conftest import WORLD, World


def _geth_available() -> bool:
    try:
        return geth_executable().is_file()
    except ToolchainError:
        return False


#: The marks of every test on the network: `-m "not network"` leaves them out; without geth they are skipped.
NETWORK = [
    pytest.mark.network,
    pytest.mark.skipif(not _geth_available(), reason="geth 1.13.15 not built: run scripts/build-geth.sh"),
]


def hurong(*args: str | Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run the `hurong` command line; fail the test with its output when it fails."""
    command = [sys.executable, "-m", "ledger.cli", *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def status_json(home: Path) -> dict[str, Any]:
    return dict(json.loads(hurong("network", "status", "--home", home, "--json").stdout))


@pytest.fixture(scope="session")
def network_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if not _geth_available():
        pytest.skip("geth 1.13.15 not built: run scripts/build-geth.sh")
    home = tmp_path_factory.mktemp("network") / "net"
    try:
        hurong("network", "up", "--home", home, "--validators", "4", "--block-period", "1")
        yield home
    finally:
        if (home / "network.json").exists():
            Network.load(home).down()


@pytest.fixture
def network(network_home: Path) -> Network:
    """The session's network as its description says now (tests and commands change PIDs and nodes)."""
    return Network.load(network_home)


@pytest.fixture
def restarts(network: Network) -> Iterator[None]:
    """Whatever a test stops is running again afterwards, with every node on one head."""
    yield
    current = Network.load(network.home)
    for node in current.nodes:
        if not node.running():
            current.start_node(node.index)
    current.wait_synced(timeout=90)


def diagnosis(home: Path, lines: int = 15) -> str:
    """What the nodes say: their status, and the end of each node's log."""
    parts = [hurong("network", "status", "--home", home, "--json").stdout]
    for log in sorted(home.glob("logs/*.log")):
        parts.append(f"--- {log.name}\n" + "".join(log.read_text(errors="replace").splitlines(True)[-lines:]))
    return "\n".join(parts)


@pytest.fixture(scope="session")
def net_world(network_home: Path) -> World:
    url = Network.load(network_home).url
    try:
        result = bootstrap(parse_description(WORLD), url)
    except LedgerError as exc:
        raise AssertionError(f"bootstrap on the network failed: {exc}\n{diagnosis(network_home)}") from exc
    result.deployment.save(network_home / "deployments")
    return World(None, result, HurongClient.connect(url, result.deployment))  # type: ignore[arg-type]
