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
