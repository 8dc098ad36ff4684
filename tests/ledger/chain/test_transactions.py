"""Transactions on a real anvil: fees that stay flat, nonces shared by processes, chain restarts, forgotten and
priced-out transactions."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3

from ledger.chain.client import make_web3
from ledger.chain.node import Anvil
from ledger.chain.transactions import GWEI, FeePolicy, Transactor
from ledger.errors import FeeCapExceeded

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def anvil() -> Iterator[Anvil]:
    with Anvil(accounts=4) as chain:
        yield chain


def _rpc(w3: Web3, method: str, params: list[object] | None = None) -> object:
    response = w3.provider.make_request(method, params or [])  # type: ignore[arg-type]
    assert "error" not in response, response
    return response["result"]


def _transfer(tx: Transactor, to: str) -> object:
    return tx.send(to, "0x", gas=21_000, value=1)


def test_fees_follow_the_base_fee_and_stay_flat_over_hundreds_of_blocks(anvil: Anvil) -> None:
    w3 = make_web3(anvil.url)
    keys = anvil.private_keys()
    sender = Transactor(w3, keys[0])
    target = Transactor(w3, keys[1]).address
    paid = []
    for _ in range(300):
        receipt = _transfer(sender, target).wait()  # type: ignore[attr-defined]
        raw = w3.eth.get_transaction_receipt(receipt.tx_hash)  # type: ignore[arg-type]
        paid.append(int(raw["effectiveGasPrice"]))
    base = int(w3.eth.get_block("latest")["baseFeePerGas"])  # type: ignore[arg-type]
    assert max(paid[-50:]) <= max(paid[:10]) * 1.5, (paid[:10], paid[-10:])
    assert paid[-1] <= base + sender.fees.priority_fee
    sent = w3.eth.get_transaction(receipt.tx_hash)  # type: ignore[arg-type]
    assert sent["type"] == 2 and int(sent["maxFeePerGas"]) <= 2 * base + sender.fees.priority_fee + GWEI


def test_a_fee_cap_below_the_base_fee_refuses_to_send(anvil: Anvil) -> None:
    w3 = make_web3(anvil.url)
    keys = anvil.private_keys()
    base = int(w3.eth.get_block("latest")["baseFeePerGas"])  # type: ignore[arg-type]
    capped = Transactor(w3, keys[0], fees=FeePolicy(priority_fee=0, max_fee_per_gas=max(base // 2, 1)))
    with pytest.raises(FeeCapExceeded) as info:
        _transfer(capped, Transactor(w3, keys[1]).address)
    assert info.value.cap == max(base // 2, 1)
    assert int(w3.eth.get_transaction_count(capped.address)) == 0  # type: ignore[arg-type]


_WORKER = """
import sys
from pathlib import Path
from ledger.chain.client import make_web3
from ledger.chain.transactions import Transactor
url, key, target, lock, count = sys.argv[1:]
tx = Transactor(make_web3(url), key, lock_path=Path(lock))
pending = [tx.send(target, "0x", gas=21_000, value=1) for _ in range(int(count))]
for p in pending:
    p.wait()
