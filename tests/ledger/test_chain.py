"""Local anvil management."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ledger.chain import Anvil, dev_private_keys, rpc_ready
from ledger.client import HurongClient
from ledger.deploy import bootstrap, parse_description
from ledger.errors import LedgerValueError
from tests.conftest import WORLD


def test_anvil_listens_on_loopback_and_stops_by_pid() -> None:
    chain = Anvil(accounts=2).start()
    try:
        assert chain.url.startswith("http://127.0.0.1:")
        assert rpc_ready(chain.url)
        pid = chain.process.pid  # type: ignore[union-attr]
        cmd = chain.command()
        assert "--prune-history" in cmd and cmd[cmd.index("--host") + 1] == "127.0.0.1"
    finally:
        chain.stop()
    assert not rpc_ready(chain.url)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_state_file_persists_the_chain_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "chain" / "state.json"
    root = os.urandom(32)
    with Anvil(accounts=len(WORLD["accounts"]), state=state) as chain:
        result = bootstrap(parse_description(WORLD), chain.url)
        client = HurongClient.connect(chain.url, result.deployment, result.keys["sh_amr"])
        client.certificates.anchor(root, 10, "").wait()
    assert state.is_file()
    with Anvil(accounts=2, state=state) as chain:
        client = HurongClient.connect(chain.url, result.deployment)
        batch = client.certificates.batch(result.accounts["sh_amr"], root)
        assert batch.anchored and batch.count == 10 and not batch.revoked
        assert client.consortium.threshold() == 2


def test_dev_keys_are_the_standard_local_accounts() -> None:
    assert dev_private_keys(1) == ["0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"]


@pytest.mark.parametrize(
    "kwargs", [{"accounts": 0}, {"port": 70000}, {"block_time": -1.0}], ids=["accounts", "port", "block_time"]
)
def test_bad_anvil_options_are_refused(kwargs: dict) -> None:
    with pytest.raises(LedgerValueError):
        Anvil(**kwargs)
