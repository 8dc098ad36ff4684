"""The benchmarks' shared helpers that read the machine: the CPU time of a process tree."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench.common import cpu_seconds

_BURN = "import time\nend = time.process_time() + {seconds}\nwhile time.process_time() < end: pass\ntime.sleep(30)\n"


def test_the_cpu_time_of_a_process_tree_counts_its_living_descendants() -> None:
    """A parent that starts a child burning 0.4 s of CPU: the tree has used at least that once the child has
    burnt it, and a process that is gone counts nothing."""
    parent = subprocess.Popen(
        [sys.executable, "-c", "import subprocess, sys, time\n"
         f"subprocess.Popen([sys.executable, '-c', {_BURN.format(seconds=0.4)!r}])\ntime.sleep(30)\n"],
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while cpu_seconds(parent.pid) < 0.4 and time.monotonic() < deadline:
            time.sleep(0.05)
        used = cpu_seconds(parent.pid)
        assert 0.4 <= used < 5
        assert cpu_seconds(os.getpid()) > 0
    finally:
        for task in os.listdir(f"/proc/{parent.pid}/task"):
            with open(f"/proc/{parent.pid}/task/{task}/children") as children:
                for child in children.read().split():
                    os.kill(int(child), 9)
        parent.kill()
        parent.wait()
    assert cpu_seconds(parent.pid) == 0.0
