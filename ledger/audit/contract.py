"""The `UsageLog` contract: its packaged artifact, a typed client, and its deployment beside the others.

`UsageLog` is deployed after the four contracts of a consortium (it reads the `AuthorityRegistry`, and through
it the `Consortium`); its address is kept in the deployment record's extra data under `usageLog`, so that the
record of the four is unchanged for every reader that does not anchor usage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from eth_utils import to_checksum_address
from web3 import Web3
from web3.exceptions import ContractLogicError, Web3RPCError
from web3.types import BlockIdentifier

from ledger.chain.base import checksum
from ledger.chain.deployment import Deployment
from ledger.chain.transactions import PendingTransaction, Receipt, Transactor
from ledger.errors import ChainError, DeploymentError, LedgerValueError, ToolchainError
from ledger.toolchain.compiler import Artifact

CONTRACT = "UsageLog"
#: The key of the deployment record's extra data that holds the contract's address.
EXTRA_KEY = "usageLog"
_ZERO = b"\0" * 32


@cache
def usage_log_artifact() -> Artifact:
    """The packaged artifact (`ledger/toolchain/artifacts/UsageLog.json`, written by `hurong compile` beside the
    four contracts' from `contracts/UsageLog.sol`)."""
    resource = resources.files("ledger.toolchain") / "artifacts" / f"{CONTRACT}.json"
    try:
        return Artifact.from_json(json.loads(resource.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:  # pragma: no cover (shipped with the package)
        raise ToolchainError(f"artifact {CONTRACT} is not built") from exc


@dataclass(frozen=True)
class UsageLogRecord:
    """Where the log lives: kept in `Deployment.extra["usageLog"]`."""

    address: str
    abi_hash: str
    tx_hash: str
    block_number: int

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "abiHash": self.abi_hash, "txHash": self.tx_hash,
                "blockNumber": self.block_number}  # fmt: skip

    @classmethod
    def of(cls, deployment: Deployment) -> UsageLogRecord | None:
        """The deployment's log, None when it has none; `DeploymentError` for a malformed entry or one deployed
        with another ABI than this package's."""
        data = deployment.extra.get(EXTRA_KEY)
        if data is None:
            return None
        try:
            record = cls(checksum(data["address"]), str(data["abiHash"]), str(data["txHash"]),
                         int(data["blockNumber"]))  # fmt: skip
        except (KeyError, TypeError, ValueError) as exc:
            raise DeploymentError(f"malformed {EXTRA_KEY} entry in the deployment record: {exc!r}") from None
        if record.abi_hash != usage_log_artifact().abi_hash:
            raise DeploymentError(f"{CONTRACT} at {record.address} was deployed with another ABI: redeploy it")
        return record


class UsageLogClient:
    """One typed method per function of `UsageLog`; sends through a `Transactor` when given one."""

    def __init__(self, w3: Web3, address: str, transactor: Transactor | None = None) -> None:
        self.w3 = w3
        self.address = to_checksum_address(address)
        self.contract = w3.eth.contract(address=self.address, abi=usage_log_artifact().abi)
        self._tx = transactor

    @classmethod
    def of(cls, w3: Web3, deployment: Deployment, transactor: Transactor | None = None) -> UsageLogClient:
        record = UsageLogRecord.of(deployment)
        if record is None:
            raise DeploymentError(f"the deployment of chain {deployment.chain_id} has no {CONTRACT}: "
                                  "run `hurong audit deploy`")  # fmt: skip
        return cls(w3, record.address, transactor)

    def _call(self, fn: str, *args: Any, block_identifier: BlockIdentifier = "latest") -> Any:
        try:
            return self.contract.functions[fn](*args).call(block_identifier=block_identifier)
        except (ContractLogicError, Web3RPCError) as exc:
            raise ChainError(f"{CONTRACT}.{fn} failed: {exc}") from None

    def root_of(self, province: int, period: int, *, block_identifier: BlockIdentifier = "latest") -> bytes | None:
        """The root anchored for `province` and `period`, None if none."""
        root = bytes(self._call("rootOf", province, period, block_identifier=block_identifier))
        return None if root == _ZERO else root

    def can_anchor(self, account: str, province: int) -> bool:
        return bool(self._call("canAnchor", checksum(account), province))

    def verify(self, province: int, period: int, digest: bytes, proof: list[bytes]) -> bool:
        """The contract's own check of a record digest's proof against the anchored root."""
        return bool(self._call("verify", province, period, digest, proof))

    def anchor(self, province: int, period: int, root: bytes, count: int) -> PendingTransaction:
        """Anchor `root` of `count` records of `province` in `period` (refused, before sending, when the account
        may not or the period is anchored already)."""
        if self._tx is None:
            raise LedgerValueError("this client has no account: give it a transactor to anchor")
        if len(root) != 32 or root == _ZERO or count <= 0:
            raise LedgerValueError("an anchor needs a non-zero 32-byte root and a positive count")
        if not self.can_anchor(self._tx.address, province):
            raise LedgerValueError(f"{self._tx.address} may not anchor usage records of province {province}")
        data = str(self.contract.encode_abi("anchor", args=[province, period, root, count]))
        return self._tx.send(self.address, data)

    def anchored(self, from_block: int, to_block: int | str = "latest") -> list[dict[str, Any]]:
        """The `UsageAnchored` events of a block range."""
        logs = self.contract.events.UsageAnchored.get_logs(from_block=from_block, to_block=to_block)
        return [{"province": int(e.args.province), "period": int(e.args.period), "root": bytes(e.args.root),
                 "count": int(e.args.count), "anchoredBy": str(e.args.anchoredBy),
                 "txHash": e.transactionHash.to_0x_hex(), "blockNumber": int(e.blockNumber)} for e in logs]  # fmt: skip


def deploy_usage_log(w3: Web3, private_key: str, deployment: Deployment) -> tuple[Deployment, Receipt]:
    """Deploy `UsageLog` over the deployment's `AuthorityRegistry`; the deployment record with its address in the
    extra data (not yet saved), and the receipt."""
    artifact = usage_log_artifact()
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    data = factory.constructor(deployment.address("AuthorityRegistry")).data_in_transaction
    receipt = Transactor(w3, private_key).send(None, data).wait()
    if not receipt.contract_address:
        raise ChainError(f"{CONTRACT} deployment produced no contract address")
    record = UsageLogRecord(checksum(receipt.contract_address), artifact.abi_hash, receipt.tx_hash,
                            receipt.block_number)  # fmt: skip
    return replace(deployment, extra={**deployment.extra, EXTRA_KEY: record.to_json()}), receipt
