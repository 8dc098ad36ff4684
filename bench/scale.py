"""`hurong bench scale`: how costs grow with the number of certificates on one chain.

A fresh anvil with 31 provinces of 10 agencies each; certificates issued in batches of 10,000 (each batch by the
next agency in turn, through the library's `Issuer`, end to end, after one untimed batch on a scratch chain that
warms the process), 1 % of each batch revoked with one multi-proof,
and at each decade (10^4, 10^5, 10^6 or up to `--max`): the issuance rate of the decade's batches, `POST /verify`
latency from wrk against the service (its index following the chain) for certificates drawn from every batch so
far, and the index's size per certificate (its SQLite file and WAL over the certificates issued).
"""

from __future__ import annotations

import copy
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from api.launcher import service_env, start_service, stop_service
from bench import wrk
from bench.common import Report
from bench.consortium import sample_licence
from bench.library import BenchChain
from ledger.certificates import build_credential
from ledger.certificates.merkle import MerkleTree
from ledger.chain.bootstrap import BootstrapResult, bootstrap, parse_description
from ledger.chain.client import HurongClient
from ledger.chain.node import Anvil, free_port
from ledger.errors import ToolchainError
from ledger.issuance.issuer import Issuer
from ledger.issuance.journal import Journal
from ledger.network import rpc_call

#: The 31 province-level divisions of the mainland (GB/T 2260).
PROVINCES = (110000, 120000, 130000, 140000, 150000, 210000, 220000, 230000, 310000, 320000, 330000, 340000,
             350000, 360000, 370000, 410000, 420000, 430000, 440000, 450000, 460000, 500000, 510000, 520000,
             530000, 540000, 610000, 620000, 630000, 640000, 650000)  # fmt: skip
#: Reason code of the benchmark's revocations.
_REASON = 1
#: Certificates kept from each batch for the `/verify` load (not revoked).
_SAMPLE_PER_BATCH = 20


def scale_consortium(provinces: int = 31, agencies_per_province: int = 10) -> dict[str, Any]:
    """A description of `provinces` provinces (of `PROVINCES`), one admin each, and `agencies_per_province`
    top-level agencies of each, all granted business licences; accounts are dev accounts (deployer first)."""
    if not 1 <= provinces <= len(PROVINCES) or agencies_per_province < 1:
        raise ValueError(f"1 to {len(PROVINCES)} provinces and at least one agency each")
    accounts: dict[str, str] = {"deployer": "dev:0"}
    founders, agencies = [], []
    for code in PROVINCES[:provinces]:
        admin = f"admin_{code}"
        accounts[admin] = f"dev:{len(accounts)}"
        founders.append({"code": code, "name": f"省级行政区{code}", "admins": [admin]})
        for j in range(agencies_per_province):
            account = f"agency_{code}_{j}"
            accounts[account] = f"dev:{len(accounts)}"
            name = f"{code}第{j + 1}市场监督管理局"
            agencies.append({"account": account, "province": code, "region": code, "name": name,
                             "certificate_types": ["business_licence"]})  # fmt: skip
    return {"accounts": accounts, "deployer": "deployer", "threshold": min(2, provinces), "provinces": founders,
            "agencies": agencies}  # fmt: skip


@dataclass
class _Decade:
    """Issuance time and count since the previous decade."""

    certificates: int = 0
    seconds: float = 0.0
    #: CPU time this process spent issuing (steadier than the rate when other work shares the machine).
    cpu_seconds: float = 0.0
    revocation_seconds: float = 0.0
    revoked: int = 0


@dataclass
class _Run:
    chain: Anvil
    result: BootstrapResult
    home: Path
    base: str
    agencies: list[str]
    clients: dict[str, HurongClient] = field(default_factory=dict)
    sample: list[dict[str, Any]] = field(default_factory=list)

    def head(self) -> int:
        return int(self.client(self.agencies[0]).w3.eth.block_number)

    def client(self, name: str) -> HurongClient:
        if name not in self.clients:
            self.clients[name] = HurongClient.connect(self.chain.url, self.result.deployment, self.result.keys[name])
        return self.clients[name]


