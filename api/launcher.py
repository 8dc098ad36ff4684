"""Starting and stopping the service as a separate process (`hurong serve`): used by the local consortium,
the service benchmark and the tests. The process is stopped by its PID."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ledger.errors import ToolchainError


def service_env(*, rpc_url: str, home: Path, passphrase: str, **extra: str) -> dict[str, str]:
    """This process's environment without `HURONG_*`, plus the service's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HURONG_")}
    env |= {
        "HURONG_RPC_URL": rpc_url,
        "HURONG_HOME": str(home),
        "HURONG_DEPLOYMENTS": str(home / "deployments"),
        "HURONG_KEY_PASSPHRASE": passphrase,
        **extra,
    }
    return env


def start_service(
    env: dict[str, str], *, port: int, workers: int = 1, log: Path, timeout: float = 90
) -> subprocess.Popen[bytes]:
    """Start `hurong serve` on 127.0.0.1:`port` and wait until `/api/v1/health` answers."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:  # the child keeps its own descriptor
        process = subprocess.Popen(  # noqa: S603 (fixed argv)
            [sys.executable, "-m", "ledger.cli", "serve", "--port", str(port), "--workers", str(workers)],
            env=env, stdout=out, stderr=out,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api/v1/health"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ToolchainError(f"the service exited with status {process.returncode}; see {log}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop_service(process)
    raise ToolchainError(f"the service did not answer within {timeout:.0f} s; see {log}")


def stop_service(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
