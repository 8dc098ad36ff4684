"""Sending transactions from local accounts: fees, nonces, signing, receipts, stuck transactions, reverts.

A `Transactor` owns one account. Fees come from the chain's base fee (EIP-1559, `FeePolicy`), capped by
configuration. Nonces are read from the chain under the account's lock (across processes with a lock file),
so many transactions can be in flight without waiting for each other and none races another; receipts are
awaited separately through `PendingTransaction.wait()`, which polls `eth_getTransactionReceipt`, re-sends a
transaction the chain forgot, replaces one priced out by the base fee, and raises the decoded custom error of
a reverted transaction.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import BlockNotFound, ContractLogicError, TransactionNotFound, Web3RPCError

from ledger.chain.reverts import as_ledger_error
from ledger.errors import (
    ChainError,
    ContractRevertError,
    FeeCapExceeded,
    LedgerValueError,
    TransactionFailed,
    TransactionTimeout,
)

#: Gas cap of one transaction (EIP-7825).
MAX_TRANSACTION_GAS = 16_777_216


@dataclass(frozen=True)
class Event:
    """A decoded contract event."""

    name: str
    address: str
    args: dict[str, Any]
    log_index: int


@dataclass(frozen=True)
class Receipt:
    """A successful transaction's receipt with its decoded events."""

    tx_hash: str
    block_number: int
    block_hash: str
    gas_used: int
    events: tuple[Event, ...] = field(default=())
    contract_address: str | None = None

    def event(self, name: str) -> Event:
        """The first event called `name`; `LookupError` if none."""
        for ev in self.events:
            if ev.name == name:
                return ev
        raise LookupError(f"no {name} event in {self.tx_hash}")


class EventDecoder:
    """Decodes logs of known contracts (address → web3 contract)."""

    def __init__(self) -> None:
        self._by_topic: dict[tuple[str, str], Any] = {}

    def register(self, contract: Any) -> None:
        address = to_checksum_address(contract.address)
        for ev in contract.all_events():
            self._by_topic[(address, HexBytes(ev.topic).to_0x_hex())] = ev

    def decode(self, logs: Sequence[Any]) -> tuple[Event, ...]:
        out: list[Event] = []
        for log in logs:
            topics = log.get("topics") or []
            if not topics:
                continue
            address = to_checksum_address(log["address"])
            topic0 = HexBytes(topics[0]).to_0x_hex()
            ev = self._by_topic.get((address, topic0))
            if ev is None:
                continue
            decoded = ev.process_log(log)
            out.append(Event(decoded["event"], address, dict(decoded["args"]), int(log["logIndex"])))
        return tuple(out)


GWEI = 10**9


