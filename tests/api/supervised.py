"""A service with the whole of supervision: the test consortium on a chain of its own, `UsageLog` deployed beside
its contracts (recorded in the deployment's extra data), the usage log rolled up every few seconds (3 s after a
period ends: a request stalled longer on a loaded machine would write its record into a period already anchored),
and the supervision rules of a TOML file."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from api.launcher import stop_service
from api.supervision.records import USAGE_FILE
from ledger.audit import deploy_usage_log
from ledger.chain.client import make_web3
from ledger.chain.node import Anvil
from tests.api.conftest import Server, prepare_home, start_server
from tests.conftest import WORLD

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def supervised_server(home: Path, rules: str = "", env: dict[str, str] | None = None) -> Iterator[Server]:
    with Anvil(accounts=len(WORLD["accounts"])) as chain:
        result, keys = prepare_home(home, chain)
        deployment, _ = deploy_usage_log(make_web3(chain.url), result.keys["deployer"], result.deployment)
        deployment.save(home / "deployments")
        result = dataclasses.replace(result, deployment=deployment)
        (home / "supervision.toml").write_text(rules, encoding="utf-8")
        settings = {"HURONG_USAGE_ANCHOR_INTERVAL": "5", "HURONG_USAGE_ANCHOR_DELAY": "3"} | (env or {})
        url, process = start_server(home, chain, settings)
        try:
            yield Server(url, chain, result, home, keys, process)
        finally:
            stop_service(process)


def usage_db(server: Server) -> sqlite3.Connection:
    db = sqlite3.connect(server.home / USAGE_FILE, timeout=30)
    db.row_factory = sqlite3.Row
    return db


def wait_for(what: Any, timeout: float = 30.0, step: float = 0.2) -> Any:
    """`what()` once it is truthy (bounded wait); the last falsy answer otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        found = what()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(step)


def hurong(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the `hurong` command line in a process of its own."""
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "ledger.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)  # fmt: skip
