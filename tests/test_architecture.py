"""The architecture holds: the import contracts of `pyproject.toml` (layers that point one way, a core that never
imports the service or the benchmarks) and the public surface of `ledger`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout and "2 kept" in result.stdout, result.stdout


def test_the_core_command_line_imports_neither_the_service_nor_the_benchmarks() -> None:
    code = "import sys, ledger.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in ('api', 'bench')))"
    # Plug-ins are discovered through entry points at start-up; with them disabled nothing above the core loads.
    probe = subprocess.run(
        [sys.executable, "-c", "import importlib.metadata as m; m.entry_points = lambda **k: []; " + code],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert probe.stdout.strip() == "[]", probe.stdout


GENERATED = {Path("ledger/chain/contract_errors.py")}


def _sources() -> list[Path]:
    return sorted(
        p.relative_to(ROOT)
        for folder in ("ledger", "api", "bench")
        for p in (ROOT / folder).rglob("*.py")
        if "node_modules" not in p.parts
    )


def test_no_module_over_600_lines_and_no_function_over_80() -> None:
    import ast

    long_modules, long_functions = [], []
    for path in _sources():
        text = (ROOT / path).read_text(encoding="utf-8")
        if path not in GENERATED and text.count("\n") > 600:
            long_modules.append(f"{path}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 80:
                    long_functions.append(f"{path}:{node.lineno} {node.name}: {length} lines")
    assert long_modules == [] and long_functions == []


def test_ruff_and_mypy_pass() -> None:
    """The rule set of `pyproject.toml` (every `# noqa` names an enabled rule: RUF100), the formatter, and
    mypy --strict over ledger and api."""
    bin_dir = Path(sys.executable).parent
    for command in ([bin_dir / "ruff", "check", "."], [bin_dir / "ruff", "format", "--check", "."], [bin_dir / "mypy"]):
        result = subprocess.run(
            [str(c) for c in command], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
        )
        assert result.returncode == 0, f"{command[0].name}: {result.stdout[-4000:]}{result.stderr[-2000:]}"
