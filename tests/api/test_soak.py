"""Endurance: one chain, thousands of transactions (anchors and status changes) through the service with two
workers; afterwards every certificate verifies as expected, fees stayed flat and worker memory stayed within
+20 %. The number of transactions is `HURONG_SOAK_TRANSACTIONS` (default 5,000)."""

from __future__ import annotations

import itertools
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.launcher import stop_service
from ledger.chain.node import Anvil
from tests.api.conftest import Server, prepare_home, start_server
from tests.api.test_api import BUSINESS
from tests.conftest import WORLD
from tests.ledger.certificates.samples import fresh

AGENCIES = ("sh_amr", "sh_pudong", "zj_amr", "gd_amr")
PROVINCES = {"sh_amr": "310000", "sh_pudong": "310000", "zj_amr": "330000", "gd_amr": "440000"}


def record(agency: str) -> dict[str, Any]:
    """The sample business licence as issued in the agency's province."""
    out = dict(fresh(BUSINESS), issuingProvince=PROVINCES[agency])
    if out["issuingProvince"] != BUSINESS["issuingProvince"]:
        out.pop("issuingRegion", None)
    return out


pytestmark = pytest.mark.timeout(1800)


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise LookupError(pid)


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(c) for c in text)
    return found


def is_worker(pid: int) -> bool:
    """A uvicorn worker process (not multiprocessing's resource tracker)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"spawn_main" in cmdline or b"resource_tracker" not in cmdline


def workers(process: Any, expected: int, timeout: float = 30) -> list[int]:
    deadline = time.monotonic() + timeout
    while True:
        found = [pid for pid in children(process.pid) if is_worker(pid)]
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


class Load:
    """Status changes and issuance through the service, counting what the chain received."""

    def __init__(self, server: Server, docs: dict[str, list[dict[str, Any]]]) -> None:
        self.server = server
        self.docs = docs
        self.hashes: list[str] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._http = {name: server.client(name) for name in AGENCIES}
        self._public = server.client()
        self._w3 = server.chain_client().w3

    def close(self) -> None:
        for http in (*self._http.values(), self._public):
            http.close()

    def sent(self) -> int:
        w3 = self._w3
        return sum(int(w3.eth.get_transaction_count(self.server.addr(a))) for a in AGENCIES)  # type: ignore[arg-type]

    def _post(self, agency: str, path: str, body: dict[str, Any]) -> httpx.Response:
        response = self._http[agency].post(path, json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
        if response.status_code not in (200, 201):
            with self._lock:
                self.errors.append(f"{path}: {response.status_code} {response.text[:300]}")
        return response

    def cycle(self, step: int) -> None:
        agency = AGENCIES[step % len(AGENCIES)]
        pool = self.docs[agency]
        doc = pool[(step // len(AGENCIES)) % len(pool)]
        digest = doc["proof"]["digest"]
        for action in ("suspend", "reinstate"):
            response = self._post(agency, f"/certificates/{digest}/{action}", {"reason": "under_investigation"})
            if response.status_code == 200:
                with self._lock:
                    self.hashes.append(response.json()["transactionHash"])
        if step % 10 == 0:
            response = self._post(agency, "/certificates", {"certificates": [record(agency) for _ in range(5)]})
            if response.status_code == 201:
                with self._lock:
                    self.docs[agency].extend(response.json()["data"])
        if step % 7 == 0:
            sample = [d for a in AGENCIES for d in self.docs[a][:5]]
            answer = self._public.post("/verify/bulk", json={"certificates": sample})
            if answer.status_code != 200:
                with self._lock:
                    self.errors.append(f"/verify/bulk: {answer.status_code} {answer.text[:300]}")


def _effective_prices(load: Load, hashes: list[str]) -> list[int]:
    w3 = load._w3
    return [int(w3.eth.get_transaction_receipt(h)["effectiveGasPrice"]) for h in hashes]  # type: ignore[arg-type]


def test_thousands_of_transactions_through_two_workers_keep_fees_and_memory_flat(tmp_path: Path) -> None:
    target = int(os.environ.get("HURONG_SOAK_TRANSACTIONS", "5000"))
    home = tmp_path / "home"
    with Anvil(accounts=len(WORLD["accounts"])) as chain:
        result, keys = prepare_home(home, chain)
        url, process = start_server(home, chain, workers=2)
        server = Server(url, chain, result, home, keys, process)
        try:
            docs: dict[str, list[dict[str, Any]]] = {}
            for agency in AGENCIES:
                with server.client(agency) as http:
                    response = http.post("/certificates", json={"certificates": [record(agency) for _ in range(20)]})
                assert response.status_code == 201, response.text
                docs[agency] = list(response.json()["data"])
            load = Load(server, docs)
            try:
                _soak(server, load, process, target)
            finally:
                load.close()
        finally:
            stop_service(process)


def _soak(server: Server, load: Load, process: Any, target: int) -> None:
    start = load.sent()
    pids = workers(process, 2)
    assert len(pids) == 2, pids
    steps = itertools.count()
    baseline: dict[int, int] = {}
    series: list[int] = []  # both workers' RSS (MiB) after each round of 64 cycles
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        while (done := load.sent() - start) < target:
            list(pool.map(load.cycle, [next(steps) for _ in range(64)]))
            series.append(sum(rss_kib(pid) for pid in pids) // 1024)
            # Memory is judged after a warm-up: bounded caches fill during the first fifth of the run.
            if not baseline and done >= target // 5:
                baseline = {pid: rss_kib(pid) for pid in pids}
            assert len(load.errors) < 10, load.errors
    elapsed = time.monotonic() - started
    final = {pid: rss_kib(pid) for pid in pids}
    total = load.sent() - start
    prices = _effective_prices(load, load.hashes[:20] + load.hashes[-20:])
    first, last = prices[:20], prices[-20:]
    print(
        f"\nsoak: {total} transactions in {elapsed:.0f} s ({total / elapsed:.0f}/s); fee per gas first "
        f"{max(first)} wei, last {max(last)} wei; worker RSS {baseline} -> {final} KiB; errors {len(load.errors)}"
        f"\nworkers' RSS by round (MiB): {series}"
    )
    assert total >= target
    assert load.errors == []
    assert max(last) <= max(first) * 1.5
    for pid in pids:
        assert final[pid] <= baseline[pid] * 1.2, (pid, baseline[pid], final[pid])
    every = [d for a in AGENCIES for d in load.docs[a]]
    with server.client() as http:
        for i in range(0, len(every), 500):
            answer = http.post("/verify/bulk", json={"certificates": every[i : i + 500]})
            assert answer.status_code == 200, answer.text
            assert answer.json()["verdicts"] == {"VALID": len(every[i : i + 500])}, answer.json()["verdicts"]
