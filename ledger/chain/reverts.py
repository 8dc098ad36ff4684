"""Decode revert data into the typed exceptions of `ledger.chain.contract_errors`."""

from __future__ import annotations

from typing import Any

from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils import to_checksum_address
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError, Web3RPCError

from ledger.chain.contract_errors import ERRORS_BY_SELECTOR
from ledger.errors import ContractRevertError, TransactionFailed, UnknownContractError


def _normalise(value: Any, typ: str) -> Any:
    if typ == "address":
        return to_checksum_address(value)
    if typ.endswith("]") and isinstance(value, (list, tuple)):
        return [_normalise(v, typ[: typ.rindex("[")]) for v in value]
    return value


def decode_revert(data: str | bytes, tx_hash: str | None = None) -> ContractRevertError:
    """The typed exception for revert `data` (selector + ABI-encoded arguments)."""
    raw = bytes.fromhex(data[2:] if data.startswith("0x") else data) if isinstance(data, str) else data
    hex_data = "0x" + raw.hex()
    cls = ERRORS_BY_SELECTOR.get(hex_data[:10])
    if cls is None:
        return UnknownContractError(hex_data, tx_hash=tx_hash)
    try:
        values = abi_decode(list(cls.argument_types), raw[4:])
    except (DecodingError, ValueError, OverflowError):
        return UnknownContractError(hex_data, tx_hash=tx_hash)
    args = [_normalise(v, t) for v, t in zip(values, cls.argument_types, strict=True)]
    return cls(*args, tx_hash=tx_hash)


def revert_data(exc: BaseException) -> str | None:
    """The hex revert data carried by a web3 exception, if any."""
    data: Any = None
    if isinstance(exc, ContractLogicError):
        data = exc.data
    elif isinstance(exc, Web3RPCError):
        response = exc.rpc_response or {}
        error = response.get("error") if isinstance(response, dict) else None
        if isinstance(error, dict):
            data = error.get("data")
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
        return data
    return None


def as_ledger_error(exc: BaseException, tx_hash: str | None = None) -> Exception:
    """Translate a web3 revert into a `ContractRevertError` (or `TransactionFailed`); other errors unchanged."""
    data = revert_data(exc)
    if data is not None and not isinstance(exc, ContractPanicError) and data[:10] != "0x08c379a0":
        return decode_revert(data, tx_hash=tx_hash)
    if isinstance(exc, (ContractLogicError, ContractCustomError)):
        return TransactionFailed(str(exc), tx_hash=tx_hash)
    return exc  # type: ignore[return-value]
