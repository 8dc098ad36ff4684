"""`hurong bench api`: the running service under load from `wrk` on the same machine.

Sets up its own chain, consortium and service (uvicorn, uvloop + httptools, N workers) in a temporary
folder, issues certificates through the API, then measures `POST /api/v1/verify` with wrk (requests/s,
p50/p99 latency) and `POST /api/v1/verify/bulk` (certificates/s).
"""

from __future__ import annotations

import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import orjson

from api.demo import demo_licence
from bench import wrk
from bench.common import Report
from bench.consortium import served_demo
from ledger.errors import ToolchainError

_AGENCY = "sh_amr"


def bench_api(
    *, workers: int = 2, certificates: int = 2_000, seconds: int = 10, connections: int = 64, report: Report = print
) -> dict[str, Any]:
    figures: dict[str, Any] = {"workers": workers}
    with served_demo([_AGENCY], workers=workers, prefix="hurong-bench-api-") as demo:
        base = demo.base
        rng = random.Random(7)
        records: dict[str, dict[str, Any]] = {}  # one per licence number: a second would be refused as a duplicate
        while len(records) < certificates:
            record = demo_licence("business_licence", 310000, rng)
            records.setdefault(record["licenceNumber"], record)
        started = time.perf_counter()
        with httpx.Client(base_url=base, timeout=300, headers={"X-API-Key": demo.api_keys[_AGENCY]}) as http:
            issued = http.post("/certificates", json={"certificates": list(records.values())})
        if issued.status_code != 201:
            raise ToolchainError(f"issuing failed: {issued.text}")
        elapsed = time.perf_counter() - started
        docs = issued.json()["data"]
        figures["issue_certificates_per_second"] = round(len(docs) / elapsed)
        report(f"POST /certificates: {len(docs):,} certificates in {elapsed:.2f}s "
               f"({len(docs) / elapsed:,.0f}/s, one request, anchored and indexed)")  # fmt: skip
        body = {"certificate": docs[0], "context": {"province": "330000"}}
        check = httpx.post(base + "/verify", json=body).json()
        if check["verdict"] != "VALID":
            raise ToolchainError(f"the benchmark certificate does not verify: {check}")
        wrk.post(base + "/verify", body, seconds=2, connections=connections, threads=2)  # warm-up
        single = wrk.post(base + "/verify", body, seconds=seconds, connections=connections, threads=2)
        figures["verify"] = single
        report(f"POST /verify: {single['requests_per_second']:,.0f} requests/s, p50 {single['p50_ms']} ms, "
               f"p99 {single['p99_ms']} ms ({connections} connections, {workers} workers, "
               f"non-2xx {single['non_2xx']})")  # fmt: skip
        bulk = _bulk(base, docs[:1000], report, workers)
        figures["bulk_certificates_per_second"], figures["bulk_concurrent_certificates_per_second"] = bulk[:2]
        figures["bulk_http_overhead_ms"] = bulk[2]
    return figures


def _bulk(base: str, docs: list[dict[str, Any]], report: Report, workers: int) -> tuple[int, int, dict[str, float]]:
    """`POST /verify/bulk` of `docs`: certificates/s at the median of five requests one after another, and with
    `workers` clients at once (three requests each; the service's workers share the load); the service's HTTP work
    on one request and its answer measured apart (`bulk_http_overhead`). The body is written once, before any
    timing, as wrk sends a body it holds: the clients' JSON encoding is not the service's work."""
    body = orjson.dumps({"certificates": docs, "context": {"province": "330000"}})
    headers = {"content-type": "application/json"}

    def checked(answer: httpx.Response) -> httpx.Response:
        if answer.status_code != 200 or orjson.loads(answer.content)["verdicts"] != {"VALID": len(docs)}:
            raise ToolchainError(f"bulk verification failed: {answer.text[:500]}")
        return answer

    timings = []
    with httpx.Client(base_url=base, timeout=300) as http:
        for _ in range(5):
            t0 = time.perf_counter()
            answer = http.post("/verify/bulk", content=body, headers=headers)
            timings.append(time.perf_counter() - t0)
            checked(answer)
    per_second = len(docs) / statistics.median(timings)
    median_ms = statistics.median(timings) * 1000
    report(f"POST /verify/bulk: {per_second:,.0f} certificates/s "
           f"(1,000 per request, one at a time, median of 5, {median_ms:.0f} ms each)")  # fmt: skip

    def client(_: int) -> None:
        with httpx.Client(base_url=base, timeout=300) as http:
            for _ in range(3):
                checked(http.post("/verify/bulk", content=body, headers=headers))

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(client, range(workers)))
    together = 3 * workers * len(docs) / (time.perf_counter() - started)
    report(f"POST /verify/bulk, {workers} clients at once: {together:,.0f} certificates/s "
           f"({3 * workers} requests of {len(docs):,})")  # fmt: skip
    overhead = bulk_http_overhead(body, answer.content)
    report("  of which HTTP work, measured apart (ms per request, median of 5): " + ", ".join(
        f"{name} {ms:.1f}" for name, ms in overhead.items()))  # fmt: skip
    return round(per_second), round(together), overhead


def bulk_http_overhead(body: bytes, answer: bytes, rounds: int = 5) -> dict[str, float]:
    """Milliseconds (median of `rounds`) of the service's own HTTP work on one bulk request, outside verification:
    admitting the body (depth, JSON parse, duplicate keys), validating it against the body model, writing the
    answer."""
    from api.json_body import read_json_body
    from api.routers.verify import BulkVerifyAsOfRequest
    from api.schemas import json_bytes

    refusal, parsed = read_json_body(body)
    if refusal is not None:
        raise ToolchainError(f"the bulk body is refused: {refusal.code}")
    payload = orjson.loads(answer)
    steps = {
        "admission": lambda: read_json_body(body),
        "body model": lambda: BulkVerifyAsOfRequest.model_validate(parsed),
        "answer": lambda: json_bytes(payload),
    }
    figures = {}
    for name, step in steps.items():
        timings = []
        for _ in range(rounds):
            started = time.perf_counter()
            step()
            timings.append(time.perf_counter() - started)
        figures[name] = round(statistics.median(timings) * 1000, 2)
    figures["total"] = round(sum(figures.values()), 2)
    return figures
