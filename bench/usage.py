"""`python -m bench.usage`: `POST /verify` requests/s with usage recording on and off, in one run; with `--gas`, the
gas of anchoring one period of a province's usage records on `UsageLog`.

Two service processes over one demo consortium and chain (one uvicorn worker each): the first records every
verification (the default), the second runs with `HURONG_USAGE_RECORDING=false`; wrk loads each in turn with the
same certificate and context, alternately, a few rounds. Beside the throughput, each round reads the CPU time the
service's processes used (`/proc`): CPU per request is what recording adds to a request, and unlike requests/s it
barely moves when other work shares the machine (a busy neighbour slows both services, not one request's work).
The gas is read from the receipts of anchors sent on a
fresh anvil chain with the demo consortium, by a province admin and by an agency, of 1 and of 100,000 records.
"""

from __future__ import annotations

import argparse
import random
import statistics
from pathlib import Path
from typing import Any

import httpx

from api.demo import demo_licence
from api.launcher import service_env, start_service, stop_service
from bench import wrk
from bench.common import cpu_seconds
from bench.consortium import ServedDemo, served_demo
from ledger.chain.node import free_port
from ledger.errors import ToolchainError


def bench_usage(*, seconds: int = 3, connections: int = 32, rounds: int = 3) -> dict[str, list[dict[str, Any]]]:
    figures: dict[str, list[dict[str, Any]]] = {}
    with served_demo(["sh_amr"], workers=1, prefix="hurong-bench-usage-") as demo:
        record = demo_licence("business_licence", 310000, random.Random(7))
        with httpx.Client(base_url=demo.base, timeout=120, headers={"X-API-Key": demo.api_keys["sh_amr"]}) as http:
            issued = http.post("/certificates", json={"certificates": [record]})
        if issued.status_code != 201:
            raise ToolchainError(f"issuing failed: {issued.text}")
        body = {"certificate": issued.json()["data"][0], "context": {"province": "330000", "serviceItem": "bench"}}
        home = service_env(rpc_url=demo.chain.url, home=_home(demo))
        port = free_port()
        off = start_service(home | {"HURONG_USAGE_RECORDING": "false"}, port=port, workers=1,
                            log=_home(demo) / "service-off.log")  # fmt: skip
        bases = {"on": demo.base, "off": f"http://127.0.0.1:{port}/api/v1"}
        pids = {"on": demo.server.pid, "off": off.pid}
        try:
            for label, base in bases.items():
                answer = httpx.post(base + "/verify", json=body, timeout=60).json()
                if answer["verdict"] != "VALID" or (answer["usageId"] is None) != (label == "off"):
                    raise ToolchainError(f"unexpected answer with recording {label}: {answer}")
                wrk.post(base + "/verify", body, seconds=1, connections=connections, threads=1)  # warm-up
            for round_ in range(rounds):  # alternate, so that a noisy neighbour weighs on both
                for label, base in bases.items():
                    used = cpu_seconds(pids[label])
                    run = wrk.post(base + "/verify", body, seconds=seconds, connections=connections, threads=1)
                    run["cpu_us_per_request"] = 1e6 * (cpu_seconds(pids[label]) - used) / max(run["requests"], 1)
                    figures.setdefault(label, []).append(run)
                    print(f"round {round_ + 1}, recording {label:>3}: {run['requests_per_second']:,.0f} requests/s, "
                          f"p50 {run['p50_ms']} ms, p99 {run['p99_ms']} ms, non-2xx {run['non_2xx']}, "
                          f"CPU {run['cpu_us_per_request']:,.0f} µs a request")  # fmt: skip
        finally:
            stop_service(off)
    on, off_rps = (statistics.median(r["requests_per_second"] for r in figures[k]) for k in ("on", "off"))
    print(f"median of {rounds} rounds: {on:,.0f} requests/s recording, {off_rps:,.0f} not recording "
          f"({100 * (off_rps - on) / off_rps:+.1f}% cost)")  # fmt: skip
    cpu_on, cpu_off = (statistics.median(r["cpu_us_per_request"] for r in figures[k]) for k in ("on", "off"))
    print(f"CPU per request, median of {rounds} rounds: {cpu_on:,.0f} µs recording, {cpu_off:,.0f} µs not recording "
          f"({100 * (cpu_on - cpu_off) / cpu_off:+.1f}%: the throughput a saturated worker loses is "
          f"{100 * (1 - cpu_off / cpu_on):.1f}%)")  # fmt: skip
    return figures