@contextmanager
def _served_chain(provinces: int, agencies_per_province: int, workers: int, report: Report) -> Iterator[_Run]:
    """A fresh anvil with the scale consortium, and the service (`workers` uvicorn workers) indexing it, in a
    temporary home."""
    description = scale_consortium(provinces, agencies_per_province)
    home = Path(tempfile.mkdtemp(prefix="hurong-bench-scale-"))
    try:
        with Anvil(accounts=len(description["accounts"])) as chain:
            started = time.perf_counter()
            result = bootstrap(parse_description(description), chain.url)
            report(f"bootstrapped {provinces} provinces × {agencies_per_province} agencies on a fresh anvil in "
                   f"{time.perf_counter() - started:.1f} s")  # fmt: skip
            result.deployment.save(home / "deployments")
            port = free_port()
            server = start_service(service_env(rpc_url=chain.url, home=home), port=port, workers=workers,
                                   log=home / "service.log")  # fmt: skip
            try:
                agencies = [a["account"] for a in description["agencies"]]
                base = f"http://127.0.0.1:{port}/api/v1"
                # The service's start (its workers' imports, the index catching up with the bootstrap's blocks)
                # is over before the first decade's issuance is timed.
                _wait_indexed(base, int(rpc_call(chain.url, "eth_blockNumber"), 16))
                yield _Run(chain, result, home, base, agencies)
            finally:
                stop_service(server)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def licence(i: int, province: int) -> dict[str, Any]:
    """`sample_licence(i)` moved to `province`: issued there (in its capital's region, `<xx>0100`), with a credit
    code of that region."""
    from ledger.certificates.validation import uscc_check_character

    region = f"{province // 10000}0100"
    body = f"91{region}MA{i % 10**7:07d}"
    code = body + uscc_check_character(body)
    record = sample_licence(i)
    return record | {"licenceNumber": code, "holderId": code, "issuingProvince": str(province), "issuingRegion": region}


def _credentials(client: HurongClient, province: int, start: int, count: int) -> list[dict[str, Any]]:
    assert client.address is not None
    return [build_credential(licence(i, province), issuer_address=client.address, chain_id=client.deployment.chain_id,
                             issuer_name="市场监督管理局", registry=client.certificates.address)
            for i in range(start, start + count)]  # fmt: skip


