"""The exception tree of Hurong's Python core.

Every exception raised on purpose by `ledger` derives from `LedgerError`::

    LedgerError
    ├── LedgerValueError (ValueError)          bad input: a malformed address, digest, file or description
    │   ├── ConfigurationError                 a deployment or bootstrap description that does not validate
    │   ├── CertificateValidationError         a certificate refused, with each field's pointer and reason
    │   ├── IntegrityError                     fields, salts and hidden hashes of a document do not fit
    │   ├── IssuanceError                      credentials refused before anything was hashed or anchored
    │   ├── SigningKeyError                    a signing key that cannot sign for the agency now (see signing)
    │   └── HistoryUnavailable                 the node no longer keeps the state of a past block asked about
    ├── CompilationError                       solc rejected the sources (carries solc's messages)
    ├── ToolchainError                         Node, solc-js or anvil missing or failing to start
    ├── ChainError                             the JSON-RPC endpoint failed or answered nonsense
    │   ├── TransactionFailed                  a mined transaction reverted without a decodable reason
    │   ├── TransactionTimeout                 no receipt within the time allowed
    │   ├── TransactionDropped                 the chain forgot a transaction and its nonce went to another
    │   └── FeeCapExceeded                     the chain's base fee is above what the configuration allows
    ├── DeploymentError                        no deployment record, or one that does not match the chain
    └── ContractRevertError                    a contract refused a call with a custom error
        └── <one class per custom error>       see `ledger.chain.contract_errors`, with the decoded arguments
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class LedgerError(Exception):
    """Base class of every error raised by Hurong's core."""


class LedgerValueError(LedgerError, ValueError):
    """An input value is malformed or out of range."""


class ConfigurationError(LedgerValueError):
    """A deployment, bootstrap or settings description does not validate."""


class CompilationError(LedgerError):
    """solc reported errors; `messages` holds each formatted message."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        joined = "\n".join(self.messages) or "unknown compiler failure"
        super().__init__(f"Solidity compilation failed:\n{joined}")


class ToolchainError(LedgerError):
    """A required external tool (Node.js, solc-js, anvil) is missing or failed."""


class ChainError(LedgerError):
    """The chain's JSON-RPC endpoint failed or answered something unexpected."""


class TransactionFailed(ChainError):
    """A transaction was mined with status 0 and no custom error could be decoded."""

    def __init__(self, message: str, tx_hash: str | None = None) -> None:
        self.tx_hash = tx_hash
        super().__init__(message)


class TransactionTimeout(ChainError):
    """No receipt arrived for a transaction within the time allowed."""

    def __init__(self, tx_hash: str, timeout: float) -> None:
        self.tx_hash = tx_hash
        self.timeout = timeout
        super().__init__(f"no receipt for {tx_hash} after {timeout:.1f}s")


class TransactionDropped(ChainError):
    """A sent transaction is neither mined nor pending, and its nonce was used by another transaction."""

    def __init__(self, tx_hash: str, nonce: int) -> None:
        self.tx_hash = tx_hash
        self.nonce = nonce
        super().__init__(f"transaction {tx_hash} was dropped: nonce {nonce} went to another transaction")


class FeeCapExceeded(ChainError):
    """The chain's base fee is above the most the configuration lets a transaction pay per gas unit."""

    def __init__(self, base_fee: int, cap: int) -> None:
        self.base_fee = base_fee
        self.cap = cap
        super().__init__(f"the chain's base fee {base_fee} wei exceeds the configured cap of {cap} wei per gas")


class HistoryUnavailable(LedgerValueError):
    """The chain node no longer keeps the state of the past block a question was asked at (pruned history)."""

    def __init__(self, block: int) -> None:
        self.block = block
        super().__init__(
            f"the chain node no longer keeps the state of block {block} (its history is pruned): "
            "ask about a later block or time, or read from an archive node"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.block,))


class DeploymentError(LedgerError):
    """A deployment record is missing or does not match the chain."""


class ContractRevertError(LedgerError):
    """A contract call reverted with a custom error declared in the contracts' ABIs.

    Subclasses (in `ledger.chain.contract_errors`) exist for every custom error and expose its arguments as
    attributes; `arguments` holds them as a dict in declaration order.
    """

    error_name: str = ""
    selector: str = ""
    argument_names: tuple[str, ...] = ()
    argument_types: tuple[str, ...] = ()

    def __init__(self, *args: Any, tx_hash: str | None = None) -> None:
        if len(args) != len(self.argument_names):
            raise TypeError(f"{type(self).__name__} takes {len(self.argument_names)} arguments, got {len(args)}")
        self.arguments: dict[str, Any] = dict(zip(self.argument_names, args, strict=True))
        for name, value in self.arguments.items():
            setattr(self, name, value)
        self.tx_hash = tx_hash
        rendered = ", ".join(f"{k}={_render(v)}" for k, v in self.arguments.items())
        super().__init__(f"{self.error_name}({rendered})")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), tuple(self.arguments.values()))


class UnknownContractError(ContractRevertError):
    """A revert whose selector is not declared in Hurong's ABIs; `data` holds the raw revert data."""

    error_name = "UnknownContractError"

    def __init__(self, data: str, tx_hash: str | None = None) -> None:  # noqa: D107
        self.data = data
        self.arguments = {"data": data}
        self.tx_hash = tx_hash
        Exception.__init__(self, f"contract reverted with undecodable data {data}")


def _render(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value)


__all__ = [
    "ChainError",
    "CompilationError",
    "ConfigurationError",
    "ContractRevertError",
    "DeploymentError",
    "FeeCapExceeded",
    "HistoryUnavailable",
    "LedgerError",
    "LedgerValueError",
    "ToolchainError",
    "TransactionDropped",
    "TransactionFailed",
    "TransactionTimeout",
    "UnknownContractError",
]
