"""Hurong's Python core: contracts toolchain, chain client, Merkle trees, deployment.

The public surface is re-exported here; submodules hold the rest (`ledger.contract_errors` has one exception
class per custom error of the contracts).
"""

from .chain import Anvil
from .client import HurongClient
from .compiler import Artifact, build, compile_contracts, load_artifact
from .deploy import bootstrap, deploy_contracts, load_description
from .deployment import Deployment
from .errors import (
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
from .merkle import MerkleTree, MultiProof
from .transactions import PendingTransaction, Receipt

__version__ = "0.1.0"

__all__ = [
    "Anvil",
    "Artifact",
    "ChainError",
    "CompilationError",
    "ConfigurationError",
    "ContractRevertError",
    "Deployment",
    "DeploymentError",
    "HurongClient",
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
    "bootstrap",
    "build",
    "compile_contracts",
    "deploy_contracts",
    "load_artifact",
    "load_description",
]
