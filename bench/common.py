"""What every benchmark shares: the project's folders, the progress callback, percentiles, JSON output and the CPU
time a process tree has used."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

#: The repository's root folder (`bench/..`).
ROOT = Path(__file__).resolve().parent.parent
#: Where benchmarks write their figures by default.
RESULTS_DIR = ROOT / "bench" / "results"

#: Where a benchmark reports its progress and figures, one line at a time (`print`, `console.print`).
Report = Callable[[str], None]


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank `q`-quantile (0 < q ≤ 1) of `values`: the smallest value with at least q of them at or
    below it; 0.0 when there are none."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, -int(-q * len(ordered) // 1) - 1))]


def percentiles_ms(latencies: Sequence[float]) -> dict[str, float]:
    """p50 and p99 of latencies in seconds, in milliseconds rounded to 0.01."""
    return {f"p{q}_ms": round(percentile(latencies, q / 100) * 1000, 2) for q in (50, 99)}


def write_json(path: Path, value: Any, *, indent: int | None = None) -> Path:
    """Write `value` as UTF-8 JSON (non-ASCII kept as is) to `path`, creating its folder; returns `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False, indent=indent) + "\n", encoding="utf-8")
    return path


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system, seconds) used so far by process `pid` and every living descendant (a uvicorn
    supervisor and its workers); a process that is gone counts nothing."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / _TICKS
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
    return total


_TICKS = os.sysconf("SC_CLK_TCK")
