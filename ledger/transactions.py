"""Sending transactions from local accounts: signing, local nonces, receipts, decoded reverts.

A `Transactor` owns one account. It hands out nonces from a local counter under a lock, so many
transactions can be in flight without waiting for each other; receipts are awaited separately through
`PendingTransaction.wait()`, which polls `eth_getTransactionReceipt` and raises the decoded custom error of
a reverted transaction.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError

from .errors import ChainError, ContractRevertError, LedgerValueError, TransactionFailed, TransactionTimeout
from .reverts import as_ledger_error

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


class PendingTransaction:
    """A sent transaction. `wait()` returns its `Receipt` or raises the decoded revert."""

    def __init__(self, transactor: Transactor, tx_hash: str, tx: dict[str, Any]) -> None:
        self.transactor = transactor
        self.tx_hash = tx_hash
        self.tx = tx
        self._receipt: Receipt | None = None

    def __repr__(self) -> str:
        return f"PendingTransaction({self.tx_hash})"

    def wait(self, timeout: float = 120.0) -> Receipt:
        if self._receipt is None:
            self._receipt = self.transactor.wait_for_receipt(self.tx_hash, self.tx, timeout=timeout)
        return self._receipt


class Transactor:
    """Signs and sends transactions for one account, with a local nonce counter."""

    def __init__(
        self,
        w3: Web3,
        private_key: str | bytes,
        *,
        decoder: EventDecoder | None = None,
        gas_margin: float = 1.25,
        gas_headroom: int = 30_000,
        gas_price_ttl: float = 2.0,
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
        self._lock = threading.Lock()
        self._nonce: int | None = None
        self._chain_id: int | None = None
        self._gas_price: tuple[int, float] | None = None
        self._gas_price_ttl = gas_price_ttl

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    def gas_price(self) -> int:
        now = time.monotonic()
        if self._gas_price is None or now - self._gas_price[1] > self._gas_price_ttl:
            self._gas_price = (int(self.w3.eth.gas_price), now)
        return self._gas_price[0] * 2

    def resync_nonce(self) -> None:
        with self._lock:
            self._nonce = None

    def _next_nonce(self) -> int:
        if self._nonce is None:
            self._nonce = int(self.w3.eth.get_transaction_count(self.address, "pending"))
        nonce = self._nonce
        self._nonce += 1
        return nonce

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

    def send(self, to: str | None, data: str, *, gas: int | None = None, value: int = 0) -> PendingTransaction:
        """Sign and send a transaction; refused calls raise their decoded custom error before sending."""
        if gas is None:
            gas = self.estimate_gas(to, data, value)
        if gas > MAX_TRANSACTION_GAS:
            raise LedgerValueError(f"gas {gas} exceeds the transaction cap {MAX_TRANSACTION_GAS}")
        for attempt in range(2):
            with self._lock:
                tx: dict[str, Any] = {
                    "chainId": self.chain_id,
                    "nonce": self._next_nonce(),
                    "gas": gas,
                    "gasPrice": self.gas_price(),
                    "data": data,
                    "value": value,
                }
                if to is not None:
                    tx["to"] = to
                signed = self.account.sign_transaction(tx)
                try:
                    tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction).to_0x_hex()
                except Web3RPCError as exc:
                    self._nonce = None
                    message = str(exc).lower()
                    if attempt == 0 and ("nonce" in message or "replacement" in message):
                        continue
                    raise as_ledger_error(exc) from None
            tx["from"] = self.address
            return PendingTransaction(self, tx_hash, tx)
        raise ChainError("could not send transaction: nonce conflict")  # pragma: no cover

    def wait_for_receipt(self, tx_hash: str, tx: dict[str, Any], *, timeout: float = 120.0) -> Receipt:
        receipt = wait_for_receipt(self.w3, tx_hash, timeout=timeout)
        if int(receipt["status"]) != 1:
            raise self._failure(tx_hash, tx, int(receipt["blockNumber"]))
        return Receipt(
            tx_hash=tx_hash,
            block_number=int(receipt["blockNumber"]),
            block_hash=HexBytes(receipt["blockHash"]).to_0x_hex(),
            gas_used=int(receipt["gasUsed"]),
            events=self.decoder.decode(receipt["logs"]),
            contract_address=receipt.get("contractAddress"),
        )

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


def wait_for_receipt(
    w3: Web3, tx_hash: str, *, timeout: float = 120.0, sleep: Callable[[float], None] = time.sleep
) -> Any:
    """Poll `eth_getTransactionReceipt` (5 ms, backing off to 100 ms) until the receipt exists."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            receipt = w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
            if receipt is not None:
                return receipt
        except TransactionNotFound:
            pass
        if time.monotonic() > deadline:
            raise TransactionTimeout(tx_hash, timeout)
        sleep(delay)
        delay = min(delay * 1.5, 0.1)
