"""`/metrics` adds up every worker's counters (Prometheus multiprocess mode): whichever worker answers a scrape,
the request count covers every request, also after a worker was killed; a service built inside the process
keeps its own metrics."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.launcher import service_env, start_service, stop_service
from api.metrics import Metrics
from ledger.chain.bootstrap import bootstrap, parse_description
from ledger.chain.node import Anvil, free_port
from tests.conftest import WORLD

REQUESTS = 120
SCRAPES = 12


def requests_total(text: str, route: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "hurong_http_requests"
        for sample in family.samples
        if sample.name == "hurong_http_requests_total" and sample.labels["route"] == route
    )


def gauges(text: str, name: str) -> list[float]:
    return [s.value for f in text_string_to_metric_families(text) if f.name == name for s in f.samples]


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def workers_of(pid: int) -> list[int]:
    """The uvicorn worker processes of a service (not the multiprocessing resource tracker)."""
    return [c for c in children(pid) if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[str, int, Path]]:
    with Anvil(accounts=len(WORLD["accounts"])) as chain:
        bootstrap(parse_description(WORLD), chain.url).deployment.save(tmp_path / "deployments")
        port = free_port()
        process = start_service(service_env(rpc_url=chain.url, home=tmp_path), port=port, workers=2,
                                log=tmp_path / "service.log")  # fmt: skip
        try:
            yield f"http://127.0.0.1:{port}", process.pid, tmp_path
        finally:
            stop_service(process)
    assert not list((tmp_path / "metrics").iterdir()), "the run's metrics folder is left behind"


def send(base: str, count: int) -> None:
    def one(_: int) -> int:
        with httpx.Client(timeout=30) as http:  # a new connection each time: any worker may take it
            return http.get(base + "/api/v1/provinces").status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(one, range(count))) == {200}


def scrape(base: str) -> str:
    with httpx.Client(timeout=30) as http:
        answer = http.get(base + "/metrics")
    assert answer.status_code == 200
    return answer.text


def test_every_scrape_counts_the_requests_of_both_workers(service: tuple[str, int, Path]) -> None:
    base, pid, home = service
    assert len(workers_of(pid)) == 2
    send(base, REQUESTS)
    counts = [requests_total(scrape(base), "/provinces") for _ in range(SCRAPES)]
    assert all(count >= REQUESTS for count in counts), counts
    folder = home / "metrics" / f"serve-{pid}"
    assert len({p.stem.rsplit("_", 1)[1] for p in folder.glob("counter_*.db")}) == 2, "one worker took every request"
    text = scrape(base)
    assert len(gauges(text, "hurong_chain_head_block")) == 1  # one value, not one per worker


def test_a_killed_workers_counts_stay_and_its_gauges_go(service: tuple[str, int, Path]) -> None:
    base, pid, home = service
    send(base, REQUESTS)
    for _ in range(SCRAPES):  # every worker sets its gauges at least once
        scrape(base)
    before = workers_of(pid)
    folder = home / "metrics" / f"serve-{pid}"
    assert len(list(folder.glob("gauge_livemostrecent_*.db"))) == 2
    victim = before[0]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while (set(workers_of(pid)) == set(before) or len(workers_of(pid)) < 2) and time.monotonic() < deadline:
        time.sleep(0.2)
    for _ in range(SCRAPES):
        assert requests_total(scrape(base), "/provinces") >= REQUESTS
    assert not (folder / f"gauge_livemostrecent_{victim}.db").exists()
    assert (folder / f"counter_{victim}.db").exists()


def test_a_service_built_in_process_keeps_its_own_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    metrics = Metrics()
    assert metrics.multiprocess_folder is None
    metrics.requests.labels("GET", "/provinces", "200").inc(3)
    metrics.head_block.set(7)
    text = metrics.render().decode()
    assert requests_total(text, "/provinces") == 3 and gauges(text, "hurong_chain_head_block") == [7]
