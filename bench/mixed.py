"""A mixed load on the service for a fixed time: issuance, verification and status changes at once.

    python -m bench.mixed --minutes 10 [--workers 2] [--clients 8] [--out bench/results/mixed.json]

Sets up its own chain, the demo consortium and the service (N uvicorn workers) in a temporary folder, then
runs client threads that each loop over: issue a few licences (with an `Idempotency-Key`), verify one
certificate in another province, verify a bulk of 50, and suspend then reinstate one certificate. Prints
progress every 30 s and, at the end, the requests and errors per route with p50/p99 latency, the transactions
sent, the fees paid per gas unit at the start and at the end, and the workers' memory before and after.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

from api.demo import demo_licence
from bench.common import RESULTS_DIR, percentile, write_json
from bench.consortium import served_demo
from ledger.chain.client import make_web3
from ledger.chain.node import Anvil

AGENCIES = {"sh_amr": 310000, "zj_amr": 330000, "gd_amr": 440000}


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _workers(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
    return found


class Mixed:
    def __init__(self, base: str, keys: dict[str, str], seed: int) -> None:
        self.base = base
        self.keys = keys
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.hashes: list[str] = []
        self.docs: dict[str, list[dict[str, Any]]] = {a: [] for a in AGENCIES}
        self.lock = threading.Lock()
        self.seed = seed

    def _post(self, http: httpx.Client, route: str, path: str, body: Any, ok: int, *, key: bool = False) -> Any:
        """POST and time one request; the answer's JSON when its status is `ok`, else None (error recorded)."""
        headers = {"Idempotency-Key": str(uuid.uuid4())} if key else None
        started = time.perf_counter()
        try:
            response = http.post(path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            with self.lock:
                self.errors[route].append(repr(exc))
            return None
        with self.lock:
            self.latency[route].append(time.perf_counter() - started)
            if response.status_code != ok:
                self.errors[route].append(f"{response.status_code} {response.text[:200]}")
        return response.json() if response.status_code == ok else None

    def client(self, index: int, stop: threading.Event) -> None:
        rng = random.Random(self.seed + index)
        agency = list(AGENCIES)[index % len(AGENCIES)]
        mine: list[dict[str, Any]] = []  # status changes only on this client's own certificates: no two race
        with httpx.Client(base_url=self.base, timeout=120, headers={"X-API-Key": self.keys[agency]}) as http:
            while not stop.is_set():
                records = [demo_licence("business_licence", AGENCIES[agency], rng) for _ in range(rng.randint(1, 5))]
                issued = self._post(http, "POST /certificates", "/certificates", {"certificates": records}, 201,
                                    key=True)  # fmt: skip
                with self.lock:
                    if issued is not None:
                        self.docs[agency].extend(issued["data"])
                    everyone = [d for docs in self.docs.values() for d in docs[-20:]]
                if issued is not None:
                    mine = (mine + issued["data"])[-200:]
                if not mine:
                    continue
                doc = rng.choice(mine)
                body = {"certificate": doc, "context": {"province": "330000"}}
                self._post(http, "POST /verify", "/verify", body, 200)
                self._post(http, "POST /verify/bulk", "/verify/bulk", {"certificates": everyone[:50]}, 200)
                digest = doc["proof"]["digest"]
                for action in ("suspend", "reinstate"):
                    route = f"POST /certificates/{{digest}}/{action}"
                    path = f"/certificates/{digest}/{action}"
                    changed = self._post(http, route, path, {"reason": "under_investigation"}, 200, key=True)
                    if changed is not None:
                        with self.lock:
                            self.hashes.append(changed["transactionHash"])


def run(minutes: float, workers: int, clients: int, out: Path | None) -> dict[str, Any]:
    with served_demo(list(AGENCIES), workers=workers, prefix="hurong-bench-mixed-") as demo:
        figures = _load(demo.chain, demo.result, demo.server.pid, demo.base, demo.api_keys, minutes, clients)
    figures |= {"workers": workers, "clients": clients}
    if out is not None:
        write_json(out, figures, indent=2)
    return figures


def _load(chain: Anvil, result: Any, master: int, base: str, keys: dict[str, str], minutes: float,
          clients: int) -> dict[str, Any]:  # fmt: skip
    w3 = make_web3(chain.url)
    accounts = [result.accounts[a] for a in AGENCIES]

    def sent() -> int:
        return sum(int(w3.eth.get_transaction_count(a)) for a in accounts)  # type: ignore[arg-type]

    mixed = Mixed(base, keys, seed=7)
    pids = _workers(master)
    stop = threading.Event()
    threads = [threading.Thread(target=mixed.client, args=(i, stop), daemon=True) for i in range(clients)]
    start_tx = sent()
    for thread in threads:
        thread.start()
    time.sleep(min(30.0, minutes * 6))  # warm-up: memory is measured once every route has run for a while
    memory_before = {pid: _rss_kib(pid) for pid in pids}
    started = time.monotonic()
    deadline = started + minutes * 60
    while time.monotonic() < deadline:
        time.sleep(min(30.0, max(deadline - time.monotonic(), 0)))
        with mixed.lock:
            requests = sum(len(v) for v in mixed.latency.values())
            errors = sum(len(v) for v in mixed.errors.values())
        print(f"  {time.monotonic() - started:5.0f} s: {requests:,} requests, {errors} errors, "
              f"{sent() - start_tx:,} transactions", flush=True)  # fmt: skip
    stop.set()
    for thread in threads:
        thread.join(timeout=180)
    memory_after = {pid: _rss_kib(pid) for pid in pids}
    prices = [int(w3.eth.get_transaction_receipt(h)["effectiveGasPrice"])  # type: ignore[arg-type]
              for h in mixed.hashes[:20] + mixed.hashes[-20:]]  # fmt: skip
    routes = {
        route: {
            "requests": len(values),
            "errors": len(mixed.errors.get(route, [])),
            "p50_ms": round(statistics.median(values) * 1000, 1),
            "p99_ms": round(percentile(values, 0.99) * 1000, 1),
        }
        for route, values in sorted(mixed.latency.items())
    }
    return {
        "minutes": minutes,
        "routes": routes,
        "errors": {route: values[:5] for route, values in mixed.errors.items()},
        "transactions": sent() - start_tx,
        "fee_per_gas_first_wei": max(prices[:20], default=0),
        "fee_per_gas_last_wei": max(prices[-20:], default=0),
        "worker_rss_kib_before": memory_before,
        "worker_rss_kib_after": memory_after,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "mixed.json")
    args = parser.parse_args()
    if not 0 < args.minutes <= 120 or not 1 <= args.workers <= 16 or not 1 <= args.clients <= 256:
        parser.error("--minutes in (0, 120], --workers in [1, 16], --clients in [1, 256]")
    figures = run(args.minutes, args.workers, args.clients, args.out)
    print(f"\nmixed load, {args.minutes:g} min, {args.workers} workers, {args.clients} clients:")
    print(f"  {'route':<42} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8}")
    for route, row in figures["routes"].items():
        print(f"  {route:<42} {row['requests']:>9,} {row['errors']:>7} {row['p50_ms']:>8} {row['p99_ms']:>8}")
    print(f"  transactions {figures['transactions']:,}; fee per gas {figures['fee_per_gas_first_wei']:,} -> "
          f"{figures['fee_per_gas_last_wei']:,} wei; worker RSS {figures['worker_rss_kib_before']} -> "
          f"{figures['worker_rss_kib_after']} KiB")  # fmt: skip
    if any(figures["errors"].values()):
        print(f"  errors: {json.dumps(figures['errors'], ensure_ascii=False)[:2000]}")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
