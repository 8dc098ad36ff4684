"""A fault campaign: kill -9 of the chain, of a service worker and of the whole service, at random moments while
clients issue certificates and change statuses, retrying with their idempotency keys. Afterwards every
acknowledged certificate is anchored exactly once (none lost, none twice) and every certificate has the status
its last acknowledged change gave it (changes the chain lost are applied again). The number of faults is
`HURONG_FAULTS` (default 21)."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.chain.client import HurongClient
from ledger.chain.node import Anvil, free_port
from tests.api.conftest import prepare_home, start_server
from tests.api.test_soak import AGENCIES, children, is_worker, record, workers
from tests.conftest import WORLD

pytestmark = pytest.mark.timeout(1800)


def kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


@dataclass
class Ledger:
    """What the clients were told: acknowledged certificates by idempotency key."""

    acknowledged: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    conflicting: list[str] = field(default_factory=list)
    retries: int = 0
    abandoned: int = 0
    changes: int = 0
    #: The status each certificate was last acknowledged to have, by (agency, digest).
    statuses: dict[tuple[str, str], str] = field(default_factory=dict)
    #: Certificates with a status change that never got a final answer: their status is not asserted.
    uncertain: set[tuple[str, str]] = field(default_factory=set)
    #: Every final answer to a status change, by certificate: (action, HTTP status, error code).
    answers: dict[tuple[str, str], list[tuple[str, int, str]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acknowledge(self, key: str, docs: list[dict[str, Any]]) -> None:
        with self.lock:
            earlier = self.acknowledged.get(key)
            if earlier is not None and [d["proof"]["digest"] for d in earlier] != [d["proof"]["digest"] for d in docs]:
                self.conflicting.append(key)
            self.acknowledged[key] = docs


class Campaign:
    def __init__(self, home: Path, chain: Anvil, result: Any, keys: dict[str, str]) -> None:
        self.home = home
        self.chain = chain
        self.result = result
        self.keys = keys
        self.port = free_port()
        self.process: Any = None
        self.ledger = Ledger()
        self.stop = threading.Event()
        self.faults: dict[str, int] = {"chain": 0, "worker": 0, "service": 0}

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def start_service(self) -> None:
        _, self.process = start_server(self.home, self.chain, {"HURONG_RECONCILE_INTERVAL": "0.5"}, workers=2,
                                       port=self.port)  # fmt: skip

    def kill_service(self) -> None:
        pids = children(self.process.pid)
        kill(self.process.pid)
        for pid in pids:
            kill(pid)
        self.process.wait()

    def restart_chain(self) -> None:
        assert self.chain.process is not None
        kill(self.chain.process.pid)
        self.chain.process.wait()
        self.chain.process = None
        time.sleep(random.uniform(0.1, 1.0))
        self.chain.start()

    def kill_worker(self) -> None:
        pids = [p for p in children(self.process.pid) if is_worker(p)]
        if pids:
            kill(random.choice(pids))

    # ------------------------------------------------------------------ clients

    def _until_done(self, send: Callable[[httpx.Client], httpx.Response | None], http: httpx.Client) -> Any:
        """Repeat one request (same key) until it has a final answer, or give up after 120 s."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                response = send(http)
            except httpx.HTTPError:
                response = None
            if response is not None and response.status_code < 500 and response.status_code not in (409, 429):
                return response
            if (
                response is not None
                and response.status_code == 409
                and response.json()["error"]["code"] != "request_in_progress"
            ):
                return response
            with self.ledger.lock:
                self.ledger.retries += 1
            time.sleep(0.3)
        with self.ledger.lock:
            self.ledger.abandoned += 1
        return None

    def issuing_client(self, agency: str) -> None:
        with httpx.Client(base_url=self.api, headers={"X-API-Key": self.keys[agency]}, timeout=30) as http:
            while not self.stop.is_set():
                key = str(uuid.uuid4())
                body = {"certificates": [record(agency) for _ in range(random.randint(1, 4))]}
                response = self._until_done(
                    lambda h, b=body, k=key: h.post("/certificates", json=b, headers={"Idempotency-Key": k}), http
                )
                if response is not None:
                    assert response.status_code == 201, response.text
                    self.ledger.acknowledge(key, response.json()["data"])
                    if random.random() < 0.3:  # a client that retries although it got its answer
                        again = self._until_done(
                            lambda h, b=body, k=key: h.post("/certificates", json=b, headers={"Idempotency-Key": k}),
                            http,
                        )
                        if again is not None:
                            self.ledger.acknowledge(key, again.json()["data"])

    def status_client(self, agency: str) -> None:
        with httpx.Client(base_url=self.api, headers={"X-API-Key": self.keys[agency]}, timeout=30) as http:
            while not self.stop.is_set():
                with self.ledger.lock:
                    mine = [d for docs in self.ledger.acknowledged.values() for d in docs
                            if d["issuer"]["id"].lower().endswith(self.result.accounts[agency].lower())]  # fmt: skip
                if not mine:
                    time.sleep(0.2)
                    continue
                digest = random.choice(mine)["proof"]["digest"]
                agency_address = self.result.accounts[agency]
                for action, target in (("suspend", "suspended"), ("reinstate", "valid")):
                    key = str(uuid.uuid4())
                    path = f"/certificates/{digest}/{action}"
                    response = self._until_done(
                        lambda h, p=path, k=key: h.post(p, json={"reason": 1}, headers={"Idempotency-Key": k}), http
                    )
                    with self.ledger.lock:
                        if response is not None:
                            code = "" if response.status_code == 200 else response.json()["error"]["code"]
                            answer = (action, response.status_code, code)
                            self.ledger.answers.setdefault((agency_address, digest), []).append(answer)
                        applied = response is not None and (
                            response.status_code == 200
                            or (response.status_code == 409 and response.json()["error"]["code"] == "already_applied")
                        )
                        if applied:
                            self.ledger.changes += 1
                            self.ledger.statuses[(agency_address, digest)] = target
                        elif response is None:
                            self.ledger.uncertain.add((agency_address, digest))

    # ------------------------------------------------------------------ faults

    def inject(self, count: int) -> None:
        for i in range(count):
            time.sleep(random.uniform(1.0, 2.5))
            kind = ("chain", "worker", "service")[i % 3] if i < 3 else random.choice(("chain", "worker", "service"))
            self.faults[kind] += 1
            if kind == "chain":
                self.restart_chain()
            elif kind == "worker":
                self.kill_worker()
            else:
                self.kill_service()
                self.start_service()
        # Leave everything running and healthy: the chain answers, the service has both workers.
        workers(self.process, 2)


