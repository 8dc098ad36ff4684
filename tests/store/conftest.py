"""A private Kubo node for the store tests: built once per machine (`scripts/build-kubo.sh`, reused when present),
started on free loopback ports for the session, stopped at its end."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.store import IpfsStore
from ledger.store.node import KuboNode

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def kubo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KuboNode]:
    subprocess.run(["bash", str(ROOT / "scripts" / "build-kubo.sh")], check=True, timeout=1800)
    node = KuboNode(tmp_path_factory.mktemp("ipfs"))
    node.up()
    yield node
    node.down()


@pytest.fixture
def ipfs(kubo: KuboNode) -> Iterator[IpfsStore]:
    if not kubo.running():  # a test that stopped or killed it
        kubo.up()
    store = IpfsStore(kubo.api_url)
    yield store
    store.close()
