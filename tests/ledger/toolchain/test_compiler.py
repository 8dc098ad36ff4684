"""Compilation through solc-js standard JSON."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ledger.errors import CompilationError, ToolchainError
from ledger.toolchain.compiler import (
    CONTRACT_NAMES,
    ERRORS_MODULE,
    compile_contracts,
    find_project_root,
    load_artifact,
)
from ledger.toolchain.errorgen import render_error_module

ROOT = find_project_root()


@pytest.fixture(scope="module")
def fresh() -> dict:
    return compile_contracts(ROOT)


def test_packaged_artifacts_match_a_fresh_compilation(fresh: dict) -> None:
    for name in CONTRACT_NAMES:
        packaged = load_artifact(name)
        assert packaged.abi == fresh[name].abi, f"{name}: ABI is stale, run `hurong compile`"
        assert packaged.bytecode == fresh[name].bytecode, f"{name}: bytecode is stale, run `hurong compile`"
        assert packaged.compiler_version.startswith("0.8.30")


def test_generated_error_classes_match_the_abis(fresh: dict) -> None:
    expected = render_error_module([a.abi for a in fresh.values()])
    assert ERRORS_MODULE.read_text(encoding="utf-8") == expected


def test_every_custom_error_of_the_interfaces_has_a_class(fresh: dict) -> None:
    from ledger.chain import contract_errors

    names = {e["name"] for a in fresh.values() for e in a.abi if e["type"] == "error"}
    assert {"CertificateRegistryAlreadyAnchored", "ConsortiumOnlyGovernance"} <= names
    for name in names:
        cls = getattr(contract_errors, name)
        assert cls.selector in contract_errors.ERRORS_BY_SELECTOR


def _scratch_project(tmp_path: Path, source: str) -> Path:
    (tmp_path / "contracts").mkdir()
    (tmp_path / "package.json").write_text("{}")
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    (tmp_path / "contracts" / "Broken.sol").write_text(source)
    return tmp_path


def test_compile_errors_surface_as_a_typed_exception_with_solc_messages(tmp_path: Path) -> None:
    root = _scratch_project(tmp_path, "pragma solidity ^0.8.24;\ncontract Broken { function f() public { x = 1; } }\n")
    with pytest.raises(CompilationError) as info:
        compile_contracts(root)
    assert len(info.value.messages) == 1
    assert "Undeclared identifier" in info.value.messages[0]
    assert "Broken.sol" in info.value.messages[0]


def test_missing_imports_are_reported_by_solc(tmp_path: Path) -> None:
    root = _scratch_project(tmp_path, 'pragma solidity ^0.8.24;\nimport "@nowhere/X.sol";\ncontract A {}\n')
    with pytest.raises(CompilationError) as info:
        compile_contracts(root)
    assert any("@nowhere/X.sol" in m for m in info.value.messages)


def test_a_project_without_solc_is_a_toolchain_error(tmp_path: Path) -> None:
    (tmp_path / "contracts").mkdir()
    (tmp_path / "package.json").write_text("{}")
    shutil.copy(ROOT / "contracts" / "Consortium.sol", tmp_path / "contracts")
    with pytest.raises(ToolchainError, match="npm install"):
        compile_contracts(tmp_path)


#: Opcodes newer than the `paris` EVM: PUSH0 (Shanghai), TLOAD, TSTORE and MCOPY (Cancun).
_NEWER_OPCODES = {0x5F: "PUSH0", 0x5C: "TLOAD", 0x5D: "TSTORE", 0x5E: "MCOPY"}


def _opcodes(code: bytes) -> set[int]:
    """The opcodes of EVM code, skipping PUSH data and the CBOR metadata at the end."""
    code = code[: len(code) - 2 - int.from_bytes(code[-2:], "big")]
    seen, i = set(), 0
    while i < len(code):
        op = code[i]
        seen.add(op)
        i += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return seen


def test_the_packaged_artifacts_run_on_paris_chains_without_newer_opcodes() -> None:
    for name in CONTRACT_NAMES:
        artifact = load_artifact(name)
        assert artifact.evm_version == "paris"
        used = _opcodes(bytes.fromhex(artifact.deployed_bytecode[2:]))
        assert not {_NEWER_OPCODES[op] for op in used & set(_NEWER_OPCODES)}, name