def _issue_batch(run: _Run, index: int, size: int, serial: int, rng: random.Random, decade: _Decade) -> None:
    """Issue one batch end to end by the next agency (timed), revoke 1 % of it, and keep a sample."""
    name = run.agencies[index % len(run.agencies)]
    client = run.client(name)
    creds = _credentials(client, int(name.split("_")[1]), serial, size)
    journal = run.home / "journals" / f"batch-{index}.sqlite"
    journal.parent.mkdir(exist_ok=True)
    issuer = Issuer(client, Journal(journal), max_batch=size)
    started, cpu = time.perf_counter(), time.process_time()
    docs = issuer.issue(creds)
    decade.seconds += time.perf_counter() - started
    decade.cpu_seconds += time.process_time() - cpu
    decade.certificates += len(docs)
    digests = [bytes.fromhex(d["proof"]["digest"][2:]) for d in docs]
    tree = MerkleTree(digests)
    chosen = rng.sample(range(len(docs)), max(1, len(docs) // 100)) if len(docs) >= 100 else []
    if chosen:
        started = time.perf_counter()
        multi = tree.multi_proof(digests[i] for i in chosen)
        client.certificates.revoke_multiple(client.address or "", tree.root, multi.digests, multi.proof,
                                            multi.proof_flags, _REASON).wait()  # fmt: skip
        decade.revocation_seconds += time.perf_counter() - started
        decade.revoked += len(chosen)
    revoked = set(chosen)
    kept = [i for i in rng.sample(range(len(docs)), min(len(docs), _SAMPLE_PER_BATCH * 2)) if i not in revoked]
    run.sample.extend(copy.deepcopy(docs[i]) for i in kept[:_SAMPLE_PER_BATCH])
    for path in journal.parent.glob(journal.name + "*"):  # the journal is the issuer's, not the index's
        path.unlink()


def _warm_up(batch: int, report: Report) -> None:
    """Issue one untimed batch of `batch` certificates end to end on a scratch chain of its own (`BenchChain`), so
    that every decade is timed in a process a batch of that size has warmed: without it, the first decade was one
    batch in a fresh process, 13,115-14,010/s with ~42,000 page faults, against 16,147-17,436/s with ~16,000
    after a warm-up (two batches of 10,000 after each, at 9b65213)."""
    started = time.perf_counter()
    with BenchChain() as scratch:
        scratch.issuer(batch, "warm-up").issue(scratch.credentials(batch))
    report(f"warm-up: {batch:,} certificates issued on a scratch chain in {time.perf_counter() - started:.1f} s "
           "(not timed)")  # fmt: skip


def _wait_indexed(base: str, block: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base, timeout=10) as http:
        while time.monotonic() < deadline:
            if http.get("/health").json().get("indexedBlock", -1) >= block:
                return
            time.sleep(0.2)
    raise ToolchainError(f"the service did not index block {block} within {timeout:.0f} s")


def _index_bytes(home: Path) -> int:
    return sum(p.stat().st_size for p in home.glob("index.sqlite*"))


def bench_scale(
    *,
    maximum: int = 1_000_000,
    batch: int = 10_000,
    provinces: int = 31,
    agencies_per_province: int = 10,
    seconds: int = 10,
    connections: int = 64,
    workers: int = 2,
    report: Report = print,
) -> dict[str, Any]:
    """Issue up to `maximum` certificates in batches of `batch`, and take the figures at each power of ten from
    `batch` up to `maximum` (and at `maximum`): `/verify` over certificates of every batch so far, and over the
    first decade's certificates again (the chain's size alone changing). The service runs `workers` uvicorn workers
    (one per core here: a single worker's event loop, uvloop, answers unfairly past ~32 connections, see
    BENCHMARKS.md)."""
    if maximum < batch or batch < 1:
        raise ValueError("maximum must be at least one batch")
    marks = [m for m in (10**k for k in range(8)) if batch <= m <= maximum]
    if not marks or marks[-1] != maximum:
        marks.append(maximum)
    figures: dict[str, Any] = {"batch": batch, "provinces": provinces, "agencies": provinces * agencies_per_province,
                               "revoked_share": 0.01, "connections": connections, "workers": workers,
                               "decades": []}  # fmt: skip
    rng = random.Random(12)
    _warm_up(batch, report)
    with _served_chain(provinces, agencies_per_province, workers, report) as run:
        issued, index = 0, 0
        first_bodies: list[dict[str, Any]] = []
        for mark in marks:
            decade = _Decade()
            while issued < mark:
                size = min(batch, mark - issued)
                _issue_batch(run, index, size, issued, rng, decade)
                issued += size
                index += 1
                report(f"  {issued:,} certificates issued ({index} batches, "
                       f"{decade.certificates / decade.seconds:,.0f}/s in this decade)")  # fmt: skip
            head = run.head()
            _wait_indexed(run.base, head)
            bodies = [{"certificate": d} for d in rng.sample(run.sample, min(len(run.sample), 2_000))]
            first_bodies = first_bodies or bodies  # the first decade's certificates, asked about at every decade
            wrk.post_each(run.base + "/verify", bodies, seconds=2, connections=connections)  # warm-up
            load = wrk.post_each(run.base + "/verify", bodies, seconds=seconds, connections=connections)
            same = wrk.post_each(run.base + "/verify", first_bodies, seconds=seconds, connections=connections)
            size_bytes = _index_bytes(run.home)
            row = {
                "certificates": issued,
                "issue_certificates_per_second": round(decade.certificates / decade.seconds),
                "issue_cpu_us_per_certificate": round(decade.cpu_seconds / decade.certificates * 1e6, 1),
                "issued_in_decade": decade.certificates,
                "revoked_in_decade": decade.revoked,
                "revoke_seconds": round(decade.revocation_seconds, 2),
                "verify": load,
                "verify_first_certificates": same,
                "index_bytes": size_bytes,
                "index_bytes_per_certificate": round(size_bytes / issued, 1),
            }
            figures["decades"].append(row)
            report(f"{issued:,} certificates: issuance {row['issue_certificates_per_second']:,}/s "
                   f"({row['issue_cpu_us_per_certificate']} µs of CPU each), "
                   f"POST /verify {load['requests_per_second']:,.0f} requests/s p50 {load['p50_ms']} ms "
                   f"p99 {load['p99_ms']} ms ({load['not_valid_answers']} not VALID, non-2xx {load['non_2xx']}), "
                   f"index {size_bytes / 2**20:,.1f} MiB = "
                   f"{row['index_bytes_per_certificate']} bytes/certificate; over the first decade's "
                   f"{len(first_bodies)} certificates {same['requests_per_second']:,.0f} requests/s "
                   f"p50 {same['p50_ms']} ms p99 {same['p99_ms']} ms")  # fmt: skip
    first, last = figures["decades"][0], figures["decades"][-1]
    figures["issue_rate_change"] = round(last["issue_certificates_per_second"] / first["issue_certificates_per_second"]
                                         - 1, 3)  # fmt: skip
    figures["issue_cpu_change"] = round(last["issue_cpu_us_per_certificate"] / first["issue_cpu_us_per_certificate"]
                                        - 1, 3)  # fmt: skip
    if first["verify"]["p99_ms"] and last["verify"]["p99_ms"]:
        figures["verify_p99_change"] = round(last["verify"]["p99_ms"] / first["verify"]["p99_ms"] - 1, 3)
    before, after = first["verify_first_certificates"]["p99_ms"], last["verify_first_certificates"]["p99_ms"]
    if before and after:  # the same certificates asked about: what the chain's size alone changes
        figures["verify_p99_change_same_certificates"] = round(after / before - 1, 3)
    return figures
