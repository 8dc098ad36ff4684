"""Library-level benchmarks (no HTTP): batch issuance end to end and verification, on a fresh local chain.

Figures are printed and returned as dicts; `hurong bench issue|verify` drive them.
"""

from __future__ import annotations

import copy
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import Report
from bench.consortium import ISSUER, ISSUER_NAME, one_agency, sample_licence
from ledger.chain.bootstrap import BootstrapResult, bootstrap, parse_description
from ledger.chain.client import HurongClient
from ledger.chain.node import Anvil
from ledger.issuance.issuer import Issuer
from ledger.issuance.journal import Journal


class BenchChain:
    """A fresh anvil with the one-agency consortium (`bench.consortium.one_agency`), cleaned up on exit."""

    def __enter__(self) -> BenchChain:
        description = one_agency()
        self.anvil = Anvil(accounts=len(description["accounts"])).start()
        self.result: BootstrapResult = bootstrap(parse_description(description), self.anvil.url)
        self.agency = HurongClient.connect(self.anvil.url, self.result.deployment, self.result.keys[ISSUER])
        self.reader = HurongClient.connect(self.anvil.url, self.result.deployment)
        self.tmp = tempfile.TemporaryDirectory(prefix="hurong-bench-")
        return self

    def __exit__(self, *exc: object) -> None:
        self.anvil.stop()
        self.tmp.cleanup()

    def credentials(self, count: int) -> list[dict[str, Any]]:
        from ledger.certificates import build_credential

        agency = self.agency
        assert agency.address is not None
        return [
            build_credential(
                sample_licence(i),
                issuer_address=agency.address,
                chain_id=agency.deployment.chain_id,
                issuer_name=ISSUER_NAME,
                registry=agency.certificates.address,
            )
            for i in range(count)
        ]

    def issuer(self, batch: int, name: str) -> Issuer:
        return Issuer(self.agency, Journal(Path(self.tmp.name) / f"{name}.sqlite"), max_batch=batch)


def bench_issue(count: int = 20_000, batch: int = 10_000, report: Report = print) -> dict[str, Any]:
    """Certificates/s of batch issuance end to end (validate, salt, hash, tree, journal, anchor, receipt),
    and gas per certificate at batch sizes 1, 100, 1,000 and 10,000."""
    figures: dict[str, Any] = {"count": count, "batch": batch}
    with BenchChain() as bench:
        creds = bench.credentials(count)
        issuer = bench.issuer(batch, "throughput")
        issuer.issue(copy.deepcopy(creds[: min(200, count)]))  # warm caches and connections
        started, cpu = time.perf_counter(), time.process_time()
        wrapped = issuer.issue(creds)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        figures["certificates_per_second"] = round(len(wrapped) / elapsed)
        figures["seconds"] = round(elapsed, 3)
        figures["cpu_us_per_certificate"] = round(cpu / len(wrapped) * 1e6, 1)
        report(f"issued {len(wrapped):,} certificates in {elapsed:.2f}s at batch {batch:,}: "
               f"{len(wrapped) / elapsed:,.0f} certificates/s end to end, "
               f"{figures['cpu_us_per_certificate']} µs of this process's CPU each")  # fmt: skip
        gas: dict[int, dict[str, float]] = {}
        for size in (1, 100, 1_000, 10_000):
            small = bench.issuer(size, f"gas{size}")
            docs = small.issue(bench.credentials(size))
            tx = docs[0]["proof"]["anchor"]["transactionHash"]
            used = int(bench.reader.w3.eth.get_transaction_receipt(tx)["gasUsed"])
            gas[size] = {"anchor_gas": used, "gas_per_certificate": round(used / size, 2)}
            report(f"batch {size:>6,}: anchor {used:,} gas = {used / size:,.2f} gas per certificate")
        figures["gas"] = gas
    return figures


def bench_verify(count: int = 10_000, single: int = 500, report: Report = print, rounds: int = 3) -> dict[str, Any]:
    """Verifications/s: bulk (`verify_many`, one block, shared reads; the median of `rounds` passes after a first
    one, reported apart, with the CPU this process spent per certificate and the load average) and single (`verify`,
    own reads)."""
    from ledger.verification.verifier import VALID, VerificationContext, Verifier

    figures: dict[str, Any] = {"count": count}
    with BenchChain() as bench:
        wrapped = bench.issuer(10_000, "verify").issue(bench.credentials(count))
        verifier = Verifier(bench.reader)
        context = VerificationContext(province=330000)
        verifier.verify_many(wrapped[:100], context)  # warm up
        passes = []
        for _ in range(max(1, rounds) + 1):  # the first pass reported apart: it also fills the allocators' memory
            started, cpu = time.perf_counter(), time.process_time()
            results = verifier.verify_many(wrapped, context)
            passes.append((time.perf_counter() - started, time.process_time() - cpu))
            if any(r.verdict != VALID for r in results):
                raise RuntimeError("bulk verification rejected a valid certificate")
        first, passes = passes[0], passes[1:]
        elapsed = statistics.median(p[0] for p in passes)
        cpu = statistics.median(p[1] for p in passes)
        figures["bulk_per_second"] = round(len(wrapped) / elapsed)
        figures["bulk_per_second_passes"] = [round(len(wrapped) / p[0]) for p in passes]
        figures["bulk_per_second_first_pass"] = round(len(wrapped) / first[0])
        figures["bulk_cpu_us_per_certificate"] = round(cpu / len(wrapped) * 1e6, 1)
        figures["load_average"] = round(os.getloadavg()[0], 2)
        report(f"bulk: {len(wrapped):,} certificates at one block, median of {len(passes)} passes "
               f"({', '.join(f'{r:,}' for r in figures['bulk_per_second_passes'])}): "
               f"{len(wrapped) / elapsed:,.0f} verifications/s, "
               f"{figures['bulk_cpu_us_per_certificate']} µs of this process's CPU each "
               f"(load average {figures['load_average']} on {os.cpu_count()} CPUs; the first pass of a fresh "
               f"process {figures['bulk_per_second_first_pass']:,}/s)")  # fmt: skip
        latencies = []
        sample = wrapped[: min(single, count)]
        started = time.perf_counter()
        for doc in sample:
            t0 = time.perf_counter()
            if verifier.verify(doc, context).verdict != VALID:
                raise RuntimeError("verification rejected a valid certificate")
            latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - started
        figures["single_per_second"] = round(len(sample) / elapsed)
        figures["single_p50_ms"] = round(statistics.median(latencies) * 1000, 2)
        report(f"single: {len(sample):,} certificates one by one: {len(sample) / elapsed:,.0f} verifications/s, "
               f"p50 {statistics.median(latencies) * 1000:.2f} ms")  # fmt: skip
        tampered = copy.deepcopy(wrapped[0])
        tampered["credentialSubject"]["holderName"] += "X"
        if verifier.verify(tampered).verdict == VALID:
            raise RuntimeError("a tampered certificate was accepted")
    figures["cpus"] = os.cpu_count()
    return figures
