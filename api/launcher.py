"""Starting and stopping the service as a separate process (`hurong serve`): used by the local consortium,
the service benchmark and the tests. The process is stopped by its PID.

Secrets stay out of the service's environment and command line: the keystore passphrase is read from the file
named by `HURONG_KEY_PASSPHRASE_FILE` (by default `<home>/secrets/keystore-passphrase`, mode 0600). Every file
the service writes is its owner's only (umask 077), its log included.
"""

from __future__ import annotations

import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ledger.chain.node import open_private_log
from ledger.errors import LedgerValueError, ToolchainError
from ledger.keys.keystore import PASSPHRASE_ENV, PASSPHRASE_FILE_ENV, write_passphrase_file

#: Where a service home keeps the keystore passphrase.
PASSPHRASE_FILE = Path("secrets") / "keystore-passphrase"
#: The variable naming the folder where each worker process keeps its metrics (prometheus_client).
METRICS_FOLDER_ENV = "PROMETHEUS_MULTIPROC_DIR"


def passphrase_file(home: Path) -> Path:
    """The keystore passphrase file of a service home."""
    return home / PASSPHRASE_FILE


def service_env(*, rpc_url: str, home: Path, passphrase: str | None = None, **extra: str) -> dict[str, str]:
    """This process's environment without `HURONG_*` and the metrics folder, plus the service's settings.

    The keystore passphrase reaches the service as the path of its file, never as a value: `passphrase`, when
    given, is written (mode 0600) to `<home>/secrets/keystore-passphrase`, and that file is named when it exists.
    """
    if PASSPHRASE_ENV in extra:
        raise LedgerValueError(f"give the keystore passphrase in a file ({PASSPHRASE_FILE_ENV}), not as a value")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HURONG_") and k != METRICS_FOLDER_ENV}
    env |= {"HURONG_RPC_URL": rpc_url, "HURONG_HOME": str(home), "HURONG_DEPLOYMENTS": str(home / "deployments")}
    secret = passphrase_file(home)
    if passphrase is not None:
        write_passphrase_file(secret, passphrase, overwrite=True)
    if secret.is_file():
        env[PASSPHRASE_FILE_ENV] = str(secret)
    return env | extra


def start_service(
    env: dict[str, str],
    *,
    port: int,
    workers: int = 1,
    log: Path,
    timeout: float = 90,
    trust: ssl.SSLContext | None = None,
) -> subprocess.Popen[bytes]:
    """Start `hurong serve` on 127.0.0.1:`port` and wait until `/api/v1/health` answers (any JSON status: a
    service that reports itself degraded is up); over HTTPS trusting `trust` when given (`env` names the pair in
    `HURONG_SSL_CERTFILE` and `HURONG_SSL_KEYFILE`)."""
    with open_private_log(log) as out:  # the child keeps its own descriptor
        process = subprocess.Popen(  # noqa: S603 (fixed argv)
            [sys.executable, "-m", "ledger.cli", "serve", "--port", str(port), "--workers", str(workers)],
            env=env, stdout=out, stderr=out,
        )  # fmt: skip
    url = f"{'https' if trust else 'http'}://127.0.0.1:{port}/api/v1/health"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ToolchainError(f"the service exited with status {process.returncode}; see {log}")
        try:
            if httpx.get(url, timeout=1, verify=trust or True).status_code == 200:
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


def prepare_metrics_folder(home: Path) -> tuple[Path, bool]:
    """An empty folder for the metrics of this run's worker processes, named in `PROMETHEUS_MULTIPROC_DIR` so that
    the workers started next share it; call before any metric exists in this process.

    An operator's own `PROMETHEUS_MULTIPROC_DIR` is kept and emptied of metric files; otherwise the folder is
    `<home>/metrics/serve-<pid>`, and folders left by runs whose process is gone are removed. Returns the folder and
    whether this run owns it (and removes it when it ends).
    """
    given = os.environ.get(METRICS_FOLDER_ENV)
    if given:
        folder = Path(given)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink(missing_ok=True)
        return folder, False
    base = home / "metrics"
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    for stale in base.glob("serve-*"):
        pid = stale.name.removeprefix("serve-")
        if not pid.isdigit() or not process_alive(int(pid)) or int(pid) == os.getpid():
            shutil.rmtree(stale, ignore_errors=True)
    folder = base / f"serve-{os.getpid()}"
    folder.mkdir(mode=0o700)
    os.environ[METRICS_FOLDER_ENV] = str(folder)
    return folder, True


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
