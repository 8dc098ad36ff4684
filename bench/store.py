"""Document store benchmarks on a private Kubo node started for the run (and a directory store beside it):
store-and-pin of encrypted certificates (documents/s), fetch + decrypt latency, and batch issuance end to end with
the store on (Kubo, directory) and off, on one fresh chain.

    PYTHONPATH=. .venv/bin/python -m bench.store --count 2000 --batch 1000

Kubo comes from `scripts/build-kubo.sh`. Figures are printed and, with `--json FILE`, written as JSON.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import Report, write_json
from bench.library import BenchChain
from ledger.issuance.issuer import Issuer
from ledger.issuance.journal import Journal
from ledger.store import IpfsStore, LocalStore, Store
from ledger.store.node import KuboNode
from ledger.store.sealed import open_document, seal_document


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _store_and_pin(
    store: Store, documents: list[dict[str, Any]], batch: int
) -> tuple[float, float, list[tuple[str, str]]]:
    """Seal each document under a fresh key and put it (pinned), `batch` at a time as the issuer does, then 200 one
    at a time: documents/s both ways, and (CID, key) of each."""
    sealed = [seal_document(doc, bytes.fromhex(doc["proof"]["digest"][2:])) for doc in documents]
    started = time.perf_counter()
    refs: list[tuple[str, str]] = []
    for i in range(0, len(documents), batch):
        part = [seal_document(doc, bytes.fromhex(doc["proof"]["digest"][2:])) for doc in documents[i : i + batch]]
        refs += zip(store.put_many([blob for blob, _ in part]), [key for _, key in part], strict=True)
    batched = len(documents) / (time.perf_counter() - started)
    started = time.perf_counter()
    for blob, _ in sealed[:200]:
        store.put(blob)
    single = min(200, len(sealed)) / (time.perf_counter() - started)
    return batched, single, refs


def _fetch_and_open(store: Store, refs: list[tuple[str, str]]) -> list[float]:
    latencies = []
    for cid, key in refs:
        t0 = time.perf_counter()
        open_document(store.get(cid), key)
        latencies.append(time.perf_counter() - t0)
    return latencies


def bench_store(count: int = 2_000, batch: int = 1_000, fetches: int = 500, report: Report = print) -> dict[str, Any]:
    figures: dict[str, Any] = {"count": count, "batch": batch, "fetches": fetches}
    with tempfile.TemporaryDirectory(prefix="hurong-bench-store-") as tmp, BenchChain() as bench:
        node = KuboNode(Path(tmp) / "ipfs")
        node.up()
        ipfs = IpfsStore(node.api_url)
        local = LocalStore(Path(tmp) / "folder")
        try:
            documents = bench.issuer(batch, "documents").issue(bench.credentials(count))
            for name, store in (("kubo", ipfs), ("directory", local)):
                _store_and_pin(store, documents[:50], batch)  # warm up
                rate, single, refs = _store_and_pin(store, documents, batch)
                latencies = _fetch_and_open(store, refs[:fetches])
                figures[name] = {
                    "store_and_pin_per_second": round(rate),
                    "store_and_pin_one_at_a_time_per_second": round(single),
                    "fetch_decrypt_p50_ms": round(statistics.median(latencies) * 1000, 3),
                    "fetch_decrypt_p99_ms": round(_percentile(latencies, 0.99) * 1000, 3),
                }
                p50, p99 = figures[name]["fetch_decrypt_p50_ms"], figures[name]["fetch_decrypt_p99_ms"]
                report(f"{name}: seal + store + pin {rate:,.0f} documents/s ({single:,.0f}/s one at a time); "
                       f"fetch + decrypt p50 {p50} ms, p99 {p99} ms")  # fmt: skip
            credentials = bench.credentials(count)
            for name, chosen in (("off", None), ("kubo", ipfs), ("directory", local)):
                journal = Journal(Path(tmp) / f"issue-{name}.sqlite")
                issuer = Issuer(bench.agency, journal, max_batch=batch, store=chosen)
                issuer.issue(copy.deepcopy(credentials[:100]))  # warm up
                started = time.perf_counter()
                wrapped = issuer.issue(copy.deepcopy(credentials))
                elapsed = time.perf_counter() - started
                figures[f"issuance_store_{name}_per_second"] = round(len(wrapped) / elapsed)
                report(f"issuance with store {name}: {len(wrapped):,} certificates in {elapsed:.2f}s at batch "
                       f"{batch:,}: {len(wrapped) / elapsed:,.0f} certificates/s")  # fmt: skip
                journal.close()
        finally:
            ipfs.close()
            node.down()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2_000, help="certificates (documents) per measurement")
    parser.add_argument("--batch", type=int, default=1_000, help="certificates per anchored root")
    parser.add_argument("--fetches", type=int, default=500, help="documents fetched and decrypted for latency")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    args = parser.parse_args()
    figures = bench_store(args.count, args.batch, args.fetches)
    if args.json:
        write_json(args.json, figures, indent=1)


if __name__ == "__main__":
    main()