def _anchor_events(client: HurongClient, agency: str, root: bytes) -> int:
    event = client.certificates.contract.events.BatchAnchored
    head = int(client.w3.eth.block_number)
    return len(event.get_logs(from_block=0, to_block=head, argument_filters={"root": root, "agency": agency}))


def _explain(home: Path, key: tuple[str, str], expected: str, found: str, ledger: Ledger) -> str:
    """What the clients were told about one certificate and what the journal holds of its changes."""
    agency, digest = key
    with sqlite3.connect(home / "journals" / f"{agency}.sqlite") as db:
        rows = db.execute(
            "SELECT id, action, state, tx_hash, block_number, acknowledged, error FROM status_changes"
            " WHERE digest = ? ORDER BY id",
            (bytes.fromhex(digest[2:]),),
        ).fetchall()
    return f"{digest}: expected {expected}, found {found}; answers {ledger.answers.get(key)}; journal {rows}"


def _status(client: HurongClient, agency: str, digest: str) -> str:
    return client.certificates.status_of(agency, digest).status.name.lower()


def test_every_acknowledged_certificate_is_anchored_exactly_once_through_kill_9_faults(tmp_path: Path) -> None:
    count = int(os.environ.get("HURONG_FAULTS", "21"))
    random.seed(int(os.environ.get("HURONG_FAULT_SEED", str(time.time_ns()))))
    home = tmp_path / "home"
    chain = Anvil(accounts=len(WORLD["accounts"]), state=tmp_path / "chain" / "state.json")
    chain.start()
    campaign: Campaign | None = None
    try:
        result, keys = prepare_home(home, chain)
        chain.stop()  # a clean stop writes the state: the consortium survives every kill below
        chain.start()
        campaign = Campaign(home, chain, result, keys)
        campaign.start_service()
        threads = [threading.Thread(target=campaign.issuing_client, args=(a,)) for a in AGENCIES]
        threads += [threading.Thread(target=campaign.status_client, args=(a,)) for a in AGENCIES[:2]]
        for thread in threads:
            thread.start()
        try:
            campaign.inject(count)
            time.sleep(2)
        finally:
            campaign.stop.set()
            for thread in threads:
                thread.join(timeout=300)
        reader = HurongClient.connect(chain.url, result.deployment)
        acknowledged = [d for docs in campaign.ledger.acknowledged.values() for d in docs]
        roots = {(d["issuer"]["id"].rsplit(":", 1)[1], d["proof"]["merkleRoot"]) for d in acknowledged}
        deadline = time.monotonic() + 180
        while True:  # the service re-anchors what the chain lost; give it time to notice
            missing = {r for r in roots if not reader.certificates.is_anchored(r[0], r[1])}
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(1)
        anchored_once = sum(1 for a, r in roots if _anchor_events(reader, a, bytes.fromhex(r[2:])) == 1)
        lost = [d for d in acknowledged if (d["issuer"]["id"].rsplit(":", 1)[1], d["proof"]["merkleRoot"]) in missing]
        digests = [d["proof"]["digest"] for d in acknowledged]
        ledger = campaign.ledger
        expected = {k: v for k, v in ledger.statuses.items() if k not in ledger.uncertain}
        while True:  # and applies again the status changes it lost
            wrong = {k: v for k, v in expected.items() if _status(reader, *k) != v}
            if not wrong or time.monotonic() > deadline + 60:
                break
            time.sleep(1)
        print(
            f"\nfaults: {campaign.faults}; acknowledged certificates {len(acknowledged)} in {len(roots)} batches; "
            f"anchored exactly once {anchored_once} batches; lost {len(lost)}; twice {len(digests) - len(set(digests))}"
            f" + conflicting answers {len(ledger.conflicting)}; status changes {ledger.changes} on "
            f"{len(expected)} certificates, with another status than acknowledged {len(wrong)}; "
            f"client retries {ledger.retries}; abandoned {ledger.abandoned}"
        )
        assert sum(campaign.faults.values()) >= count
        assert acknowledged, "no certificate was acknowledged"
        assert lost == []
        assert anchored_once == len(roots)
        assert len(digests) == len(set(digests)) and ledger.conflicting == []
        assert ledger.changes > 0
        explanations = [_explain(home, k, v, _status(reader, *k), ledger) for k, v in list(wrong.items())[:3]]
        print("\n".join(explanations))
        assert wrong == {}, explanations
    finally:
        if campaign is not None and campaign.process is not None:
            campaign.kill_service()
        chain.stop()


