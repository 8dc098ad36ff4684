"""Hurong's Python core: contracts toolchain, chain client, Merkle trees, deployment.

The public surface is re-exported here; submodules hold the rest (`ledger.chain.contract_errors` has one exception
class per custom error of the contracts).
"""

from ledger.certificates.merkle import MerkleTree, MultiProof
from ledger.chain.bootstrap import bootstrap, deploy_contracts, load_description
from ledger.chain.client import HurongClient
from ledger.chain.deployment import Deployment
from ledger.chain.node import Anvil
from ledger.chain.transactions import PendingTransaction, Receipt
from ledger.errors import (
    ChainError,
    CompilationError,
    ConfigurationError,
    ContractRevertError,
    DeploymentError,
    LedgerError,
    LedgerValueError,
    ToolchainError,
    TransactionFailed,
    TransactionTimeout,
    UnknownContractError,
)
from ledger.index.indexer import Indexer, IndexReader
from ledger.issuance.issuer import Issuer
from ledger.issuance.journal import Journal
from ledger.toolchain.compiler import Artifact, build, compile_contracts, load_artifact
from ledger.verification.verifier import ChainReader, VerificationContext, VerificationResult, Verifier

__version__ = "0.1.0"

__all__ = [
    "Anvil",
    "Artifact",
    "ChainError",
    "ChainReader",
    "CompilationError",
    "ConfigurationError",
    "ContractRevertError",
    "Deployment",
    "DeploymentError",
    "HurongClient",
    "IndexReader",
    "Indexer",
    "Issuer",
    "Journal",
    "LedgerError",
    "LedgerValueError",
    "MerkleTree",
    "MultiProof",
    "PendingTransaction",
    "Receipt",
    "ToolchainError",
    "TransactionFailed",
    "TransactionTimeout",
    "UnknownContractError",
    "VerificationContext",
    "VerificationResult",
    "Verifier",
    "bootstrap",
    "build",
    "compile_contracts",
    "deploy_contracts",
    "load_artifact",
    "load_description",
]
