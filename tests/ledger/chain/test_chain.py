"""Local anvil management."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from ledger.chain.bootstrap import bootstrap, parse_description
from ledger.chain.client import HurongClient, make_web3
from ledger.chain.node import DEV_MNEMONIC, Anvil, dev_private_keys, redact_anvil_output, rpc_ready
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


BANNER = b"""
Available Accounts
==================

(0) 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 (10000.000000000000000000 ETH)

Private Keys
==================

(0) 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80

Wallet
==================
Mnemonic:          test test test test test test test test test test test junk
Derivation path:   m/44'/60'/0'/0/


Chain ID
==================

31337
Listening on 127.0.0.1:8545
eth_sendRawTransaction

    Transaction: 0xa23b52004fe574000765fbe20a311b2785a318c9dbe6b0bf6a4c1f8936f57ff3
"""


def test_redaction_drops_the_private_keys_and_the_mnemonic_and_keeps_the_rest() -> None:
    kept = b"".join(redact_anvil_output(BANNER.splitlines(keepends=True)))
    assert b"ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" not in kept
    assert b"test junk" not in kept and b"Private Keys" not in kept and b"Wallet" not in kept
    for line in (b"Available Accounts", b"(0) 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", b"Chain ID\n==", b"31337",
                 b"Listening on 127.0.0.1:8545", b"eth_sendRawTransaction", b"Transaction: 0xa23b5200"):  # fmt: skip
        assert line in kept, line


def test_the_chain_log_is_private_and_holds_no_dev_key(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "anvil.log"
    with Anvil(accounts=3, log_file=log) as chain:
        w3 = make_web3(chain.url)
        sender, receiver = w3.eth.accounts[:2]
        tx = w3.eth.send_transaction({"from": sender, "to": receiver, "value": 1})
        w3.eth.wait_for_transaction_receipt(tx)
        deadline = time.monotonic() + 10  # anvil prints a mined transaction after answering: a busy machine lags
        while tx.to_0x_hex() not in log.read_text(encoding="utf-8") and time.monotonic() < deadline:
            time.sleep(0.05)
    text = log.read_text(encoding="utf-8")
    assert "Listening on 127.0.0.1:" in text and "Available Accounts" in text and tx.to_0x_hex() in text
    assert not any(k.removeprefix("0x") in text for k in dev_private_keys(3)) and DEV_MNEMONIC not in text
    assert stat.S_IMODE(log.stat().st_mode) == 0o600 and stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    log.chmod(0o644)
    with Anvil(accounts=1, log_file=log):
        pass
    assert stat.S_IMODE(log.stat().st_mode) == 0o600, "an existing log is made private again"