def bench_anchor_gas() -> dict[str, int]:
    """Gas of `UsageLog.anchor` by a province admin and by an agency (the root's record count does not matter)."""
    from ledger.audit import UsageLogClient, deploy_usage_log
    from ledger.certificates.merkle import MerkleTree
    from ledger.chain.bootstrap import bootstrap, load_description
    from ledger.chain.client import make_web3
    from ledger.chain.node import Anvil
    from ledger.chain.transactions import Transactor

    figures: dict[str, int] = {}
    with Anvil(accounts=20) as chain:
        result = bootstrap(load_description(Path(__file__).parents[1] / "examples" / "demo.yaml"), chain.url)
        w3 = make_web3(chain.url)
        deployment, receipt = deploy_usage_log(w3, result.keys["deployer"], result.deployment)
        figures["deploy"] = receipt.gas_used
        period = 0
        for who, province in (("sh_admin", 310000), ("zj_amr", 330000)):
            for count in (1, 100_000):
                period += 1
                root = MerkleTree([random.randbytes(32) for _ in range(min(count, 1000))]).root
                log = UsageLogClient.of(w3, deployment, Transactor(w3, result.keys[who]))
                gas = log.anchor(province, period, root, count).wait().gas_used
                figures[f"{who} {count}"] = gas
                print(f"anchor by {who} ({province}) of {count:,} records: {gas:,} gas")
    print(f"UsageLog deployment: {figures['deploy']:,} gas")
    return figures


def bench_record_cost(count: int = 100_000) -> dict[str, float]:
    """In one process, no HTTP: the request's share of a usage record (an id, an HMAC, a queue), the writer's
    (batched inserts), one evaluation of the sliding-window alert rules over `count` records of ten minutes (the
    references, grouping the window), and the rules the supervisor runs, read incrementally: their first round (the
    whole window) and a round 15 s later (the records of 15 s more at the same rate)."""
    import tempfile
    import time

    from api.supervision import config, rules
    from api.supervision.callers import CallerShares
    from api.supervision.records import UsageLog
    from api.supervision.spread import ProvinceSpread

    with tempfile.TemporaryDirectory(prefix="hurong-bench-usage-") as folder:
        log = UsageLog(Path(folder) / "usage.sqlite", b"bench secret", flush_interval=3600, batch_size=5000)
        records = _Records(log, count)
        now = time.time()
        started = time.perf_counter()
        records.queue(range(count), now - 600, 600)
        queued = time.perf_counter() - started
        started = time.perf_counter()
        log.flush()
        written = time.perf_counter() - started
        provinces_rule, callers_rule = config.ManyProvinces(), config.CallerFailures(window_minutes=10)
        started = time.perf_counter()
        rules.many_provinces(log.engine, provinces_rule, now)
        rules.caller_failures(log.engine, callers_rule, now)
        evaluated = time.perf_counter() - started
        spread, shares = ProvinceSpread(), CallerShares()
        started = time.perf_counter()
        spread.observe(log.engine, provinces_rule, now)
        shares.observe(log.engine, callers_rule, now)
        first = time.perf_counter() - started
        records.queue(range(count // 40), now, 15)
        log.flush()
        started = time.perf_counter()
        spread.observe(log.engine, provinces_rule, now + 15)
        shares.observe(log.engine, callers_rule, now + 15)
        round_ = time.perf_counter() - started
        log.engine.dispose()
    figures = {"request_us": 1e6 * queued / count, "writer_us": 1e6 * written / count, "rules_s": evaluated,
               "incremental_first_s": first, "incremental_round_s": round_}  # fmt: skip
    print(f"{count:,} records: {figures['request_us']:.1f} µs each on the request, {figures['writer_us']:.1f} µs "
          f"each in the writer; the sliding-window rules over them: {evaluated:.2f} s a round grouping the window, "
          f"read incrementally {first:.2f} s the first round and {round_:.3f} s a round 15 s later")  # fmt: skip
    return figures


class _Records:
    """Usage records for `bench_record_cost`: a certificate is verified in one province, one in 1,000 in three; one
    verification in ten fails."""

    _PROVINCES = ("310000", "330000", "440000")

    def __init__(self, log: Any, count: int) -> None:
        rng = random.Random(3)
        self.log = log
        self.digests = [f"0x{rng.getrandbits(256):064x}" for _ in range(count // 3)]

    def queue(self, numbers: range, start: float, seconds: float) -> None:
        """Queue records `numbers`, spread over `seconds` from `start`."""
        from api.supervision.records import UsageRecord, new_usage_id

        provinces, digests, log = self._PROVINCES, self.digests, self.log
        for i in numbers:
            d = i % len(digests)
            log.record(UsageRecord(
                id=new_usage_id(), at=start + seconds * i / len(numbers),
                accepting_province=provinces[i % 3 if d % 1000 == 0 else d % 3], caller_role="agency",
                caller_agency=f"0x{i % 50:040x}", caller_province=provinces[i % 3], service_item="bench",
                verdict="VALID" if i % 10 else "INVALID", failed="" if i % 10 else "expired",
                issuing_province="310000", issuer=None, certificate_type="business_licence",
                certificate_ref=log.reference(digests[d]), duration_ms=1.0,
            ))  # fmt: skip


def _home(demo: ServedDemo) -> Path:
    assert demo.home is not None
    return demo.home


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--gas", action="store_true", help="measure the gas of anchoring the usage log instead")
    parser.add_argument("--cost", type=int, metavar="N", help="measure a record's cost over N records instead")
    arguments = parser.parse_args()
    if arguments.gas:
        bench_anchor_gas()
    elif arguments.cost:
        bench_record_cost(arguments.cost)
    else:
        bench_usage(seconds=arguments.seconds, connections=arguments.connections, rounds=arguments.rounds)