def test_a_worker_restarted_while_the_chain_is_down_waits_for_it_and_the_service_lives_on(tmp_path: Path) -> None:
    """uvicorn stops every worker when one fails its start-up: a worker respawned during a node restart must
    wait for the node, not fail."""
    home = tmp_path / "home"
    chain = Anvil(accounts=len(WORLD["accounts"]), state=tmp_path / "chain" / "state.json")
    chain.start()
    process = None
    try:
        result, keys = prepare_home(home, chain)
        port = free_port()
        _, process = start_server(home, chain, workers=2, port=port)
        assert len(workers(process, 2)) == 2
        chain.stop()
        kill(random.choice(workers(process, 2)))
        time.sleep(12)  # the supervisor respawns the worker, which finds no chain
        assert process.poll() is None, "the service stopped"
        chain.start()
        assert len(workers(process, 2)) == 2
        api = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 60
        while (health := httpx.get(f"{api}/health", timeout=10)).json()["status"] != "ok":
            assert time.monotonic() < deadline, health.text
            time.sleep(0.5)
        agency = AGENCIES[0]
        with httpx.Client(base_url=api, headers={"X-API-Key": keys[agency]}, timeout=60) as http:
            for _ in range(4):  # both workers answer writes
                answer = http.post("/certificates", json={"certificates": [record(agency)]})
                assert answer.status_code == 201, answer.text
        assert process.poll() is None
        assert result.accounts[agency]
    finally:
        if process is not None:
            for pid in children(process.pid):
                kill(pid)
            kill(process.pid)
            process.wait()
        chain.stop()
