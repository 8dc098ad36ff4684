"""A consortium network of go-ethereum Clique validators, one per province, on this machine's loopback:
creating and running it (`Network`), its genesis block, its status, and the signer set following the
consortium's votes (`reconcile`)."""

from ledger.network.clique import (
    NetworkStatus,
    NodeStatus,
    Reconciliation,
    reconcile,
    sealer_of,
    signers,
    status,
    wait_for_signers,
    wanted_signers,
)
from ledger.network.genesis import DEFAULT_CHAIN_ID, clique_genesis, prefunded_addresses
from ledger.network.geth import GETH_VERSION, GethNode, geth_executable
from ledger.network.network import DEFAULT_PROVINCES, Network, rpc_call

__all__ = [
    "DEFAULT_CHAIN_ID",
    "DEFAULT_PROVINCES",
    "GETH_VERSION",
    "GethNode",
    "Network",
    "NetworkStatus",
    "NodeStatus",
    "Reconciliation",
    "clique_genesis",
    "geth_executable",
    "prefunded_addresses",
    "reconcile",
    "rpc_call",
    "sealer_of",
    "signers",
    "status",
    "wait_for_signers",
    "wanted_signers",
]