@dataclass(frozen=True)
class Fees:
    """What one transaction offers to pay: EIP-1559 fields, or a legacy gas price on chains without a base fee."""

    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    base_fee: int | None

    def fields(self) -> dict[str, int]:
        if self.base_fee is None:
            return {"gasPrice": self.max_fee_per_gas}
        return {"maxFeePerGas": self.max_fee_per_gas, "maxPriorityFeePerGas": self.max_priority_fee_per_gas}

    def bumped(self) -> Fees:
        """Fees for a replacement of a stuck transaction: at least 12.5 % more on both fields (nodes ask 10 %)."""
        return Fees(
            self.max_fee_per_gas + max(self.max_fee_per_gas // 8, 1),
            self.max_priority_fee_per_gas + max(self.max_priority_fee_per_gas // 8, 1),
            self.base_fee,
        )


@dataclass(frozen=True)
class FeePolicy:
    """Fees from the chain's base fee, never from a multiple of a previous suggestion.

    `max_fee_per_gas = 2 × baseFee + tip`, which keeps a transaction includable through six full blocks of
    base-fee growth; what is paid is `baseFee + tip` of the block that includes it. The configured cap bounds
    what any transaction may pay: above it, `FeeCapExceeded` is raised instead of sending.
    """

    priority_fee: int = 1 * GWEI
    max_fee_per_gas: int = 500 * GWEI

    def __post_init__(self) -> None:
        if self.priority_fee < 0 or self.max_fee_per_gas <= 0:
            raise LedgerValueError("fees must be positive")

    @classmethod
    def from_gwei(cls, priority: float, cap: float) -> FeePolicy:
        return cls(int(priority * GWEI), int(cap * GWEI))

    def quote(self, w3: Web3) -> Fees:
        block = w3.eth.get_block("latest")
        raw_base = block.get("baseFeePerGas")
        if raw_base is None:
            price = int(w3.eth.gas_price)
            if price > self.max_fee_per_gas:
                raise FeeCapExceeded(price, self.max_fee_per_gas)
            return Fees(price, 0, None)
        base = int(raw_base)
        if base >= self.max_fee_per_gas:
            raise FeeCapExceeded(base, self.max_fee_per_gas)
        max_fee = min(2 * base + self.priority_fee, self.max_fee_per_gas)
        return Fees(max_fee, min(self.priority_fee, max_fee - base), base)

    def fee_per_gas(self, w3: Web3) -> int:
        """The most one gas unit may cost at the current base fee (for balance checks)."""
        return self.quote(w3).max_fee_per_gas


class PendingTransaction:
    """A sent transaction. `wait()` returns its `Receipt` or raises the decoded revert."""

    def __init__(
        self,
        transactor: Transactor,
        tx_hash: str,
        tx: dict[str, Any],
        raw: bytes | None = None,
        on_signed: Callable[[str], None] | None = None,
    ) -> None:
        self.transactor = transactor
        self.tx_hash = tx_hash
        self.tx = tx
        self.raw = raw
        #: Told every replacement's hash before it is broadcast, as `Transactor.send` told the first one.
        self.on_signed = on_signed
        #: Every hash this transaction was sent under (replacements with higher fees keep the nonce).
        self.hashes: list[str] = [tx_hash]
        self._receipt: Receipt | None = None

    def __repr__(self) -> str:
        return f"PendingTransaction({self.tx_hash})"

    def wait(self, timeout: float = 120.0) -> Receipt:
        if self._receipt is None:
            self._receipt = self.transactor.wait_for(self, timeout=timeout)
        return self._receipt


class AccountLock:
    """Serialises nonce assignment for one account: among threads, and among processes when given a lock file
    (`fcntl.flock`), so several service workers signing for the same account never race for a nonce."""

    def __init__(self, path: Path | None = None) -> None:
        self._thread_lock = threading.Lock()
        self.path = path
        self._fd: int | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def __enter__(self) -> AccountLock:
        self._thread_lock.acquire()
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread_lock.release()


class Transactor:
    """Signs and sends transactions for one account.

    Each nonce is the chain's count of the account's transactions including pending ones, read under the
    account's lock right before sending: nothing is cached, so a chain restart, another worker or another
    process signing for the same account (with the same lock file) never leaves a gap or a conflict. A
    transaction that waits too long is re-broadcast when the chain forgot it, and replaced with higher fees
    (same nonce) when its fee no longer covers the base fee.
    """

    def __init__(
        self,
        w3: Web3,
        private_key: str | bytes,
        *,
        decoder: EventDecoder | None = None,
        gas_margin: float = 1.25,
        gas_headroom: int = 30_000,
        fees: FeePolicy | None = None,
        lock_path: Path | None = None,
        stuck_after: float = 10.0,
    ) -> None:
        try:
            self.account: LocalAccount = Account.from_key(private_key)
        except (ValueError, TypeError) as exc:
            raise LedgerValueError(f"invalid private key: {exc}") from None
        self.w3 = w3
        self.address = self.account.address
        self.decoder = decoder or EventDecoder()
        self.gas_margin = gas_margin
        self.gas_headroom = gas_headroom
        self.fees = fees or FeePolicy()
        self.stuck_after = stuck_after
        self._lock = AccountLock(lock_path)
        self._chain_id: int | None = None
        self._quote: tuple[Fees, float] | None = None
        self._hooks = threading.local()

    @contextmanager
    def signing_hook(self, on_signed: Callable[[str], None]) -> Iterator[None]:
        """Within the block, and in this thread, every transaction sent without an `on_signed` of its own calls
        this one (see `send`): a caller records hashes durably before they are broadcast without the contract
        clients passing a callback through each of their methods."""
        previous = getattr(self._hooks, "on_signed", None)
        self._hooks.on_signed = on_signed
        try:
            yield
        finally:
            self._hooks.on_signed = previous

    def configure(self, *, fees: FeePolicy | None = None, lock_path: Path | None = None) -> None:
        """Set the fee policy and the cross-process lock file of this account (service start-up)."""
        if fees is not None:
            self.fees = fees
            self._quote = None
        if lock_path is not None and lock_path != self._lock.path:
            self._lock = AccountLock(lock_path)

    def current_fees(self, max_age: float = 1.0) -> Fees:
        """The policy's fees at the latest block, read again once `max_age` seconds old (a block interval: the
        base fee moves at most 12.5 % per block, well inside the factor of 2 the maximum fee allows)."""
        now = time.monotonic()
        if self._quote is None or now - self._quote[1] > max_age:
            self._quote = (self.fees.quote(self.w3), now)
        return self._quote[0]

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    def resync_nonce(self) -> None:
        """Kept for callers that reset state after reverting the chain: nonces are never cached."""

    def _chain_nonce(self, block: str = "pending") -> int:
        return int(self.w3.eth.get_transaction_count(self.address, block))  # type: ignore[arg-type]

    def estimate_gas(self, to: str | None, data: str, value: int = 0) -> int:
        tx: dict[str, Any] = {"from": self.address, "data": data, "value": value}
        if to is not None:
            tx["to"] = to
        try:
            estimate = int(self.w3.eth.estimate_gas(tx))  # type: ignore[arg-type]
        except (ContractLogicError, Web3RPCError) as exc:
            raise as_ledger_error(exc) from None
        # Headroom for state that changes between estimate and mining: a history checkpoint pushed in a later
        # second writes a new slot (~22,000 gas) that the estimate did not see. Unused gas is not charged.
        return min(int(estimate * self.gas_margin) + self.gas_headroom, MAX_TRANSACTION_GAS)

    def _sign(self, tx: dict[str, Any]) -> tuple[str, bytes]:
        signed = self.account.sign_transaction(tx)
        return signed.hash.to_0x_hex(), bytes(signed.raw_transaction)

    def send(
        self,
        to: str | None,
        data: str,
        *,
        gas: int | None = None,
        value: int = 0,
        on_signed: Callable[[str], None] | None = None,
    ) -> PendingTransaction:
        """Sign and send a transaction; refused calls raise their decoded custom error before sending.

        `on_signed(tx_hash)` runs after signing and before broadcasting, so a caller can record the hash
        durably first (a crash in between leaves a hash that the chain never saw, which is safe)."""
        if on_signed is None:
            on_signed = getattr(self._hooks, "on_signed", None)
        if gas is None:
            gas = self.estimate_gas(to, data, value)
        if gas > MAX_TRANSACTION_GAS:
            raise LedgerValueError(f"gas {gas} exceeds the transaction cap {MAX_TRANSACTION_GAS}")
        fees = self.current_fees()
        for attempt in range(3):
            with self._lock:
                tx: dict[str, Any] = {
                    "chainId": self.chain_id,
                    "nonce": self._chain_nonce(),
                    "gas": gas,
                    "data": data,
                    "value": value,
                    **fees.fields(),
                }
                if to is not None:
                    tx["to"] = to
                tx_hash, raw = self._sign(tx)
                if on_signed is not None:
                    on_signed(tx_hash)
                try:
                    self.w3.eth.send_raw_transaction(raw)
                except Web3RPCError as exc:
                    message = str(exc).lower()
                    if attempt < 2 and ("nonce" in message or "replacement" in message or "known" in message):
                        continue
                    raise as_ledger_error(exc) from None
            tx["from"] = self.address
            return PendingTransaction(self, tx_hash, tx, raw, on_signed)
        raise ChainError("could not send transaction: nonce conflict")  # pragma: no cover

    def wait_for(self, pending: PendingTransaction, *, timeout: float = 120.0) -> Receipt:
        """Wait for the receipt of `pending` (any of its hashes), re-broadcasting or replacing it when stuck."""
        deadline = time.monotonic() + timeout
        while True:
            step = min(self.stuck_after, max(deadline - time.monotonic(), 0.0))
            receipt = _first_receipt(self.w3, pending.hashes, step)
            if receipt is not None:
                break
            if time.monotonic() >= deadline:
                raise TransactionTimeout(pending.tx_hash, timeout)
            self._unstick(pending)
        tx_hash = HexBytes(receipt["transactionHash"]).to_0x_hex()
        if int(receipt["status"]) != 1:
            raise self._failure(tx_hash, pending.tx, int(receipt["blockNumber"]))
        return Receipt(
            tx_hash=tx_hash,
            block_number=int(receipt["blockNumber"]),
            block_hash=HexBytes(receipt["blockHash"]).to_0x_hex(),
            gas_used=int(receipt["gasUsed"]),
            events=self.decoder.decode(receipt["logs"]),
            contract_address=receipt.get("contractAddress"),
        )

    def wait_for_receipt(self, tx_hash: str, tx: dict[str, Any], *, timeout: float = 120.0) -> Receipt:
        return self.wait_for(PendingTransaction(self, tx_hash, tx), timeout=timeout)

    def _unstick(self, pending: PendingTransaction) -> None:
        """A transaction without a receipt after `stuck_after` seconds: re-broadcast it if the chain forgot it
        (a restarted node), replace it with higher fees if its fee cap fell below the base fee."""
        nonce = pending.tx.get("nonce")
        if pending.raw is None or nonce is None:
            return
        with self._lock:
            if _first_receipt(self.w3, pending.hashes, 0) is not None:
                return
            if self._chain_nonce("latest") > nonce:
                return  # a transaction with this nonce was mined: its receipt shows up on the next poll
            known = any(_known(self.w3, h) for h in pending.hashes)
            if not known:
                try:
                    self.w3.eth.send_raw_transaction(pending.raw)
                    return
                except Web3RPCError:
                    pass  # underpriced now, or a node that refuses it: replace below
            current = self.fees.quote(self.w3)
            paid = int(pending.tx.get("maxFeePerGas", pending.tx.get("gasPrice", 0)))
            if known and paid >= current.max_fee_per_gas:
                return  # still competitive: keep waiting
            old = Fees(paid, int(pending.tx.get("maxPriorityFeePerGas", 0)), current.base_fee)
            fees = old.bumped()
            fees = Fees(
                max(fees.max_fee_per_gas, current.max_fee_per_gas),
                max(fees.max_priority_fee_per_gas, current.max_priority_fee_per_gas),
                current.base_fee,
            )
            tx = {k: v for k, v in pending.tx.items() if k not in ("from", "gasPrice", "maxFeePerGas",
                                                                     "maxPriorityFeePerGas")}  # fmt: skip
            tx.update(fees.fields())
            tx_hash, raw = self._sign(tx)
            if pending.on_signed is not None:
                pending.on_signed(tx_hash)  # recorded before broadcast, like the first hash
            try:
                self.w3.eth.send_raw_transaction(raw)
            except Web3RPCError:
                return  # e.g. the old one was mined meanwhile: the next poll finds its receipt
            pending.hashes.append(tx_hash)
            pending.tx = {**tx, "from": self.address}
            pending.raw = raw

    def _failure(self, tx_hash: str, tx: dict[str, Any], block: int) -> Exception:
        call = {k: tx[k] for k in ("from", "to", "data", "value", "gas") if k in tx}
        try:
            self.w3.eth.call(call, block)  # type: ignore[arg-type]
        except (ContractLogicError, Web3RPCError) as exc:
            err = as_ledger_error(exc, tx_hash=tx_hash)
            if isinstance(err, ContractRevertError | TransactionFailed):
                err.tx_hash = tx_hash
                return err
            return TransactionFailed(f"transaction {tx_hash} failed: {exc}", tx_hash)
        return TransactionFailed(f"transaction {tx_hash} reverted (out of gas or unreproducible)", tx_hash)


class Canonical:
    """Whether blocks and transactions are (still) on the canonical chain, and deep enough to count."""

    def __init__(self, w3: Web3, confirmations: int = 1) -> None:
        if not 1 <= confirmations <= 64:
            raise LedgerValueError("confirmations must be between 1 and 64")
        self.w3 = w3
        self.confirmations = confirmations

    def head(self) -> int:
        return int(self.w3.eth.block_number)

    def block_hash(self, number: int) -> str | None:
        """The hash of block `number` on the canonical chain, or None when the chain has no such block."""
        try:
            return HexBytes(self.w3.eth.get_block(number)["hash"]).to_0x_hex()
        except BlockNotFound:
            return None

    def confirmed(self, block: int, block_hash: str | None, deadline: float) -> bool:
        """Whether `block` reaches the confirmation depth while it stays canonical (False once it is gone or
        at the `deadline`, a `time.monotonic()` value)."""
        while True:
            head = self.head()
            if self.block_hash(block) != block_hash:
                return False
            if head >= block + self.confirmations - 1:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    def known(self, tx_hash: str) -> bool:
        """Whether the node knows the transaction (pending or mined)."""
        return _known(self.w3, tx_hash)

    def receipt(self, tx_hash: str) -> Any:
        """The transaction's receipt, None while it is pending or unknown."""
        try:
            return self.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound:
            return None


def _known(w3: Web3, tx_hash: str) -> bool:
    try:
        return w3.eth.get_transaction(tx_hash) is not None  # type: ignore[arg-type]
    except TransactionNotFound:
        return False


def _first_receipt(w3: Web3, hashes: Sequence[str], timeout: float) -> Any:
    """The receipt of the first of `hashes` that has one, polling up to `timeout` seconds; None if none."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        for tx_hash in hashes:
            try:
                receipt = w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
            except TransactionNotFound:
                continue
            if receipt is not None:
                return receipt
        if time.monotonic() >= deadline:
            return None
        time.sleep(delay)
        delay = min(delay * 1.5, 0.1)


def wait_for_receipt(w3: Web3, tx_hash: str, *, timeout: float = 120.0) -> Any:
    """Poll `eth_getTransactionReceipt` (5 ms, backing off to 100 ms) until the receipt exists."""
    receipt = _first_receipt(w3, [tx_hash], timeout)
    if receipt is None:
        raise TransactionTimeout(tx_hash, timeout)
    return receipt