print("ok")
"""


def test_two_processes_signing_for_one_account_never_race_for_a_nonce(anvil: Anvil, tmp_path: Path) -> None:
    w3 = make_web3(anvil.url)
    keys = anvil.private_keys()
    target = Transactor(w3, keys[1]).address
    lock = tmp_path / "locks" / "account.lock"
    argv = [sys.executable, "-c", _WORKER, anvil.url, keys[0], target, str(lock), "60"]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    outputs = [p.communicate(timeout=240) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()[-2000:]
        assert out.decode().strip() == "ok"
    sender = Transactor(w3, keys[0]).address
    assert int(w3.eth.get_transaction_count(sender)) == 180  # type: ignore[arg-type]
    assert os.stat(lock).st_mode & 0o777 == 0o600


def test_after_the_chain_restarts_without_its_latest_blocks_the_next_transaction_goes_through(
    tmp_path: Path,
) -> None:
    port_chain = Anvil(accounts=4, state=tmp_path / "state.json")
    port_chain.start()
    try:
        w3 = make_web3(port_chain.url)
        keys = port_chain.private_keys()
        sender = Transactor(w3, keys[0])
        target = Transactor(w3, keys[1]).address
        for _ in range(5):
            _transfer(sender, target).wait()  # type: ignore[attr-defined]
        assert port_chain.process is not None
        os.kill(port_chain.process.pid, signal.SIGKILL)  # the state is saved every 30 s: these blocks are lost
        port_chain.process.wait()
        port_chain.process = None
        port_chain.start()
        assert int(w3.eth.get_transaction_count(sender.address)) < 5  # type: ignore[arg-type]
        started = time.monotonic()
        receipt = _transfer(sender, target).wait(timeout=30)  # type: ignore[attr-defined]
        assert time.monotonic() - started < 10
        assert receipt.block_number >= 1
    finally:
        port_chain.stop()


def _mine_in_background(w3: Web3, stop: threading.Event) -> threading.Thread:
    def run() -> None:
        while not stop.wait(0.2):
            _rpc(w3, "evm_mine")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_transaction_the_chain_forgot_is_sent_again(anvil: Anvil) -> None:
    w3 = make_web3(anvil.url)
    keys = anvil.private_keys()
    sender = Transactor(w3, keys[0], stuck_after=0.5)
    _rpc(w3, "evm_setAutomine", [False])
    pending = _transfer(sender, Transactor(w3, keys[1]).address)
    _rpc(w3, "anvil_dropTransaction", [pending.tx_hash])  # type: ignore[attr-defined]
    stop = threading.Event()
    miner = _mine_in_background(w3, stop)
    try:
        receipt = pending.wait(timeout=30)  # type: ignore[attr-defined]
    finally:
        stop.set()
        miner.join()
    assert receipt.tx_hash == pending.tx_hash  # type: ignore[attr-defined]


def test_a_transaction_priced_out_by_the_base_fee_is_replaced_with_the_same_nonce(anvil: Anvil) -> None:
    w3 = make_web3(anvil.url)
    keys = anvil.private_keys()
    sender = Transactor(w3, keys[0], stuck_after=0.5)
    _rpc(w3, "evm_setAutomine", [False])
    signed: list[str] = []  # what a journal keeps: every hash, each before it is broadcast
    pending = sender.send(Transactor(w3, keys[1]).address, "0x", gas=21_000, value=1, on_signed=signed.append)
    offered = int(pending.tx["maxFeePerGas"])
    _rpc(w3, "anvil_setNextBlockBaseFeePerGas", [hex(offered * 8)])
    _rpc(w3, "evm_mine")  # the base fee jumps above what the transaction offers: it stays in the pool
    stop = threading.Event()
    miner = _mine_in_background(w3, stop)
    try:
        receipt = pending.wait(timeout=60)
    finally:
        stop.set()
        miner.join()
    assert len(pending.hashes) >= 2 and receipt.tx_hash in pending.hashes
    assert signed == pending.hashes  # a replacement is reported before it is broadcast, like the first hash
    mined = w3.eth.get_transaction(receipt.tx_hash)  # type: ignore[arg-type]
    assert int(mined["nonce"]) == 0 and int(mined["maxFeePerGas"]) > offered


def test_a_signing_hook_sees_each_hash_before_the_chain_does_and_only_in_its_thread(anvil: Anvil) -> None:
    w3 = make_web3(anvil.url)
    keys = anvil.private_keys()
    sender = Transactor(w3, keys[0])
    target = Transactor(w3, keys[1]).address
    seen: list[tuple[str, object]] = []

    def record(tx_hash: str) -> None:
        seen.append((tx_hash, _rpc(w3, "eth_getTransactionByHash", [tx_hash])))

    other: list[object] = []
    with sender.signing_hook(record):
        pending = _transfer(sender, target)
        worker = threading.Thread(target=lambda: other.append(_transfer(sender, target)))
        worker.start()
        worker.join()
    after = _transfer(sender, target)
    assert seen == [(pending.tx_hash, None)]  # type: ignore[attr-defined]
    assert len(other) == 1 and len(seen) == 1  # the other thread's transaction and the later one are not recorded
    for sent in (pending, other[0], after):
        sent.wait()  # type: ignore[attr-defined]
