"""Which implementation runs: the native core when it is installed, the reference with `HURONG_NATIVE=0` or
when the module is missing (with one warning at start-up)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
PROBE = """
import logging, sys
logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
{prelude}
from ledger.certificates import hashing, merkle
import ledger.verification.verifier, ledger.issuance.issuer
print(hashing.salt_fields is hashing._py_salt_fields, merkle.verify is merkle._py_verify,
      type(merkle.MerkleTree([b"1" * 32])._tree).__name__)
"""


def probe(prelude: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    code = PROBE.format(prelude=prelude)
    environment = {**os.environ, **env}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True,
                          check=True)  # fmt: skip


def test_the_native_core_runs_where_it_is_installed() -> None:
    run = probe(HURONG_NATIVE="1")
    assert run.stdout.split() == ["False", "False", "MerkleTree"]
    assert "WARNING" not in run.stderr


def test_hurong_native_0_forces_the_reference_without_a_warning() -> None:
    run = probe(HURONG_NATIVE="0")
    assert run.stdout.split() == ["True", "True", "ReferenceMerkleTree"]
    assert "WARNING" not in run.stderr


def test_a_missing_module_falls_back_to_the_reference_with_one_warning() -> None:
    run = probe("sys.modules['hurong_native'] = None", HURONG_NATIVE="1")
    assert run.stdout.split() == ["True", "True", "ReferenceMerkleTree"]
    warnings = [line for line in run.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1
    assert "hurong_native" in warnings[0]
