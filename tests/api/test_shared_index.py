"""Two service instances (two provinces' services) sharing one PostgreSQL index on a real server: one writes it
under an advisory lock, both answer reads, and the survivor takes over writing when the writer is killed."""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.launcher import stop_service
from ledger.chain.node import Anvil
from tests.api.conftest import prepare_home, start_server
from tests.api.test_api import BUSINESS
from tests.conftest import WORLD
from tests.ledger.certificates.samples import fresh
from tests.postgres import local_postgres


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with local_postgres() as url:
        yield url


def health(url: str) -> dict[str, Any]:
    return dict(httpx.get(url + "/api/v1/health", timeout=10).json())


def until(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


def test_two_instances_share_one_index_and_the_survivor_takes_over_writing(postgres: str, tmp_path: Path) -> None:
    with Anvil(accounts=len(WORLD["accounts"])) as chain:
        shanghai, zhejiang = tmp_path / "shanghai", tmp_path / "zhejiang"
        _, keys = prepare_home(shanghai, chain)
        shutil.copytree(shanghai, zhejiang)  # the same consortium and keys; journals of its own from now on
        env = {"HURONG_INDEX_URL": postgres}
        (url_a, process_a), (url_b, process_b) = (start_server(home, chain, env) for home in (shanghai, zhejiang))
        processes = {url_a: process_a, url_b: process_b}
        try:
            roles = until(lambda: sorted([health(u)["index"]["role"] for u in processes]) == ["reader", "writer"]
                          and {u: health(u)["index"] for u in processes}, 20, "one writer, one reader")  # fmt: skip
            assert {r["backend"] for r in roles.values()} == {"postgresql"}
            writer = next(u for u, r in roles.items() if r["role"] == "writer")
            reader = next(u for u in processes if u != writer)

            # issued and suspended through the reader's service: the writer's indexer records it for both
            with httpx.Client(base_url=reader + "/api/v1", headers={"X-API-Key": keys["sh_amr"]}, timeout=60) as http:
                issued = http.post("/certificates", json={"certificates": [fresh(BUSINESS), fresh(BUSINESS)]})
                assert issued.status_code == 201, issued.text
                doc, other = issued.json()["data"]
                digest = doc["proof"]["digest"]
                changed = http.post(f"/certificates/{digest}/suspend", json={"reason": "under_investigation"})
                assert changed.status_code == 200, changed.text
            block = changed.json()["blockNumber"]
            answers = {}
            for url in processes:
                with httpx.Client(base_url=url + "/api/v1", timeout=60) as http:
                    until(lambda http=http: http.get("/health").json()["indexedBlock"] >= block, 10, "indexed")
                    status = http.get(f"/certificates/{digest}").json()
                    verdicts = [http.post("/verify", json={"certificate": d, "context": {"province": "330000"}}).json()
                                for d in (doc, other)]  # fmt: skip
                answers[url] = (status["records"], [v["verdict"] for v in verdicts])
            assert answers[url_a] == answers[url_b]
            assert answers[url_a][0][0]["status"] == "suspended" and answers[url_a][1] == ["INVALID", "VALID"]

            # the writer dies: the survivor takes the lock within seconds and keeps the index moving
            os.kill(processes[writer].pid, signal.SIGKILL)
            processes[writer].wait(timeout=30)
            started = time.monotonic()
            until(lambda: health(reader)["index"]["role"] == "writer", 15, "the survivor writes the index")
            took = time.monotonic() - started
            with httpx.Client(base_url=reader + "/api/v1", headers={"X-API-Key": keys["sh_amr"]}, timeout=60) as http:
                later = http.post("/certificates", json={"certificates": [fresh(BUSINESS)]})
                assert later.status_code == 201, later.text
                (new,) = later.json()["data"]
                verdict = http.post("/verify", json={"certificate": new, "context": {"province": "330000"}}).json()
            assert verdict["verdict"] == "VALID", verdict
            assert health(reader)["indexedBlock"] >= new["proof"]["anchor"]["blockNumber"]
            print(f"\nthe survivor took over writing the index {took:.1f} s after the writer was killed")
        finally:
            for process in processes.values():
                stop_service(process)
