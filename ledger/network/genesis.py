"""The genesis block of a Clique validator network.

Forks up to London (EIP-1559 fees) from block 0 and nothing later: Clique cannot activate Shanghai, so the
contracts are built for the `paris` EVM (the same opcodes as London). The first signers are the validators'
accounts, in `extraData` (32 bytes of vanity, the sorted signer addresses, 65 zero bytes of seal). The
accounts anvil funds for local chains (the first `PREFUNDED_ACCOUNTS` of its development mnemonic, as the test
and demo descriptions name them with `dev:N`) get the same balance, so every description runs unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from eth_account import Account

from ledger.chain.node import dev_private_keys

#: The chain id of validator networks (distinct from anvil's 31337, so deployment records never mix).
DEFAULT_CHAIN_ID = 8620
#: Development accounts funded in the genesis block, and their balance (anvil's default).
PREFUNDED_ACCOUNTS = 30
PREFUNDED_ETH = 1_000_000
#: Each validator's own balance.
VALIDATOR_ETH = 1_000
DEFAULT_GAS_LIMIT = 60_000_000
#: Blocks between Clique checkpoints (when pending votes are reset).
CLIQUE_EPOCH = 30_000

_FORK_BLOCKS = (
    "homesteadBlock",
    "eip150Block",
    "eip155Block",
    "eip158Block",
    "byzantiumBlock",
    "constantinopleBlock",
    "petersburgBlock",
    "istanbulBlock",
    "muirGlacierBlock",
    "berlinBlock",
    "londonBlock",
    "arrowGlacierBlock",
    "grayGlacierBlock",
)


def prefunded_addresses(count: int = PREFUNDED_ACCOUNTS) -> list[str]:
    """Addresses of the development accounts a genesis block funds."""
    return [Account.from_key(key).address for key in dev_private_keys(count)]


def clique_genesis(
    signers: Sequence[str],
    *,
    chain_id: int = DEFAULT_CHAIN_ID,
    block_period: int = 1,
    gas_limit: int = DEFAULT_GAS_LIMIT,
    funded: Sequence[str] | None = None,
    timestamp: int | None = None,
) -> dict[str, Any]:
    """A genesis document for go-ethereum 1.13 sealing with Clique every `block_period` seconds."""
    if not signers:
        raise ValueError("a Clique network needs at least one signer")
    ordered = sorted({s.lower() for s in signers}, key=lambda a: bytes.fromhex(a[2:]))
    alloc: dict[str, dict[str, str]] = {
        a.lower(): {"balance": hex(PREFUNDED_ETH * 10**18)} for a in (funded or prefunded_addresses())
    }
    for signer in ordered:
        alloc.setdefault(signer, {"balance": hex(VALIDATOR_ETH * 10**18)})
    config: dict[str, Any] = {"chainId": chain_id, **dict.fromkeys(_FORK_BLOCKS, 0)}
    config["clique"] = {"period": block_period, "epoch": CLIQUE_EPOCH}
    return {
        "config": config,
        "nonce": "0x0",
        "timestamp": hex(int(time.time()) if timestamp is None else timestamp),
        "extraData": "0x" + "00" * 32 + "".join(a[2:] for a in ordered) + "00" * 65,
        "gasLimit": hex(gas_limit),
        "difficulty": "0x1",
        "mixHash": "0x" + "00" * 32,
        "coinbase": "0x" + "00" * 20,
        "alloc": alloc,
        "number": "0x0",
        "gasUsed": "0x0",
        "parentHash": "0x" + "00" * 32,
        "baseFeePerGas": hex(10**9),
    }
