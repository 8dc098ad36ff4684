"""Deployment records: where Hurong's contracts live on a chain.

A record is written per chain id (`<folder>/<chainId>.json`) with every contract's address, deployment
transaction and block, and the SHA-256 of its ABI, so a client can refuse a record that does not match the
ABIs it ships.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils import is_address, to_checksum_address

from ledger.errors import DeploymentError
from ledger.toolchain.compiler import CONTRACT_NAMES, load_artifact


@dataclass(frozen=True)
class ContractRecord:
    address: str
    abi_hash: str
    tx_hash: str
    block_number: int


@dataclass(frozen=True)
class Deployment:
    chain_id: int
    contracts: dict[str, ContractRecord]
    deployer: str
    block_number: int
    block_hash: str
    deployed_at: int
    compiler_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def address(self, name: str) -> str:
        try:
            return self.contracts[name].address
        except KeyError:
            raise DeploymentError(f"deployment has no {name} contract") from None

    def check_abis(self) -> None:
        """Raise `DeploymentError` if a recorded ABI hash differs from the packaged artifact's."""
        for name in CONTRACT_NAMES:
            expected = load_artifact(name).abi_hash
            if self.contracts[name].abi_hash != expected:
                raise DeploymentError(
                    f"{name} at {self.address(name)} was deployed with another ABI than this package's: redeploy"
                )

    def to_json(self) -> dict[str, Any]:
        return {
            "chainId": self.chain_id,
            "deployer": self.deployer,
            "blockNumber": self.block_number,
            "blockHash": self.block_hash,
            "deployedAt": self.deployed_at,
            "compilerVersion": self.compiler_version,
            "contracts": {
                name: {
                    "address": rec.address,
                    "abiHash": rec.abi_hash,
                    "txHash": rec.tx_hash,
                    "blockNumber": rec.block_number,
                }
                for name, rec in self.contracts.items()
            },
            **({"extra": self.extra} if self.extra else {}),
        }

    @classmethod
    def from_json(cls, data: Any) -> Deployment:
        try:
            contracts = {}
            for name in CONTRACT_NAMES:
                rec = data["contracts"][name]
                if not is_address(rec["address"]):
                    raise DeploymentError(f"{name}: invalid address {rec['address']!r}")
                contracts[name] = ContractRecord(
                    address=to_checksum_address(rec["address"]),
                    abi_hash=str(rec["abiHash"]),
                    tx_hash=str(rec["txHash"]),
                    block_number=int(rec["blockNumber"]),
                )
            return cls(
                chain_id=int(data["chainId"]),
                contracts=contracts,
                deployer=to_checksum_address(data["deployer"]),
                block_number=int(data["blockNumber"]),
                block_hash=str(data["blockHash"]),
                deployed_at=int(data["deployedAt"]),
                compiler_version=str(data.get("compilerVersion", "")),
                extra=dict(data.get("extra") or {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DeploymentError(f"malformed deployment record: {exc!r}") from None

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.chain_id}.json"
        text = json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{self.chain_id}.", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: Path, *, check_abis: bool = True) -> Deployment:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DeploymentError(f"no deployment record at {path}: run `hurong deploy`") from None
        except (OSError, json.JSONDecodeError) as exc:
            raise DeploymentError(f"cannot read deployment record {path}: {exc}") from None
        deployment = cls.from_json(data)
        if check_abis:
            deployment.check_abis()
        return deployment

    @classmethod
    def for_chain(cls, folder: Path, chain_id: int, *, check_abis: bool = True) -> Deployment:
        return cls.load(folder / f"{chain_id}.json", check_abis=check_abis)
