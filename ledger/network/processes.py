"""The network's long-running processes (geth nodes, the guard): started in sessions of their own, so they outlive
the command that started them, known by PID and command line, and stopped by PID.

    pid = spawn(argv, log_file)
    if runs(pid, b"--datadir", datadir): ...
    stop(pid, lambda pid: runs(pid, marker))   # SIGTERM, then SIGKILL after the timeout
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ledger.chain.node import open_private_log

#: The processes this Python process started, so that stopping one also reaps it (no zombie is left behind).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def spawn(argv: Sequence[str], log_file: Path) -> subprocess.Popen[bytes]:
    """Start `argv` in a session of its own, its output appended to `log_file` (0600)."""
    with open_private_log(log_file) as log:
        process = subprocess.Popen(  # noqa: S603 (argv built by the caller from fixed parts)
            list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    _CHILDREN[process.pid] = process
    return process


def alive(pid: int) -> bool:
    """Whether process `pid` exists and has not exited (a zombie has exited; its parent has not collected it)."""
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del _CHILDREN[pid]
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def runs(pid: int | None, *markers: bytes) -> bool:
    """Whether `pid` is alive and every one of `markers` is an argument of its command line (so it is the
    process recorded, not another that reused the number)."""
    if pid is None:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return all(marker in cmdline for marker in markers) and alive(pid)


def stop(pid: int, running: Callable[[int], bool], timeout: float) -> None:
    """Stop `pid` while `running(pid)` says it is still the process meant: SIGTERM, SIGKILL after `timeout`."""
    if not running(pid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and running(pid):
        time.sleep(0.05)
    if running(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        while alive(pid):
            time.sleep(0.05)
